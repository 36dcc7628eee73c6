using OpenQA.Selenium;
using StarSync.PlexEmulator;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Browser;

/// <summary>The Plex connection card and the health banner, as a person meets them in Chromium.</summary>
[Trait("Category", "Browser")]
public sealed class PlexConnectionBrowserTests
{
    [Fact]
    public async Task First_visit_without_Plex_opens_the_connection_card_where_a_wrong_token_is_named_and_the_right_one_connects()
    {
        await using var browser = await BrowserSession.StartAsync(
            TestHost.Create().Emulator(new EmulatorOptions { Tracks = 200, Seed = 4 }).Config("PLEX_URL", "").Config("PLEX_TOKEN", ""));

        browser.Until("the connection card", () => browser.Text("#plex-connection-title") == "Connect StarSync to your Plex server");
        Assert.Contains("/settings?setup=plex", browser.Driver.Url, StringComparison.Ordinal);
        Assert.True(browser.Find("#plex-health").Displayed);
        Assert.Equal("StarSync is not connected to Plex yet.", browser.Text("#plex-health-title"));
        browser.Until("the field sources", () => browser.Text("#plexUrl-source") == "Not set yet.");

        browser.Find("#plexUrl").SendKeys(browser.Plex.BaseUri.ToString());
        browser.Find("#plexToken").SendKeys("not-the-token");
        Assert.Equal("password", browser.Find("#plexToken").GetDomProperty("type"));
        browser.Find("#plex-test").Click();
        browser.Until("the refused token", () => browser.Text("#plex-test-result").Contains("refused the token (HTTP 401)", StringComparison.Ordinal));
        Assert.DoesNotContain("not-the-token", browser.Text("main"), StringComparison.Ordinal);

        browser.Find("#plexToken").Clear();
        browser.Find("#plexToken").SendKeys(browser.Plex.Token);
        browser.Find("#plexToken-reveal").Click();
        Assert.Equal("text", browser.Find("#plexToken").GetDomProperty("type"));
        Assert.Equal("true", browser.Find("#plexToken-reveal").GetDomAttribute("aria-pressed"));
        browser.Find("#plexToken-reveal").Click();
        browser.Find("#plex-test").Click();
        browser.Until("the server's name", () => browser.Text("#plex-test-result").StartsWith("Connected to Emulated Plex (version ", StringComparison.Ordinal));
        Assert.Equal("Music libraries: Music.", browser.Text("#plex-test-libraries"));
        Shot(browser, "#plex-connection", "settings-plex-connection-light");

        browser.Find("#plex-save").Click();
        browser.Until("the save", () => browser.Text("#plex-test-result") == "Saved. StarSync uses this connection from now on.");
        browser.Until("the banner to go", () => !browser.Find("#plex-health").Displayed);
        Assert.Equal("Saved in settings.json.", browser.Text("#plexUrl-source"));

        browser.Go("/");
        browser.Until("the dashboard to show the server", () => browser.Text("#plex-status").Contains("Emulated Plex", StringComparison.Ordinal));
        Assert.Null(browser.Find("#rate-all").GetDomAttribute("aria-disabled"));
    }

    [Fact]
    public async Task Plex_down_shows_the_banner_on_every_page_and_holds_back_rate_undo_and_clear_until_it_is_back()
    {
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(new EmulatorOptions { Tracks = 300, Seed = 9 }));
        browser.Until("the dashboard to show Plex", () => browser.Text("#plex-status").Contains("Emulated Plex", StringComparison.Ordinal));
        Assert.False(browser.Find("#plex-health").Displayed);

        await browser.Plex.StopServingAsync();

        browser.Until("the banner", () => browser.Find("#plex-health").Displayed && browser.Text("#plex-health-title") == "Plex cannot be reached.");
        Assert.StartsWith("Nothing answers at", browser.Text("#plex-health-reason"), StringComparison.Ordinal);
        Assert.Equal("Open the Plex connection settings", browser.Text("#plex-health-help"));
        var rate = browser.Find("#rate-all");
        Assert.Equal("true", rate.GetDomAttribute("aria-disabled"));
        Assert.StartsWith("Plex cannot be reached. Nothing answers at", rate.GetDomAttribute("title"), StringComparison.Ordinal);
        Assert.Contains("plex-health", rate.GetDomAttribute("aria-describedby"), StringComparison.Ordinal);
        Assert.Equal("Paused until StarSync can talk to Plex: Plex cannot be reached. (see the message at the top).", browser.Text("#plex-reason"));
        Assert.Equal("true", browser.Find("#task-run").GetDomAttribute("aria-disabled"));
        rate.Click();
        Assert.Equal("", browser.Text("#run-message"));
        Assert.Empty(await browser.App.Journal.GetJobsAsync(10, CancellationToken.None));
        Shot(browser, null, "plex-down-banner-light");

        foreach (var (page, button) in new[] { ("/reset", "#preview"), ("/history", null), ("/settings", "#plex-test") })
        {
            browser.Go(page);
            browser.Until($"the banner on {page}", () => browser.Find("#plex-health").Displayed);
            Assert.Equal("Plex cannot be reached.", browser.Text("#plex-health-title"));
            if (button == "#preview")
            {
                Assert.Equal("true", browser.Find(button).GetDomAttribute("aria-disabled"));
            }
        }

        await browser.Plex.StartServingAsync();
        browser.Go("/");
        browser.Until("the banner to clear", () => !browser.Find("#plex-health").Displayed && browser.Find("#rate-all").GetDomAttribute("aria-disabled") is null);
        Assert.Equal("", browser.Text("#plex-reason"));

        // A token Plex stops accepting is named as such.
        browser.Plex.Options.Faults.RevokeToken = true;
        browser.Until("the refused-token banner", () => browser.Find("#plex-health").Displayed && browser.Text("#plex-health-title") == "Plex refuses StarSync's token.");
        Assert.Equal("true", browser.Find("#rate-all").GetDomAttribute("aria-disabled"));
        browser.Plex.Options.Faults.RevokeToken = false;
        browser.Until("the banner to clear again", () => !browser.Find("#plex-health").Displayed);
    }

    private static void Shot(BrowserSession browser, string? css, string name)
    {
        var shots = Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS") is { Length: > 0 } dir
            ? Directory.CreateDirectory(dir).FullName
            : Directory.CreateTempSubdirectory("starsync-shots-").FullName;
        var file = Path.Combine(shots, name + ".png");
        if (css is null)
        {
            browser.Driver.GetScreenshot().SaveAsFile(file);
        }
        else
        {
            ((ITakesScreenshot)browser.Find(css)).GetScreenshot().SaveAsFile(file);
        }

        Assert.True(new FileInfo(file).Length > 10_000);
    }
}
