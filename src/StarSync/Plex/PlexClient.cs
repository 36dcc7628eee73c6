using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace StarSync.Plex;

/// <summary>
/// The typed <see cref="HttpClient"/> for a Plex Media Server. Created by <c>IHttpClientFactory</c> (see <see cref="PlexServiceCollectionExtensions.AddPlex"/>),
/// behind the standard resilience pipeline. The URL and token are read from <see cref="PlexOptions"/> per request, so settings changes apply at once.
/// </summary>
internal sealed class PlexClient(HttpClient http, IHttpClientFactory clients, IOptionsMonitor<PlexOptions> options, PlexCircuit circuit, ILoggerFactory loggers, ILogger<PlexClient> logger) : IPlexClient
{
    // One-per-track rating writes go without the resilience pipeline (PlexServiceCollectionExtensions.WritesClient).
    private readonly HttpClient _writes = clients.CreateClient(PlexServiceCollectionExtensions.WritesClient);

    /// <summary>Category of the stack traces behind failed requests: Debug, kept for the file log (see PlexLog.RequestFailedDetail).</summary>
    internal const string DiagnosticsCategory = "StarSync.Plex.Diagnostics";

    private readonly ILogger _diagnostics = loggers.CreateLogger(DiagnosticsCategory);
    private ParsedUrl? _baseUrl;

    internal const string Product = "StarSync";

    internal static readonly string ProductVersion = ReadProductVersion();

    /// <summary>Used when PLEX_CLIENT_ID is unset: stable for this machine, so Plex does not see a new device per run.</summary>
    internal static readonly string FallbackClientIdentifier =
        "starsync-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("StarSync|" + Environment.MachineName)))[..24];

