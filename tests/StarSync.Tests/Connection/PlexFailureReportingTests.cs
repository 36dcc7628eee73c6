using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StarSync.Connection;
using StarSync.LiveLog;
using StarSync.Plex;
using StarSync.PlexEmulator;
using StarSync.Tests.Plex;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Connection;

/// <summary>A failed Plex request: one Warning with its cause; the pipeline's internals at Debug; "paused" never hides the cause.</summary>
public sealed class PlexFailureReportingTests
{
    // Bounds a test instead of letting a hung request stall the run.
    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task A_failed_request_is_one_warning_with_its_cause_while_retries_and_the_stack_trace_are_debug()
    {
        var url = $"http://127.0.0.1:{ClosedPort()}";
        await using var sp = PlexTestServices.Build(url, "token-for-log-test-1", retries: 2);

        await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(Ct));

        var records = sp.GetFakeLogCollector().GetSnapshot();
        var warning = Assert.Single(records, r => r.Level >= LogLevel.Warning);
        Assert.Equal(1101, warning.Id.Id);
        Assert.StartsWith($"Plex GET /library/sections failed: Could not reach Plex at {url}: the connection was refused", warning.Message, StringComparison.Ordinal);
        Assert.Null(warning.Exception);
        // Polly's own lines (three attempts, two retries) are there, at Debug.
        var polly = records.Where(r => r.Category?.StartsWith("Polly", StringComparison.Ordinal) == true).ToList();
        Assert.Contains(polly, r => r.Message.Contains("OnRetry", StringComparison.Ordinal));
        Assert.All(polly, r => Assert.Equal(LogLevel.Debug, r.Level));
        var detail = Assert.Single(records, r => r.Category == PlexClient.DiagnosticsCategory);
        Assert.Equal(LogLevel.Debug, detail.Level);
        Assert.IsType<HttpRequestException>(detail.Exception);
        Assert.DoesNotContain(records, r => r.Message.Contains("token-for-log-test-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_Plex_does_not_answer_in_time_says_which_and_how_long()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 10 });
        plex.Options.Latency.PerRequest = TimeSpan.FromSeconds(5);
        await using var sp = PlexTestServices.Build(plex.BaseUri.ToString(), plex.Token, o => o.TimeoutSeconds = 1, retries: 1);

        await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(Ct));

        var warning = Assert.Single(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Contains("did not answer GET /library/sections within 1 s", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_breaker_pauses_requests_the_error_names_the_last_cause_and_a_direct_test_still_finds_it()
    {
        var url = $"http://127.0.0.1:{ClosedPort()}";
        await using var sp = PlexTestServices.Build(url, "token-for-breaker-test", retries: 1, services: s =>
        {
            s.Configure<PlexResilienceOptions>(o =>
            {
                o.CircuitBreakerMinimumThroughput = 2;
                o.CircuitBreakerBreakDuration = TimeSpan.FromMinutes(5);
            });
            s.AddSingleton(TimeProvider.System);
            s.AddSingleton<PlexProbe>();
            s.AddHttpClient(PlexProbe.ClientName);
        });
        var client = sp.GetRequiredService<IPlexClient>();

        PlexException? paused = null;
        for (var i = 0; i < 10 && paused is null; i++)
        {
            var e = await Assert.ThrowsAsync<PlexException>(() => client.GetServerInfoAsync(Ct));
            paused = e.Message.Contains("paused", StringComparison.Ordinal) ? e : null;
        }

        Assert.NotNull(paused);
        Assert.True(sp.GetRequiredService<PlexCircuit>().IsPaused);
        Assert.Contains("The last failure: Could not reach Plex", paused.Message, StringComparison.Ordinal);
        var probe = await sp.GetRequiredService<PlexProbe>().ProbeAsync(url, "token-for-breaker-test", null, 5, listLibraries: false, Ct);
        Assert.Equal(PlexProblem.Unreachable, probe.Problem);
    }

    [Fact]
    public async Task Dashboard_status_says_the_cause_while_the_breaker_is_open_and_the_live_log_has_no_pipeline_internals()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 50 });
        await using var app = await TestHost.Create().Plex(plex)
            .Services(b => b.Services.Configure<PlexResilienceOptions>(o =>
            {
                o.MaxRetryAttempts = 1;
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                o.RetryMaxDelay = TimeSpan.FromMilliseconds(5);
                o.CircuitBreakerMinimumThroughput = 2;
                o.CircuitBreakerBreakDuration = TimeSpan.FromMinutes(5);
            })).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        await plex.StopServingAsync();

        var circuit = app.App.Services.GetRequiredService<PlexCircuit>();
        for (var i = 0; i < 10 && !circuit.IsPaused; i++)
        {
            using var libraries = await client.GetAsync("/api/v1/libraries");
            Assert.Equal(HttpStatusCode.BadGateway, libraries.StatusCode);
        }

        Assert.True(circuit.IsPaused);
        var health = await client.GetFromJsonAsync<JsonElement>("/api/v1/plex/health");
        Assert.Equal("unreachable", health.GetProperty("state").GetString());
        Assert.True(health.GetProperty("paused").GetBoolean());
        Assert.StartsWith("Nothing answers at", health.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("Plex cannot be reached.", health.GetProperty("headline").GetString());

        var live = app.App.Services.GetRequiredService<LiveFeed>().Snapshot();
        Assert.DoesNotContain(live, e => e.Category.StartsWith("Polly", StringComparison.Ordinal));
        // Even the request that met the open breaker names the cause behind it.
        Assert.True(live.Any(e => e.Level == "Warning" && e.Message.StartsWith("Plex GET /library/sections failed:", StringComparison.Ordinal)
                && e.Message.Contains("Could not reach Plex", StringComparison.Ordinal))
            && live.Where(e => e.Message.Contains("paused", StringComparison.Ordinal)).All(e => e.Message.Contains("The last failure: Could not reach Plex", StringComparison.Ordinal)),
            string.Join("\n", live.Select(e => $"{e.Level} {e.Category} {e.Message}")));
        Assert.DoesNotContain(live, e => e.Category.StartsWith("StarSync.Plex", StringComparison.Ordinal) && e.Exception is not null);

        // Plex back: the status says so within its short re-check, without waiting for the breaker.
        await plex.StartServingAsync();
        await Eventually.TrueAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/api/v1/plex/health"))
            .GetProperty("state").GetString() == "ok", "the status to see Plex back", seconds: 30);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
