using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

/// <summary>What the history shows a user: outcomes in words, undo links both ways, a large job's pages and search.</summary>
[Trait("Category", "Browser")]
public sealed class HistoryBrowserTests
{
    private static async Task<JobRecord> RunToEndAsync(JobQueue queue, JournalStore journal, JobRequest request)
    {
        var job = await queue.EnqueueAsync(request, CancellationToken.None);
        JobRecord? done = null;
        await Eventually.TrueAsync(async () =>
        {
            done = await journal.GetJobAsync(job.Id, CancellationToken.None);
            return done!.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;
        }, $"job {job.Id} to finish", seconds: 120);
        return done!;
    }

    [Fact]
    public async Task History_shows_cancelled_failed_and_undone_jobs_in_words_and_navigates_a_job_of_thousands_of_changes()
    {
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(new EmulatorOptions { Tracks = 3000, Seed = 12, HandRatedShare = 0.1 }).AllMusicLibraries());
        var services = browser.App.App.Services;
        var queue = services.GetRequiredService<JobQueue>();
        var journal = services.GetRequiredService<JournalStore>();
        var settings = services.GetRequiredService<SettingsStore>();
        var library = browser.Plex.Library.Sections.First(s => s.IsMusic).Title;

        // #1 rates every unrated track (thousands of changes), #2 undoes it.
        var rated = await RunToEndAsync(queue, journal, new JobRequest(JobTrigger.Manual, JobMode.All));
        Assert.True(rated.Counts.Rated > 2000);
        var undo = await RunToEndAsync(queue, journal, new JobRequest(JobTrigger.Manual, JobMode.Undo, UndoJobId: rated.Id));

        // #3 is cancelled a few writes in: slow writes, one at a time.
        browser.Plex.Options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(30);
        await settings.UpdateAsync(s => s with { WriteConcurrency = 1, WriteMode = StarSync.Rating.WriteMode.PerTrack }, CancellationToken.None);
        var cancelled = await queue.EnqueueAsync(new JobRequest(JobTrigger.Manual, JobMode.All), CancellationToken.None);
        await Eventually.TrueAsync(() => queue.Snapshot() is { Current.Id: var id, Progress.Counts.Rated: >= 3 } && id == cancelled.Id, "a few writes of job 3");
        Assert.True(await queue.CancelAsync(cancelled.Id, CancellationToken.None));
        await Eventually.TrueAsync(async () => (await journal.GetJobAsync(cancelled.Id, CancellationToken.None))!.Status == JobStatus.Cancelled, "job 3 to be cancelled");

        // #4 finished with two writes Plex refused, journaled as the change writer records them.
        var failing = await journal.CreateJobAsync(new JobRequest(JobTrigger.Schedule, JobMode.UnratedBatch, Count: 5), [library], CancellationToken.None);
        // Finished first: the running app's executor settles other processes' unfinished jobs and pending rows.
        await journal.UpdateJobAsync(failing with { Status = JobStatus.Succeeded, Counts = new JobCounts(5, 5, Rated: 3, Failed: 2) }, CancellationToken.None);
        var ids = await journal.AddChangesAsync(failing.Id, Enumerable.Range(0, 5).Select(i => new ChangeDraft($"f{i}", library, "Failing Artist", "Album", $"Song {i}", null, 6)).ToArray(),
            ChangeState.Applied, null, null, CancellationToken.None);
        await journal.MarkAsync(ids.Take(2).Select(id => new ChangeOutcome(id, ChangeState.Failed, "Plex answered 404 Not Found")).ToArray(), CancellationToken.None);

        // The jobs list says each outcome in words.
        browser.Go("/history");
        string Row(long id) => browser.Text($"#jobs-body tr[data-job-id=\"{id}\"]");
        browser.Until("four jobs", () => browser.Driver.FindElements(By.CssSelector("#jobs-body tr")).Count == 4);
        Assert.Contains("cancelled", Row(cancelled.Id), StringComparison.Ordinal);
        Assert.Matches(@"Rated [\d,]+ · [\d,]+ not sent", Row(cancelled.Id));
        Assert.Contains("completed with 2 failures", Row(failing.Id), StringComparison.Ordinal);
        Assert.DoesNotContain("succeeded", Row(failing.Id), StringComparison.Ordinal);
        Assert.Contains($"undone by #{undo.Id}", Row(rated.Id), StringComparison.Ordinal);
        Assert.Contains($"undid #{rated.Id}", Row(undo.Id), StringComparison.Ordinal);

