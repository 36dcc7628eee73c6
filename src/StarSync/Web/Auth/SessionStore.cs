using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using StarSync.Configuration;
using StarSync.Journal;

namespace StarSync.Web.Auth;

/// <summary>
/// The sessions that are signed in, kept in CONFIG_DIR/sessions.db so they survive a restart. A session cookie is
/// only honoured while its id is here: logging out removes it, so a copy of the cookie stops working too. A session
/// lasts while it is used (sliding expiry): each use renews it, at most once per <see cref="RenewInterval"/>.
/// Every check is answered from memory; the database is only written, asynchronously, on sign-in, renewal and
/// sign-out.
/// </summary>
public sealed class SessionStore(StarSyncPaths paths, TimeProvider time) : IDisposable
{
    /// <summary>A session unused for this long is over (the cookie's own sliding expiry may end it sooner).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromDays(30);

    /// <summary>How often an active session's row is renewed: at most one write per session per hour.</summary>
    public static readonly TimeSpan RenewInterval = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _loadLock = new(1, 1);
    // id -> last use written to the database.
    private ConcurrentDictionary<string, DateTimeOffset>? _sessions;

    private string DatabaseFile => Path.Combine(paths.ConfigDirectory, "sessions.db");

    /// <summary>Starts a session and returns its id (random, 128 bits).</summary>
    public async Task<string> StartAsync(CancellationToken cancellationToken)
    {
        var sessions = await LoadAsync(cancellationToken);
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var now = time.GetUtcNow();
        await ExecuteAsync("INSERT OR REPLACE INTO sessions (id, started_at, last_used_at) VALUES ($id, $now, $now);", id, now, cancellationToken);
        sessions[id] = now;
        return id;
    }

    /// <summary>True while the session has been neither ended nor left unused for <see cref="IdleTimeout"/>; a use renews it.</summary>
    public async ValueTask<bool> IsActiveAsync(string? id, CancellationToken cancellationToken)
    {
        if (id is null)
        {
            return false;
        }

        var sessions = await LoadAsync(cancellationToken);
        if (!sessions.TryGetValue(id, out var lastUsed))
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (now - lastUsed > IdleTimeout)
        {
            await EndAsync(id, cancellationToken);
            return false;
        }

        if (now - lastUsed >= RenewInterval && sessions.TryUpdate(id, now, lastUsed))
        {
            await ExecuteAsync("UPDATE sessions SET last_used_at = $now WHERE id = $id;", id, now, cancellationToken);
        }

        return true;
    }

    /// <summary>Ends a session (logout).</summary>
    public async Task EndAsync(string? id, CancellationToken cancellationToken)
    {
        if (id is null)
        {
            return;
        }

        var sessions = await LoadAsync(cancellationToken);
        sessions.TryRemove(id, out _);
        await ExecuteAsync("DELETE FROM sessions WHERE id = $id;", id, time.GetUtcNow(), cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _loadLock.Dispose();

    // First use: create or upgrade the file (same versioned-schema helper as the journal), forget idle sessions and
    // keep the rest in memory.
    private async ValueTask<ConcurrentDictionary<string, DateTimeOffset>> LoadAsync(CancellationToken cancellationToken)
    {
        if (_sessions is { } loaded)
        {
            return loaded;
        }

        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_sessions is { } raced)
            {
                return raced;
            }

            PrivateFiles.CreateDirectory(paths.ConfigDirectory);
            PrivateFiles.EnsureFile(DatabaseFile);
            await using var connection = await OpenAsync(cancellationToken);
            await JournalSchema.MigrateAsync(connection, JournalSchema.Sessions, cancellationToken);
            await using (var forget = connection.CreateCommand())
            {
                forget.CommandText = "DELETE FROM sessions WHERE last_used_at < $cutoff;";
                forget.Parameters.AddWithValue("$cutoff", (time.GetUtcNow() - IdleTimeout).ToUnixTimeSeconds());
                await forget.ExecuteNonQueryAsync(cancellationToken);
            }

            var sessions = new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, last_used_at FROM sessions;";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                sessions[reader.GetString(reader.GetOrdinal("id"))] = DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(reader.GetOrdinal("last_used_at")));
            }

            _sessions = sessions;
            return sessions;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private async Task ExecuteAsync(string sql, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabaseFile, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
