using OpenQA.Selenium;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

[Trait("Category", "Browser")]
public sealed class DashboardTests
{
    [Fact]
    public async Task Tasks_card_shows_the_schedule_runs_it_now_and_the_run_appears_as_last_run_and_in_recent_jobs()
    {
        var emulator = new EmulatorOptions { Tracks = 600, Seed = 8, HandRatedShare = 0.2 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries().Config(new Dictionary<string, string?>
        {
            ["BATCH_SIZE"] = "50",
            ["BATCH_INTERVAL_MINUTES"] = "90",
        }));
        var section = browser.Plex.Library.Sections.First(s => s.IsMusic).Key;
        var unrated = browser.Plex.Library.CountUnrated(section);

        browser.Until("the Tasks card", () => browser.Text("#task-interval") == "every 1 h 30 min");
        Assert.Equal("50 tracks", browser.Text("#task-batch"));
        Assert.Equal("never", browser.Text("#task-last"));
        Assert.Matches(@"^in (89|90) min \(\d", browser.Text("#task-next"));
        Assert.Equal("none received yet (optional: needs Plex Pass and the URL from Settings; Plex's notifications already announce new music).", browser.Text("#webhook-line"));
        Assert.Equal("No jobs yet.", browser.Text("#recent-jobs"));

        browser.Find("#task-run").Click();

        browser.Until("the run to show as the task's last run", () => browser.Text("#task-last").Contains("succeeded", StringComparison.Ordinal));
        Assert.Equal(unrated - 50, browser.Plex.Library.CountUnrated(section));
        Assert.EndsWith("/history/1", browser.Find("#task-last a").GetDomAttribute("href"), StringComparison.Ordinal);
        Assert.Matches(@"^(just now|in a moment) · succeeded$", browser.Text("#task-last"));
        Assert.Equal("", browser.Text("#run-message"));
        var recent = browser.Driver.FindElements(By.CssSelector("#recent-jobs li"));
        Assert.Single(recent);
        Assert.StartsWith("#1 Unrated batch", recent[0].Text, StringComparison.Ordinal);
        Assert.EndsWith("/history/1", recent[0].FindElement(By.TagName("a")).GetDomAttribute("href"), StringComparison.Ordinal);
    }
}
