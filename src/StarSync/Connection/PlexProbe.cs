using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using StarSync.Plex;

namespace StarSync.Connection;

/// <summary>Why a connection test failed, as the UI and the API name it.</summary>
public enum PlexProblem
{
    /// <summary>Plex answered and accepted the token.</summary>
    None,

    /// <summary>No URL or no token yet.</summary>
    NotConfigured,

    /// <summary>The URL is not an http(s) address.</summary>
    InvalidUrl,

    /// <summary>Plex answered 401: the token is wrong, expired or signed out.</summary>
    TokenRefused,

    /// <summary>Nothing answers at that address and port (connection refused, host down, network).</summary>
    Unreachable,

    /// <summary>The host name does not resolve.</summary>
    NameNotFound,

    /// <summary>No answer within PLEX_TIMEOUT_SECONDS.</summary>
    Timeout,

    /// <summary>The HTTPS handshake failed (certificate, protocol).</summary>
    Tls,

    /// <summary>Something answered, but not as Plex Media Server does.</summary>
    NotPlex,

    /// <summary>Plex answered with another HTTP error.</summary>
    HttpError,
}

/// <summary>The outcome of asking Plex directly: the server, or the cause in words (never the token).</summary>
public sealed record PlexProbeResult(PlexProblem Problem, string Message, string? ServerName, string? Version, IReadOnlyList<string> MusicLibraries)
{
    /// <summary>Plex answered and accepted the token.</summary>
    public bool Ok => Problem == PlexProblem.None;
}

/// <summary>
/// Asks Plex directly, outside the resilience pipeline (no retries, no circuit breaker), so the answer is the real cause
/// of a failure: 401, refused, DNS, timeout, TLS, or something that is not Plex. Used by "Test connection" (with the
/// URL and token from the form, before they are saved) and by the status the dashboard and the health banner show.
/// </summary>
public sealed class PlexProbe(IHttpClientFactory clients, TimeProvider time)
{
    /// <summary>The named HttpClient: no resilience handler, no logging of headers.</summary>
    public const string ClientName = "StarSync.PlexProbe";

    /// <summary>Asks <paramref name="url"/> who it is (<c>/identity</c>, no token), then with <paramref name="token"/> for the server's name and version (<c>/</c>) and, if asked, its music libraries.</summary>
    public async Task<PlexProbeResult> ProbeAsync(string? url, string? token, string? clientIdentifier, int timeoutSeconds, bool listLibraries,
        CancellationToken cancellationToken)
    {
        url = url?.Trim() ?? "";
        token = token?.Trim() ?? "";
        if (url.Length == 0 || token.Length == 0)
        {
            return Fail(PlexProblem.NotConfigured, url.Length == 0
                ? "No Plex server URL is set: enter it (e.g. http://192.168.1.10:32400) and the token."
                : "No Plex token is set: enter the X-Plex-Token of the account whose ratings StarSync writes.");
        }

        if (!PlexConnectionRules.IsHttpUrl(url))
        {
            return Fail(PlexProblem.InvalidUrl, $"\"{PlexRedaction.Redact(url, token)}\" is not an http(s) address: enter it like http://192.168.1.10:32400.");
        }

        if (!PlexConnectionRules.TokenIsPrintable(token))
        {
            return Fail(PlexProblem.TokenRefused, "The Plex token contains spaces, line breaks or non-ASCII characters: copy it again without them.");
        }

        var options = new PlexOptions { Url = url, Token = token, ClientIdentifier = clientIdentifier };
        var shown = PlexClient.DisplayUrl(options);
        var baseUrl = new Uri(url).GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        var timeout = TimeSpan.FromSeconds(Math.Clamp(timeoutSeconds, 1, 600));
        var http = clients.CreateClient(ClientName);
        try
        {
            // 1. Is it Plex? /identity needs no token, so a refused token cannot be mistaken for "not Plex" and back.
            var identity = await GetAsync(http, baseUrl + "/identity", null, options, timeout, PlexJsonContext.Default.PlexResponsePlexServerContainer, cancellationToken);
            // A 401 here is not proof of anything yet: some set-ups guard even /identity; the token decides below.
            var id = identity.Body;
            if (identity.Status != HttpStatusCode.Unauthorized && (identity.Status != HttpStatusCode.OK || string.IsNullOrEmpty(id?.MachineIdentifier)))
            {
                return Fail(PlexProblem.NotPlex, $"{shown} answered, but not as Plex Media Server does ({identity.What}). " +
                    "Check the address and port: Plex Media Server itself usually listens on port 32400 (not Plex Web or a proxy's login page).");
            }

            // 2. Does it take the token?
            var root = await GetAsync(http, baseUrl + "/", token, options, timeout, PlexJsonContext.Default.PlexResponsePlexServerContainer, cancellationToken);
            if (root.Status == HttpStatusCode.Unauthorized)
            {
                return Fail(PlexProblem.TokenRefused, $"Plex at {shown} refused the token (HTTP 401): it may be mistyped, expired or signed out. " +
                    "Copy the current one (Plex support article 204059436 shows where).");
            }

            if (root.Status == HttpStatusCode.OK && root.Body is null)
            {
                return Fail(PlexProblem.NotPlex, $"{shown} answered, but not as Plex Media Server does ({root.What}). " +
                    "Check the address and port: Plex Media Server itself usually listens on port 32400.");
            }

            if (root.Status != HttpStatusCode.OK || root.Body is not { } server)
            {
                return Fail(PlexProblem.HttpError, $"Plex at {shown} answered {root.What} when asked for its name with the token.");
            }

            var name = string.IsNullOrEmpty(server.FriendlyName) ? "Plex Media Server" : server.FriendlyName;
            var version = server.Version ?? id?.Version;
            IReadOnlyList<string> music = [];
            if (listLibraries)
            {
                var sections = await GetAsync(http, baseUrl + "/library/sections", token, options, timeout, PlexJsonContext.Default.PlexResponsePlexSectionsContainer, cancellationToken);
                if (sections.Status != HttpStatusCode.OK || sections.Body is null)
                {
                    return Fail(PlexProblem.HttpError, $"Plex at {shown} ({name}) answered {sections.What} when asked for its libraries.");
                }

                music = (sections.Body.Directory ?? []).Where(d => d.Type == "artist" && !string.IsNullOrEmpty(d.Title)).Select(d => d.Title!).ToArray();
            }

            return new PlexProbeResult(PlexProblem.None, $"Connected to {name}" + (version is { Length: > 0 } ? $" (version {version})." : "."), name, version, music);
        }
        catch (ProbeTimeoutException)
        {
            return Fail(PlexProblem.Timeout, $"Plex at {shown} did not answer within {timeout.TotalSeconds:0} s. The server may be asleep, busy (a library scan?) " +
                "or behind a firewall that drops the connection; raise PLEX_TIMEOUT_SECONDS if it is just slow.");
        }
        catch (HttpRequestException e)
        {
            return Unreachable(e, shown);
        }
    }