        // The undone job: Undo disabled with the reason, and links both ways.
        browser.Go($"/history/{rated.Id}");
        browser.Until("the undo reason", () => browser.Text("#undo-reason") == $"Already undone by #{undo.Id}.");
        Assert.False(browser.Find("#undo").Enabled);
        browser.Find($"#job-summary a[href$=\"/history/{undo.Id}\"]").Click();
        browser.Until("the undo job's page", () => browser.Text("#job-summary").Contains($"undid #{rated.Id}", StringComparison.Ordinal));
        browser.Find($"#job-summary a[href$=\"/history/{rated.Id}\"]").Click();
        browser.Until("back on the undone job", () => browser.Text("#job-title").StartsWith($"#{rated.Id} ", StringComparison.Ordinal));

        // Thousands of changes: 25 per page, jump to page 40, the page is in the URL, back returns to page 1.
        browser.Until("the first page of changes", () => browser.Driver.FindElements(By.CssSelector("#changes-body tr")).Count == 50);
        browser.Find("#changes-pager select option[value=\"25\"]").Click();
        var pages = (rated.Counts.Rated + 24) / 25;
        browser.Until("25 rows a page", () => browser.Driver.FindElements(By.CssSelector("#changes-body tr")).Count == 25 && browser.Text("#changes-pager").Contains($"of {pages}", StringComparison.Ordinal));
        var firstOnPageOne = browser.Text("#changes-body tr td:nth-child(3)");
        var input = browser.Find("#changes-pager .page-input");
        input.Clear();
        input.SendKeys("40");
        browser.Find("#changes-pager .pager-jump button").Click();
        browser.Until("page 40 in the URL", () => browser.Driver.Url.Contains("page=40", StringComparison.Ordinal));
        browser.Until("page 40's rows", () => browser.Text("#changes-body tr td:nth-child(3)") != firstOnPageOne);
        var changes = await journal.QueryJobChangesAsync(rated.Id, new ChangeFilter(), 39 * 25, 1, CancellationToken.None);
        Assert.Equal(changes.Items[0].Change.Title, browser.Text("#changes-body tr td:nth-child(3)"));
        browser.Driver.Navigate().Back();
        browser.Until("page 1 again after Back", () => browser.Text("#changes-body tr td:nth-child(3)") == firstOnPageOne);

        // Words across fields within the job, and every row shows its reason.
        var sample = changes.Items[0].Change;
        static string Longest(string text) => text.Split(' ').MaxBy(w => w.Length)!;
        var words = Longest(sample.Artist!) + " " + Longest(sample.Title!);
        browser.Find("#changes-q").SendKeys(words);
        browser.Find("#changes-filter button[type=submit]").Click();
        // Common words ("The", "Lantern") can match more rows than a page holds, so the sample need not be on page 1:
        // the page must show the journal's first rows for the same search, and the sample must be among all matches.
        var matches = await journal.QueryJobChangesAsync(rated.Id, new ChangeFilter(Search: words), 0, 10_000, CancellationToken.None);
        Assert.Contains(matches.Items, m => m.Change.RatingKey == sample.RatingKey);
        var firstTitles = matches.Items.Take(25).Select(m => m.Change.Title!).ToList();
        browser.Until("the filtered rows", () => browser.Driver.Url.Contains("q=", StringComparison.Ordinal) &&
            browser.Driver.FindElements(By.CssSelector("#changes-body tr td:nth-child(3)")).Select(c => c.Text).SequenceEqual(firstTitles));
        foreach (var row in browser.Driver.FindElements(By.CssSelector("#changes-body tr")))
        {
            Assert.Contains("Rated 3★: the track was unrated", row.Text, StringComparison.Ordinal);
        }

        // One search across every job finds the change in job 1 and the undo that reverted it; the track page tells its story.
        browser.Go("/history?pageSize=500&q=" + Uri.EscapeDataString(words));
        browser.Until("search results", () => browser.Driver.FindElements(By.CssSelector("#search-body tr")).Count > 0);
        Assert.Contains(browser.Driver.FindElements(By.CssSelector("#search-body tr")), r => r.Text.Contains(sample.Title!, StringComparison.Ordinal));
        browser.Go($"/history/track/{Uri.EscapeDataString(sample.RatingKey)}");
        browser.Until("the track's changes", () => browser.Driver.FindElements(By.CssSelector("#track-body tr")).Count >= 2);
        Assert.Contains($"undone by job #{undo.Id}", browser.Text("#track-body"), StringComparison.Ordinal);
    }
}
