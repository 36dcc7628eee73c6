using OpenQA.Selenium;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

/// <summary>What the user sees of libraries StarSync leaves out (hidden in Plex, audiobooks): listed, not counted, the reason said.</summary>
[Trait("Category", "Browser")]
public sealed class LibraryCoverageBrowserTests
{
    [Fact]
    public async Task Dashboard_and_settings_show_hidden_and_audiobook_libraries_as_not_covered_with_the_reason()
    {
        var emulator = new EmulatorOptions { Tracks = 400, Seed = 6, HandRatedShare = 0.2, HiddenMusicLibrary = true, AudiobookLibrary = true };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator));

        browser.Until("three coverage rows", () => browser.Driver.FindElements(By.CssSelector("#coverage .coverage-row")).Count == 3);
        var rows = browser.Driver.FindElements(By.CssSelector("#coverage .coverage-row")).Select(r => r.Text.Replace('\n', ' ')).ToArray();
        Assert.StartsWith("Music", rows[0], StringComparison.Ordinal);
        Assert.Contains(" unrated", rows[0], StringComparison.Ordinal);
        Assert.Equal("Hidden Music not covered: hidden in Plex; tick it in Settings to rate it anyway", rows[1]);
        Assert.Equal("Audiobooks not covered: looks like audiobooks (agent com.plexapp.agents.audnexus); tick it in Settings to rate it anyway", rows[2]);
        Assert.Single(browser.Driver.FindElements(By.CssSelector("#coverage .coverage-bar"))); // only the counted library has a bar
        if (Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS") is { Length: > 0 } shots)
        {
            browser.Screenshot(Directory.CreateDirectory(shots).FullName, "dashboard-excluded-libraries");
        }

        browser.Go("/settings");
        browser.Until("the library choices", () => browser.Driver.FindElements(By.CssSelector("#libraries input")).Count == 3);
        var labels = browser.Driver.FindElements(By.CssSelector("#libraries label")).ToDictionary(
            l => l.FindElement(By.TagName("input")).GetDomAttribute("value")!, l => l);
        Assert.True(labels["Music"].FindElement(By.TagName("input")).Selected);
        Assert.False(labels["Audiobooks"].FindElement(By.TagName("input")).Selected);
        Assert.Contains("not covered: looks like audiobooks", labels["Audiobooks"].Text, StringComparison.Ordinal);
        Assert.Contains("not covered: hidden in Plex", labels["Hidden Music"].Text, StringComparison.Ordinal);
    }
}
