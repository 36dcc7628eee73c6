using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StarSync.LiveLog;
using StarSync.Plex;
using StarSync.PlexEmulator;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Connection;

/// <summary>The Plex URL and token in the UI, start-up without them, and "Test connection", over real HTTP against the emulator.</summary>
public sealed class PlexConnectionTests
{
    private static readonly Dictionary<string, string?> s_unset = new() { ["PLEX_URL"] = "", ["PLEX_TOKEN"] = "" };

    [Fact]
    public async Task Without_PLEX_URL_and_PLEX_TOKEN_the_app_starts_says_so_once_and_the_dashboard_leads_to_the_connection_card()
    {
        await using var app = await TestHost.Create().Config(s_unset).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();

        using var dashboard = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode);
        Assert.Equal("/settings?setup=plex#plex-connection", dashboard.Headers.Location?.OriginalString);
        var settings = await client.GetStringAsync("/settings");
        Assert.Contains("Connect StarSync to your Plex server", settings, StringComparison.Ordinal);
        // The banner is in the page as rendered, before any script runs.
        Assert.Contains("StarSync is not connected to Plex yet.", settings, StringComparison.Ordinal);

        var health = await client.GetFromJsonAsync<JsonElement>("/api/v1/plex/health");
        Assert.Equal("not-configured", health.GetProperty("state").GetString());
        Assert.False(health.GetProperty("ok").GetBoolean());

        var live = app.App.Services.GetRequiredService<LiveFeed>().Snapshot();
        Assert.Single(live, e => e.Message.StartsWith("Plex is not set up yet (PLEX_URL is not set)", StringComparison.Ordinal));
        // Waiting quietly: no failed Plex request, no error from the listener or the schedule.
        Assert.DoesNotContain(live, e => e.Level is "Error" or "Critical" || (e.Level == "Warning" && e.Category.StartsWith("StarSync.Plex", StringComparison.Ordinal)));
        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/status");
        Assert.StartsWith("stopped: waiting for the Plex server URL and token", status.GetProperty("notifications").GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_Plex_server_jobs_are_refused_with_409_naming_the_fix_and_nothing_is_queued()
    {
        await using var app = await TestHost.Create().Config(s_unset).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        client.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client, "/settings"));

