using System.Text.Json;
using OpenQA.Selenium;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

/// <summary>
/// axe-core (installed from npm by setup.sh) run inside headless Chromium on every page with real data, in the light
/// and dark themes and at phone width; plus the phone layout, the theme menu and keyboard use as a person meets them.
/// </summary>
[Trait("Category", "Browser")]
public sealed class AccessibilityTests
{
    private static readonly string[] s_pages = ["/", "/history", "/history/1", "/history/999", "/settings", "/reset"];

    [Fact]
    public async Task Every_page_has_no_axe_violations_in_light_dark_and_phone_layouts()
    {
        var emulator = new EmulatorOptions { Tracks = 900, Seed = 5, HandRatedShare = 0.2, MusicLibraries = 2 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        RunFirstJob(browser);

        var violations = new List<string>();
        foreach (var (layout, theme, width) in new[] { ("light", "light", 1280), ("dark", "dark", 1280), ("phone", "auto", 390) })
        {
            browser.Driver.Manage().Window.Size = new System.Drawing.Size(width, 900);
            browser.Go("/");
            browser.Driver.ExecuteScript("localStorage.setItem('starsync-theme', arguments[0])", theme);
            foreach (var page in s_pages)
            {
                browser.Go(page);
                WaitForData(browser, page);
                violations.AddRange(RunAxe(browser).Select(v => $"{layout} {page}: {v}"));
            }
        }

        // Signed out: the login page.
        browser.Driver.Manage().Cookies.DeleteAllCookies();
        browser.Driver.Manage().Window.Size = new System.Drawing.Size(1280, 900);
        browser.Go("/login");
        browser.Until("the login form", () => browser.Driver.FindElements(By.Id("username")).Count > 0);
        violations.AddRange(RunAxe(browser).Select(v => "light /login: " + v));

        Assert.True(violations.Count == 0, "axe-core found:\n" + string.Join("\n", violations));
    }

    [Fact]
    public async Task Phone_layout_folds_the_navigation_and_draws_tables_as_labelled_cards()
    {
        var emulator = new EmulatorOptions { Tracks = 600, Seed = 6, HandRatedShare = 0.2 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        RunFirstJob(browser);
        browser.Driver.Manage().Window.Size = new System.Drawing.Size(390, 844);

        browser.Go("/history");
        browser.Until("the jobs list", () => browser.Driver.FindElements(By.CssSelector("#jobs-body tr")).Count > 0);
        Assert.False(browser.Find("#main-nav").Displayed);
        Assert.True(browser.Find("#nav-toggle").Displayed);
        browser.Find("#nav-toggle").Click();
        browser.Until("the folded navigation to open", () => browser.Find("#main-nav").Displayed);
        Assert.Equal("true", browser.Find("#nav-toggle").GetDomAttribute("aria-expanded"));

        // One card per job: the row is a block, the header row is hidden, and each cell shows its column's name.
        var firstCell = browser.Find("#jobs-body tr td");
        var firstColumn = (string?)browser.Driver.ExecuteScript("return document.querySelector('#jobs-view thead th').textContent.trim()");
        Assert.False(string.IsNullOrEmpty(firstColumn));
        Assert.Equal("block", firstCell.FindElement(By.XPath("..")).GetCssValue("display"));
        Assert.Equal(firstColumn, firstCell.GetDomAttribute("data-label"));
        var before = (string?)browser.Driver.ExecuteScript("return getComputedStyle(arguments[0], '::before').content", firstCell);
        Assert.Equal($"\"{firstColumn}\"", before);
        Assert.Equal(1, Convert.ToInt32(browser.Driver.ExecuteScript("return document.querySelector('#jobs-view thead').getBoundingClientRect().height"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Footer_shows_the_version_and_the_theme_choice_sticks_and_ratings_draw_empty_slots()
    {
        var emulator = new EmulatorOptions { Tracks = 600, Seed = 6, HandRatedShare = 0.2 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        RunFirstJob(browser);

        Assert.StartsWith("StarSync 1.", browser.Text("#app-version"), StringComparison.Ordinal);

        // At desktop width the navigation is in the bar, with no Menu button.
        Assert.True(browser.Find("#main-nav").Displayed);
        Assert.False(browser.Find("#nav-toggle").Displayed);

        browser.ColorScheme("light");
        browser.Find("#theme option[value=\"dark\"]").Click();
        Assert.Equal("dark", browser.Driver.ExecuteScript("return document.documentElement.dataset.theme"));
        Assert.Equal("rgba(15, 18, 22, 1)", NormaliseColor(browser.Find("body").GetCssValue("background-color")));
        browser.Go("/history");
        browser.Until("the jobs list", () => browser.Driver.FindElements(By.CssSelector("#jobs-body tr")).Count > 0);
        Assert.Equal("dark", browser.Find("#theme").GetDomProperty("value"));
        Assert.Equal("rgba(15, 18, 22, 1)", NormaliseColor(browser.Find("body").GetCssValue("background-color")));

        // The job set 3 of 5 stars: drawn with its two empty slots, and read out in words.
        browser.Go("/history/1");
        browser.Until("the job's changes", () => browser.Driver.FindElements(By.CssSelector("#changes-body tr")).Count > 0);
        var after = browser.Find("#changes-body tr td[data-label=\"After\"] .stars");
        Assert.Equal("★★★☆☆", after.Text);
        Assert.Equal("3 of 5 stars", after.GetDomAttribute("aria-label"));
    }

    [Fact]
    public async Task Arrow_keys_on_the_reset_choice_move_between_options_and_leave_the_text_box_alone()
    {
        var emulator = new EmulatorOptions { Tracks = 300, Seed = 6 };
        await using var browser = await BrowserSession.StartAsync(TestHost.Create().Emulator(emulator).AllMusicLibraries());
        browser.Go("/reset");
        browser.Until("the reset form", () => browser.Driver.FindElements(By.CssSelector("input[name=reset-mode]")).Count == 2);

        var first = browser.Find("input[name=reset-mode][value=\"undo-all\"]");
        first.Click();
        first.SendKeys(Keys.ArrowDown);

        browser.Until("the clear option to be chosen", () => browser.Find("input[name=reset-mode][value=\"clear\"]").Selected);
        Assert.True(browser.Find("#clear-confirm").Displayed);
        Assert.Equal("clear", browser.Driver.ExecuteScript("return document.activeElement.value"));
        browser.Find("input[name=reset-mode][value=\"clear\"]").SendKeys(Keys.ArrowUp);
        browser.Until("the undo option to be chosen again", () => first.Selected);
        Assert.Equal("undo-all", browser.Driver.ExecuteScript("return document.activeElement.value"));
    }

    private static void RunFirstJob(BrowserSession browser)
    {
        browser.Until("the live log to connect", () => browser.Text("#log-state") == "Live");
        browser.Find("#rate-all").Click();
        browser.Until("the first job to finish", () => browser.Text("#progress-title").Contains("succeeded", StringComparison.Ordinal));
    }

    private static void WaitForData(BrowserSession browser, string page)
    {
        var ready = page switch
        {
            "/" => "#coverage .coverage-row",
            "/history" => "#jobs-body tr",
            "/history/1" => "#changes-body tr",
            "/history/999" => "#missing-title",
            "/settings" => "#libraries input",
            _ => "#clear-libraries",
        };
        browser.Until($"{page} to show its data", () => browser.Driver.FindElements(By.CssSelector(ready)).Count > 0);
        if (page == "/reset")
        {
            browser.Until("the libraries on the reset page", () => !browser.Text("#clear-libraries").StartsWith('…'));
        }
    }

    /// <summary>Injects axe-core into the page and returns one line per violated rule, naming the elements.</summary>
    private static IEnumerable<string> RunAxe(BrowserSession browser)
    {
        browser.Driver.ExecuteScript(s_axeSource.Value);
        var json = (string?)browser.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] })
              .then(r => done(JSON.stringify(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " -> " + (n.failureSummary || "").replace(/\s+/g, " ")) })))))
              .catch(e => done(JSON.stringify([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }])));
            """);
        using var doc = JsonDocument.Parse(json ?? "[]");
        foreach (var violation in doc.RootElement.EnumerateArray())
        {
            var nodes = string.Join("; ", violation.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
            yield return $"{violation.GetProperty("id").GetString()} ({violation.GetProperty("impact").GetString()}): {violation.GetProperty("help").GetString()} [{nodes}]";
        }
    }

    private static string NormaliseColor(string css) => css.StartsWith("rgb(", StringComparison.Ordinal)
        ? "rgba(" + css[4..^1] + ", 1)"
        : css;

    private static readonly Lazy<string> s_axeSource = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "StarSync.Tests", "Browser", "axe", "node_modules", "axe-core", "axe.min.js");
            if (File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        throw new InvalidOperationException("axe-core is not installed: run ./setup.sh (npm ci --prefix tests/StarSync.Tests/Browser/axe).");
    });
}
