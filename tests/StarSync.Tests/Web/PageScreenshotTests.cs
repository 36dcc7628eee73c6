using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace StarSync.Tests.Web;

/// <summary>
/// Logs in with headless Chromium and renders every page against a fake API (test-only endpoints), light and dark.
/// Opt-in: set STARSYNC_SCREENSHOTS to a directory; the PNGs land there for a human to look at.
/// </summary>
public sealed class PageScreenshotTests
{
    [Fact]
    [Trait("Category", "Browser")]
    public async Task Pages_render_with_data_in_light_and_dark()
    {
        var outputDirectory = Environment.GetEnvironmentVariable("STARSYNC_SCREENSHOTS");
        if (string.IsNullOrEmpty(outputDirectory) || !File.Exists("/usr/bin/chromedriver"))
        {
            return; // opt-in; needs Chromium + ChromeDriver (setup.sh installs them)
        }

        Directory.CreateDirectory(outputDirectory);
        await using var app = await TestApp.StartAsync(map: FakeApi.Map);
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000", "--disable-dev-shm-usage");
        using var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        using var driver = new ChromeDriver(service, options);
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(10));

        driver.Navigate().GoToUrl(new Uri(app.BaseAddress, "/login?returnUrl=%2Fhistory"));
        driver.FindElement(By.Id("username")).SendKeys(TestApp.Username);
        driver.FindElement(By.Id("password")).SendKeys("wrong");
        driver.FindElement(By.CssSelector("button[type=submit]")).Click();
        Save(driver, outputDirectory, "login-error");
        driver.FindElement(By.Id("password")).SendKeys(TestApp.Password);
        driver.FindElement(By.CssSelector("button[type=submit]")).Click();
        wait.Until(d => d.Url.EndsWith("/history", StringComparison.Ordinal));

