using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StarSync.Configuration;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Api;

/// <summary>The REST API with an API key, the OpenAPI document, health and metrics, against a real app and emulated Plex.</summary>
[Trait("Category", "Integration")]
public sealed class ApiTests : IAsyncLifetime
{
    private const string Key = "api-tests-key-0123456789abcdef";
    private TestHost _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 400, Seed = 21, HandRatedShare = 0.2 }).Config(new Dictionary<string, string?>
        {
            ["API_KEY"] = Key,
        }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
    }

    private HttpClient Client(string? key = Key)
    {
        var client = _app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return client;
    }

    [Theory]
    [InlineData("GET", "/api/v1/status")]
    [InlineData("GET", "/api/v1/libraries")]
    [InlineData("GET", "/api/v1/jobs")]
    [InlineData("GET", "/api/v1/jobs/1")]
    [InlineData("GET", "/api/v1/jobs/1/changes")]
    [InlineData("POST", "/api/v1/jobs")]
    [InlineData("POST", "/api/v1/jobs/cancel")]
    [InlineData("POST", "/api/v1/jobs/1/undo")]
    [InlineData("POST", "/api/v1/undo-all")]
    [InlineData("POST", "/api/v1/clear")]
    [InlineData("GET", "/api/v1/settings")]
    [InlineData("PUT", "/api/v1/settings")]
    [InlineData("POST", "/api/v1/settings/test-connection")]
    [InlineData("POST", "/api/v1/settings/api-key")]
    [InlineData("GET", "/openapi/v1.json")]
    public async Task Every_api_route_refuses_a_missing_or_wrong_key(string method, string path)
    {
        foreach (var key in new string?[] { null, Key + "x" })
        {
            using var client = Client(key);
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : JsonContent.Create(new { }) };
            using var response = await client.SendAsync(request);

            // Scripts and API clients get a status and a problem body, never the HTML login page.
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Null(response.Headers.Location);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), $"{method} {path}: a problem without a title");
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/history")]
    [InlineData("/history/3")]
    [InlineData("/history/track/101")]
    [InlineData("/settings")]
    [InlineData("/reset")]
    public async Task Every_page_sends_a_visitor_without_a_session_to_the_login_page_and_back(string path)
    {
        foreach (var key in new string?[] { null, Key }) // an API key is for the API, not a browser session
        {
            using var client = Client(key);
            using var response = await client.GetAsync(path);

            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            var target = location.IsAbsoluteUri ? location : new Uri(_app.BaseAddress, location);
            Assert.Equal("/login", target.AbsolutePath);
            Assert.Equal("?returnUrl=" + Uri.EscapeDataString(path), target.Query);
        }
    }

    [Fact]
    public async Task Api_key_runs_rates_lists_changes_and_undoes()
    {
        using var client = Client();
        var section = _app.Plex.Library.Sections.First(s => s.IsMusic).Key;
        var before = _app.Plex.Library.TrackKeys(section).ToDictionary(k => k, k => _app.Plex.Library.GetUserRating(k));

        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/status");
        Assert.True(status.GetProperty("plex").GetProperty("ok").GetBoolean());
        var libraries = await client.GetFromJsonAsync<JsonElement>("/api/v1/libraries");
        Assert.Equal(before.Count(kv => kv.Value is null), libraries.GetProperty("libraries")[0].GetProperty("unrated").GetInt32());

        using var dry = await client.PostAsJsonAsync("/api/v1/jobs", new { mode = "recent", count = 50, dryRun = true });
        Assert.Equal(HttpStatusCode.Accepted, dry.StatusCode);
        var dryJob = await TestHost.FinishedJobAsync(client, (await dry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        Assert.Equal("api", dryJob.GetProperty("trigger").GetString());
        Assert.Equal(0, _app.Plex.Counters.RatingWrites);

        using var run = await client.PostAsJsonAsync("/api/v1/jobs", new { mode = "all" });
        var job = await TestHost.FinishedJobAsync(client, (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(0, _app.Plex.Library.CountUnrated(section));

        var changes = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{job.GetProperty("id").GetInt64()}/changes?limit=5");
        Assert.Equal(before.Count(kv => kv.Value is null), changes.GetProperty("total").GetInt32());
        Assert.Equal(5, changes.GetProperty("items").GetArrayLength());
        var title = changes.GetProperty("items")[0].GetProperty("title").GetString()!;
        var search = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{job.GetProperty("id").GetInt64()}/changes?q={Uri.EscapeDataString(title)}&limit=500");
        // Several words may match across fields (issue 14): every word is in the artist, album or title of every row.
        var words = title.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var found = search.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(found, c => c.GetProperty("title").GetString() == title);
        Assert.All(found, c =>
        {
            var fields = $"{c.GetProperty("artist").GetString()} {c.GetProperty("album").GetString()} {c.GetProperty("title").GetString()}";
            Assert.All(words, w => Assert.Contains(w, fields, StringComparison.OrdinalIgnoreCase));
        });

        using var undo = await client.PostAsJsonAsync($"/api/v1/jobs/{job.GetProperty("id").GetInt64()}/undo", new { });
        Assert.Equal(HttpStatusCode.Accepted, undo.StatusCode);
        await TestHost.FinishedJobAsync(client, (await undo.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        Assert.All(before, kv => Assert.Equal(kv.Value, _app.Plex.Library.GetUserRating(kv.Key)));

        var jobs = await client.GetFromJsonAsync<JsonElement>("/api/v1/jobs");
        Assert.Equal(3, jobs.GetArrayLength());
    }

    [Fact]
    public async Task Malformed_requests_get_4xx_with_the_reason_never_500()
    {
        using var client = Client();
        foreach (var (method, path, body, expected) in new (string, string, string, HttpStatusCode)[]
        {
            ("POST", "/api/v1/jobs", """{"mode":"sideways"}""", HttpStatusCode.BadRequest),
            ("POST", "/api/v1/jobs", """{"mode":"recent","count":0}""", HttpStatusCode.BadRequest),
            ("POST", "/api/v1/jobs", """{"mode":""", HttpStatusCode.BadRequest),
            ("POST", "/api/v1/jobs", "not json", HttpStatusCode.BadRequest),
            ("POST", "/api/v1/clear", """{"confirm":"yes"}""", HttpStatusCode.BadRequest),
            ("POST", "/api/v1/jobs/999/undo", "{}", HttpStatusCode.NotFound),
            ("GET", "/api/v1/jobs/999", "", HttpStatusCode.NotFound),
            ("GET", "/api/v1/jobs/abc", "", HttpStatusCode.NotFound),
            ("PUT", "/api/v1/settings", """{"ratingStyle":"7stars"}""", HttpStatusCode.BadRequest),
            ("PUT", "/api/v1/settings", """{"targetRating":4.5}""", HttpStatusCode.BadRequest),
            ("PUT", "/api/v1/settings", """{"batchSize":-1}""", HttpStatusCode.BadRequest),
            ("PUT", "/api/v1/settings", """{"batchSize":"many"}""", HttpStatusCode.BadRequest),
            ("PUT", "/api/v1/settings", """{"libraries":[]}""", HttpStatusCode.BadRequest),
        })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method != "GET")
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == expected, $"{method} {path} {body} gave {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        using var style = await client.PutAsJsonAsync("/api/v1/settings", new { targetRating = 4.5 });
        var problem = await style.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("whole number of stars", problem.GetProperty("errors").GetProperty("targetRating")[0].GetString());
    }

    [Fact]
    public async Task Settings_change_applies_at_once_and_is_saved_atomically()
    {
        using var client = Client();

        using var response = await client.PutAsJsonAsync("/api/v1/settings", new { ratingStyle = "5stars_half", targetRating = 2.5, batchIntervalMinutes = 0 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var saved = SettingsLoader.Load(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), Path.Combine(_app.ConfigDirectory, "settings.json"));
        Assert.Equal(5, saved.PlexTarget);
        Assert.Equal(0, saved.BatchIntervalMinutes);
        Assert.False(File.Exists(Path.Combine(_app.ConfigDirectory, "settings.json.tmp")));
        var shown = await client.GetFromJsonAsync<JsonElement>("/api/v1/settings");
        Assert.Equal("5stars_half", shown.GetProperty("ratingStyle").GetString());
        Assert.StartsWith($"{_app.BaseAddress}plex-webhook/", shown.GetProperty("webhookUrl").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_key_set_in_the_environment_is_not_regenerated_and_keeps_working()
    {
        using var client = Client();
        using var response = await client.PostAsync("/api/v1/settings/api-key", null);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        using var still = await client.GetAsync("/api/v1/status");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("API_KEY", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task OpenApi_document_parses_and_lists_every_api_route()
    {
        using var client = Client();
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();

        foreach (var route in new[]
        {
            "/api/v1/status", "/api/v1/libraries", "/api/v1/jobs", "/api/v1/jobs/cancel", "/api/v1/jobs/{id}", "/api/v1/jobs/{id}/changes",
            "/api/v1/jobs/{id}/undo", "/api/v1/undo-all", "/api/v1/clear", "/api/v1/settings", "/api/v1/settings/test-connection", "/api/v1/settings/api-key",
        })
        {
            Assert.Contains(route, paths);
        }
    }

    [Fact]
    public async Task Health_is_anonymous_readiness_includes_plex_and_metrics_count_jobs()
    {
        using var anonymous = Client(key: null);
        using var api = Client();

        using var live = await anonymous.GetAsync("/health");
        var ready = await anonymous.GetFromJsonAsync<JsonElement>("/health/ready");
        using var run = await api.PostAsJsonAsync("/api/v1/jobs", new { mode = "all" });
        await TestHost.FinishedJobAsync(api, (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
        // The job's row says "succeeded" a moment before the job-ended event reaches the metrics: a scrape in between
        // counts it at the next scrape.
        var metrics = await Eventually.ValueAsync(() => anonymous.GetStringAsync("/metrics"),
            m => m.Contains("starsync_jobs_total{status=\"succeeded\"} 1", StringComparison.Ordinal), "the finished job in /metrics");
        _app.Plex.Options.Faults.RevokeToken = true;
        await api.PostAsync("/api/v1/settings/test-connection", null); // refreshes the cached connection state
        using var notReady = await anonymous.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("healthy", ready.GetProperty("status").GetString());
        Assert.StartsWith("ok", ready.GetProperty("checks").GetProperty("plex").GetString(), StringComparison.Ordinal);
        Assert.Contains("starsync_jobs_total{status=\"succeeded\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("starsync_tracks_total{kind=\"rated\"}", metrics, StringComparison.Ordinal);
        // Plex requests, from HttpClient's own meter (System.Net.Http), with their status codes.
        Assert.Matches("system_net_http_http_client_request_duration_count\\{[^}]*http_response_status_code=\"200\"", metrics);
        Assert.Contains("le=\"0.005\"", metrics, StringComparison.Ordinal);
        // Only that instrument of System.Net.Http: its connection instruments record twice per request (MetricsExporter).
        Assert.DoesNotContain("system_net_http_http_client_open_connections", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("system_net_http_http_client_active_requests", metrics, StringComparison.Ordinal);
        foreach (var secret in new[] { _app.Plex.Token, Key, TestHost.Password, "X-Plex-Token" })
        {
            Assert.DoesNotContain(secret, metrics, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(_app.Plex.Library.Sections[0].Title, metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.DoesNotContain(_app.Plex.Token, await notReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
