using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StarSync.Jobs;
using StarSync.Journal;

namespace StarSync.Bench;

/// <summary>
/// History at scale: a journal of 1M changes written directly through <see cref="JournalStore"/> in a temp directory
/// (one job of 100k changes and 900 jobs of 1,000, 1% of them failed writes), then the real app on Kestrel answers the
/// history page's and a job page's API calls over HTTP, each timed. Target: every page call ≤ 300 ms.
/// </summary>
internal static class HistoryBench
{
    private static readonly string[] Words =
    [
        "blue", "night", "river", "echo", "golden", "summer", "shadow", "fire", "silver", "dream", "ocean", "storm",
        "velvet", "neon", "paper", "garden", "winter", "electric", "wild", "lonely", "midnight", "crystal", "broken", "sky",
    ];

    public static async Task RunAsync(Report report, int changes)
    {
        var dir = Directory.CreateTempSubdirectory("starsync-history-bench-").FullName;
        const string key = "history-bench-key-0123456789abcdef";
        var app = StarSyncApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PLEX_URL"] = "http://127.0.0.1:9",
                ["PLEX_TOKEN"] = "unused",
                ["CONFIG_DIR"] = Path.Combine(dir, "config"),
                ["LOGS_DIR"] = Path.Combine(dir, "logs"),
                ["DOTENV_PATH"] = Path.Combine(dir, "none.env"),
                ["APP_USERNAME"] = "admin",
                ["APP_PASSWORD"] = "bench-password-not-used",
                ["API_KEY"] = key,
                ["BATCH_INTERVAL_MINUTES"] = "0",
            });
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.ClearProviders();
        });
        try
        {
            var journal = app.Services.GetRequiredService<JournalStore>();
            await journal.InitializeAsync(CancellationToken.None);
            var fill = Stopwatch.StartNew();
            var bigJob = await FillAsync(journal, changes);
            fill.Stop();
            // The web app's indexer would catch up in the background once started; done here first so the timed
            // searches meet a complete index, as they do a few seconds after a job.
            var indexing = Stopwatch.StartNew();
            while (await journal.IndexWordsAsync(WordIndexer.Chunk, CancellationToken.None) > 0)
            {
            }

            indexing.Stop();
            await app.StartAsync();
            // The scan (before) can take minutes per call on a loaded machine at 1M changes: no client timeout.
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            var size = new FileInfo(Path.Combine(dir, "config", "starsync.db")).Length;

            report.Line($"### History at scale: a journal of {Report.N(changes)} changes");
            report.Line();
            report.Line($"- Journal written through JournalStore in {Report.Secs(fill.Elapsed)}: job #{bigJob} has 100,000 changes, " +
                $"{Report.N((changes - 100_000) / 1000)} jobs have 1,000; 1% failed writes; database file {Report.Mb(size)}; the word indexer took in all of them in {Report.Secs(indexing.Elapsed)} ({Report.N(WordIndexer.Chunk)} per transaction)");
            report.Line($"- Each call over HTTP (API key) to the real app on Kestrel: {Warmup} warm-up call(s), then {Timed} timed, each way; median and slowest");
            report.Line("- Before = the word searches scan artist, album and title with LIKE (the code before the word index); after = the trigram index. " +
                "Both on the same journal, in this run, alternating call by call; calls without words run the same code both times (their two columns show the noise)");
            report.Line($"- Load average at the start: {LoadAverage()}");
            report.Line();

            var middle = bigJob + ((changes - 100_000) / 1000 / 2);
            var calls = new (string Page, string Url)[]
            {
                ("History page: jobs, page 1 of 25", "/api/v1/history/jobs"),
                ("History page: jobs, last page", $"/api/v1/history/jobs?page={((changes - 100_000) / 1000 / 25) + 1}"),
                ("History page: completed with failures, most changes first", "/api/v1/history/jobs?status=completed-with-failures&sort=most-changes"),
                ("History page: one day, dry runs excluded", "/api/v1/history/jobs?dryRun=false&from=2000-01-01&to=2999-01-01"),
                ("History page: search, two common words", "/api/v1/history/search?q=night+river"),
                ("History page: search, two common words, page 50", "/api/v1/history/search?q=night+river&page=50"),
                ("History page: search, a rare pair across fields", "/api/v1/history/search?q=neon+crystal+wild+lonely"),
                ("History page: search, part of a word", "/api/v1/history/search?q=ighti"),
                ("History page: search, a word in no change", "/api/v1/history/search?q=zzzz"),
                ("History page: search, a 3-letter and a 2-letter word", "/api/v1/history/search?q=sky+ne"),
                ("Job page: the 100k job's details", $"/api/v1/history/jobs/{bigJob}"),
                ("Job page: 100k job, changes page 1", $"/api/v1/history/jobs/{bigJob}/changes"),
                ("Job page: 100k job, changes page 2,000 (jump)", $"/api/v1/history/jobs/{bigJob}/changes?page=2000"),
                ("Job page: 100k job, failed only", $"/api/v1/history/jobs/{bigJob}/changes?state=failed&page=5"),
                ("Job page: 100k job, two words", $"/api/v1/history/jobs/{bigJob}/changes?q=golden+sky"),
                ("Job page: a 1,000-change job", $"/api/v1/history/jobs/{middle}/changes"),
                ("Track page", "/api/v1/history/tracks/t42"),
            };
            var rows = new List<IReadOnlyList<string>>();
            var worst = 0.0;
            foreach (var (page, url) in calls)
            {
                var before = new List<double>();
                var after = new List<double>();
                string? scanned = null;
                var same = false;
                for (var i = 0; i < Warmup + Timed; i++)
                {
                    // Alternate call by call, so both ways see the same load.
                    foreach (var scan in new[] { true, false })
                    {
                        journal.ScanWithoutWordIndex = scan;
                        var watch = Stopwatch.StartNew();
                        using var response = await client.GetAsync(url);
                        var body = await response.Content.ReadAsStringAsync();
                        watch.Stop();
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {body}");
                        }

                        // Same answer both ways, or the comparison means nothing.
                        if (i == 0 && scan)
                        {
                            scanned = body;
                        }
                        else if (i == 0)
                        {
                            same = body == scanned;
                        }

                        if (i >= Warmup)
                        {
                            (scan ? before : after).Add(watch.Elapsed.TotalMilliseconds);
                        }
                    }
                }

                journal.ScanWithoutWordIndex = false;
                before.Sort();
                after.Sort();
                worst = Math.Max(worst, after[^1]);
                rows.Add([page, $"`{url}`", Ms(before[before.Count / 2]), Ms(before[^1]), Ms(after[after.Count / 2]), Ms(after[^1]),
                    Report.F(before[before.Count / 2] / after[after.Count / 2], "0.0") + "x", same ? "yes" : "**no**"]);
            }

            report.Table(["call", "request", "before: median", "before: slowest", "after: median", "after: slowest", "median ratio", "same answer"], rows);
            report.Line();
            var csv = Stopwatch.StartNew();
            using (var response = await client.GetAsync($"/api/v1/history/jobs/{bigJob}/changes.csv", HttpCompletionOption.ResponseHeadersRead))
            {
                await using var stream = await response.Content.ReadAsStreamAsync();
                await stream.CopyToAsync(Stream.Null);
            }

            csv.Stop();
            report.Line($"- Slowest page call with the word index: {Report.F(worst, "0.0")} ms (target ≤ 300 ms); load average at the end: {LoadAverage()}");
            report.Line($"- CSV export of the 100k-change job, streamed to the end: {Report.Secs(csv.Elapsed)}");
            report.Line();
        }
        finally
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes the journal: one big job first, then jobs of 1,000 changes; returns the big job's id.</summary>
    private static async Task<long> FillAsync(JournalStore journal, int changes)
    {
        var random = new Random(5);
        long bigJob = 0;
        var written = 0;
        var track = 0;
        while (written < changes)
        {
            var size = written == 0 ? 100_000 : 1000;
            var dry = written > 0 && random.Next(10) == 0;
            var job = await journal.CreateJobAsync(new JobRequest(JobTrigger.Schedule, JobMode.UnratedBatch, dry, size), ["Music"], CancellationToken.None);
            bigJob = bigJob == 0 ? job.Id : bigJob;
            var failed = 0;
            for (var start = 0; start < size; start += 10_000)
            {
                var n = Math.Min(10_000, size - start);
                var applied = new List<ChangeDraft>(n);
                var refused = new List<ChangeDraft>();
                for (var i = 0; i < n; i++)
                {
                    // Tracks come back across jobs (a track rated, undone, rated again), so the track page has a story.
                    var k = track++ % 400_000;
                    var draft = new ChangeDraft($"t{k}", "Music", $"{W(random)} {W(random)}", $"{W(random)} {W(random)} {W(random)}",
                        $"{W(random)} {W(random)}", null, 6);
                    (random.Next(100) == 0 && !dry ? refused : applied).Add(draft);
                }

                await journal.AddChangesAsync(job.Id, applied, dry ? ChangeState.Planned : ChangeState.Applied, null, null, CancellationToken.None);
                await journal.AddChangesAsync(job.Id, refused, ChangeState.Failed, null, "Plex answered 500 Internal Server Error", CancellationToken.None);
                failed += refused.Count;
            }

            await journal.UpdateJobAsync(job with
            {
                Status = JobStatus.Succeeded,
                StartedAt = job.QueuedAt,
                FinishedAt = job.QueuedAt.AddSeconds(size / 50.0),
                Counts = new JobCounts(size, size, Rated: size - failed, Failed: failed),
            }, CancellationToken.None);
            written += size;
        }

        return bigJob;
    }

    private static string W(Random random) => Words[random.Next(Words.Length)];

    /// <summary>Calls per request and way: the scan takes seconds per call at 1M changes, so fewer than the other benches.</summary>
    private const int Warmup = 1;

    private const int Timed = 7;

    private static string Ms(double ms) => Report.F(ms, "0.0") + " ms";

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    /// <summary>
    /// The word index's cost on the write path: the same 100,000 changes (10 transactions of 10,000, as the fill
    /// writes them) journaled with the insert trigger the index had until schema 5 and without it (today: the
    /// indexer adds them after the job), alternating, in fresh journals; then the indexer's catch-up for them.
    /// </summary>
    public static async Task WriteCostAsync(Report report)
    {
        var results = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
        var catchUps = new List<double>();
        for (var round = 0; round < 2; round++)
        {
            foreach (var trigger in new[] { false, true })
            {
                var dir = Directory.CreateTempSubdirectory("starsync-write-cost-").FullName;
                try
                {
                    var paths = new StarSync.Configuration.StarSyncPaths(new ConfigurationBuilder().AddInMemoryCollection(
                        new Dictionary<string, string?> { ["CONFIG_DIR"] = dir }).Build());
                    var journal = new JournalStore(paths, TimeProvider.System);
                    await journal.InitializeAsync(CancellationToken.None);
                    if (trigger)
                    {
                        // Schema 4's trigger, as it was: every insert also writes the word index.
                        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dir, "starsync.db")}");
                        await connection.OpenAsync();
                        await using var create = connection.CreateCommand();
                        create.CommandText = """
                            CREATE TRIGGER changes_words_insert AFTER INSERT ON changes BEGIN
                                INSERT INTO changes_words(rowid, artist, album, title) VALUES (new.id, new.artist, new.album, new.title);
                            END;
                            """;
                        await create.ExecuteNonQueryAsync();
                    }

                    var job = await journal.CreateJobAsync(new JobRequest(JobTrigger.Manual, JobMode.All), ["Music"], CancellationToken.None);
                    var random = new Random(9);
                    var watch = Stopwatch.StartNew();
                    for (var batch = 0; batch < 10; batch++)
                    {
                        var drafts = Enumerable.Range(0, 10_000).Select(i => new ChangeDraft($"t{(batch * 10_000) + i}", "Music",
                            $"{W(random)} {W(random)}", $"{W(random)} {W(random)} {W(random)}", $"{W(random)} {W(random)}", null, 6)).ToArray();
                        await journal.AddChangesAsync(job.Id, drafts, ChangeState.Applied, null, null, CancellationToken.None);
                    }

                    watch.Stop();
                    results[trigger].Add(watch.Elapsed.TotalMilliseconds);
                    if (!trigger)
                    {
                        // What the web app's indexer does after the job, off the write path.
                        var fill = Stopwatch.StartNew();
                        while (await journal.IndexWordsAsync(WordIndexer.Chunk, CancellationToken.None) > 0)
                        {
                        }

                        catchUps.Add(fill.Elapsed.TotalMilliseconds);
                    }
                }
                finally
                {
                    SqliteConnection.ClearAllPools();
                    Directory.Delete(dir, recursive: true);
                }
            }
        }

        var without = results[false].Min();
        var with = results[true].Min();
        report.Line($"- Write cost of the word index: 100,000 changes journaled in {Ms(without)} as a job journals them now (no index work), " +
            $"{Ms(with)} with schema 4's insert trigger ({Report.F(with / without, "0.00")}x; best of 2 each, alternating; load average {LoadAverage()}); " +
            $"the indexer then takes those 100,000 rows into the index in {Ms(catchUps.Min())} after the job, {Report.N(WordIndexer.Chunk)} per transaction");
        report.Line();
    }
}
