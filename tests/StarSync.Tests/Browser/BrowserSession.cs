using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Browser;

/// <summary>
/// Debian's headless Chromium driven by ChromeDriver (both installed by setup.sh), logged in to a real StarSync
/// started by <see cref="TestHost"/>.
/// </summary>
internal sealed class BrowserSession : IAsyncDisposable
{
    private readonly string _profile = Directory.CreateTempSubdirectory("starsync-chromium-").FullName;
    private readonly ChromeDriverService _service;

    private BrowserSession(TestHost app)
    {
        App = app;
        if (!File.Exists("/usr/bin/chromedriver") || !File.Exists("/usr/bin/chromium"))
        {
            throw new InvalidOperationException("Browser tests need Debian's chromium and chromium-driver: run ./setup.sh (apt-get install chromium chromium-driver).");
        }

        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000", $"--user-data-dir={_profile}");
        _service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        _service.SuppressInitialDiagnosticInformation = true;
        _service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(_service, options, TimeSpan.FromSeconds(60));
        Wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(60));
    }

    public PlexEmulatorServer Plex => App.Plex;

    public TestHost App { get; }

    public ChromeDriver Driver { get; }

    public WebDriverWait Wait { get; }

    /// <summary>Starts the app <paramref name="host"/> describes (the one test host builder) and logs in through the real form.</summary>
    public static async Task<BrowserSession> StartAsync(TestHostBuilder host)
    {
        var app = await host.StartAsync();
        try
        {
            var session = new BrowserSession(app);
            session.Login();
            return session;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public Uri Url(string path) => new(App.BaseAddress, path);

    public void Go(string path) => Driver.Navigate().GoToUrl(Url(path));

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    public string Text(string css) => Driver.FindElements(By.CssSelector(css)) is { Count: > 0 } found ? found[0].Text : "";

    /// <summary>Waits until <paramref name="condition"/> holds; on timeout the message says what was awaited and what the page showed.</summary>
    public void Until(string what, Func<bool> condition)
    {
        try
        {
            Wait.Until(_ =>
            {
                try
                {
                    return condition();
                }
                catch (StaleElementReferenceException)
                {
                    return false;
                }
            });
        }
        catch (WebDriverTimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}. Page text: {Text("main")}");
        }
    }

    public void Screenshot(string directory, string name)
    {
        // Full page: grow the window to the document height for the shot.
        var height = Convert.ToInt32(Driver.ExecuteScript("return document.documentElement.scrollHeight"), System.Globalization.CultureInfo.InvariantCulture);
        var size = Driver.Manage().Window.Size;
        Driver.Manage().Window.Size = new System.Drawing.Size(size.Width, Math.Max(size.Height, Math.Min(height + 140, 4000)));
        Driver.GetScreenshot().SaveAsFile(Path.Combine(directory, name + ".png"));
        Driver.Manage().Window.Size = size;
    }

    public void ColorScheme(string scheme) => Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
    {
        ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = scheme } },
    });

    private void Login()
    {
        Go("/login");
        Find("#username").SendKeys(TestHost.Username);
        Find("#password").SendKeys(TestHost.Password);
        Find("button[type=submit]").Click();
        Until("the dashboard after login", () => Driver.FindElements(By.Id("rate-all")).Count > 0);
    }

    public async ValueTask DisposeAsync()
    {
        Driver.Quit();
        Driver.Dispose();
        _service.Dispose();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be flushing its profile; a temp dir left behind is harmless.
        }
    }
}
