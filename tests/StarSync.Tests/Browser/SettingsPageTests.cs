using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using StarSync.Configuration;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

/// <summary>
/// The Settings form as a person meets it: messages at the fields and in a toast that stays on screen, the Save bar
/// and its count, the guard against leaving with unsaved changes, "Show advanced", and where each value comes from.
/// </summary>
[Trait("Category", "Browser")]
public sealed class SettingsPageTests
{
    private static TestHostBuilder SmallLibrary() => TestHost.Create().Emulator(new EmulatorOptions { Tracks = 60, Seed = 8 });

    [Fact]
    public async Task Emptied_and_out_of_range_fields_are_shown_at_each_field_and_in_the_toast_and_nothing_is_saved()
    {
        await using var browser = await BrowserSession.StartAsync(SmallLibrary());
        var settingsFile = Path.Combine(browser.App.ConfigDirectory, "settings.json");
        var before = await File.ReadAllBytesAsync(settingsFile);
        OpenSettings(browser);

        Type(browser, "#batchSize", "");
        Type(browser, "#batchIntervalMinutes", "999999");
        browser.Until("the Save bar to count two changes", () => browser.Text("#unsaved-count") == "2 unsaved changes");
        browser.Find("#save").Click();

        browser.Until("the messages at the fields", () => browser.Text("#error-batchSize").Length > 0 && browser.Text("#error-batchIntervalMinutes").Length > 0);
        Assert.Equal("Batch size is required.", browser.Text("#error-batchSize"));
        Assert.Equal("Minutes between scheduled runs must be a whole number from 0 (off) to 525,600 (a year).", browser.Text("#error-batchIntervalMinutes"));
        foreach (var field in new[] { "batchSize", "batchIntervalMinutes" })
        {
            var input = browser.Find("#" + field);
            Assert.Equal("true", input.GetDomAttribute("aria-invalid"));
            Assert.Contains("error-" + field, input.GetDomAttribute("aria-describedby"), StringComparison.Ordinal);
        }

        var toast = browser.Find("#toast");
        Assert.True(toast.Displayed);
        Assert.Equal("alert", toast.GetDomAttribute("role"));
        Assert.Contains("Not saved: 2 settings need fixing.", toast.Text, StringComparison.Ordinal);
        Assert.Contains("Batch size is required.", toast.Text, StringComparison.Ordinal);
        Assert.Contains("Minutes between scheduled runs must be a whole number", toast.Text, StringComparison.Ordinal);
        Assert.True(toast.Text.IndexOf("Batch size", StringComparison.Ordinal) < toast.Text.IndexOf("Minutes between", StringComparison.Ordinal), "the toast lists the fields in page order");
        Assert.DoesNotContain("BATCH_", toast.Text, StringComparison.Ordinal);

        // Still on screen at the bottom of the page, and at the top.
        foreach (var scroll in new[] { "window.scrollTo(0, document.body.scrollHeight)", "window.scrollTo(0, 0)" })
        {
            browser.Driver.ExecuteScript(scroll);
            Assert.True(InViewport(browser, toast), "the toast is off screen after " + scroll);
        }

        Assert.Equal(before, await File.ReadAllBytesAsync(settingsFile));
        Assert.Equal(500, browser.App.App.Services.GetRequiredService<SettingsStore>().Current.BatchSize);

        // scripts/screenshots.sh keeps what the person sees here: the messages at the fields and the toast.
        if (Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS") is { Length: > 0 } shots)
        {
            browser.Driver.ExecuteScript("document.getElementById('batchSize').scrollIntoView({ block: 'center' })");
            browser.Driver.GetScreenshot().SaveAsFile(Path.Combine(Directory.CreateDirectory(shots).FullName, "settings-errors-light.png"));
        }

        // The page with its messages, the toast and every advanced setting shown: axe-core finds nothing.
        browser.Find("#show-advanced").Click();
        Assert.Empty(AccessibilityTests.RunAxe(browser));

        browser.Find("#toast .toast-close").Click();
        browser.Until("the toast to close", () => !browser.Find("#toast").Displayed);
    }

    [Fact]
    public async Task A_valid_change_shows_Saved_and_is_there_after_a_reload()
    {
        await using var browser = await BrowserSession.StartAsync(SmallLibrary());
        OpenSettings(browser);
        Assert.Equal("No unsaved changes", browser.Text("#unsaved-count"));
        Assert.False(browser.Find("#save").Enabled);

        Type(browser, "#batchSize", "250");
        browser.Until("the Save bar to count the change", () => browser.Text("#unsaved-count") == "1 unsaved change");
        browser.Find("#save").Click();

        browser.Until("the Saved toast", () => browser.Find("#toast").Displayed && browser.Text("#toast").Contains("Saved.", StringComparison.Ordinal));
        Assert.Equal("status", browser.Find("#toast").GetDomAttribute("role"));
        browser.Until("the Save bar to be clean", () => browser.Text("#unsaved-count") == "No unsaved changes");
        Assert.Equal(250, browser.App.App.Services.GetRequiredService<SettingsStore>().Current.BatchSize);
        Assert.Contains("\"batch_size\": 250", await File.ReadAllTextAsync(Path.Combine(browser.App.ConfigDirectory, "settings.json")), StringComparison.Ordinal);

        browser.Driver.Navigate().Refresh();
        browser.Until("the saved value after a reload", () => browser.Find("#batchSize").GetDomProperty("value") == "250");
        Assert.Equal("No unsaved changes", browser.Text("#unsaved-count"));
    }

    [Fact]
    public async Task Leaving_with_unsaved_changes_asks_first_and_discard_lets_the_page_go()
    {
        await using var browser = await BrowserSession.StartAsync(SmallLibrary());
        OpenSettings(browser);
        Type(browser, "#batchSize", "42");
        browser.Until("the Save bar to count the change", () => browser.Text("#unsaved-count") == "1 unsaved change");

        // A link in the app asks; "Cancel" stays with the change kept.
        browser.Find("#main-nav a[href$=\"/history\"]").Click();
        var question = WaitForAlert(browser);
        Assert.Contains("1 unsaved change", question.Text, StringComparison.Ordinal);
        question.Dismiss();
        Assert.EndsWith("/settings", new Uri(browser.Driver.Url).AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("42", browser.Find("#batchSize").GetDomProperty("value"));

        // Closing the tab or typing another address: the browser's own "Leave site?" (the page cancels beforeunload).
        Assert.True(BeforeUnloadIsCancelled(browser));

        // Discard puts the saved value back; then nothing holds the page.
        browser.Find("#discard").Click();
        browser.Until("the saved value back", () => browser.Find("#batchSize").GetDomProperty("value") == "500");
        Assert.Equal("No unsaved changes", browser.Text("#unsaved-count"));
        Assert.False(BeforeUnloadIsCancelled(browser));
        browser.Find("#main-nav a[href$=\"/history\"]").Click();
        browser.Until("the history page", () => new Uri(browser.Driver.Url).AbsolutePath.EndsWith("/history", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Advanced_settings_are_hidden_until_asked_for_remembered_and_open_by_themselves_on_an_error()
    {
        await using var browser = await BrowserSession.StartAsync(SmallLibrary());
        OpenSettings(browser);
        Assert.False(browser.Find("#writeConcurrency").Displayed);
        Assert.False(browser.Find("#plexNotifications").Displayed);

        browser.Find("#show-advanced").Click();
        Assert.True(browser.Find("#writeConcurrency").Displayed);
        browser.Driver.Navigate().Refresh();
        OpenSettings(browser);
        Assert.True(browser.Find("#show-advanced").Selected);
        Assert.True(browser.Find("#writeConcurrency").Displayed);

        // An advanced field with an error is shown even when advanced settings were hidden again.
        Type(browser, "#writeConcurrency", "99");
        browser.Find("#show-advanced").Click();
        Assert.False(browser.Find("#writeConcurrency").Displayed);
        browser.Find("#save").Click();
        browser.Until("the advanced field's message", () => browser.Find("#writeConcurrency").Displayed && browser.Text("#error-writeConcurrency").Length > 0);
        Assert.StartsWith("Parallel writes to Plex must be auto or a whole number from 1 to 32", browser.Text("#error-writeConcurrency"), StringComparison.Ordinal);
        Assert.Contains("Parallel writes to Plex", browser.Text("#toast"), StringComparison.Ordinal);

        // The choice kept is the person's (hidden), not the one the error made.
        browser.Find("#discard").Click();
        browser.Driver.Navigate().Refresh();
        OpenSettings(browser);
        Assert.False(browser.Find("#writeConcurrency").Displayed);
    }

    [Fact]
    public async Task Each_value_says_whether_it_comes_from_the_environment_settings_json_or_the_default()
    {
        // The old tool's settings.json: it sets the interval but neither the batch size nor the write mode.
        var root = Directory.CreateTempSubdirectory("starsync-sources-").FullName;
        try
        {
            var config = Directory.CreateDirectory(Path.Combine(root, "config")).FullName;
            await File.WriteAllTextAsync(Path.Combine(config, "settings.json"), """
                {"libraries": ["Music"], "rating_style": "5stars", "rating_value": 3, "override_rating": false,
                 "batch_interval_minutes": 45, "webhook_secret": "sources-secret-123", "api_key": "sources-api-key-0123456789"}
                """);
            await using var browser = await BrowserSession.StartAsync(SmallLibrary().InDirectory(root)
                .Config("WRITE_MODE", "single").Config("BATCH_INTERVAL_MINUTES", "30").Config("PLEX_PAGE_SIZE", "200"));
            OpenSettings(browser);
            browser.Find("#show-advanced").Click();

            Assert.Equal("45", browser.Find("#batchIntervalMinutes").GetDomProperty("value"));
            Assert.Equal("From settings.json, which wins over BATCH_INTERVAL_MINUTES in the environment.", browser.Text("#source-batchIntervalMinutes"));
            Assert.Equal("single", browser.Find("#writeMode").GetDomProperty("value"));
            Assert.Equal("From the environment (WRITE_MODE); saving here stores it in settings.json, which then wins.", browser.Text("#source-writeMode"));
            Assert.Equal("Default; not set in settings.json or the environment (BATCH_SIZE).", browser.Text("#source-batchSize"));

            // Only the environment sets the listing page size: shown, read-only.
            var pageSize = browser.Find("#plexPageSize");
            Assert.Equal("200", pageSize.GetDomProperty("value"));
            Assert.NotNull(pageSize.GetDomAttribute("readonly"));
            Assert.StartsWith("Set by the environment (PLEX_PAGE_SIZE); saving here cannot change it", browser.Text("#source-plexPageSize"), StringComparison.Ordinal);
            Assert.Contains("source-plexPageSize", pageSize.GetDomAttribute("aria-describedby"), StringComparison.Ordinal);
            Assert.StartsWith("Default; only the environment can change it: set PLEX_TIMEOUT_SECONDS", browser.Text("#source-plexTimeoutSeconds"), StringComparison.Ordinal);

            // A save writes every setting to settings.json, which from then on wins, and the page says so.
            Type(browser, "#batchSize", "300");
            browser.Find("#save").Click();
            browser.Until("the Saved toast", () => browser.Text("#toast").Contains("Saved.", StringComparison.Ordinal));
            browser.Until("the write mode's new source", () => browser.Text("#source-writeMode") == "From settings.json, which wins over WRITE_MODE in the environment.");
            Assert.Equal("From settings.json.", browser.Text("#source-batchSize"));
            Assert.Contains("\"write_mode\": \"single\"", await File.ReadAllTextAsync(Path.Combine(config, "settings.json")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void OpenSettings(BrowserSession browser)
    {
        if (!new Uri(browser.Driver.Url).AbsolutePath.EndsWith("/settings", StringComparison.Ordinal))
        {
            browser.Go("/settings");
        }

        browser.Until("the settings to load", () => browser.Find("#batchSize").GetDomProperty("value") is { Length: > 0 }
            && browser.Driver.FindElements(By.CssSelector("#libraries input")).Count > 0);
    }

    /// <summary>Replaces a field's text as a person would (select all, then type; nothing typed = emptied).</summary>
    private static void Type(BrowserSession browser, string css, string text)
    {
        var input = browser.Find(css);
        input.SendKeys(Keys.Control + "a");
        input.SendKeys(Keys.Backspace);
        if (text.Length > 0)
        {
            input.SendKeys(text);
        }
    }

    private static IAlert WaitForAlert(BrowserSession browser)
    {
        IAlert? alert = null;
        browser.Until("the browser to ask before leaving", () =>
        {
            try
            {
                alert = browser.Driver.SwitchTo().Alert();
                return true;
            }
            catch (NoAlertPresentException)
            {
                return false;
            }
        });
        return alert!;
    }

    private static bool BeforeUnloadIsCancelled(BrowserSession browser) =>
        (bool)browser.Driver.ExecuteScript("const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented;")!;

    private static bool InViewport(BrowserSession browser, IWebElement element) => Convert.ToBoolean(browser.Driver.ExecuteScript(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;", element), CultureInfo.InvariantCulture);
}
