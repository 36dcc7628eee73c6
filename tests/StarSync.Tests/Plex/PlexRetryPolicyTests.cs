using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Plex;

namespace StarSync.Tests.Plex;

/// <summary>Which answers the pipeline retries, with a stub whose answers are scripted (the emulator covers the same with real faults).</summary>
[Trait("Category", "Unit")]
public sealed class PlexRetryPolicyTests
{

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Rating_write_is_retried_after_a_transient_answer(HttpStatusCode transient)
    {
        var calls = 0;
        var stub = new StubPlexHandler(_ => Interlocked.Increment(ref calls) == 1 ? StubPlexHandler.Status(transient) : new HttpResponseMessage(HttpStatusCode.OK));
        await using var sp = stub.BuildServices();

        await sp.GetRequiredService<IPlexClient>().SetRatingAsync("42", 8, CancellationToken.None);

        Assert.Equal(2, calls);
        Assert.All(stub.Requests, r => Assert.Equal(HttpMethod.Put, r.Method));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, typeof(PlexException))]
    [InlineData(HttpStatusCode.Unauthorized, typeof(PlexAuthenticationException))]
    [InlineData(HttpStatusCode.NotFound, typeof(PlexNotFoundException))]
    public async Task Client_errors_are_not_retried(HttpStatusCode status, Type expected)
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Status(status));
        await using var sp = stub.BuildServices();

        var e = await Assert.ThrowsAnyAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().SetRatingAsync("42", 8, CancellationToken.None));

        Assert.IsType(expected, e);
        Assert.Equal((int)status, e.StatusCode);
        Assert.Single(stub.Requests);
    }

    [Fact]
    public async Task A_persistent_server_error_gives_up_after_the_configured_retries_with_the_status_in_words()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Status(HttpStatusCode.ServiceUnavailable));
        await using var sp = stub.BuildServices();

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None));

        Assert.Equal(4, stub.Requests.Count); // 1 + MaxRetryAttempts (3 in tests)
        Assert.Equal(503, e.StatusCode);
        Assert.Contains("HTTP 503", e.Message, StringComparison.Ordinal);
        Assert.Contains("after retries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_repeated_failures_the_circuit_opens_and_requests_fail_fast_with_a_message_in_words()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Status(HttpStatusCode.InternalServerError));
        await using var sp = QuickBreaker(stub);
        var client = sp.GetRequiredService<IPlexClient>();

        var sent = await OpenTheBreakerAsync(client, stub);
        var e = await Assert.ThrowsAsync<PlexException>(() => client.GetLibrariesAsync(CancellationToken.None));

        Assert.Equal(sent, stub.Requests.Count); // nothing reached the server
        Assert.Contains("failed too often", e.Message, StringComparison.Ordinal);
        Assert.IsType<Polly.CircuitBreaker.BrokenCircuitException>(e.InnerException);
    }
    [Fact]
    public async Task A_one_per_track_write_is_one_attempt_with_the_same_headers_and_its_status_in_words()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Status(HttpStatusCode.ServiceUnavailable));
        await using var sp = stub.BuildServices();

        // ChangeWriter retries it after its backoff without holding a write slot; the client must not retry it too.
        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().WriteRatingOnceAsync("42", 8, CancellationToken.None));

        var request = Assert.Single(stub.Requests);
        Assert.Equal(503, e.StatusCode);
        Assert.Contains("HTTP 503", e.Message, StringComparison.Ordinal);
        Assert.Equal(HttpMethod.Put, request.Method);
        Assert.Equal("/:/rate", request.RequestUri!.AbsolutePath);
        Assert.Equal("stub-token-123456", request.Headers.GetValues("X-Plex-Token").Single());
        Assert.Equal("starsync-tests", request.Headers.GetValues("X-Plex-Client-Identifier").Single());
        Assert.Equal(PlexClient.Product, request.Headers.GetValues("X-Plex-Product").Single());
        Assert.Contains(request.Headers.Accept, a => a.MediaType == "application/json");
    }

    [Fact]
    public async Task A_one_per_track_write_Plex_does_not_answer_ends_after_PLEX_TIMEOUT_SECONDS_with_the_fix_in_words()
    {
        var hang = new HangingHandler();
        await using var sp = PlexTestServices.Build("http://plex.test:32400", "stub-token-123456", o => o.TimeoutSeconds = 1,
            s => s.AddHttpClient(PlexServiceCollectionExtensions.WritesClient).ConfigurePrimaryHttpMessageHandler(() => hang));

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().WriteRatingOnceAsync("42", 8, CancellationToken.None))
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, hang.Calls);
        Assert.Null(e.StatusCode);
        Assert.Contains("in time", e.Message, StringComparison.Ordinal);
        Assert.Contains("PLEX_TIMEOUT_SECONDS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task While_the_breaker_has_paused_requests_no_one_per_track_write_is_sent()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Status(HttpStatusCode.InternalServerError));
        await using var sp = QuickBreaker(stub);
        var client = sp.GetRequiredService<IPlexClient>();
        var sent = await OpenTheBreakerAsync(client, stub);

        var e = await Assert.ThrowsAsync<PlexException>(() => client.WriteRatingOnceAsync("42", 8, CancellationToken.None));

        Assert.Equal(sent, stub.Requests.Count);
        Assert.Contains("failed too often", e.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", e.Message, StringComparison.Ordinal); // the cause, not just "paused"
    }

    /// <summary>A breaker that opens after two failed calls out of two, and stays open for the test.</summary>
    private static ServiceProvider QuickBreaker(StubPlexHandler stub) => stub.BuildServices(resilience: o =>
    {
        o.CircuitBreakerMinimumThroughput = 2;
        o.CircuitBreakerFailureRatio = 0.5;
        o.CircuitBreakerBreakDuration = TimeSpan.FromMinutes(1);
    });

    /// <summary>One failing call (with its retries) opens the breaker; returns the requests the server got.</summary>
    private static async Task<int> OpenTheBreakerAsync(IPlexClient client, StubPlexHandler stub)
    {
        await Assert.ThrowsAnyAsync<PlexException>(() => client.GetLibrariesAsync(CancellationToken.None));
        return stub.Requests.Count;
    }

    /// <summary>A server that takes the request and never answers (until the caller gives up).</summary>
    private sealed class HangingHandler : HttpMessageHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
