using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace StarSync.PlexEmulator;

/// <summary>
/// Posts webhooks the way PMS does: multipart/form-data with a "payload" part holding the JSON and, for poster
/// events, a "thumb" JPEG part (support.plex.tv/articles/115002267687; plex-api.md §9).
/// </summary>
public sealed class WebhookSender
{
    // A 1x1 JPEG: receivers only need to see that a poster part arrives.
    private static readonly byte[] s_thumb = Convert.FromBase64String(
        "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")
        .Concat(new byte[] { 0xFF, 0xD9 }).ToArray();

    private readonly EmulatorState _state;
    private readonly HttpClient _http;

    internal WebhookSender(EmulatorState state, HttpClient http)
    {
        _state = state;
        _http = http;
    }

    /// <summary>Sends library.new for a track, album or artist, with Metadata filled from the item.</summary>
    public Task<HttpResponseMessage> SendLibraryNewAsync(Uri target, string ratingKey, CancellationToken ct) =>
        SendRawAsync(target, BuildContent(BuildItemPayload("library.new", ratingKey, withPlayer: false), withThumb: true), ct);

    /// <summary>Sends media.rate for an item, carrying its current owner rating.</summary>
    public Task<HttpResponseMessage> SendMediaRateAsync(Uri target, string ratingKey, CancellationToken ct) =>
        SendRawAsync(target, BuildContent(BuildItemPayload("media.rate", ratingKey, withPlayer: true), withThumb: true), ct);

    /// <summary>Sends media.play for a movie in the non-music section: something a music tool must ignore.</summary>
    public Task<HttpResponseMessage> SendNonMusicEventAsync(Uri target, CancellationToken ct) =>
        SendRawAsync(target, BuildContent(BuildMoviePayload(), withThumb: true), ct);

    /// <summary>Posts arbitrary content (malformed payloads, other events).</summary>
    public async Task<HttpResponseMessage> SendRawAsync(Uri target, HttpContent content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = content };
        // PMS identifies itself only by its user agent; there is no signature (plex-api.md §9).
        request.Headers.UserAgent.ParseAdd("PlexMediaServer/" + _state.Version);
        return await _http.SendAsync(request, ct);
    }

    /// <summary>
    /// "New music arrived": one library.new for the album, or one per track (PMS's granularity for music is
    /// unverified, so receivers must cope with both). Returns the status codes the receiver answered.
    /// </summary>
    public async Task<IReadOnlyList<HttpStatusCode>> SendAlbumArrivedAsync(Uri target, NewAlbum album, bool perTrack, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(album);
        var keys = perTrack ? album.TrackRatingKeys : [album.AlbumRatingKey];
        var codes = new List<HttpStatusCode>(keys.Count);
        foreach (var key in keys)
        {
            using var response = await SendLibraryNewAsync(target, key, ct);
            codes.Add(response.StatusCode);
        }

        return codes;
    }

    /// <summary>The JSON payload PMS would send for an event about an item (exposed for tests of receivers).</summary>
    public string BuildPayload(string eventName, string ratingKey) =>
        System.Text.Encoding.UTF8.GetString(BuildItemPayload(eventName, ratingKey, withPlayer: eventName.StartsWith("media.", StringComparison.Ordinal)));

    /// <summary>Wraps a payload as PMS does: multipart/form-data, "payload" part, optional "thumb" part.</summary>
    public static MultipartFormDataContent BuildContent(byte[] payloadJson, bool withThumb)
    {
        var content = new MultipartFormDataContent("------------------------" + Guid.NewGuid().ToString("N")[..16]);
        var payload = new ByteArrayContent(payloadJson);
        payload.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        payload.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"payload\"" };
        content.Add(payload);
        if (withThumb)
        {
            var thumb = new ByteArrayContent(s_thumb);
            thumb.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            thumb.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = "\"thumb\"", FileName = "\"image.jpg\"" };
            content.Add(thumb);
        }

        return content;
    }

    private byte[] BuildItemPayload(string eventName, string ratingKey, bool withPlayer)
    {
        var lib = _state.Library;
        if (!lib.TryParseKey(ratingKey, out var key))
        {
            throw new KeyNotFoundException($"No item with ratingKey '{ratingKey}'.");
        }

        var w = MediaWriter.Create(json: true, target: null);
        w.StartRootObject();
        WriteEnvelope(w, eventName, withPlayer);
        w.StartObject("Metadata");
        w.Attr("librarySectionType", "artist");
        var index = lib.IndexOf(key);
        switch (lib.KindOf(key))
        {
            case EmulatedLibrary.KindTrack:
                ItemWriter.WriteTrackAttributes(w, lib, null, index, withSection: true);
                break;
            case EmulatedLibrary.KindAlbum:
                ItemWriter.WriteAlbumAttributes(w, lib, null, index, withSection: true);
                break;
            default:
                ItemWriter.WriteArtistAttributes(w, lib, null, index, withSection: true);
                break;
        }

        w.EndObject();
        w.EndRootObject();
        return w.ToArray();
    }

    private byte[] BuildMoviePayload()
    {
        var movies = _state.Library.Sections.First(s => !s.IsMusic);
        var now = _state.Options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        var w = MediaWriter.Create(json: true, target: null);
        w.StartRootObject();
        WriteEnvelope(w, "media.play", withPlayer: true);
        w.StartObject("Metadata");
        w.Attr("librarySectionType", "movie");
        w.Attr("ratingKey", "900001");
        w.Attr("key", "/library/metadata/900001");
        w.Attr("guid", "plex://movie/5d7768ba96b655001fdc0408");
        w.Attr("studio", "Emulated Pictures");
        w.Attr("type", "movie");
        w.Attr("title", "The Emulated Picture");
        w.Attr("librarySectionTitle", movies.Title);
        w.Attr("librarySectionID", movies.Id);
        w.Attr("librarySectionKey", "/library/sections/" + movies.Key);
        w.Attr("contentRating", "PG-13");
        w.Attr("summary", "");
        w.Attr("year", 1999);
        w.Attr("thumb", "/library/metadata/900001/thumb/" + now.ToString(CultureInfo.InvariantCulture));
        w.Attr("duration", 6_000_000);
        w.Attr("addedAt", now - 86_400);
        w.Attr("updatedAt", now - 86_400);
        w.EndObject();
        w.EndRootObject();
        return w.ToArray();
    }

    private void WriteEnvelope(MediaWriter w, string eventName, bool withPlayer)
    {
        w.Attr("event", eventName);
        w.Bool("user", true);
        w.Bool("owner", true);
        w.StartObject("Account");
        w.Attr("id", 1);
        w.Attr("thumb", "https://plex.tv/users/" + _state.MachineIdentifier[..16] + "/avatar?c=1");
        w.Attr("title", "emulator");
        w.EndObject();
        w.StartObject("Server");
        w.Attr("title", _state.Options.FriendlyName);
        w.Attr("uuid", _state.MachineIdentifier);
        w.EndObject();
        if (withPlayer)
        {
            w.StartObject("Player");
            w.Bool("local", true);
            w.Attr("publicAddress", "203.0.113.7");
            w.Attr("title", "Plexamp");
            w.Attr("uuid", Names.Hex(_state.Options.Seed, 1, 400, 24));
            w.EndObject();
        }
    }
}
