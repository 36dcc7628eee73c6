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
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            var size = new FileInfo(Path.Combine(dir, "config", "starsync.db")).Length;

            report.Line($"### History at scale: a journal of {Report.N(changes)} changes");
            report.Line();
            report.Line($"- Journal written through JournalStore in {Report.Secs(fill.Elapsed)}: job #{bigJob} has 100,000 changes, " +
                $"{Report.N((changes - 100_000) / 1000)} jobs have 1,000; 1% failed writes; database file {Report.Mb(size)}");
            report.Line("- Each call over HTTP (API key) to the real app on Kestrel: 2 warm-up calls, then 15 timed; median and slowest");
            report.Line();

            var middle = bigJob + ((changes - 100_000) / 1000 / 2);
            var calls = new (string Page, string Url)[]
            {
                ("History page: jobs, page 1 of 25", "/api/v1/history/jobs"),
                ("History page: jobs, last page", $"/api/v1/history/jobs?page={((changes - 100_000) / 1000 / 25) + 1}"),
                ("History page: completed with failures, most changes first", "/api/v1/history/jobs?status=completed-with-failures&sort=most-changes"),
                ("History page: one day, dry runs excluded", "/api/v1/history/jobs?dryRun=false&from=2000-01-01&to=2999-01-01"),
                ("History page: search, two common words", "/api/v1/history/search?q=night+river"),
                ("History page: search, a word in no change", "/api/v1/history/search?q=zzzz"),
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
                var times = new List<double>();
                for (var i = 0; i < 17; i++)
                {
                    var watch = Stopwatch.StartNew();
                    using var response = await client.GetAsync(url);
                    var body = await response.Content.ReadAsStringAsync();
                    watch.Stop();
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {body}");
                    }

                    if (i >= 2)
                    {
                        times.Add(watch.Elapsed.TotalMilliseconds);
                    }
                }

                times.Sort();
                worst = Math.Max(worst, times[^1]);
                rows.Add([page, $"`{url}`", Report.F(times[times.Count / 2], "0.0") + " ms", Report.F(times[^1], "0.0") + " ms"]);
            }

            report.Table(["call", "request", "median", "slowest"], rows);
            report.Line();
            var csv = Stopwatch.StartNew();
            using (var response = await client.GetAsync($"/api/v1/history/jobs/{bigJob}/changes.csv", HttpCompletionOption.ResponseHeadersRead))
            {
                await using var stream = await response.Content.ReadAsStreamAsync();
                await stream.CopyToAsync(Stream.Null);
            }

            csv.Stop();
            report.Line($"- Slowest page call: {Report.F(worst, "0.0")} ms (target ≤ 300 ms)");
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
}