    private static PlexProbeResult Unreachable(HttpRequestException e, string shown)
    {
        var inner = Innermost(e);
        if (e.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            return Fail(PlexProblem.NameNotFound, $"The host name of {shown} does not resolve (DNS: {inner}). Check the spelling, or use the server's IP address.");
        }

        if (e.HttpRequestError == HttpRequestError.SecureConnectionError || e.InnerException is AuthenticationException)
        {
            return Fail(PlexProblem.Tls, $"The HTTPS handshake with {shown} failed ({inner}). Plex's own certificate is for its plex.direct name: " +
                "use http:// on your network, or the https://…plex.direct:32400 address Plex shows.");
        }

        return Fail(PlexProblem.Unreachable, $"Nothing answers at {shown} ({PlexClient.Describe(e)}). Check the address and port, and that Plex Media Server is running and reachable from StarSync.");
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }

        return PlexRedaction.Redact(e.Message);
    }

    private static PlexProbeResult Fail(PlexProblem problem, string message) => new(problem, message, null, null, []);

    private async Task<(HttpStatusCode Status, T? Body, string What)> GetAsync<T>(HttpClient http, string url, string? token, PlexOptions options,
        TimeSpan timeout, JsonTypeInfo<PlexResponse<T>> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("X-Plex-Product", PlexClient.Product);
        request.Headers.TryAddWithoutValidation("X-Plex-Version", PlexClient.ProductVersion);
        request.Headers.TryAddWithoutValidation("X-Plex-Client-Identifier",
            string.IsNullOrWhiteSpace(options.ClientIdentifier) ? PlexClient.FallbackClientIdentifier : options.ClientIdentifier.Trim());
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Plex-Token", token);
        }

        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token);
            var status = (int)response.StatusCode;
            var what = $"HTTP {status}" + (response.ReasonPhrase is { Length: > 0 } r ? " " + r : "");
            if (!response.IsSuccessStatusCode)
            {
                return (response.StatusCode, null, what);
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType ?? "no content type";
            if (!mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                return (response.StatusCode, null, $"{mediaType} instead of Plex's JSON");
            }

            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(linked.Token);
                var body = await JsonSerializer.DeserializeAsync(stream, typeInfo, linked.Token);
                return body?.MediaContainer is { } container ? (response.StatusCode, container, what) : (response.StatusCode, null, "JSON without a MediaContainer");
            }
            catch (JsonException)
            {
                return (response.StatusCode, null, "JSON that is not Plex's");
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProbeTimeoutException();
        }
    }

    private sealed class ProbeTimeoutException : Exception;
}
