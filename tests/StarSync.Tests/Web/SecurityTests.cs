using System.Net;
using System.Net.Http.Json;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Web;

/// <summary>Regressions from the security review: throttling, stale sessions, status injection, headers, leaks.</summary>
[Trait("Category", "Integration")]
public sealed class SecurityTests
{
    [Fact]
    public async Task Many_addresses_together_cannot_out_guess_the_global_login_limit_but_sessions_and_the_api_key_keep_working()
    {
        const string key = "security-tests-key-0123456789abcdef";
        await using var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["API_KEY"] = key }).StartAsync();
        using var signedIn = await app.CreateLoggedInClientAsync();
        using var client = app.CreateClient();

        // Loopback is a trusted proxy, so each attempt may claim another address; the global limit still holds.
        HttpStatusCode last = 0;
        for (var i = 0; i < StarSync.Web.Auth.LoginThrottle.MaxGlobalFailures + 1; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/login");
            request.Headers.Add("X-Forwarded-For", $"10.9.{i / 250}.{(i % 250) + 1}");
            var form = await client.GetStringAsync("/login");
            request.Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["username"] = TestHost.Username, ["password"] = "guess" + i, ["__RequestVerificationToken"] = TestHost.ReadFormToken(form),
            });
            using var response = await client.SendAsync(request);
            last = response.StatusCode;
        }

        using var right = await TestHost.PostLoginAsync(client, TestHost.Username, TestHost.Password);
        using var session = await signedIn.GetAsync("/api/v1/settings");
        using var withKey = new HttpRequestMessage(HttpMethod.Get, "/api/v1/settings");
        withKey.Headers.Add("X-Api-Key", key);
        using var apiKey = await client.SendAsync(withKey);

        Assert.Equal((HttpStatusCode)429, last);
        Assert.Equal((HttpStatusCode)429, right.StatusCode);
        var page = WebUtility.HtmlDecode(await right.Content.ReadAsStringAsync());
        Assert.Contains("Too many failed logins from many addresses: every login is paused. Try again in 5 minutes.", page, StringComparison.Ordinal);
        Assert.Contains("API key keep working", page, StringComparison.Ordinal);
        Assert.DoesNotContain("from your address", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        Assert.Equal(HttpStatusCode.OK, apiKey.StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_ends_sessions_signed_in_with_the_old_one()
    {
        var root = Directory.CreateTempSubdirectory("starsync-test-").FullName;
        var cookies = new CookieContainer();
        try
        {
            await using (var first = await TestHost.Create().InDirectory(root).StartAsync())
            {
                using var client = await first.CreateLoggedInClientAsync(cookies);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/settings")).StatusCode);
            }

            await using var second = await TestHost.Create().Config(new Dictionary<string, string?> { ["APP_PASSWORD"] = "a brand new password" }).InDirectory(root).StartAsync();
            var moved = new CookieContainer();
            foreach (Cookie cookie in cookies.GetAllCookies())
            {
                moved.Add(second.BaseAddress, new Cookie(cookie.Name, cookie.Value));
            }

            using var again = second.CreateClient(moved);
            Assert.Equal(HttpStatusCode.Unauthorized, (await again.GetAsync("/api/v1/settings")).StatusCode);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Logging_out_ends_the_session_for_any_copy_of_its_cookie()
    {
        await using var app = await TestHost.Create().StartAsync();
        var cookies = new CookieContainer();
        using var client = await app.CreateLoggedInClientAsync(cookies);
        var copy = new CookieContainer();
        foreach (Cookie cookie in cookies.GetAllCookies())
        {
            copy.Add(app.BaseAddress, new Cookie(cookie.Name, cookie.Value));
        }

        using var stolen = app.CreateClient(copy);
        Assert.Equal(HttpStatusCode.OK, (await stolen.GetAsync("/api/v1/settings")).StatusCode);
        var form = await client.GetStringAsync("/");
        using var logout = await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = TestHost.ReadFormToken(form),
        }));

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stolen.GetAsync("/api/v1/settings")).StatusCode);
    }

    [Theory]
    [InlineData("/error?code=101")]
    [InlineData("/error?code=204")]
    [InlineData("/error?code=-1")]
    public async Task The_error_page_does_not_take_its_status_from_the_query(string path)
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_return_url_that_cannot_be_a_location_header_goes_home_instead_of_failing()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var response = await TestHost.PostLoginAsync(client, TestHost.Username, TestHost.Password, "/\u2028evil");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Pages_and_api_carry_security_headers()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync();

        using var page = await client.GetAsync("/settings");
        using var api = await client.GetAsync("/api/v1/settings");

        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(api.Headers.CacheControl!.NoStore);
    }

    [Fact]
    public async Task Readiness_tells_anonymous_callers_only_whether_plex_answers()
    {
        await using var app = await TestHost.Create().StartAsync(); // PLEX_URL points at a closed port
        using var anonymous = app.CreateClient();
        using var signedIn = await app.CreateLoggedInClientAsync();

        using var bare = await anonymous.GetAsync("/health/ready");
        using var detailed = await signedIn.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, bare.StatusCode);
        var bareText = await bare.Content.ReadAsStringAsync();
        Assert.Contains("unreachable", bareText, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", bareText, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9", await detailed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_with_a_null_library_name_is_a_validation_error_not_a_crash()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        client.DefaultRequestHeaders.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client));

        using var nulls = await client.PutAsync("/api/v1/settings", new StringContent("""{"libraries":[null]}""", System.Text.Encoding.UTF8, "application/json"));
        using var huge = await client.PutAsJsonAsync("/api/v1/settings", new { libraries = new[] { new string('x', 300) } });

        Assert.Equal(HttpStatusCode.BadRequest, nulls.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
    }

    [Fact]
    public async Task The_log_file_holds_no_request_lines_or_debug_noise()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();
        await client.PostAsync("/plex-webhook/not-the-secret", new StringContent("{}"));
        await client.GetAsync("/login");
        await app.App.StopAsync();

        var text = string.Join("\n", LogFiles(app));

        Assert.NotEmpty(text);
        Assert.DoesNotContain("Request starting", text, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[DBG]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("[VRB]", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("single")]
    [InlineData("auto")]
    public async Task The_log_file_holds_no_line_per_successful_Plex_request(string writeMode)
    {
        // Polly reports every call's start and end; those lines once made up 99.6% of the file (two per Plex request).
        await using var app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 300, Seed = 5, HandRatedShare = 0 })
            .Config("WRITE_MODE", writeMode).StartAsync();
        var job = await app.RunAsync(JobMode.All);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(300, job.Counts.Rated);
        var requests = app.Plex.Counters.Requests;
        await app.App.StopAsync();

        var lines = LogFiles(app).SelectMany(f => f.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();

        Assert.True(requests >= (writeMode == "single" ? 300 : 3), $"only {requests} requests reached the emulator");
        Assert.Contains(lines, l => l.Contains("[INF]", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Resilience pipeline", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("Execution attempt", StringComparison.Ordinal));
        Assert.True(lines.Count < 100, $"{lines.Count} lines for one job of {requests} Plex requests");
    }

    /// <summary>Each log file's text, read while the app may still hold it open.</summary>
    private static IEnumerable<string> LogFiles(TestHost app) => Directory.GetFiles(app.LogsDirectory).Select(f =>
    {
        using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    });
}
