using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using StarSync.Configuration;
using StarSync.PlexEmulator;
using StarSync.Rules;

namespace StarSync.Tests.Browser;

[Trait("Category", "Browser")]
public sealed class RulesEditorBrowserTests
{
    [Fact]
    public async Task User_loads_example_rules_sees_a_field_error_fixes_it_previews_reorders_removes_and_saves()
    {
        var emulator = new EmulatorOptions { Tracks = 3000, Seed = 9, HandRatedShare = 0.2, MusicLibraries = 2, FriendlyName = "Living Room Plex" };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        browser.Go("/settings");
        browser.Until("the default rule", () => browser.Driver.FindElements(By.CssSelector("#rule-list .rule")).Count == 1);

        browser.Find("#rule-example").Click();
        browser.Until("the example rules", () => browser.Driver.FindElements(By.CssSelector("#rule-list .rule")).Count == RuleSets.Example(3).Count);

        // A value the style cannot hold: the server's message appears at that very field, nothing is saved.
        var value = browser.Find("[data-field=\"rules[1].then.value\"]");
        value.Clear();
        value.SendKeys("9");
        browser.Find("#rule-save").Click();
        browser.Until("the field error", () => browser.Text("[data-error=\"rules[1].then.value\"]").Contains("does not fit", StringComparison.Ordinal));
        Assert.Equal("true", browser.Find("[data-field=\"rules[1].then.value\"]").GetDomAttribute("aria-invalid"));
        Assert.Null(browser.App.App.Services.GetRequiredService<SettingsStore>().Current.Rules);

        value = browser.Find("[data-field=\"rules[1].then.value\"]");
        value.Clear();
        value.SendKeys("1");
        browser.Find("#rule-preview").Click();
        browser.Until("the preview", () => browser.Driver.FindElements(By.CssSelector("#rule-preview-out table")).Count == 2);
        browser.Until("per-rule counts", () => browser.Driver.FindElements(By.CssSelector("#rule-list .rule-count")).Count > 0);
        Assert.Contains("Nothing was written", browser.Text("#rule-preview-out"), StringComparison.Ordinal);
        Assert.Equal(0, browser.Plex.Counters.RatingWrites);


        // Move "Played a lot" (3rd) above "Often skipped" (2nd), remove "Live albums" (5th), save.
        browser.Find("[aria-label=\"Move rule 3 up\"]").Click();
        browser.Find("[aria-label=\"Remove rule 5\"]").Click();
        browser.Find("#rule-save").Click();
        browser.Until("the saved message", () => browser.Text("#rules-message").Contains("Rules saved", StringComparison.Ordinal));

        var saved = browser.App.App.Services.GetRequiredService<SettingsStore>().Current.Rules!;
        Assert.Equal(["Interludes and skits", "Played a lot", "Often skipped", "Like the rest of the album", "Everything else"], saved.Select(r => r.Name));
        Assert.Equal(1, saved[2].Then.Value);
    }

    [Fact]
    public async Task Preview_says_how_old_its_signals_are_the_next_preview_uses_them_and_refresh_reads_plex_again()
    {
        var emulator = new EmulatorOptions { Tracks = 3000, Seed = 12, HandRatedShare = 0.2, MusicLibraries = 2, FriendlyName = "Living Room Plex" };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        browser.Go("/settings");
        browser.Until("the default rule", () => browser.Driver.FindElements(By.CssSelector("#rule-list .rule")).Count == 1);
        browser.Find("#rule-example").Click();
        browser.Until("the example rules", () => browser.Driver.FindElements(By.CssSelector("#rule-list .rule")).Count == RuleSets.Example(3).Count);
        Assert.False(browser.Find("#rule-signals").Displayed);

        // The first preview reads Plex and says so; the line beside it says how old the signals are.
        browser.Find("#rule-preview").Click();
        browser.Until("the first preview", () => browser.Text("#rule-preview-out").Contains("(read from Plex)", StringComparison.Ordinal));
        Assert.True(browser.Find("#rule-signals").Displayed);
        Assert.Matches(@"^Signals read (just now|\d+ s ago|\d+ min ago) · Refresh · Update as I edit$", Line(browser.Text("#rule-signals")));
        Assert.False(browser.Find("#rule-signals-note").Displayed);

        // An edit (the last rule's value) updates the preview by itself, from the signals already read; the field being
        // typed in keeps the cursor.
        var cold = browser.Text("#rule-preview-out");
        var value = browser.Find("[data-field=\"rules[5].then.value\"]");
        value.Clear();
        value.SendKeys("5");
        browser.Until("the preview following the edit", () =>
            browser.Text("#rule-preview-out").Contains("from the signals already read", StringComparison.Ordinal) &&
            browser.Text("#rule-preview-out") != cold && browser.Text("#rule-preview-out").Contains("5★ ×", StringComparison.Ordinal));
        Assert.Equal(value, browser.Driver.SwitchTo().ActiveElement());
        Assert.Equal("5", value.GetDomProperty("value"));
        Assert.Matches(@"^\d", browser.Text("li[data-rule=\"5\"] .rule-count"));

        // The Preview button gives the same from memory: Plex is not listed again (but for its list of libraries).
        var requests = browser.Plex.Counters.Requests;
        browser.Find("#rule-preview").Click();
        browser.Until("the preview message", () => browser.Text("#rules-message").Contains("Preview ready", StringComparison.Ordinal));
        Assert.InRange(browser.Plex.Counters.Requests - requests, 0, 2);
        Assert.Contains("from the signals already read", browser.Text("#rule-preview-out"), StringComparison.Ordinal);
        Assert.Matches(@"^Signals read (just now|\d+ s ago|\d+ min ago) · Refresh · Update as I edit$", Line(browser.Text("#rule-signals")));
        Screenshots(browser);
        foreach (var scheme in new[] { "light", "dark" })
        {
            browser.ColorScheme(scheme);
            Assert.Empty(AccessibilityTests.RunAxe(browser));
        }

        browser.ColorScheme("light");

        // Refresh reads every library again.
        requests = browser.Plex.Counters.Requests;
        browser.Find("#rule-refresh").Click();
        browser.Until("the refreshed preview", () => browser.Text("#rule-preview-out").Contains("(read from Plex)", StringComparison.Ordinal));
        Assert.True(browser.Plex.Counters.Requests - requests > 6, $"{browser.Plex.Counters.Requests - requests} requests");
        Assert.Matches(@"^Signals read (just now|\d+ s ago) · Refresh · Update as I edit$", Line(browser.Text("#rule-signals")));
        Assert.Equal(0, browser.Plex.Counters.RatingWrites);
    }

