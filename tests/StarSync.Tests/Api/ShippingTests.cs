using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StarSync.Configuration;
using StarSync.Demo;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Api;

/// <summary>What a user installing StarSync meets first: URL_BASE behind a proxy, start-up validation, demo mode.</summary>
[Trait("Category", "Integration")]
public sealed class ShippingTests
{
    [Fact]
    public async Task Every_route_works_under_a_url_base()
    {
        await using var app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 200, Seed = 2 }).Config(new Dictionary<string, string?>
        {
            ["URL_BASE"] = "starsync/",
            ["API_KEY"] = "url-base-key-0123456789",
        }).StartAsync();
        using var anonymous = app.CreateClient();
        using var api = app.CreateClient();
        api.DefaultRequestHeaders.Add("X-Api-Key", "url-base-key-0123456789");

        using var toLogin = await anonymous.GetAsync("/starsync/history");
        Assert.Equal(HttpStatusCode.Redirect, toLogin.StatusCode);
        Assert.StartsWith("/starsync/login", toLogin.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
        var login = await anonymous.GetStringAsync("/starsync/login");
        Assert.Contains("/starsync/css/site.css", login, StringComparison.Ordinal);
        Assert.Contains("content=\"/starsync\"", login, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/starsync/css/site.css")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/starsync/js/app.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/starsync/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/starsync/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/starsync/api/v1/status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/starsync/openapi/v1.json")).StatusCode);
        using var job = await api.PostAsJsonAsync("/starsync/api/v1/jobs", new { mode = "all", dryRun = true });
        Assert.Equal(HttpStatusCode.Accepted, job.StatusCode);
        Assert.StartsWith($"{app.BaseAddress}starsync/plex-webhook/",
            (await api.GetFromJsonAsync<JsonElement>("/starsync/api/v1/settings")).GetProperty("webhookUrl").GetString(), StringComparison.Ordinal);

        using var browser = await app.CreateLoggedInClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/starsync/")).StatusCode);
        Assert.Contains("href=\"/starsync/history\"", await browser.GetStringAsync("/starsync/settings"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PLEX_URL", "")]
    [InlineData("PLEX_URL", "plex.local:32400")]
    [InlineData("PLEX_TOKEN", "")]
    [InlineData("RATING_STYLE", "10stars")]
    [InlineData("TARGET_RATING", "6")]
    [InlineData("OVERRIDE_RATING", "sometimes")]
    [InlineData("BATCH_SIZE", "ten")]
    [InlineData("BATCH_INTERVAL_MINUTES", "-1")]
    [InlineData("URL_BASE", "/star sync?")]
    [InlineData("PLEX_TIMEOUT_SECONDS", "0")]
    [InlineData("PLEX_PAGE_SIZE", "5000")]
    [InlineData("WRITE_CONCURRENCY", "0")]
    [InlineData("PORT", "http")]
    public async Task Invalid_env_value_stops_start_up_naming_the_variable(string name, string value)
    {
        var root = Directory.CreateTempSubdirectory("starsync-env-").FullName;
        try
        {
            var ex = await Record.ExceptionAsync(async () =>
            {
                await using var app = TestHost.Create().Config(new Dictionary<string, string?> { [name] = value }).Build(root);
                await app.StartAsync();
                await app.StopAsync();
            });

            Assert.NotNull(ex);
            Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Missing_app_credentials_stop_start_up_naming_the_variables()
    {
        var root = Directory.CreateTempSubdirectory("starsync-env-").FullName;
        try
        {
            var ex = await Record.ExceptionAsync(async () =>
            {
                await using var app = TestHost.Create().Config(new Dictionary<string, string?> { ["APP_PASSWORD"] = "" }).Build(root);
                await app.StartAsync();
            });

            Assert.Contains("APP_PASSWORD", ex?.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Old_tool_env_and_settings_file_are_read_unchanged()
    {
        var root = Directory.CreateTempSubdirectory("starsync-migrate-").FullName;
        Directory.CreateDirectory(Path.Combine(root, "config"));
        await File.WriteAllTextAsync(Path.Combine(root, "config", "settings.json"), """
            {"libraries": ["Music"], "rating_style": "5stars_half", "rating_value": 3.5, "override_rating": false, "batch_interval_minutes": 15}
            """);
        await File.WriteAllTextAsync(Path.Combine(root, ".env"), """
            PLEX_URL=http://127.0.0.1:9
            PLEX_TOKEN=old-tool-token
            LIBRARY_NAME=Music
            RATING_STYLE=5stars
            TARGET_RATING=3.0
            OVERRIDE_RATING=false
            BATCH_INTERVAL_MINUTES=60
            BATCH_SIZE=100
            APP_USERNAME=admin
            APP_PASSWORD=secret
            FLASK_SECRET_KEY=supersecretkey
            """);
        try
        {
            // The test app's own PLEX_URL/credentials sit above .env (as real environment variables would).
            await using var app = TestHost.Create().Config(new Dictionary<string, string?> { ["DOTENV_PATH"] = Path.Combine(root, ".env") }).Build(root);
            await app.StartAsync();
            var settings = app.Services.GetRequiredService<SettingsStore>().Current;

            Assert.Equal(7, settings.PlexTarget);          // settings.json wins, as in the old tool
            Assert.Equal(15, settings.BatchIntervalMinutes);
            Assert.Equal(100, settings.BatchSize);         // from .env
            await app.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_mode_starts_serves_the_dashboard_and_rates_its_library()
    {
        var root = Directory.CreateTempSubdirectory("starsync-demo-test-").FullName;
        try
        {
            await using var demo = await DemoMode.StartAsync(["--urls", "http://127.0.0.1:0"], root, CancellationToken.None);
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(demo.Url) };
            var form = await client.GetStringAsync("/login");
            using var login = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["username"] = DemoInstance.Username, ["password"] = demo.Password, ["__RequestVerificationToken"] = TestHost.ReadFormToken(form),
            }));
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            var dashboard = await client.GetStringAsync("/");
            Assert.Contains("Rate all", dashboard, StringComparison.Ordinal);

            client.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client));
            var lib = demo.Plex.Library;
            // Albums the demo adds while the job runs (one a minute) are not the job's.
            var existing = lib.Sections.Where(s => s.IsMusic && s.Agent is null).SelectMany(s => lib.TrackKeys(s.Key)).ToList();
            // The demo's audiobook library is listed as not covered, and the job leaves it alone.
            var books = lib.Sections.Single(s => s.Title == "Audiobooks");
            var booksBefore = lib.TrackKeys(books.Key).ToDictionary(k => k, k => lib.GetUserRating(k));
            var listed = await client.GetFromJsonAsync<JsonElement>("/api/v1/libraries");
            var booksRow = listed.GetProperty("libraries").EnumerateArray().Single(l => l.GetProperty("title").GetString() == "Audiobooks");
            Assert.StartsWith("looks like audiobooks (agent com.plexapp.agents.audnexus)", booksRow.GetProperty("excluded").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, booksRow.GetProperty("total").GetInt32());
            using var start = await client.PostAsJsonAsync("/api/v1/jobs", new { mode = "all" });
            Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
            var id = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            var job = await TestHost.FinishedJobAsync(client, id);

            Assert.Equal("succeeded", job.GetProperty("status").GetString());
            Assert.Equal(booksBefore, lib.TrackKeys(books.Key).ToDictionary(k => k, k => lib.GetUserRating(k)));
            // The demo ships example rules: interludes (under 90 s) stay unrated on purpose, everything else is rated.
            var left = existing.Where(k => lib.GetUserRating(k) is null).ToList();
            Assert.NotEmpty(left);
            Assert.All(left, k => Assert.True(lib.GetTrackSignals(k).DurationMs < 90_000));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }
}
