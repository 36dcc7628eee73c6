using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using StarSync.Configuration;
using StarSync.Web.Auth;

namespace StarSync.Tests.Web;

/// <summary>Server-side sessions slide: use keeps them, idleness ends them, and a restart remembers which is which.</summary>
[Trait("Category", "Unit")]
public sealed class SessionRetentionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-sessions-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private SessionStore NewStore() =>
        new(new StarSyncPaths(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["CONFIG_DIR"] = _dir }).Build()), _time);

    [Fact]
    public async Task Session_used_every_day_is_still_active_60_days_after_sign_in_also_after_a_restart()
    {
        using var store = NewStore();
        var id = await store.StartAsync(CancellationToken.None);

        for (var day = 0; day < 60; day++)
        {
            _time.Advance(TimeSpan.FromDays(1));
            Assert.True(await store.IsActiveAsync(id, CancellationToken.None), $"logged out on day {day + 1}");
        }

        using var restarted = NewStore();
        Assert.True(await restarted.IsActiveAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Idle_session_expires_after_the_idle_timeout_and_stays_expired_after_a_restart()
    {
        using var store = NewStore();
        var id = await store.StartAsync(CancellationToken.None);
        _time.Advance(SessionStore.IdleTimeout - TimeSpan.FromMinutes(1));
        using (var beforeTimeout = NewStore())
        {
            Assert.True(await beforeTimeout.IsActiveAsync(id, CancellationToken.None));
        }

        _time.Advance(SessionStore.IdleTimeout + TimeSpan.FromMinutes(2));

        Assert.False(await store.IsActiveAsync(id, CancellationToken.None));
        using var restarted = NewStore();
        Assert.False(await restarted.IsActiveAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task Use_renews_the_row_at_most_once_per_renew_interval()
    {
        using var store = NewStore();
        var id = await store.StartAsync(CancellationToken.None);
        var signedIn = _time.GetUtcNow();

        _time.Advance(SessionStore.RenewInterval - TimeSpan.FromSeconds(1));
        await store.IsActiveAsync(id, CancellationToken.None);
        Assert.Equal(signedIn.ToUnixTimeSeconds(), await LastUsedAsync(id));

        _time.Advance(TimeSpan.FromSeconds(2));
        await store.IsActiveAsync(id, CancellationToken.None);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), await LastUsedAsync(id));
    }

    [Fact]
    public async Task Ended_session_is_not_active_for_a_restarted_store_either()
    {
        using var store = NewStore();
        var id = await store.StartAsync(CancellationToken.None);

        await store.EndAsync(id, CancellationToken.None);

        Assert.False(await store.IsActiveAsync(id, CancellationToken.None));
        using var restarted = NewStore();
        Assert.False(await restarted.IsActiveAsync(id, CancellationToken.None));
    }

    private async Task<long> LastUsedAsync(string id)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "sessions.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT last_used_at FROM sessions WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
