using OpenQA.Selenium;
using StarSync.Configuration;
using StarSync.PlexEmulator;
using Microsoft.Extensions.DependencyInjection;

namespace StarSync.Tests.Browser;

[Trait("Category", "Browser")]
public sealed class BrowserFlowTests
{
    [Fact]
    public async Task User_logs_in_rates_everything_watches_it_finish_changes_a_setting_and_undoes_the_job()
    {
        var emulator = new EmulatorOptions { Tracks = 1500, Seed = 11, HandRatedShare = 0.2 };
        emulator.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(2);
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        var section = browser.Plex.Library.Sections.First(s => s.IsMusic).Key;
        var before = browser.Plex.Library.TrackKeys(section).ToDictionary(k => k, k => browser.Plex.Library.GetUserRating(k));
        var unrated = before.Count(kv => kv.Value is null);

        // Rate all from the dashboard and watch the bar reach 100% and the log report the job.
        browser.Until("the live log to connect", () => browser.Text("#log-state") == "Live");
        browser.Find("#rate-all").Click();
        browser.Until("the progress bar to reach 100%", () =>
        {
            var bar = browser.Find("#progress-bar");
            return bar.Displayed && bar.GetDomProperty("value") is { } value && value == bar.GetDomProperty("max") && value != "0";
        });
        browser.Until("the log to report the finished job", () => browser.Text("#log").Contains("Job #1 succeeded", StringComparison.Ordinal));
        Assert.Contains($"{unrated:N0}".Replace(",", "", StringComparison.Ordinal), browser.Text("#log").Replace(",", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(0, browser.Plex.Library.CountUnrated(section));

        // Change a setting: the value input follows the style, the server saves it.
        browser.Go("/settings");
        browser.Until("the settings to load", () => browser.Find("#targetRating").GetDomProperty("value") == "3");
        browser.Find("#ratingStyle option[value=\"5stars_half\"]").Click();
        var target = browser.Find("#targetRating");
        target.Clear();
        target.SendKeys("3.5");
        browser.Find("#save").Click();
        browser.Until("the saved message", () => browser.Text("#settings-message").Contains("Saved", StringComparison.Ordinal));
        var saved = browser.App.App.Services.GetRequiredService<SettingsStore>().Current;
        Assert.Equal(7, saved.PlexTarget);

        // Undo the job from its history page and see every rating restored in Plex.
        browser.Go("/history/1");
        browser.Until("the undo button", () => browser.Find("#undo").Enabled);
        browser.Find("#undo").Click();
        browser.Find("#undo-dialog button[value=confirm]").Click();
        browser.Until("the undo job to finish", () => browser.Plex.Library.CountUnrated(section) == unrated);
        foreach (var (key, value) in before)
        {
            Assert.Equal(value, browser.Plex.Library.GetUserRating(key));
        }
    }

    [Fact]
    public async Task Every_page_renders_with_real_data_in_light_and_dark()
    {
        // STARSYNC_SCREENSHOTS=docs/screenshots keeps the pictures (scripts/screenshots.sh); otherwise a temp dir.
        var directory = Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS") is { Length: > 0 } dir
            ? Directory.CreateDirectory(dir).FullName
            : Directory.CreateTempSubdirectory("starsync-shots-").FullName;
        var emulator = new EmulatorOptions { Tracks = 2400, Seed = 4, HandRatedShare = 0.15, MusicLibraries = 2, FriendlyName = "Living Room Plex" };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        var section = browser.Plex.Library.Sections.First(s => s.IsMusic).Key;

        browser.Find("#recent-count").Clear();
        browser.Find("#recent-count").SendKeys("300");
        browser.Find("#rate-recent").Click();
        browser.Until("the first job to finish", () => browser.Text("#progress-title").Contains("succeeded", StringComparison.Ordinal));
        browser.Plex.Library.AddAlbum(section, 11, "Björk & <The Sugarcubes>");

        var shots = new List<string>();
        foreach (var scheme in new[] { "light", "dark" })
        {
            browser.ColorScheme(scheme);
            foreach (var (path, ready, name) in new[]
            {
                ("/", "#coverage .coverage-row", "dashboard"),
                ("/history", "#jobs-body tr", "history"),
                ("/history/1", "#changes-body tr", "history-job"),
                ("/settings", "#libraries input", "settings"),
                ("/reset", "#clear-libraries", "reset"),
            })
            {
                browser.Go(path);
                browser.Until($"{name} to show data", () => browser.Driver.FindElements(By.CssSelector(ready)).Count > 0);
                if (name == "reset")
                {
                    // The preview is a real dry run of "undo StarSync's ratings": it must find the 267 ratings job 1 set.
                    browser.Find("#preview").Click();
                    browser.Until("the dry-run preview", () => browser.Find("#run-real").Displayed);
                }

                browser.Screenshot(directory, $"{name}-{scheme}");
                shots.Add($"{name}-{scheme}");
            }
        }

        browser.Driver.Manage().Window.Size = new System.Drawing.Size(390, 844);
        browser.Go("/");
        browser.Until("the phone dashboard", () => browser.Driver.FindElements(By.CssSelector("#coverage .coverage-row")).Count > 0);
        browser.Screenshot(directory, "dashboard-phone");
        shots.Add("dashboard-phone");

        // The album whose artist has markup in its name arrived through Plex's notifications and was rated by the
        // job they queued: History shows the name as literal text, never as HTML.
        browser.Driver.Manage().Window.Size = new System.Drawing.Size(1280, 900);
        browser.Go("/");
        const string AlbumJob = "//ol[@id='recent-jobs']/li[contains(., 'New items') and contains(., 'succeeded')]//a";
        browser.Until("the new album's job to finish", () => browser.Driver.FindElements(By.XPath(AlbumJob)).Count > 0);
        browser.Driver.Navigate().GoToUrl(browser.Driver.FindElement(By.XPath(AlbumJob)).GetDomProperty("href") ?? "/history");
        browser.Until("the album's eleven changes", () => browser.Driver.FindElements(By.CssSelector("#changes-body tr")).Count == 11);
        var artists = browser.Driver.FindElements(By.CssSelector("#changes-body td[data-label=\"Artist\"]")).Select(td => td.Text).Distinct().ToArray();
        Assert.Equal(["Björk & <The Sugarcubes>"], artists);
        Assert.Equal(0L, browser.Driver.ExecuteScript("return document.querySelectorAll('the').length")); // no <the> element anywhere

        // The track's own page shows the name as text too.
        browser.Driver.Navigate().GoToUrl(browser.Find("#changes-body td a").GetDomProperty("href") ?? "/history");
        browser.Until("the track page", () => browser.Text("#track-subtitle").Length > 0);
        Assert.StartsWith("Björk & <The Sugarcubes> · ", browser.Text("#track-subtitle"), StringComparison.Ordinal);
        Assert.Equal(0L, browser.Driver.ExecuteScript("return document.querySelectorAll('the').length"));

        foreach (var shot in shots)
        {
            Assert.True(new FileInfo(Path.Combine(directory, shot + ".png")).Length > 10_000, $"{shot}.png is (nearly) empty");
        }
    }
}
