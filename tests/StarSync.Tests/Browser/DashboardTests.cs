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
        Assert.Equal("just now · succeeded", browser.Text("#task-last"));
        Assert.Equal("", browser.Text("#run-message"));
        var recent = browser.Driver.FindElements(By.CssSelector("#recent-jobs li"));
        Assert.Single(recent);
        Assert.StartsWith("#1 Unrated batch", recent[0].Text, StringComparison.Ordinal);
        Assert.EndsWith("/history/1", recent[0].FindElement(By.TagName("a")).GetDomAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recent_jobs_say_just_now_for_a_job_that_just_ran_when_the_browsers_clock_is_behind_the_servers()
    {
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(new EmulatorOptions { Tracks = 200, Seed = 9, HandRatedShare = 0.2 }).AllMusicLibraries());
        // This browser's clock runs 90 s behind the server's: a job the server started a moment ago is, by the
        // browser's clock, 90 s in the future ("in 2 min", or "in a moment" for a smaller difference).
        browser.Driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?>
        {
            ["source"] = """
                (() => {
                  const Real = Date, skew = -90000;
                  class Behind extends Real {
                    constructor(...args) { if (args.length === 0) super(Real.now() + skew); else super(...args); }
                    static now() { return Real.now() + skew; }
                  }
                  window.Date = Behind;
                })();
                """,
        });
        browser.Go("/");
        browser.Until("the dashboard", () => browser.Text("#recent-jobs") == "No jobs yet.");

        browser.Find("#task-run").Click();

        browser.Until("the run in Recent jobs", () => browser.Text("#recent-jobs").Contains("succeeded", StringComparison.Ordinal));
        var line = browser.Find("#recent-jobs li").Text;
        Assert.EndsWith("succeeded just now", line, StringComparison.Ordinal);
        Assert.Equal("just now · succeeded", browser.Text("#task-last"));
        // Measured against the server's clock (from the status answer), and a past event is never "in a moment".
        var serverNowPlus20s = "return new Date(Date.now() + 90000 + 20000).toISOString()";
        var soon = (string?)browser.Driver.ExecuteScript(serverNowPlus20s);
        Assert.Equal("just now", browser.Driver.ExecuteScript("return StarSync.relative(arguments[0], { past: true })", soon));
        Assert.Equal("in a moment", browser.Driver.ExecuteScript("return StarSync.relative(arguments[0])", soon));
        var fiveMinutesAgo = (string?)browser.Driver.ExecuteScript("return new Date(Date.now() + 90000 - 300000).toISOString()");
        Assert.Equal("5 min ago", browser.Driver.ExecuteScript("return StarSync.relative(arguments[0], { past: true })", fiveMinutesAgo));
    }
}