        foreach (var (path, body) in new (string, object)[]
        {
            ("/api/v1/jobs", new { mode = "all" }),
            ("/api/v1/jobs", new { mode = "recent", count = 5, dryRun = true }),
            ("/api/v1/undo-all", new { }),
            ("/api/v1/clear", new { confirm = "CLEAR" }),
        })
        {
            using var response = await client.PostAsJsonAsync(path, body);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Plex is not set up", problem.GetProperty("title").GetString());
            Assert.Contains("Settings → Plex connection", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var jobs = await client.GetFromJsonAsync<JsonElement>("/api/v1/jobs");
        Assert.Equal(0, jobs.GetArrayLength());
    }

    [Fact]
    public async Task Saving_url_and_token_in_Settings_connects_at_once_and_keeps_them_owner_only_in_settings_json()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 200, Seed = 3 });
        var root = Directory.CreateTempSubdirectory("starsync-plex-").FullName;
        try
        {
            await using (var app = await TestHost.Create().Config(s_unset).InDirectory(root).StartAsync())
            {
                using var client = await app.CreateLoggedInClientAsync();
                client.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client, "/settings"));

                using var saved = await client.PutAsJsonAsync("/api/v1/plex", new { url = plex.BaseUri.ToString(), token = plex.Token });
                Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
                var dto = await saved.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal("settings.json", dto.GetProperty("urlSource").GetString());
                Assert.True(dto.GetProperty("configured").GetBoolean());

                // Without a restart: the status, the libraries and the notification listener use the new server.
                var health = await client.GetFromJsonAsync<JsonElement>("/api/v1/plex/health");
                Assert.Equal("ok", health.GetProperty("state").GetString());
                Assert.Equal("Emulated Plex", health.GetProperty("serverName").GetString());
                var libraries = await client.GetFromJsonAsync<JsonElement>("/api/v1/libraries");
                Assert.Contains(libraries.GetProperty("libraries").EnumerateArray(), l => l.GetProperty("title").GetString() == "Music");
                await Eventually.TrueAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/api/v1/status"))
                    .GetProperty("notifications").GetProperty("state").GetString() == "connected", "the listener to connect to the saved server");
                using var dashboard = await client.GetAsync("/");
                Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            }

            var file = Path.Combine(root, "config", "settings.json");
            var json = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
            Assert.Equal(plex.BaseUri.ToString(), json.GetProperty("plex_url").GetString());
            Assert.Equal(plex.Token, json.GetProperty("plex_token").GetString());
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            // A restart reads them back, and the token saved in Settings is masked in the log like PLEX_TOKEN.
            await using (var again = await TestHost.Create().Config(s_unset).InDirectory(root).StartAsync())
            {
                using var client = await again.CreateLoggedInClientAsync();
                var health = await client.GetFromJsonAsync<JsonElement>("/api/v1/plex/health");
                Assert.Equal("ok", health.GetProperty("state").GetString());
                var redactor = again.App.Services.GetRequiredService<StarSync.Web.Logging.SecretRedactor>();
                Assert.DoesNotContain(plex.Token, redactor.Redact("token " + plex.Token), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task The_environment_wins_and_the_API_says_so_at_the_field_an_emptied_or_malformed_field_is_refused()
    {
        await using var app = await TestHost.Create().Config("PLEX_TOKEN", "").StartAsync(); // PLEX_URL stays set (the test host's default)
        using var client = await app.CreateLoggedInClientAsync();
        client.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client, "/settings"));

        var dto = await client.GetFromJsonAsync<JsonElement>("/api/v1/plex");
        Assert.Equal("environment", dto.GetProperty("urlSource").GetString());
        Assert.Equal("not set", dto.GetProperty("tokenSource").GetString());
        Assert.False(dto.GetProperty("configured").GetBoolean());

        using var pinned = await client.PutAsJsonAsync("/api/v1/plex", new { url = "http://elsewhere:32400" });
        Assert.Equal(HttpStatusCode.BadRequest, pinned.StatusCode);
        Assert.Contains("set by PLEX_URL in the environment", (await ErrorsOf(pinned))["plexUrl"], StringComparison.Ordinal);

        using var emptied = await client.PutAsJsonAsync("/api/v1/plex", new { token = "  " });
        Assert.Contains("Plex token is empty", (await ErrorsOf(emptied))["plexToken"], StringComparison.Ordinal);

        await using var other = await TestHost.Create().Config(s_unset).StartAsync();
        using var client2 = await other.CreateLoggedInClientAsync();
        client2.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client2, "/settings"));
        using var malformed = await client2.PutAsJsonAsync("/api/v1/plex", new { url = "plex.local:32400", token = "abc def" });
        var errors = await ErrorsOf(malformed);
        Assert.Contains("is not an http(s) address", errors["plexUrl"], StringComparison.Ordinal);
        Assert.Contains("spaces", errors["plexToken"], StringComparison.Ordinal);
        using var unknown = await client2.PutAsJsonAsync("/api/v1/plex", new { plex_url = "http://x:32400" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.False(File.Exists(Path.Combine(other.ConfigDirectory, "settings.json.tmp")));
        Assert.False((await client2.GetFromJsonAsync<JsonElement>("/api/v1/plex")).GetProperty("configured").GetBoolean());
    }

    [Fact]
    public async Task Test_connection_with_the_forms_values_names_the_server_its_version_and_music_libraries()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 100, MusicLibraries = 2 });
        await using var app = await TestHost.Create().Config(s_unset).StartAsync();
        var result = await TestAsync(app, plex.BaseUri.ToString(), plex.Token);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("Emulated Plex", result.GetProperty("serverName").GetString());
        Assert.Equal(plex.Options.Version, result.GetProperty("version").GetString());
        Assert.Equal(new[] { "Music", "Live Music" }, result.GetProperty("musicLibraries").EnumerateArray().Select(e => e.GetString() ?? "").ToArray());
        // Testing saves nothing.
        Assert.False(File.ReadAllText(Path.Combine(app.ConfigDirectory, "settings.json")).Contains("plex_url", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Test_connection_reports_a_refused_token_as_such_without_showing_it()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 10 });
        await using var app = await TestHost.Create().Config(s_unset).StartAsync();
        var result = await TestAsync(app, plex.BaseUri.ToString(), "wrong-token-4242");

        Assert.Equal("token-refused", result.GetProperty("state").GetString());
        Assert.Contains("refused the token (HTTP 401)", result.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-token-4242", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_connection_tells_unreachable_unknown_host_timeout_TLS_and_not_Plex_apart()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 10 });
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts, never answers
        silent.Start();
        var silentPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var app = await TestHost.Create().Config(s_unset).Config("PLEX_TIMEOUT_SECONDS", "1").StartAsync();

        var refused = await TestAsync(app, $"http://127.0.0.1:{ClosedPort()}", plex.Token);
        Assert.Equal("unreachable", refused.GetProperty("state").GetString());
        Assert.Contains("Nothing answers at", refused.GetProperty("message").GetString(), StringComparison.Ordinal);

        var dns = await TestAsync(app, "http://starsync-no-such-host.invalid:32400", plex.Token);
        Assert.Equal("name-not-found", dns.GetProperty("state").GetString());

        var timeout = await TestAsync(app, $"http://127.0.0.1:{silentPort}", plex.Token);
        Assert.Equal("timeout", timeout.GetProperty("state").GetString());
        Assert.Contains("did not answer within 1 s", timeout.GetProperty("message").GetString(), StringComparison.Ordinal);

        var tls = await TestAsync(app, new UriBuilder(plex.BaseUri) { Scheme = "https" }.Uri.ToString(), plex.Token);
        Assert.Equal("tls", tls.GetProperty("state").GetString());
        Assert.Contains("HTTPS handshake", tls.GetProperty("message").GetString(), StringComparison.Ordinal);

        var notPlex = await TestAsync(app, app.BaseAddress.ToString(), plex.Token); // StarSync itself
        Assert.Equal("not-plex", notPlex.GetProperty("state").GetString());
        Assert.Contains("not as Plex Media Server does", notPlex.GetProperty("message").GetString(), StringComparison.Ordinal);

        var malformed = await TestAsync(app, "plex:32400", plex.Token);
        Assert.Equal("invalid-url", malformed.GetProperty("state").GetString());
    }

    private static async Task<JsonElement> TestAsync(TestHost app, string url, string token)
    {
        using var client = await app.CreateLoggedInClientAsync();
        client.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client, "/settings"));
        using var response = await client.PostAsJsonAsync("/api/v1/plex/test", new { url, token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<Dictionary<string, string>> ErrorsOf(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("errors").EnumerateObject().ToDictionary(p => p.Name, p => string.Join(" ", p.Value.EnumerateArray().Select(m => m.GetString())));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