        foreach (var scheme in new[] { "light", "dark" })
        {
            driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
            {
                ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = scheme } },
            });
            foreach (var (path, ready, name) in new[]
            {
                ("/", "#coverage .coverage-row", "dashboard"),
                ("/history", "#jobs-body tr", "history"),
                ("/history/12", "#changes-body tr", "history-job"),
                ("/settings", "#libraries input", "settings"),
                ("/reset", "#clear-libraries", "reset"),
            })
            {
                driver.Navigate().GoToUrl(new Uri(app.BaseAddress, path));
                wait.Until(d => d.FindElements(By.CssSelector(ready)).Count > 0);
                if (name == "dashboard")
                {
                    wait.Until(d => d.FindElements(By.CssSelector("#log li")).Count > 0);
                }

                if (name == "settings")
                {
                    driver.FindElement(By.Id("save")).Click();
                    wait.Until(d => d.FindElement(By.Id("error-batchSize")).Text.Length > 0);
                }

                if (name == "reset")
                {
                    driver.FindElement(By.Id("preview")).Click();
                    wait.Until(d => d.FindElement(By.Id("run-real")).Displayed);
                }

                Save(driver, outputDirectory, $"{name}-{scheme}");
            }
        }

        driver.Manage().Window.Size = new System.Drawing.Size(390, 844);
        driver.Navigate().GoToUrl(new Uri(app.BaseAddress, "/"));
        wait.Until(d => d.FindElements(By.CssSelector("#coverage .coverage-row")).Count > 0);
        Save(driver, outputDirectory, "dashboard-phone");
    }

    private static void Save(ChromeDriver driver, string directory, string name)
    {
        // Full page: grow the window to the document height for the shot.
        var height = Convert.ToInt32(driver.ExecuteScript("return document.documentElement.scrollHeight"), System.Globalization.CultureInfo.InvariantCulture);
        var size = driver.Manage().Window.Size;
        driver.Manage().Window.Size = new System.Drawing.Size(size.Width, Math.Max(size.Height, Math.Min(height + 140, 4000)));
        driver.GetScreenshot().SaveAsFile(Path.Combine(directory, name + ".png"));
        driver.Manage().Window.Size = size;
    }

    /// <summary>Canned answers shaped like the API contract, so the pages can be seen with data.</summary>
    private static class FakeApi
    {
        private static readonly object Job = new
        {
            id = 12, trigger = "manual", mode = "all", dryRun = false, description = "Rate all unrated tracks",
            libraries = new[] { "Music" }, status = "running", queuedAt = "2025-05-01T10:00:00Z", startedAt = "2025-05-01T10:00:01Z",
            finishedAt = (string?)null, counts = new { total = 48210, done = 17342, rated = 17001, updated = 0, skipped = 341, failed = 0, cleared = 0, restored = 0 },
            error = (string?)null,
        };

        public static void Map(WebApplication app)
        {
            var api = app.MapGroup("/api/v1");
            api.MapGet("/status", () => TypedResults.Ok(new
            {
                plex = new { ok = true, serverName = "Living Room PMS", version = "1.41.6.9685", error = (string?)null },
                current = Job,
                progress = new { jobId = 12, library = "Music", done = 17342, total = 48210, rated = 17001, updated = 0, skipped = 341, failed = 0, writesPerSecond = 184.3, etaSeconds = 167 },
                queue = Array.Empty<object>(),
                recent = new[] { Job },
                schedule = new { intervalMinutes = 60, nextRunAt = "2025-05-01T11:00:00Z" },
                lastWebhook = new { @event = "library.new", item = "Radiohead – OK Computer", receivedAt = "2025-05-01T09:58:00Z", outcome = "queued 12 tracks" },
            }));
            api.MapGet("/libraries", () => TypedResults.Ok(new
            {
                libraries = new object[]
                {
                    new { key = "1", title = "Music", total = 48210, rated = 31209, unrated = 17001, selected = true },
                    new { key = "7", title = "Audiobooks & Spoken Word", total = 2310, rated = 120, unrated = 2190, selected = false },
                },
                missing = new[] { "Old Vinyl Rips" },
            }));
            api.MapGet("/settings", () => TypedResults.Ok(new
            {
                libraries = new[] { "Music", "Old Vinyl Rips" }, ratingStyle = "5stars_half", targetRating = 3.5, overrideRating = false,
                batchSize = 500, batchIntervalMinutes = 60, writeConcurrency = 4,
                webhookUrl = "http://starsync.lan:5454/plex-webhook?secret=2b7e151628aed2a6abf71589", apiKey = "sk_9f86d081884c7d659a2feaa0c55ad015",
            }));
            api.MapPut("/settings", () => TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["BatchSize"] = ["Batch size must be between 1 and 10000."],
            }));
            api.MapGet("/jobs", () => TypedResults.Ok(new[]
            {
                Job,
                new
                {
                    id = 11, trigger = "webhook", mode = "items", dryRun = false, description = "2 new albums", libraries = new[] { "Music" },
                    status = "succeeded", queuedAt = "2025-04-30T21:14:00Z", startedAt = "2025-04-30T21:14:01Z", finishedAt = "2025-04-30T21:14:03Z",
                    counts = new { total = 24, done = 24, rated = 24, updated = 0, skipped = 0, failed = 0, cleared = 0, restored = 0 }, error = (string?)null,
                },
                new
                {
                    id = 10, trigger = "schedule", mode = "recent", dryRun = true, description = "", libraries = new[] { "Music" },
                    status = "failed", queuedAt = "2025-04-30T20:00:00Z", startedAt = "2025-04-30T20:00:00Z", finishedAt = "2025-04-30T20:00:31Z",
                    counts = new { total = 500, done = 120, rated = 0, updated = 0, skipped = 0, failed = 0, cleared = 0, restored = 0 }, error = "Plex refused the token (HTTP 401).",
                },
            }));
            api.MapGet("/jobs/{id}", (string id) => TypedResults.Ok(new
            {
                id, trigger = "manual", mode = id == "99" ? "undo-all" : "all", dryRun = id == "99", description = "", libraries = new[] { "Music" },
                status = "succeeded", queuedAt = "2025-05-01T10:00:00Z", startedAt = "2025-05-01T10:00:01Z", finishedAt = "2025-05-01T10:04:29Z",
                counts = new { total = 48210, done = 48210, rated = 47869, updated = 0, skipped = 341, failed = 0, cleared = 0, restored = id == "99" ? 1203 : 0 },
                error = (string?)null,
            }));
            api.MapGet("/jobs/{id}/changes", () => TypedResults.Ok(new
            {
                total = 47869,
                items = Enumerable.Range(0, 8).Select(i => new
                {
                    ratingKey = 1000 + i, library = "Music", artist = i % 2 == 0 ? "Björk" : "Boards of Canada",
                    album = i % 2 == 0 ? "Homogenic" : "Music Has the Right to Children", title = $"Track <{i + 1}> & more",
                    oldValue = i == 3 ? (int?)4 : null, newValue = i == 5 ? 0 : 7, state = "written", time = "2025-05-01T10:01:00Z",
                }),
            }));
            api.MapPost("/undo-all", () => TypedResults.Accepted("/api/v1/jobs/99", new { id = "99", status = "queued" }));
        }
    }
}
