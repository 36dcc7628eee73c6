using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using StarSync.Configuration;

namespace StarSync.Web.Auth;

/// <summary>
/// The sessions that are signed in, kept in CONFIG_DIR/sessions.db so they survive a restart. A session cookie is
/// only honoured while its id is here: logging out removes it, so a copy of the cookie stops working too.
/// </summary>
public sealed class SessionStore(StarSyncPaths paths, TimeProvider time)
{
    /// <summary>Rows unused for this long are forgotten (the cookie's own sliding expiry is shorter).</summary>
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    private readonly Lazy<ConcurrentDictionary<string, byte>> _sessions = new(() => Load(paths, time));

    private string ConnectionString => ConnectionStringFor(paths);

    private static string ConnectionStringFor(StarSyncPaths paths) =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(paths.ConfigDirectory, "sessions.db") }.ToString();

    /// <summary>Starts a session and returns its id (random, 128 bits).</summary>
    public string Start()
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var sessions = _sessions.Value; // creates the table on first use
        Execute(ConnectionString, "INSERT OR REPLACE INTO sessions (id, started_at) VALUES ($id, $now);", id, time);
        sessions[id] = 0;
        return id;
    }

    /// <summary>True while the session has not been ended.</summary>
    public bool IsActive(string? id) => id is not null && _sessions.Value.ContainsKey(id);

    /// <summary>Ends a session (logout).</summary>
    public void End(string? id)
    {
        if (id is null)
        {
            return;
        }

        _sessions.Value.TryRemove(id, out _); // also creates the table on first use
        Execute(ConnectionString, "DELETE FROM sessions WHERE id = $id;", id, time);
    }

    private static ConcurrentDictionary<string, byte> Load(StarSyncPaths paths, TimeProvider time)
    {
        Directory.CreateDirectory(paths.ConfigDirectory);
        var connectionString = ConnectionStringFor(paths);
        Execute(connectionString, """
            CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL);
            DELETE FROM sessions WHERE started_at < $cutoff;
            """, null, time);
        var sessions = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM sessions;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            sessions[reader.GetString(0)] = 0;
        }

        return sessions;
    }

    private static void Execute(string connectionString, string sql, string? id, TimeProvider time)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var now = time.GetUtcNow();
        command.Parameters.AddWithValue("$id", (object?)id ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
        command.Parameters.AddWithValue("$cutoff", (now - Retention).ToUnixTimeSeconds());
        command.ExecuteNonQuery();
    }
}
