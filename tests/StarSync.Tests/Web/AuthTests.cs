using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StarSync.Web.Auth;

namespace StarSync.Tests.Web;

[Trait("Category", "Integration")]
public sealed class AuthTests
{
    public static TheoryData<string> Pages => ["/", "/history", "/history/42", "/settings", "/reset", "/no-such-page"];

    public static TheoryData<string> ApiRoutes =>
    [
        "/api/v1/events", "/api/v1/logs/download", "/api/v1/status", "/api/v1/libraries", "/api/v1/jobs", "/api/v1/jobs/1",
        "/api/v1/jobs/1/changes", "/api/v1/settings",
    ];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_without_login_redirects_to_login_with_return_url(string path)
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location!.AbsolutePath);
        Assert.Contains("returnUrl=" + Uri.EscapeDataString(path), response.Headers.Location.Query, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ApiRoutes))]
    public async Task Api_without_login_answers_401_not_a_redirect(string path)
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var get = await client.GetAsync(path);
        using var post = await client.PostAsync(path, JsonContent.Create(new { }));

        Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Login_page_and_static_assets_are_public()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var login = await client.GetAsync("/login");
        using var css = await client.GetAsync("/css/site.css");
        using var js = await client.GetAsync("/js/app.js");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
    }

    [Fact]
    public async Task Login_with_right_credentials_opens_the_dashboard()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var response = await TestHost.PostLoginAsync(client, TestHost.Username, TestHost.Password);
        using var dashboard = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("StarSync.Session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("Live log", await dashboard.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestHost.Username, "wrong password")]
    [InlineData("someone", TestHost.Password)]
    [InlineData("", "")]
    public async Task Login_with_wrong_credentials_stays_on_the_form_with_a_message(string username, string password)
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var response = await TestHost.PostLoginAsync(client, username, password);
        using var dashboard = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Wrong user name or password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode);
    }

    [Fact]
    public async Task Five_failed_logins_block_the_address_even_for_the_right_password()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            using var failed = await TestHost.PostLoginAsync(client, TestHost.Username, "nope" + i);
            statuses.Add(failed.StatusCode);
        }

        using var blocked = await TestHost.PostLoginAsync(client, TestHost.Username, TestHost.Password);

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, LoginThrottle.MaxFailures - 1), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Contains("Too many failed logins from your address. Try again in 5 minutes.", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(blocked.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("//evil.com", "/")]
    [InlineData("https://evil.com", "/")]
    [InlineData("/\\evil.com", "/")]
    [InlineData("/history?x=1", "/history?x=1")]
    public async Task Login_follows_only_local_return_urls(string returnUrl, string expected)
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = app.CreateClient();

        using var response = await TestHost.PostLoginAsync(client, TestHost.Username, TestHost.Password, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Cookies_are_secure_behind_an_https_proxy()
    {
        await using var app = await TestHost.Create().StartAsync();
        // Cookies by hand: a cookie jar would not send Secure cookies back over plain http.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        using var form = await client.GetAsync("/login");
        var antiforgery = form.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("StarSync.Antiforgery=", StringComparison.Ordinal));
        using var post = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["username"] = TestHost.Username,
                ["password"] = TestHost.Password,
                ["__RequestVerificationToken"] = TestHost.ReadFormToken(await form.Content.ReadAsStringAsync()),
            }),
        };
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        using var login = await client.SendAsync(post);

        Assert.Contains("; secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var session = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("StarSync.Session=", StringComparison.Ordinal));
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Logout_is_a_post_with_antiforgery_and_ends_the_session()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        var token = await TestHost.GetAntiforgeryTokenAsync(client);

        using var withoutToken = await client.PostAsync("/logout", new FormUrlEncodedContent([]));
        using var stillIn = await client.GetAsync("/");
        using var logout = await client.PostAsync("/logout", new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));
        using var after = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/login", logout.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Api_post_with_the_cookie_needs_the_antiforgery_header()
    {
        await using var app = await TestHost.Create().Map(MapFakeWrite).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        var token = await TestHost.GetAntiforgeryTokenAsync(client);

        using var without = await client.PostAsync("/api/v1/test/write", JsonContent.Create(new { }));
        using var wrong = await SendWithToken(client, HttpMethod.Post, "not-a-token");
        using var withPost = await SendWithToken(client, HttpMethod.Post, token);
        using var withPut = await SendWithToken(client, HttpMethod.Put, token);
        using var withoutDelete = await client.DeleteAsync("/api/v1/test/write");
        using var get = await client.GetAsync("/api/v1/test/write");

        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        Assert.Equal("application/problem+json", without.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withPost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withPut.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, withoutDelete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task Api_key_authenticates_without_antiforgery_and_a_wrong_key_is_401()
    {
        const string key = "test-api-key-0123456789";
        await using var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["API_KEY"] = key }).Map(MapFakeWrite).StartAsync();
        using var client = app.CreateClient();

        using var right = new HttpRequestMessage(HttpMethod.Post, "/api/v1/test/write") { Content = JsonContent.Create(new { }) };
        right.Headers.Add("X-Api-Key", key);
        using var rightResponse = await client.SendAsync(right);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/v1/test/write") { Content = JsonContent.Create(new { }) };
        wrong.Headers.Add("X-Api-Key", key + "x");
        using var wrongResponse = await client.SendAsync(wrong);
        using var onPage = new HttpRequestMessage(HttpMethod.Get, "/");
        onPage.Headers.Add("X-Api-Key", key);
        using var pageResponse = await client.SendAsync(onPage);

        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, pageResponse.StatusCode); // the API key opens the API, not the UI
    }

    [Fact]
    public async Task Api_key_is_refused_while_no_key_exists()
    {
        await using var app = await TestHost.Create().Map(MapFakeWrite).StartAsync();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/test/write");
        request.Headers.Add("X-Api-Key", "anything-at-all");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Session_survives_a_restart_with_the_same_config_directory()
    {
        var cookies = new CookieContainer();
        string root;
        await using (var first = await TestHost.Create().InDirectory(Directory.CreateTempSubdirectory("starsync-test-").FullName).StartAsync())
        {
            root = first.RootDirectory;
            using var client = await first.CreateLoggedInClientAsync(cookies);
            using var before = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        try
        {
            await using var second = await TestHost.Create().InDirectory(root).StartAsync();
            // The cookie jar is keyed by host:port; the restarted app listens on another port.
            var moved = new CookieContainer();
            foreach (Cookie cookie in cookies.GetAllCookies())
            {
                moved.Add(second.BaseAddress, new Cookie(cookie.Name, cookie.Value));
            }

            using var again = second.CreateClient(moved);
            using var after = await again.GetAsync("/");

            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "config", "keys"), "*.xml"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Missing_app_username_stops_start_up_naming_the_variables()
    {
        var root = Directory.CreateTempSubdirectory("starsync-test-").FullName;
        try
        {
            await using var app = TestHost.Create().Config(new Dictionary<string, string?> { ["APP_USERNAME"] = "" }).Build(root);

            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

            Assert.Contains("APP_USERNAME and APP_PASSWORD must be set", error.Message, StringComparison.Ordinal);
            Assert.Contains("Missing: APP_USERNAME.", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<HttpResponseMessage> SendWithToken(HttpClient client, HttpMethod method, string token)
    {
        using var request = new HttpRequestMessage(method, "/api/v1/test/write") { Content = JsonContent.Create(new { }) };
        request.Headers.Add("RequestVerificationToken", token);
        return await client.SendAsync(request);
    }

    // A stand-in for the lead's state-changing endpoints (test-only).
    private static void MapFakeWrite(WebApplication app)
    {
        app.MapMethods("/api/v1/test/write", ["GET", "POST", "PUT", "DELETE"], () => TypedResults.Ok(new { written = true }));
    }
}
