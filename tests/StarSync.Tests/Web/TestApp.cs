using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace StarSync.Tests.Web;

/// <summary>
/// The real StarSync host on Kestrel at 127.0.0.1 (port chosen by the OS), in its own temporary CONFIG_DIR and LOGS_DIR.
/// <code>
/// await using var app = await TestApp.StartAsync();                                  // defaults below
/// await using var app = await TestApp.StartAsync(new() { ["PLEX_URL"] = emulatorUrl }); // extra/overriding config
/// var client = await app.CreateLoggedInClientAsync();                               // cookie session
/// var token = await TestApp.GetAntiforgeryTokenAsync(client);                        // for POST/PUT/DELETE on /api
/// </code>
/// Pass <c>map</c> to add endpoints before start (test-only fakes), <c>configure</c> to replace services.
/// </summary>
public sealed partial class TestApp : IAsyncDisposable
{
    public const string Username = "admin";
    public const string Password = "correct horse battery staple";

    private readonly bool _ownsDirectory;

    private TestApp(WebApplication app, string rootDirectory, bool ownsDirectory)
    {
        App = app;
        RootDirectory = rootDirectory;
        _ownsDirectory = ownsDirectory;
        BaseAddress = new Uri(app.Urls.Single(u => u.StartsWith("http://", StringComparison.Ordinal)));
    }

    /// <summary>The running host; use <c>App.Services</c> to reach singletons.</summary>
    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    /// <summary>Holds config/ and logs/; deleted on dispose unless it was passed in.</summary>
    public string RootDirectory { get; }

    public string ConfigDirectory => Path.Combine(RootDirectory, "config");

    public string LogsDirectory => Path.Combine(RootDirectory, "logs");

    /// <summary>Configuration every test app starts with; <c>extraConfig</c> adds to or overrides it (a "" value unsets).</summary>
    public static Dictionary<string, string?> DefaultConfig(string rootDirectory) => new()
    {
        ["CONFIG_DIR"] = Path.Combine(rootDirectory, "config"),
        ["LOGS_DIR"] = Path.Combine(rootDirectory, "logs"),
        ["APP_USERNAME"] = Username,
        ["APP_PASSWORD"] = Password,
        ["PLEX_URL"] = "http://127.0.0.1:9",
        ["PLEX_TOKEN"] = "x",
    };

    /// <summary>Builds the app exactly as production does, with test configuration, but does not start it.</summary>
    public static WebApplication Build(string rootDirectory, IDictionary<string, string?>? extraConfig = null, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        var config = DefaultConfig(rootDirectory);
        foreach (var (key, value) in extraConfig ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        // The test host's entry assembly is testhost, so name the application (Razor Pages are found through it)
        // and the content root (wwwroot) as production has them.
        var app = StarSyncApp.Build(["--applicationName", typeof(StarSyncApp).Assembly.GetName().Name!, "--contentRoot", FindContentRoot()], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(config);
            configure?.Invoke(builder);
        });
        map?.Invoke(app);
        return app;
    }

    /// <summary>Builds and starts the app. Pass <paramref name="rootDirectory"/> to reuse another app's directories (a restart).</summary>
    public static async Task<TestApp> StartAsync(
        IDictionary<string, string?>? extraConfig = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? map = null,
        string? rootDirectory = null)
    {
        var owns = rootDirectory is null;
        rootDirectory ??= Directory.CreateTempSubdirectory("starsync-test-").FullName;
        var app = Build(rootDirectory, extraConfig, configure, map);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new TestApp(app, rootDirectory, owns);
    }

    /// <summary>A client with its own cookie jar that does not follow redirects (so tests can see them).</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Logs in through the real login form and returns the client holding the session cookie.</summary>
    public async Task<HttpClient> CreateLoggedInClientAsync(CookieContainer? cookies = null)
    {
        var client = CreateClient(cookies);
        using var response = await PostLoginAsync(client, Username, Password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Login failed: {(int)response.StatusCode}");
        }

        return client;
    }

    /// <summary>GETs /login for the form's antiforgery token and POSTs the credentials.</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string username, string password, string? returnUrl = null)
    {
        var form = await client.GetStringAsync("/login");
        var fields = new Dictionary<string, string>
        {
            ["username"] = username,
            ["password"] = password,
            ["__RequestVerificationToken"] = ReadFormToken(form),
        };
        if (returnUrl is not null)
        {
            fields["returnUrl"] = returnUrl;
        }

        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync("/login", content);
    }

    /// <summary>The hidden antiforgery field of a Razor form.</summary>
    public static string ReadFormToken(string html)
    {
        var match = FormToken().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("No antiforgery field in the form.");
    }

    /// <summary>The token the layout renders in its meta tag, to send as the RequestVerificationToken header.</summary>
    public static async Task<string> GetAntiforgeryTokenAsync(HttpClient client, string page = "/")
    {
        var html = await client.GetStringAsync(page);
        var match = MetaToken().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("No antiforgery meta tag on " + page);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by the OS; the temp directory is cleaned eventually.
            }
        }
    }

    /// <summary>src/StarSync, so wwwroot is served as in production (the test output has no wwwroot).</summary>
    public static string ContentRoot => FindContentRoot();

    private static string FindContentRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StarSync.slnx")))
            {
                return Path.Combine(dir.FullName, "src", "StarSync");
            }
        }

        throw new InvalidOperationException("StarSync.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("""name="__RequestVerificationToken" type="hidden" value="([^"]+)"[^>]*>""")]
    private static partial Regex FormToken();

    [GeneratedRegex("""<meta name="request-verification-token" content="([^"]+)">""")]
    private static partial Regex MetaToken();
}
