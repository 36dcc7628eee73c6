using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Web.Auth;

namespace StarSync.Tests.Journal;

/// <summary>Schema versions: a journal and a session store written before versions existed open, upgrade and read back.</summary>
[Trait("Category", "Unit")]
public sealed class JournalSchemaTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-schema-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 2, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private StarSyncPaths Paths => new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["CONFIG_DIR"] = _dir }).Build());

    /// <summary>Copies a fixture made by the code of 2026-11 (tests/StarSync.Tests/Journal/Fixtures) into the config folder.</summary>
    private void CopyFixture(string fixture, string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "StarSync.Tests", "Journal", "Fixtures", fixture);
            if (File.Exists(candidate))
            {
                File.Copy(candidate, Path.Combine(_dir, name));
                return;
            }
        }

        throw new FileNotFoundException(fixture);
    }

    private async Task<long> UserVersionAsync(string file)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, file)};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Journal_made_before_schema_versions_opens_upgrades_and_reads_its_jobs_and_changes()
    {
        CopyFixture("starsync-v0.db", "starsync.db");
        Assert.Equal(0, await UserVersionAsync("starsync.db"));
        var store = new JournalStore(Paths, _time);

        await store.InitializeAsync(CancellationToken.None);

        Assert.Equal(JournalSchema.Journal.Count, await UserVersionAsync("starsync.db"));
        var jobs = await store.GetJobsAsync(10, CancellationToken.None);
        Assert.Equal([2L, 1L], jobs.Select(j => j.Id));
        var rate = jobs[1];
        Assert.Equal((JobMode.All, JobStatus.Succeeded, 2, 1), (rate.Mode, rate.Status, rate.Counts.Rated, rate.Counts.Failed));
        Assert.Equal(["Music"], rate.Libraries);
        Assert.Equal(rate.Id, jobs[0].Request.UndoJobId);
        var changes = await store.GetChangesAsync(rate.Id, null, 0, 10, CancellationToken.None);
        Assert.Equal(3, changes.Total);
        Assert.Equal(("101", "Track 1", (double?)null, (double?)6, ChangeState.Applied), (changes.Items[0].RatingKey, changes.Items[0].Title, changes.Items[0].OldValue, changes.Items[0].NewValue, changes.Items[0].State));
        Assert.Equal(("HTTP 500", ChangeState.Failed), (changes.Items[2].Error, changes.Items[2].State));
        // The undo marks written by the old code still count: track 101 was undone, 102 can still be.
        var candidates = await store.GetUndoCandidatesAsync(rate.Id, 0, 10, CancellationToken.None);
        Assert.Equal(["102"], candidates.Select(c => c.RatingKey));
    }

    [Fact]
    public async Task Journal_initialisation_is_idempotent_and_new_journals_get_the_latest_version()
    {
        var store = new JournalStore(Paths, _time);

        await store.InitializeAsync(CancellationToken.None);
        var job = await store.CreateJobAsync(new JobRequest(JobTrigger.Manual, JobMode.All), ["Music"], CancellationToken.None);
        await store.InitializeAsync(CancellationToken.None);

        Assert.Equal(JournalSchema.Journal.Count, await UserVersionAsync("starsync.db"));
        Assert.Equal(job.Id, (await store.GetJobAsync(job.Id, CancellationToken.None))!.Id);
    }

    [Fact]
    public async Task Journal_from_a_newer_StarSync_is_refused_naming_the_file()
    {
        var store = new JournalStore(Paths, _time);
        await store.InitializeAsync(CancellationToken.None);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "starsync.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99;";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<StartupConfigurationException>(() => store.InitializeAsync(CancellationToken.None));

        Assert.Contains("starsync.db has schema version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_store_made_before_schema_versions_keeps_its_sessions_after_the_upgrade()
    {
        CopyFixture("sessions-v0.db", "sessions.db");
        string id;
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "sessions.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT id FROM sessions;";
            id = (string)(await command.ExecuteScalarAsync())!;
        }

        using var sessions = new SessionStore(Paths, _time);

        Assert.True(await sessions.IsActiveAsync(id, CancellationToken.None));
        Assert.Equal(JournalSchema.Sessions.Count, await UserVersionAsync("sessions.db"));
    }
}
