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
    public async Task Journal_made_before_the_word_index_gets_it_filled_with_its_old_rows_and_finds_them_by_word()
    {
        CopyFixture("starsync-v0.db", "starsync.db");
        var store = new JournalStore(Paths, _time);

        await store.InitializeAsync(CancellationToken.None);

        // The index itself holds the rows written before it existed (the migration's back-fill)…
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, "starsync.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT rowid FROM changes_words WHERE changes_words MATCH '\"tist b\"' ORDER BY rowid;";
            Assert.Equal(3L, await command.ExecuteScalarAsync());
        }

        // …and the history's search finds them by word through it: parts of words, any case, words across fields.
        Assert.Equal([4L, 3L, 2L, 1L], (await store.SearchChangesAsync("ALBUM", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
        Assert.Equal([3L], (await store.SearchChangesAsync("rtist track 3", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
        Assert.Equal([2L], (await store.SearchChangesAsync("Artist 2", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
        Assert.Empty((await store.SearchChangesAsync("Zappa", 0, 50, CancellationToken.None)).Items);

        // The upgrade leaves nothing to index: every old row is in. A row written after it is found at once (by LIKE,
        // before the indexer reaches it) and after it is indexed, newest first before the old rows.
        Assert.Equal(0, await store.WordIndexBacklogAsync(CancellationToken.None));
        var ids = await store.AddChangesAsync(1, [new ChangeDraft("104", "Music", "Frank Zappa", "Album C", "Track 4", null, 6)], ChangeState.Applied, null, null, CancellationToken.None);
        Assert.Equal(1, await store.WordIndexBacklogAsync(CancellationToken.None));
        Assert.Equal(ids, (await store.SearchChangesAsync("Zappa", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
        Assert.Equal([ids[0], 4L, 3L, 2L, 1L], (await store.SearchChangesAsync("album", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
        Assert.Equal(1, await store.IndexWordsAsync(100, CancellationToken.None));
        Assert.Equal(0, await store.WordIndexBacklogAsync(CancellationToken.None));
        Assert.Equal(ids, (await store.SearchChangesAsync("Zappa", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
        Assert.Equal([ids[0], 4L, 3L, 2L, 1L], (await store.SearchChangesAsync("album", 0, 50, CancellationToken.None)).Items.Select(i => i.Change.Id));
    }

    [Fact]
    public async Task Word_index_answers_every_search_exactly_as_the_scan_it_replaced()
    {
        var store = new JournalStore(Paths, _time);
        await store.InitializeAsync(CancellationToken.None);
        var job = await store.CreateJobAsync(new JobRequest(JobTrigger.Manual, JobMode.All), ["Music"], CancellationToken.None);
        string?[] artists = ["The Beatles", "Beach House", "Sigur Rós", "100% Pure", "a_b", "Say \"Hi\"", null, "Björk", "AC/DC", "Ab"];
        string?[] albums = ["Abbey Road", "Bloom", "Takk...", "Hits 2001", null, "Quote \"Album\"", "Only Title", "Homogenic", "Back in Black", "Ab"];
        var drafts = Enumerable.Range(0, 300).Select(i => new ChangeDraft($"k{i}", i % 2 == 0 ? "Music" : "Live Music",
            artists[i % artists.Length], albums[(i / 3) % albums.Length], $"Song {i} of night", null, 6)).ToArray();
        await store.AddChangesAsync(job.Id, drafts, ChangeState.Applied, null, null, CancellationToken.None);
        string[] searches =
        [
            "beatles", "BEACH", "be", "road abbey", "Sigur", "rós", "100%", "%", "a_b", "_", "\"hi\"", "\"", "song 12", "of night 7",
            "ab", "b", "AC/DC", "Björk", "zzz", "Only song", "title 2", "ach ous", "Hits 2001 Pure",
        ];

        // Three states of the index: nothing indexed yet (a running job's rows), half indexed (the indexer caught up
        // with part of a job: pages span both), everything indexed. The answers never change.
        foreach (var indexedRows in new[] { 0, 150, 300 })
        {
            while (await store.WordIndexBacklogAsync(CancellationToken.None) > 300 - indexedRows)
            {
                await store.IndexWordsAsync(Math.Max(1, indexedRows == 300 ? 64 : 150), CancellationToken.None);
            }

            Assert.Equal(300 - indexedRows, await store.WordIndexBacklogAsync(CancellationToken.None));
            foreach (var search in searches)
            {
                store.ScanWithoutWordIndex = true;
                var scanned = await store.SearchChangesAsync(search, 0, 500, CancellationToken.None);
                var scannedInJob = await store.QueryJobChangesAsync(job.Id, new ChangeFilter(Search: search), 0, 1000, CancellationToken.None);
                store.ScanWithoutWordIndex = false;
                var indexed = await store.SearchChangesAsync(search, 0, 500, CancellationToken.None);
                var indexedInJob = await store.QueryJobChangesAsync(job.Id, new ChangeFilter(Search: search), 0, 1000, CancellationToken.None);

                Assert.Equal(scanned.Items.Select(i => i.Change.Id), indexed.Items.Select(i => i.Change.Id));
                Assert.Equal(scanned.Total, indexed.Total);
                Assert.Equal(scannedInJob.Items.Select(i => i.Change.Id), indexedInJob.Items.Select(i => i.Change.Id));
                Assert.Equal(scannedInJob.Total, indexedInJob.Total);

                // Page by page (7 a page), the pages join up to the whole answer with the same total on each.
                var paged = new List<long>();
                for (var offset = 0; offset < scanned.Total; offset += 7)
                {
                    var page = await store.SearchChangesAsync(search, offset, 7, CancellationToken.None);
                    Assert.Equal(scanned.Total, page.Total);
                    paged.AddRange(page.Items.Select(i => i.Change.Id));
                }

                Assert.Equal(scanned.Items.Select(i => i.Change.Id), paged);
            }
        }

        Assert.Equal(0, await store.IndexWordsAsync(10, CancellationToken.None));

        // Not a vacuous comparison: most searches find something.
        Assert.NotEmpty((await store.SearchChangesAsync("beatles road", 0, 500, CancellationToken.None)).Items);
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