    // The line as read: the checkbox's label may come on a line of its own in the element's text.
    private static string Line(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ");

    // The editor with a preview (one sample opened), light and dark, into STARSYNC_SCREENSHOTS (docs/screenshots).
    private static void Screenshots(BrowserSession browser)
    {
        var shots = Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS") is { Length: > 0 } dir
            ? Directory.CreateDirectory(dir).FullName
            : Directory.CreateTempSubdirectory("starsync-shots-").FullName;
        browser.Driver.ExecuteScript("document.querySelector('#rule-preview-out details').open = true");
        var height = Convert.ToInt32(browser.Driver.ExecuteScript("return document.querySelector('#rules').scrollHeight"), System.Globalization.CultureInfo.InvariantCulture);
        browser.Driver.Manage().Window.Size = new System.Drawing.Size(1280, Math.Min(height + 400, 12_000));
        foreach (var scheme in new[] { "light", "dark" })
        {
            browser.ColorScheme(scheme);
            var file = Path.Combine(shots, $"rules-editor-{scheme}.png");
            ((ITakesScreenshot)browser.Find("#rules")).GetScreenshot().SaveAsFile(file);
            Assert.True(new FileInfo(file).Length > 10_000);
            // The preview alone (actions, the signals line, the tables), the part a reader of the README looks for.
            var preview = Path.Combine(shots, $"rules-preview-{scheme}.png");
            ((ITakesScreenshot)browser.Find("#rule-preview-panel")).GetScreenshot().SaveAsFile(preview);
        }

        browser.ColorScheme("light");
    }

    [Fact]
    public async Task Scope_is_a_choice_of_plex_libraries_and_a_saved_name_plex_lacks_is_an_error_at_the_field_until_unticked()
    {
        var emulator = new EmulatorOptions { Tracks = 1200, Seed = 11, HandRatedShare = 0.2, MusicLibraries = 2 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        var store = browser.App.App.Services.GetRequiredService<SettingsStore>();
        // As if "Jazz" had been renamed in Plex after the rule was saved.
        await store.UpdateAsync(s => s with
        {
            Rules =
            [
                new RatingRule { Name = "Jazz", Libraries = ["Jazz"], Then = new() { Kind = OutcomeKind.Fixed, Value = 4 } },
                new RatingRule { Name = "Rest", Then = new() { Kind = OutcomeKind.Fixed, Value = 3 } },
            ],
        }, CancellationToken.None);
        browser.Go("/settings");
        browser.Until("the saved rules", () => browser.Driver.FindElements(By.CssSelector("#rule-list .rule")).Count == 2);

        // One checkbox per Plex music library, plus the unknown saved name, ticked and marked.
        var labels = browser.Driver.FindElements(By.CssSelector("[data-field=\"rules[0].libraries\"] label")).Select(l => l.Text).ToList();
        Assert.Equal(["Music", "Live Music", "Jazz (not in Plex)"], labels);
        browser.Until("the error at the field", () => browser.Text("[data-error=\"rules[0].libraries\"]").Contains("'Jazz'", StringComparison.Ordinal));
        Assert.Contains("Live Music", browser.Text("[data-error=\"rules[0].libraries\"]"), StringComparison.Ordinal);
        Assert.Equal("true", browser.Find("[data-field=\"rules[0].libraries\"]").GetDomAttribute("aria-invalid"));
        Assert.Empty(browser.Driver.FindElements(By.CssSelector("[data-field=\"rules[1].libraries\"][aria-invalid]")));
        Assert.Contains("None ticked", browser.Text("[data-field=\"rules[1].libraries\"]"), StringComparison.Ordinal);

        // Saving as it is is refused at the same field; nothing changes in the file.
        browser.Find("#rule-save").Click();
        browser.Until("the refusal", () => browser.Text("#rules-message").Contains("need fixing", StringComparison.Ordinal));
        Assert.Equal(["Jazz"], store.Current.Rules![0].Libraries);

        // Untick the unknown one, tick "Live Music", save.
        browser.Find("[data-field=\"rules[0].libraries\"] input[value=\"Jazz\"]").Click();
        browser.Find("[data-field=\"rules[0].libraries\"] input[value=\"Live Music\"]").Click();
        browser.Find("#rule-save").Click();
        browser.Until("the saved message", () => browser.Text("#rules-message").Contains("Rules saved", StringComparison.Ordinal));
        Assert.Equal(["Live Music"], store.Current.Rules![0].Libraries);
        Assert.Equal(["Music", "Live Music"], browser.Driver.FindElements(By.CssSelector("[data-field=\"rules[0].libraries\"] label")).Select(l => l.Text));
        Assert.Empty(browser.Driver.FindElements(By.CssSelector("#rules [aria-invalid]")));
    }
}
