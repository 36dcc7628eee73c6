using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Xml.Linq;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Emulator;

/// <summary>Starts emulators and talks to them over real HTTP, as a Plex client would.</summary>
internal static class EmulatorTestHost
{

    public static async Task<PlexEmulatorServer> StartAsync(Action<EmulatorOptions>? configure = null, int tracks = 600)
    {
        var options = new EmulatorOptions { Tracks = tracks, Seed = 7, Token = "owner-token" };
        configure?.Invoke(options);
        return await PlexEmulatorServer.StartAsync(options, CancellationToken.None);
    }

    public static HttpClient Client(PlexEmulatorServer server, string? token = null, bool json = false)
    {
        var client = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Plex-Token", token ?? server.Token);
        client.DefaultRequestHeaders.Add("X-Plex-Client-Identifier", "starsync-tests");
        if (json)
        {
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        }

        return client;
    }

    public static async Task<XElement> GetXmlAsync(this HttpClient client, string path, int? start = null, int? size = null)
    {
        using var response = await SendAsync(client, HttpMethod.Get, path, start, size);
        var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {body}");
        return XDocument.Parse(body).Root!;
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await SendAsync(client, HttpMethod.Get, path, null, null);
        var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
        Assert.True(response.IsSuccessStatusCode, $"{path} answered {(int)response.StatusCode}: {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return JsonDocument.Parse(body).RootElement.GetProperty("MediaContainer").Clone();
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, int? start = null, int? size = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (start is { } s)
        {
            request.Headers.Add("X-Plex-Container-Start", s.ToString(CultureInfo.InvariantCulture));
        }

        if (size is { } n)
        {
            request.Headers.Add("X-Plex-Container-Size", n.ToString(CultureInfo.InvariantCulture));
        }

        return await client.SendAsync(request, CancellationToken.None);
    }

    public static async Task<int> StatusOfAsync(this HttpClient client, HttpMethod method, string path)
    {
        using var response = await SendAsync(client, method, path);
        return (int)response.StatusCode;
    }

    public static string[] Keys(this XElement container) =>
        container.Elements().Where(e => e.Name != "Meta").Select(e => (string)e.Attribute("ratingKey")!).ToArray();

    public static int IntAttr(this XElement e, string name) => int.Parse((string)e.Attribute(name)!, CultureInfo.InvariantCulture);

    public static long LongAttr(this XElement e, string name) => long.Parse((string)e.Attribute(name)!, CultureInfo.InvariantCulture);

    public static double? Rating(this XElement e) =>
        e.Attribute("userRating") is { } a ? double.Parse(a.Value, CultureInfo.InvariantCulture) : null;
}
