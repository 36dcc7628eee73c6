using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Automation;

/// <summary>
/// Malformed webhooks: every one gets a 4xx (with ProblemDetails saying why), never a 5xx, nothing is queued, and the
/// app keeps serving: a valid webhook afterwards still rates its album.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhookFuzzTests
{
    [Fact]
    public async Task Malformed_bodies_get_4xx_never_5xx_and_the_app_keeps_serving()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 5);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var failures = new List<string>();

        foreach (var (name, content, expected) in Cases(hook.Plex.Webhooks, album.AlbumRatingKey))
        {
            var status = await PostAsync(http, hook.WebhookUrl, content());
            if (status is null ? expected != StatusCodes.Status413PayloadTooLarge : expected is { } e ? status != e : status is < 400 or >= 500)
            {
                failures.Add($"{name}: got {status?.ToString() ?? "connection closed"}, expected {expected?.ToString() ?? "4xx"}");
            }
        }

        Assert.Empty(failures);
        Assert.False(hook.Queue.IsBusy);
        Assert.Empty(await hook.WebhookJobsAsync());

        using var valid = await hook.Plex.Webhooks.SendLibraryNewAsync(hook.WebhookUrl, album.AlbumRatingKey, CancellationToken.None);
        Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        Assert.Equal(5, hook.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Every_truncation_of_a_real_payload_is_a_400_with_a_reason()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 2);
        var payload = Encoding.UTF8.GetBytes(hook.Plex.Webhooks.BuildPayload("library.new", album.AlbumRatingKey).TrimEnd());
        using var http = new HttpClient();

        for (var length = 0; length < payload.Length; length += 7)
        {
            using var content = new ByteArrayContent(payload, 0, length);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(hook.WebhookUrl, content, CancellationToken.None);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(CancellationToken.None);
            Assert.False(string.IsNullOrWhiteSpace(problem!.Detail));
        }

        Assert.Empty(await hook.WebhookJobsAsync());
        Assert.StartsWith("rejected: ", hook.State.LastWebhook!.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seeded_random_garbage_never_gets_a_5xx()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();
        using var http = new HttpClient();
        var random = new Random(1234);
        string[] types = ["application/json", "multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream", "multipart/form-data"];

        for (var i = 0; i < 120; i++)
        {
            var bytes = new byte[random.Next(0, 4096)];
            random.NextBytes(bytes);
            using var content = new ByteArrayContent(bytes);
            content.Headers.TryAddWithoutValidation("Content-Type", types[i % types.Length]);
            using var response = await http.PostAsync(hook.WebhookUrl, content, CancellationToken.None);
            Assert.InRange((int)response.StatusCode, 400, 499);
        }

        Assert.Empty(await hook.WebhookJobsAsync());
    }

    private static async Task<int?> PostAsync(HttpClient http, Uri url, HttpContent content)
    {
        try
        {
            using (content)
            using (var response = await http.PostAsync(url, content, CancellationToken.None))
            {
                return (int)response.StatusCode;
            }
        }
        catch (HttpRequestException)
        {
            // Only acceptable for oversized uploads: the server may answer 413 and close before the client finished.
            return null;
        }
    }

    private static IEnumerable<(string Name, Func<HttpContent> Content, int? Expected)> Cases(WebhookSender sender, string albumKey)
    {
        const int bad = StatusCodes.Status400BadRequest;
        var valid = sender.BuildPayload("library.new", albumKey);
        var meta = """{"event":"library.new","Metadata":{"librarySectionType":"artist","librarySectionTitle":"Music","type":"album","title":"X"%s}}""";

        yield return ("truncated JSON", () => Json(valid[..(valid.Length / 2)]), bad);
        yield return ("truncated JSON in multipart", () => Multipart(valid[..(valid.Length / 3)]), bad);
        yield return ("wrong content type text/plain", () => new StringContent(valid, Encoding.UTF8, "text/plain"), StatusCodes.Status415UnsupportedMediaType);
        yield return ("wrong content type image/jpeg", () => Bytes([0xFF, 0xD8, 0xFF, 0xD9], "image/jpeg"), StatusCodes.Status415UnsupportedMediaType);
        yield return ("no content type", () => new ByteArrayContent(Encoding.UTF8.GetBytes(valid)), StatusCodes.Status415UnsupportedMediaType);
        yield return ("unparsable content type", () => Raw(valid, "this is ; not = a ; media/type"), StatusCodes.Status415UnsupportedMediaType);
        yield return ("missing event", () => Json("""{"Metadata":{"ratingKey":"1"}}"""), bad);
        yield return ("event is a number", () => Json("""{"event":7}"""), bad);
        yield return ("event is empty", () => Json("""{"event":""}"""), bad);
        yield return ("missing Metadata", () => Json("""{"event":"library.new","user":true}"""), bad);
        yield return ("Metadata is a string", () => Json("""{"event":"library.new","Metadata":"x"}"""), bad);
        yield return ("missing ratingKey", () => Json(meta.Replace("%s", "", StringComparison.Ordinal)), bad);
        yield return ("ratingKey with a line break", () => Json(meta.Replace("%s", ""","ratingKey":"12\n34" """, StringComparison.Ordinal)), bad);
        yield return ("ratingKey of 129 characters", () => Json(meta.Replace("%s", ",\"ratingKey\":\"" + new string('7', 129) + "\"", StringComparison.Ordinal)), bad);
        yield return ("ratingKey is an object", () => Json(meta.Replace("%s", ""","ratingKey":{"a":1}""", StringComparison.Ordinal)), bad);
        yield return ("unknown section: no title or ID", () => Json("""{"event":"library.new","Metadata":{"ratingKey":"5","librarySectionType":"artist"}}"""), bad);
        yield return ("unknown section: ID not a number", () => Json("""{"event":"library.new","Metadata":{"ratingKey":"5","librarySectionType":"artist","librarySectionID":"music"}}"""), bad);
        yield return ("empty JSON body", () => Json(""), bad);
        yield return ("whitespace JSON body", () => Json("  \n "), bad);
        yield return ("JSON null", () => Json("null"), bad);
        yield return ("JSON array", () => Json("[1,2,3]"), bad);
        yield return ("JSON string", () => Json("\"library.new\""), bad);
        yield return ("invalid UTF-8", () => Bytes([0x7B, 0x22, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], "application/json"), bad);
        yield return ("binary garbage as JSON", () => Bytes(Garbage(5000, 1), "application/json"), bad);
        yield return ("binary garbage as multipart", () => Bytes(Garbage(5000, 2), "multipart/form-data; boundary=abc"), bad);
        yield return ("empty multipart", () => Raw("", "multipart/form-data; boundary=abc"), bad);
        yield return ("multipart without boundary", () => Raw("--abc\r\n\r\n--abc--\r\n", "multipart/form-data"), bad);
        yield return ("multipart with a 5000-character boundary", () => Raw("x", "multipart/form-data; boundary=" + new string('b', 5000)), bad);
        yield return ("multipart without payload part", () => ThumbOnly(), bad);
        yield return ("multipart with 500 parts", () => ManyParts(500), bad);
        yield return ("multipart never closed", () => Raw("--abc\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n{\"event\":", "multipart/form-data; boundary=abc"), bad);
        yield return ("url-encoded without payload", () => new FormUrlEncodedContent([new("event", "library.new")]), bad);
        yield return ("url-encoded with broken payload", () => new FormUrlEncodedContent([new("payload", "{\"event\":\"library.new\",")]), bad);
        yield return ("url-encoded with 100 fields", () => new FormUrlEncodedContent(Enumerable.Range(0, 100).Select(i => new KeyValuePair<string, string>("f" + i, "v"))), bad);
        yield return ("nested array bomb", () => Json("""{"event":"library.new","Metadata":{"ratingKey":"1","x":""" + new string('[', 100_000) + new string(']', 100_000) + "}}"), bad);
        yield return ("nested object bomb", () => Json(string.Concat(Enumerable.Repeat("{\"a\":", 50_000)) + "1" + new string('}', 50_000)), bad);
        yield return ("unclosed nesting", () => Json(new string('[', 500_000)), bad);
        yield return ("huge JSON body (2 MB)", () => Json("""{"event":"library.new","pad":" """ + new string('x', 2 * 1024 * 1024) + "\"}"), StatusCodes.Status413PayloadTooLarge);
        yield return ("huge chunked JSON body (2 MB)", () => Chunked(Encoding.UTF8.GetBytes("""{"event":"x","pad":" """ + new string('x', 2 * 1024 * 1024) + "\"}"), "application/json"), StatusCodes.Status413PayloadTooLarge);
        yield return ("huge payload part (2 MB) in multipart", () => Multipart("""{"event":"library.new","pad":" """ + new string('x', 2 * 1024 * 1024) + "\"}"), StatusCodes.Status413PayloadTooLarge);
        yield return ("huge thumb (12 MB)", () => Multipart(valid, thumb: new byte[12 * 1024 * 1024]), StatusCodes.Status413PayloadTooLarge);
        yield return ("huge chunked thumb (12 MB)", () => Chunked(MultipartBytes(valid, new byte[12 * 1024 * 1024]), "multipart/form-data; boundary=fuzzboundary"), StatusCodes.Status413PayloadTooLarge);
        yield return ("huge url-encoded body (4 MB)", () => new FormUrlEncodedContent([new("payload", new string('x', 4 * 1024 * 1024))]), StatusCodes.Status413PayloadTooLarge);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ByteArrayContent Bytes(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static ByteArrayContent Raw(string body, string contentType) => Bytes(Encoding.UTF8.GetBytes(body), contentType);

    private static byte[] Garbage(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static MultipartFormDataContent Multipart(string payload, byte[]? thumb = null)
    {
        var content = WebhookSender.BuildContent(Encoding.UTF8.GetBytes(payload), withThumb: false);
        if (thumb is not null)
        {
            var part = new ByteArrayContent(thumb);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            content.Add(part, "thumb", "image.jpg");
        }

        return content;
    }

    private static byte[] MultipartBytes(string payload, byte[] thumb)
    {
        var head = Encoding.UTF8.GetBytes(
            "--fuzzboundary\r\nContent-Disposition: form-data; name=\"payload\"\r\nContent-Type: application/json\r\n\r\n" + payload +
            "\r\n--fuzzboundary\r\nContent-Disposition: form-data; name=\"thumb\"; filename=\"image.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
        var tail = Encoding.UTF8.GetBytes("\r\n--fuzzboundary--\r\n");
        return [.. head, .. thumb, .. tail];
    }

    private static MultipartFormDataContent ThumbOnly()
    {
        var content = new MultipartFormDataContent();
        content.Add(new ByteArrayContent([0xFF, 0xD8, 0xFF, 0xD9]), "thumb", "image.jpg");
        return content;
    }

    private static MultipartFormDataContent ManyParts(int count)
    {
        var content = new MultipartFormDataContent();
        for (var i = 0; i < count; i++)
        {
            content.Add(new StringContent("x"), "field" + i);
        }

        return content;
    }

    /// <summary>A body without Content-Length (Transfer-Encoding: chunked): only the server's read limit can stop it.</summary>
    private static StreamContent Chunked(byte[] body, string contentType)
    {
        var content = new StreamContent(new NonSeekableStream(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
