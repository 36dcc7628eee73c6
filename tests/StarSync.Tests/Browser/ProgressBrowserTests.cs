using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

/// <summary>What the live progress shows a user during a job over two libraries, on the dashboard and on the job's page.</summary>
[Trait("Category", "Browser")]
public sealed partial class ProgressBrowserTests
{
    /// <summary>Records every change of the dashboard's progress block (numbers and per-library rows) in the page.</summary>
    private const string RecordFrames = """
        window.__frames = [];
        const block = document.getElementById('progress');
        const record = () => window.__frames.push({
          numbers: document.getElementById('progress-numbers').textContent,
          title: document.getElementById('progress-title').textContent,
          rowsShown: !document.getElementById('progress-libraries').hidden,
          rows: [...document.querySelectorAll('#progress-libraries tbody tr')].map(r => [...r.cells].map(c => c.textContent)),
        });
        new MutationObserver(record).observe(block, { subtree: true, childList: true, characterData: true, attributes: true });
        """;

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private sealed record Frame(string Numbers, string Title, bool RowsShown, string[][] Rows);

    [GeneratedRegex(@"^([\d,]+) / ([\d,]+)")]
    private static partial Regex DoneOfTotal();

    private static int Number(string text) => int.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Two_library_run_shows_the_whole_total_from_the_first_frame_and_each_librarys_progress_on_the_dashboard_and_the_job_page()
    {
        var emulator = new EmulatorOptions { Tracks = 500, MusicLibraries = 2, Seed = 31, HandRatedShare = 0.3 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries().Config("PLEX_TIMEOUT_SECONDS", "120"));
        var services = browser.App.App.Services;
        await services.GetRequiredService<SettingsStore>().UpdateAsync(s => s with { WriteConcurrency = 1, WriteMode = StarSync.Rating.WriteMode.PerTrack }, CancellationToken.None);
        // Slow writes, one at a time: the run takes seconds, so its progress can be watched.
        browser.Plex.Options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(15);
        var music = browser.Plex.Library.Sections.Where(s => s.IsMusic).ToArray();
        var unrated = music.Select(s => browser.Plex.Library.CountUnrated(s.Key)).ToArray();
        var sum = unrated.Sum();

        Assert.All(unrated, n => Assert.True(n > 60, $"{n} unrated: each library needs more than the 40 writes before the pause"));
        // The 41st write waits until the test has looked at the page in the middle of the first library.
        var writes = 0;
        var midRun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        browser.Plex.Options.BeforeRatingWrite = _ => Interlocked.Increment(ref writes) == 41 ? midRun.Task : Task.CompletedTask;
        var shots = Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS");

        browser.Until("the dashboard", () => browser.Text("#recent-jobs") == "No jobs yet.");
        browser.Driver.ExecuteScript(RecordFrames);
        browser.Find("#rate-all").Click();

        browser.Until("the first library in progress, the second waiting", () =>
            browser.Driver.FindElements(By.CssSelector("#progress-libraries tbody tr")).Select(r => r.Text).ToArray() is [var first, var second] &&
            first.StartsWith(music[0].Title + " ", StringComparison.Ordinal) && first.EndsWith($" / {unrated[0]:#,0} in progress", StringComparison.Ordinal) &&
            second == $"{music[1].Title} 0 / {unrated[1]:#,0} waiting");
        Assert.Matches($@"^\d+ / {sum:#,0} · {music[0].Title}$", browser.Text("#progress-numbers"));
        Assert.True(browser.Find("#progress-libraries").Displayed);
        if (shots is not null)
        {
            browser.Screenshot(shots, "progress-two-libraries");
        }

        midRun.SetResult();
        browser.Until("the run to end", () => browser.Text("#progress-title").StartsWith("Last run: Rate all · succeeded", StringComparison.Ordinal));

        var frames = JsonSerializer.Deserialize<Frame[]>((string?)browser.Driver.ExecuteScript("return JSON.stringify(window.__frames)") ?? "[]", Web)!;
        var counted = frames.Select(f => (Frame: f, Match: DoneOfTotal().Match(f.Numbers))).Where(x => x.Match.Success).ToArray();
        Assert.NotEmpty(counted);
        // From the first frame that shows numbers to the last, the total is both libraries' tracks, and done only grows.
        var done = 0;
        foreach (var (frame, match) in counted)
        {
            Assert.Equal(sum, Number(match.Groups[2].Value));
            var now = Number(match.Groups[1].Value);
            Assert.True(now >= done, $"done went back from {done} to {now} ({frame.Numbers})");
            done = now;
        }

        Assert.Equal(sum, done);
        // Each library's row: its name, "done / its own total", and where the run is in it.
        var withRows = frames.Where(f => f.RowsShown && f.Rows.Length == 2).ToArray();
        Assert.NotEmpty(withRows);
        Assert.All(withRows, f =>
        {
            Assert.Equal(music.Select(s => s.Title), f.Rows.Select(r => r[0]));
            Assert.Equal(unrated.Select(n => " / " + n.ToString("#,0", CultureInfo.InvariantCulture)), f.Rows.Select(r => r[1][r[1].IndexOf(" / ", StringComparison.Ordinal)..]));
        });
        Assert.Contains(withRows, f => f.Rows[0][2] == "in progress" && f.Rows[1][2] == "waiting");
        Assert.Contains(withRows, f => f.Rows[0][2] == "done" && f.Rows[1][2] == "in progress");
        // The finished run keeps its rows: both done, each at its total.
        var rows = browser.Driver.FindElements(By.CssSelector("#progress-libraries tbody tr")).Select(r => r.Text).ToArray();
        Assert.Equal(music.Zip(unrated, (s, n) => $"{s.Title} {n:#,0} / {n:#,0} done"), rows);

        // The job's History page shows the same while an undo of both libraries runs. The undo's first write waits
        // until the page is open, so the page is watched from the start whatever the machine's load.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        browser.Plex.Options.BeforeRatingWrite = _ => gate.Task;
        var undo = await services.GetRequiredService<JobQueue>().EnqueueAsync(new JobRequest(JobTrigger.Manual, JobMode.Undo, UndoJobId: 1), CancellationToken.None);
        browser.Go($"/history/{undo.Id}");
        browser.Until("the undo's progress per library", () => browser.Driver.FindElements(By.CssSelector("#job-progress-libraries tbody tr")).Count == 2);
        Assert.True(browser.Find("#job-progress-libraries").Displayed);
        Assert.StartsWith($"0 / {sum:#,0}", browser.Text("#job-progress-numbers"), StringComparison.Ordinal);
        if (shots is not null)
        {
            browser.Screenshot(shots, "progress-job-page");
        }

        var undoRows = browser.Driver.FindElements(By.CssSelector("#job-progress-libraries tbody tr")).Select(r => r.Text).ToArray();
        Assert.All(music.Zip(unrated, undoRows), x => Assert.StartsWith($"{x.First.Title} 0 / {x.Second:#,0} ", x.Third, StringComparison.Ordinal));
        gate.SetResult();
        browser.Until("the undo to end with both libraries done", () =>
            browser.Driver.FindElements(By.CssSelector("#job-progress-libraries tbody tr")).Select(r => r.Text).SequenceEqual(music.Zip(unrated, (s, n) => $"{s.Title} {n:#,0} / {n:#,0} done")));
        var journal = services.GetRequiredService<JournalStore>();
        await Eventually.TrueAsync(async () => (await journal.GetJobAsync(undo.Id, CancellationToken.None))!.Status == JobStatus.Succeeded, "the undo to be saved as succeeded");
        Assert.Equal(sum, (await journal.GetJobAsync(undo.Id, CancellationToken.None))!.Counts.Restored);
    }
}