    /// <inheritdoc />
    public async Task<PlexServerInfo> GetServerInfoAsync(CancellationToken cancellationToken)
    {
        var container = await GetJsonAsync("/", null, PlexJsonContext.Default.PlexResponsePlexServerContainer, cancellationToken);
        return new PlexServerInfo(container.FriendlyName ?? "", container.Version ?? "", container.MachineIdentifier ?? "");
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PlexLibrary>> GetLibrariesAsync(CancellationToken cancellationToken)
    {
        var container = await GetJsonAsync("/library/sections", null, PlexJsonContext.Default.PlexResponsePlexSectionsContainer, cancellationToken);
        return (container.Directory ?? [])
            .Where(d => !string.IsNullOrEmpty(d.Key))
            .Select(d => new PlexLibrary(d.Key!, d.Title ?? "", d.Type ?? "", d.Uuid, d.Agent) { Scanner = d.Scanner, Hidden = d.IsHidden })
            .ToList();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Pages of <see cref="PlexOptions.PageSize"/> (at most 1000). Each page's own <c>totalSize</c> decides when to stop, and the
    /// offset advances by what the server returned (it may clamp the page size). The client re-checks the server's filtering
    /// and skips any track that does not match (for Unrated: a track that has a userRating): the unrated filter is
    /// observed behaviour, not documented by Plex, and a wrongly rated track would be an overwritten hand rating.
    /// </remarks>
    public IAsyncEnumerable<PlexTrack> GetTracksAsync(string sectionKey, TrackQuery query, CancellationToken cancellationToken)
    {
        var path = PlexQueries.TrackListing(sectionKey, query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Start);
        if (query.Limit is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(limit, nameof(query));
        }

        return ListTracksAsync(path, sectionKey, query, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <paramref name="pageSize"/> is capped at 1000 (and at <see cref="TrackQuery.Limit"/>). <see cref="PlexPage.ServerCount"/> is how far to
    /// advance the offset: it can exceed <c>Tracks.Count</c> when the client-side re-check dropped a mismatched track.
    /// </remarks>
    public async Task<PlexPage> GetTrackPageAsync(string sectionKey, TrackQuery query, int pageSize, CancellationToken cancellationToken)
    {
        var path = PlexQueries.TrackListing(sectionKey, query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Start);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var size = Math.Min(pageSize, PlexQueries.MaxPageSize);
        if (query.Limit is { } limit)
        {
            size = Math.Min(size, limit);
        }

        if (size <= 0)
        {
            var count = await CountTracksAsync(sectionKey, query, cancellationToken);
            return new PlexPage([], count, query.Start) { ServerCount = 0 };
        }

        var container = await GetContainerAsync(path, (query.Start, size), cancellationToken);
        var items = container.Metadata ?? [];
        var tracks = KeepMatching(items, container, query, sectionKey);
        var offset = container.Offset ?? query.Start;
        return new PlexPage(tracks, container.TotalSize ?? offset + items.Count, offset) { ServerCount = items.Count };
    }

    /// <inheritdoc />
    /// <remarks>
    /// The count is the server's (<c>X-Plex-Container-Size=0</c>), after <see cref="TrackQuery.Start"/> and <see cref="TrackQuery.Limit"/>;
    /// the client-side re-check of <see cref="GetTracksAsync"/> cannot apply without listing. If the server omits <c>totalSize</c>,
    /// the tracks are listed and counted instead.
    /// </remarks>
    public async Task<int> CountTracksAsync(string sectionKey, TrackQuery query, CancellationToken cancellationToken)
    {
        var path = PlexQueries.TrackListing(sectionKey, query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Start);
        var container = await GetContainerAsync(path, (0, 0), cancellationToken);
        if (container.TotalSize is not { } total)
        {
            PlexLog.TotalSizeMissing(logger, sectionKey);
            var counted = 0;
            await foreach (var _ in ListTracksAsync(path, sectionKey, query, cancellationToken))
            {
                counted++;
            }

            return counted;
        }

        var afterStart = Math.Max(0, total - query.Start);
        return query.Limit is { } limit ? Math.Min(afterStart, Math.Max(0, limit)) : afterStart;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<PlexTrack> GetItemTracksAsync(string ratingKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in GetItemsTracksAsync([ratingKey], cancellationToken))
        {
            foreach (var track in item.Tracks)
            {
                yield return track;
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<PlexItemTracks> GetItemsTracksAsync(IReadOnlyCollection<string> ratingKeys, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ratingKeys);
        var keys = ratingKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k.Trim()).Distinct(StringComparer.Ordinal).ToList();
        foreach (var batch in keys.Chunk(PlexQueries.KeysPerBatch))
        {
            PlexMetadataContainer? container;
            try
            {
                container = await GetContainerAsync(PlexQueries.MetadataList(batch), null, cancellationToken);
            }
            catch (PlexNotFoundException)
            {
                container = null; // none of this batch exists
            }

            var found = new Dictionary<string, PlexMetadataDto>(StringComparer.Ordinal);
            foreach (var item in container?.Metadata ?? [])
            {
                if (!string.IsNullOrEmpty(item.RatingKey))
                {
                    found.TryAdd(item.RatingKey, item);
                }
            }

            foreach (var key in batch)
            {
                if (!found.TryGetValue(key, out var item))
                {
                    yield return new PlexItemTracks(key, []);
                    continue;
                }

                var childrenPath = item.Type switch
                {
                    "album" => PlexQueries.Children(key),
                    // An artist's children are albums; allLeaves is every track of the artist in one listing.
                    "artist" => PlexQueries.AllLeaves(key),
                    _ => null,
                };
                if (item.Type == "track")
                {
                    yield return new PlexItemTracks(key, ToTrack(item, container!) is { } track ? [track] : []);
                }
                else if (childrenPath is null)
                {
                    PlexLog.ItemHoldsNoTracks(logger, key, item.Type ?? "(none)");
                    yield return new PlexItemTracks(key, []);
                }
                else
                {
                    var tracks = new List<PlexTrack>();
                    await foreach (var track in ListTracksAsync(childrenPath, key, new TrackQuery(), cancellationToken))
                    {
                        tracks.Add(track);
                    }

                    yield return new PlexItemTracks(key, tracks);
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PlexTrack>> GetTracksByKeysAsync(IReadOnlyCollection<string> ratingKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ratingKeys);
        var keys = ratingKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k.Trim()).Distinct(StringComparer.Ordinal).ToList();
        var result = new List<PlexTrack>(keys.Count);
        foreach (var batch in keys.Chunk(PlexQueries.KeysPerBatch))
        {
            PlexMetadataContainer container;
            try
            {
                container = await GetContainerAsync(PlexQueries.MetadataList(batch), null, cancellationToken);
            }
            catch (PlexNotFoundException)
            {
                // None of this batch exists any more.
                continue;
            }

            foreach (var item in container.Metadata ?? [])
            {
                if (ToTrack(item, container) is { } track)
                {
                    result.Add(track);
                }
            }
        }

        return result;
    }

    /// <inheritdoc />
    /// <remarks>Paged like the track listing (offset advances by what came back, stops at <c>totalSize</c>); items of another type are skipped.</remarks>
    public async IAsyncEnumerable<PlexAlbum> GetAlbumsAsync(string sectionKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = PlexQueries.AlbumListing(sectionKey);
        var pageSize = Math.Clamp(options.CurrentValue.PageSize, 1, PlexQueries.MaxPageSize);
        var offset = 0;
        string? previousFirstKey = null;
        while (true)
        {
            var container = await GetContainerAsync(path, (offset, pageSize), cancellationToken);
            var items = container.Metadata ?? [];
            if (items.Count == 0)
            {
                yield break;
            }

            if (previousFirstKey is not null && items[0].RatingKey == previousFirstKey)
            {
                throw new PlexException(
                    $"Plex returned the same page again for offset {offset} on {PathOnly(path)}; it seems to ignore paging, so StarSync stopped listing.");
            }

            previousFirstKey = items[0].RatingKey;
            PlexLog.PageRead(logger, sectionKey, items.Count, offset, container.TotalSize ?? -1);
            foreach (var item in items)
            {
                if (string.IsNullOrEmpty(item.RatingKey) || (item.Type is not null && item.Type != "album"))
                {
                    continue;
                }

                yield return new PlexAlbum(item.RatingKey, item.Title ?? "", item.ParentTitle ?? container.ParentTitle,
                    Tags(item.Genre), Tags(item.Mood), Tags(item.Style), Tags(item.Format), Tags(item.Subformat));
            }

            offset += items.Count;
            if (container.TotalSize is { } total ? offset >= total : items.Count != pageSize)
            {
                yield break;
            }
        }
    }

    /// <inheritdoc />
    public async Task SetRatingAsync(string ratingKey, double rating, CancellationToken cancellationToken)
    {
        if (!double.IsFinite(rating) || rating < 0 || rating > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(rating), rating, "A Plex rating is 0..10 (stars x 2).");
        }

        using (await SendAsync(HttpMethod.Put, PlexQueries.Rate(ratingKey, rating), null, cancellationToken))
        {
            PlexLog.RatingSet(logger, ratingKey, rating);
        }
    }

    /// <inheritdoc />
    public async Task ClearRatingAsync(string ratingKey, CancellationToken cancellationToken)
    {
        using (await SendAsync(HttpMethod.Put, PlexQueries.Rate(ratingKey, -1), null, cancellationToken))
        {
            PlexLog.RatingCleared(logger, ratingKey);
        }
    }

    /// <inheritdoc />
    public async Task WriteRatingOnceAsync(string ratingKey, double? rating, CancellationToken cancellationToken)
    {
        if (rating is { } r && (!double.IsFinite(r) || r < 0 || r > 10))
        {
            throw new ArgumentOutOfRangeException(nameof(rating), rating, "A Plex rating is 0..10 (stars x 2).");
        }

        using (await SendAsync(HttpMethod.Put, PlexQueries.Rate(ratingKey, rating ?? -1), null, cancellationToken, Attempts.OnceDirect))
        {
            PlexLog.RatingSet(logger, ratingKey, rating ?? -1);
        }
    }

    /// <inheritdoc />
    public async Task BulkSetRatingAsync(string sectionKey, IReadOnlyCollection<string> ratingKeys, double? rating, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ratingKeys);
        if (ratingKeys.Count == 0)
        {
            return;
        }

        using (await SendAsync(HttpMethod.Put, PlexQueries.BulkRate(sectionKey, ratingKeys, rating), null, cancellationToken, Attempts.Once))
        {
            PlexLog.BulkRatingSent(logger, sectionKey, ratingKeys.Count, rating);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PlexTrack>> ReadBackAsync(IReadOnlyCollection<string> ratingKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ratingKeys);
        var keys = ratingKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => k.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            return [];
        }

        PlexMetadataContainer container;
        try
        {
            container = await GetContainerAsync(PlexQueries.MetadataList(keys), null, cancellationToken);
        }
        catch (PlexNotFoundException)
        {
            return [];
        }

        return (container.Metadata ?? []).Select(item => ToTrack(item, container)).OfType<PlexTrack>().ToList();
    }

    // Pages through a listing. Stops on an empty page, at the server's totalSize (read from every page: it may change
    // while we page), or at the query's limit. Advances by what came back, not by what was asked for.
    private async IAsyncEnumerable<PlexTrack> ListTracksAsync(string path, string scope, TrackQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pageSize = Math.Clamp(options.CurrentValue.PageSize, 1, PlexQueries.MaxPageSize);
        var offset = query.Start;
        var yielded = 0;
        string? previousFirstKey = null;
        while (true)
        {
            var size = pageSize;
            if (query.Limit is { } limit)
            {
                size = Math.Min(size, limit - yielded);
                if (size <= 0)
                {
                    yield break;
                }
            }

            var container = await GetContainerAsync(path, (offset, size), cancellationToken);
            var items = container.Metadata ?? [];
            if (container.Offset is { } answeredOffset && answeredOffset != offset)
            {
                throw new PlexException(
                    $"Plex answered offset {answeredOffset} when asked for {offset} on {path}, so StarSync cannot page through it reliably.");
            }

            if (items.Count == 0)
            {
                yield break;
            }

            // A server that ignores X-Plex-Container-Start would hand out the same page forever.
            var firstKey = items[0].RatingKey;
            if (previousFirstKey is not null && firstKey == previousFirstKey)
            {
                throw new PlexException(
                    $"Plex returned the same page again for offset {offset} on {PathOnly(path)}; it seems to ignore paging, so StarSync stopped listing.");
            }

            previousFirstKey = firstKey;

            PlexLog.PageRead(logger, scope, items.Count, offset, container.TotalSize ?? -1);
            foreach (var track in KeepMatching(items, container, query, scope))
            {
                yield return track;
                yielded++;
                if (yielded == query.Limit)
                {
                    yield break;
                }
            }

            offset += items.Count;
            // Past the end. Without totalSize (PMS always sends it when paging) a short page is taken as the last one,
            // and so is an oversized one: a server that ignored the size and sent everything at once.
            if (container.TotalSize is { } total ? offset >= total : items.Count != size)
            {
                yield break;
            }
        }
    }

    private List<PlexTrack> KeepMatching(List<PlexMetadataDto> items, PlexMetadataContainer container, TrackQuery query, string scope)
    {
        var tracks = new List<PlexTrack>(items.Count);
        var mismatched = 0;
        foreach (var item in items)
        {
            if (ToTrack(item, container) is not { } track)
            {
                continue;
            }

            if (Matches(track, query))
            {
                tracks.Add(track);
            }
            else
            {
                mismatched++;
            }
        }

        if (mismatched > 0)
        {
            PlexLog.FilterMismatchSkipped(logger, mismatched, scope, query.Filter);
        }

        return tracks;
    }

    // The safety net: the server filtered, the client checks. Unrated is the absence of userRating (0 is a rating).
    private static bool Matches(PlexTrack track, TrackQuery query) => query.Filter switch
    {
        TrackFilter.Unrated => track.UserRating is null,
        TrackFilter.Rated => track.UserRating is not null,
        TrackFilter.RatedOtherThan => track.UserRating is { } r && r != query.RatingNot,
        TrackFilter.RatedExactly => track.UserRating is { } r && r == query.RatingNot,
        _ => true,
    };

    // Items without a ratingKey are useless to StarSync; items of another type (an album in a metadata list) are not tracks.
    private static PlexTrack? ToTrack(PlexMetadataDto item, PlexMetadataContainer container)
    {
        if (string.IsNullOrEmpty(item.RatingKey) || (item.Type is not null && item.Type != "track"))
        {
            return null;
        }

        return new PlexTrack(
            item.RatingKey,
            item.Title ?? "",
            item.ParentTitle ?? container.ParentTitle,
            item.GrandparentTitle ?? container.GrandparentTitle,
            item.UserRating,
            item.AddedAt ?? 0,
            item.LibrarySectionId ?? container.LibrarySectionId)
        {
            AlbumKey = item.ParentRatingKey,
            ArtistKey = item.GrandparentRatingKey,
            ViewCount = Math.Max(0, item.ViewCount ?? 0),
            SkipCount = Math.Max(0, item.SkipCount ?? 0),
            LastViewedAt = item.LastViewedAt is > 0 ? item.LastViewedAt : null,
            DurationMs = item.Duration is > 0 ? item.Duration : null,
            UserRatingLocked = item.Field?.Any(f => f.Locked == true && string.Equals(f.Name, "userRating", StringComparison.Ordinal)) == true,
        };
    }

    private static IReadOnlyList<string> Tags(List<PlexTagDto>? tags) =>
        tags is null ? [] : tags.Select(t => t.Tag?.Trim()).Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToArray();

    private async Task<T> GetJsonAsync<T>(string pathAndQuery, (int Start, int Size)? paging, JsonTypeInfo<PlexResponse<T>> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(HttpMethod.Get, pathAndQuery, paging, cancellationToken);
        var json = await JsonBodyAsync(response, pathAndQuery, cancellationToken);
        PlexResponse<T>? body;
        try
        {
            var reader = new Utf8JsonReader(json);
            body = JsonSerializer.Deserialize(ref reader, typeInfo);
        }
        catch (JsonException e)
        {
            throw NotJson(pathAndQuery, "JSON StarSync cannot read", e);
        }

        return body?.MediaContainer ?? throw NotJson(pathAndQuery, "JSON without a MediaContainer", null);
    }

    // Listings and metadata: read by PlexListingReader from the pooled body, keeping only what StarSync uses.
    private async Task<PlexMetadataContainer> GetContainerAsync(string pathAndQuery, (int Start, int Size)? paging, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, pathAndQuery, paging, cancellationToken);
        var json = await JsonBodyAsync(response, pathAndQuery, cancellationToken);
        PlexMetadataContainer? container;
        try
        {
            container = PlexListingReader.Read(json);
        }
        catch (JsonException e)
        {
            throw NotJson(pathAndQuery, "JSON StarSync cannot read", e);
        }

        return container ?? throw NotJson(pathAndQuery, "JSON without a MediaContainer", null);
    }

    // The body as read by PlexBufferingHandler inside the resilience pipeline (valid until the response is disposed).
    private async Task<ReadOnlySequence<byte>> JsonBodyAsync(HttpResponseMessage response, string pathAndQuery, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            throw NotJson(pathAndQuery, $"{mediaType} instead of JSON", null);
        }

        if (response.Content is PlexBody body)
        {
            return body.Json;
        }

        // Only a client composed without PlexBufferingHandler gets here.
        return new ReadOnlySequence<byte>(await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    private PlexException NotJson(string pathAndQuery, string what, Exception? inner)
    {
        var message = $"Plex at {DisplayUrl()} answered GET {PathOnly(pathAndQuery)} with {what}. " +
            "Check that PLEX_URL points at Plex Media Server itself (usually port 32400), not at Plex Web or a proxy login page.";
        return Failed(HttpMethod.Get, pathAndQuery, new PlexException(message, inner));
    }

    /// <summary>How a request goes to Plex (<see cref="SendAsync"/>).</summary>
    private enum Attempts
    {
        /// <summary>Through the resilience pipeline, retried after transient failures.</summary>
        Retried,

        /// <summary>
        /// Through the pipeline, one attempt (bulk edits): the change writer retries them itself after a backoff,
        /// without holding a write slot meanwhile (a retry inside the pipeline would keep the slot through its backoff).
        /// </summary>
        Once,

        /// <summary>
        /// One attempt through the writes client, without the pipeline (one-per-track rating writes, retried by the change
        /// writer): bounded by PLEX_TIMEOUT_SECONDS, and not sent at all while the breaker has paused requests to Plex.
        /// </summary>
        OnceDirect,
    }

    /// <summary>Sends one request and turns every failure into a <see cref="PlexException"/> that says what to do.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, (int Start, int Size)? paging, CancellationToken cancellationToken, Attempts attempts = Attempts.Retried)
    {
        var settings = options.CurrentValue;
        var pipeline = attempts != Attempts.OnceDirect;
        if (!pipeline && circuit.IsPaused)
        {
            throw Paused(method, pathAndQuery, settings, null);
        }

        var baseUrl = CachedBaseUrl(settings);
        using var request = new HttpRequestMessage(method, new Uri(baseUrl + pathAndQuery, UriKind.Absolute));
        if (attempts == Attempts.Once)
        {
            request.Options.Set(PlexServiceCollectionExtensions.NoRetry, true);
        }

        // The token only ever travels as a header, so no URI (logged by HttpClient, Polly or us) can carry it.
        var token = settings.Token?.Trim() ?? "";
        if (token.Length > 0)
        {
            if (!token.All(c => c is > ' ' and < (char)127))
            {
                throw new PlexAuthenticationException("PLEX_TOKEN contains spaces, line breaks or non-ASCII characters. Copy the token again without them.");
            }

            request.Headers.TryAddWithoutValidation("X-Plex-Token", token);
        }

        var clientId = string.IsNullOrWhiteSpace(settings.ClientIdentifier) ? FallbackClientIdentifier : settings.ClientIdentifier.Trim();
        request.Headers.TryAddWithoutValidation("X-Plex-Client-Identifier", clientId);
        if (paging is { } p)
        {
            request.Headers.Add("X-Plex-Container-Start", p.Start.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("X-Plex-Container-Size", p.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        using var attempt = pipeline ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt?.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, settings.TimeoutSeconds)));
        try
        {
            // Headers-read: PlexBufferingHandler, inside the resilience pipeline, has read the whole body already, and
            // content-read would make HttpClient copy it once more (about a fifth of the web app's CPU in a batched
            // run, and a large object per page, each setting off a full blocking collection: 550 in a 1M-track run).
            // Peak memory stays low because the concurrent GC caps the youngest generation (StarSync.csproj).
            response = await (pipeline ? http : _writes).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt?.Token ?? cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException e)
        {
            throw Failed(method, pathAndQuery, new PlexException(
                $"Plex at {DisplayUrl(settings)} did not answer {method} {PathOnly(pathAndQuery)} within {settings.TimeoutSeconds} s, also after retries. " +
                "The server may be busy (a library scan?) or asleep; raise PLEX_TIMEOUT_SECONDS if it is just slow.", e));
        }
        catch (BrokenCircuitException e)
        {
            throw Paused(method, pathAndQuery, settings, e);
        }
        catch (HttpRequestException e)
        {
            throw Failed(method, pathAndQuery, new PlexException(
                $"Could not reach Plex at {DisplayUrl(settings)}: {Describe(e)}. Check PLEX_URL and that Plex Media Server is running and reachable from StarSync.", e));
        }
        catch (OperationCanceledException e)
        {
            throw Failed(method, pathAndQuery, new PlexException(
                $"Plex at {DisplayUrl(settings)} did not answer {method} {PathOnly(pathAndQuery)} in time. Raise PLEX_TIMEOUT_SECONDS if the server is just slow.", e));
        }

        var status = (int)response.StatusCode;
        var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        PlexLog.RequestCompleted(logger, method.Method, pathAndQuery, status, elapsedMs);
        if (response.IsSuccessStatusCode)
        {
            circuit.Succeeded();
            return response;
        }

        using (response)
        {
            var reason = response.ReasonPhrase is { Length: > 0 } r ? $"{status} {r}" : status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            PlexException error = response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new PlexAuthenticationException(
                    $"Plex refused the token (HTTP 401) at {DisplayUrl(settings)}. Check PLEX_TOKEN: it may be mistyped, expired or signed out " +
                    "(see https://support.plex.tv/articles/204059436 to find the current one).") { StatusCode = status },
                HttpStatusCode.Forbidden => new PlexException(
                    $"Plex denied access (HTTP 403) to {method} {PathOnly(pathAndQuery)}. The account behind PLEX_TOKEN may not have access to this server or library.") { StatusCode = status },
                HttpStatusCode.NotFound => new PlexNotFoundException(
                    $"Plex has nothing at {method} {PathOnly(pathAndQuery)} (HTTP 404): the item or library does not exist (any more).") { StatusCode = status },
                HttpStatusCode.BadRequest => new PlexException(
                    $"Plex rejected {method} {pathAndQuery} as a bad request (HTTP 400). This Plex version may not support the request; please report it.") { StatusCode = status },
                _ when status >= 500 || status is 408 or 429 => new PlexException(
                    $"Plex at {DisplayUrl(settings)} answered HTTP {reason} to {method} {PathOnly(pathAndQuery)}, also after retries. The server may be overloaded or restarting; try again later.") { StatusCode = status },
                _ => new PlexException($"Plex answered HTTP {reason} to {method} {PathOnly(pathAndQuery)}.") { StatusCode = status },
            };

            throw error is PlexNotFoundException ? error : Failed(method, pathAndQuery, error);
        }
    }

    // "Paused" alone would hide why: say what the failures were.
    private PlexException Paused(HttpMethod method, string pathAndQuery, PlexOptions settings, Exception? inner)
    {
        var cause = circuit.LastFailure is { } last ? $" The last failure: {last}" : "";
        return Failed(method, pathAndQuery, new PlexException(
            $"Plex at {DisplayUrl(settings)} failed too often in a row, so StarSync paused its requests for a moment; it retries by itself.{cause}", inner), record: false);
    }

    // One Warning line with the cause in words (the live log shows it); the exception with its stack trace is a Debug
    // line of its own category, for the file log.
    private PlexException Failed(HttpMethod method, string pathAndQuery, PlexException error, bool record = true)
    {
        PlexLog.RequestFailed(logger, method.Method, PathOnly(pathAndQuery), error.Message);
        PlexLog.RequestFailedDetail(_diagnostics, method.Method, PathOnly(pathAndQuery), error.InnerException ?? error);
        if (record)
        {
            circuit.Failed(error.Message);
        }

        return error;
    }

    internal static string Describe(HttpRequestException e)
    {
        var what = e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "the host name does not resolve",
            HttpRequestError.ConnectionError => "the connection was refused or broke",
            HttpRequestError.SecureConnectionError => "the HTTPS handshake failed",
            HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse => "the server closed the connection or sent garbage",
            HttpRequestError.ProxyTunnelError => "the proxy refused the tunnel",
            _ => "the request failed",
        };
        // The innermost message is the useful one ("Connection refused (host:port)", "Connection reset by peer").
        Exception innermost = e;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return $"{what} ({PlexRedaction.Redact(innermost.Message)})";
    }

    private static string PathOnly(string pathAndQuery)
    {
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? pathAndQuery : pathAndQuery[..q];
    }

    private string DisplayUrl() => DisplayUrl(options.CurrentValue);

    // The base URL as a user wrote it, minus any query (a pasted ?X-Plex-Token=...) and user info.
    internal static string DisplayUrl(PlexOptions settings) =>
        Uri.TryCreate(settings.Url?.Trim(), UriKind.Absolute, out var uri)
            ? PlexRedaction.Redact(uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/'), settings.Token)
            : PlexRedaction.Redact(settings.Url, settings.Token);

    /// <summary><see cref="BaseUrl"/> of the PLEX_URL last seen: parsed once per address, not per request (one per track in single mode).</summary>
    private string CachedBaseUrl(PlexOptions settings)
    {
        var cached = Volatile.Read(ref _baseUrl);
        if (cached is not null && string.Equals(cached.Url, settings.Url, StringComparison.Ordinal))
        {
            return cached.Base;
        }

        var parsed = BaseUrl(settings);
        Volatile.Write(ref _baseUrl, new ParsedUrl(settings.Url!, parsed));
        return parsed;
    }

    private sealed record ParsedUrl(string Url, string Base);

    private static string BaseUrl(PlexOptions settings)
    {
        if (string.IsNullOrWhiteSpace(settings.Url))
        {
            throw new PlexNotConfiguredException();
        }

        if (!Uri.TryCreate(settings.Url?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new PlexException(
                $"PLEX_URL \"{PlexRedaction.Redact(settings.Url, settings.Token)}\" is not an http(s) address. Set it like PLEX_URL=http://192.168.1.10:32400.");
        }

        // Keeps a path prefix (a reverse proxy at https://host/plex); drops user info and any query, so no secret reaches a logged URI.
        return uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
    }

    private static string ReadProductVersion()
    {
        var informational = typeof(PlexClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var version = informational?.Split('+')[0];
        return string.IsNullOrWhiteSpace(version) ? typeof(PlexClient).Assembly.GetName().Version?.ToString() ?? "1.0.0" : version;
    }
}
