using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StarSync.Plex;

namespace StarSync.Tests.Plex;

/// <summary>Builds the real AddPlex() wiring for a test, with fast retries and every log line (Trace and up) captured.</summary>
internal static class PlexTestServices
{
    // retries: after the first try; fault-injection runs raise it so that seeded fault rates of 10-30 % cannot exhaust it.
    public static ServiceProvider Build(string url, string token, Action<PlexOptions>? plex = null, Action<IServiceCollection>? services = null, int retries = 3)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddFakeLogging());
        collection.AddOptions<PlexOptions>().Configure(o =>
        {
            o.Url = url;
            o.Token = token;
            o.ClientIdentifier = "starsync-tests";
            plex?.Invoke(o);
        });
        collection.AddPlex();
        collection.Configure<PlexResilienceOptions>(o =>
        {
            o.MaxRetryAttempts = retries;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(5);
            // Fault-injection tests fail on purpose; only the breaker's own test lets it open.
            o.CircuitBreakerMinimumThroughput = 10_000;
        });
        services?.Invoke(collection);
        return collection.BuildServiceProvider();
    }

    /// <summary>Every captured log line with its exception, as one string per record.</summary>
    public static IEnumerable<string> LogText(this IServiceProvider provider) =>
        provider.GetFakeLogCollector().GetSnapshot().Select(r => $"{r.Category} {r.Level} {r.Message} {r.Exception}");
}

/// <summary>An in-process stand-in for PMS, for shapes the emulator does not produce (odd JSON types, HTML bodies).</summary>
internal sealed class StubPlexHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
{
    public ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

    public static HttpResponseMessage Json(string json) =>
        new(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Status(HttpStatusCode status) =>
        new(status) { Content = new StringContent($"<html><head><title>{status}</title></head><body><h1>{(int)status}</h1></body></html>", Encoding.UTF8, "text/html") };

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        return Task.FromResult(respond(request));
    }

    public ServiceProvider BuildServices(string token = "stub-token-123456", Action<PlexOptions>? plex = null, Action<PlexResilienceOptions>? resilience = null) =>
        PlexTestServices.Build("http://plex.test:32400", token, plex, s =>
        {
            s.AddHttpClient<IPlexClient, PlexClient>().ConfigurePrimaryHttpMessageHandler(() => this);
            s.AddHttpClient(PlexServiceCollectionExtensions.WritesClient).ConfigurePrimaryHttpMessageHandler(() => this);
            if (resilience is not null)
            {
                s.Configure(resilience);
            }
        });
}
