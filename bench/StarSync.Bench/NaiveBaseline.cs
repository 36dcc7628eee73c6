using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Xml;

namespace StarSync.Bench;

/// <summary>
/// How the old Python tool (python-plexapi) worked, as a raw <see cref="HttpClient"/> loop: list every track in pages
/// of 100 (<c>X-Plex-Container-Start/Size</c> headers, XML, python-plexapi's default container size), keep the
/// unrated ones on the client, then rate them one at a time with <c>PUT /:/rate</c>.
/// </summary>
internal sealed class NaiveBaseline : IDisposable
{
    /// <summary>python-plexapi's X_PLEX_CONTAINER_SIZE.</summary>
    public const int PageSize = 100;

    private readonly HttpClient _http;

    public NaiveBaseline(Uri baseUri, string token)
    {
        _http = new HttpClient(new SocketsHttpHandler()) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Add("X-Plex-Token", token);
        _http.DefaultRequestHeaders.Add("X-Plex-Client-Identifier", "naive-baseline");
        _http.DefaultRequestHeaders.Add("X-Plex-Product", "PlexAPI");
    }

    public int Requests { get; private set; }

    /// <summary>The key of the music section titled <paramref name="title"/> (python-plexapi: <c>plex.library.section(title)</c>).</summary>
    public async Task<string> FindSectionAsync(string title, CancellationToken ct)
    {
        Requests++;
        await using var stream = await _http.GetStreamAsync(new Uri("library/sections", UriKind.Relative), ct);
        using var xml = XmlReader.Create(stream, new XmlReaderSettings { Async = true });
        while (await xml.ReadAsync())
        {
            if (xml.NodeType == XmlNodeType.Element && xml.Name == "Directory" && xml.GetAttribute("title") == title)
            {
                return xml.GetAttribute("key") ?? throw new InvalidOperationException("Section without a key.");
            }
        }

        throw new InvalidOperationException($"No section titled {title}.");
    }

    /// <summary>
    /// Lists tracks page by page (every track, or the first <paramref name="max"/> in <paramref name="sort"/> order) and
    /// returns the keys of the unrated ones, filtered on the client, as python-plexapi's <c>searchTracks()</c> + a loop would.
    /// </summary>
    public async Task<(List<string> Unrated, int Seen, int Pages)> ListUnratedAsync(string section, string? sort, int? max, CancellationToken ct)
    {
        var unrated = new List<string>();
        var seen = 0;
        var pages = 0;
        var path = $"library/sections/{section}/all?type=10" + (sort is null ? "" : "&sort=" + Uri.EscapeDataString(sort));
        var total = int.MaxValue;
        while (seen < Math.Min(total, max ?? int.MaxValue))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            var size = Math.Min(PageSize, (max ?? int.MaxValue) - seen);
            request.Headers.Add("X-Plex-Container-Start", seen.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("X-Plex-Container-Size", size.ToString(CultureInfo.InvariantCulture));
            Requests++;
            pages++;
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var xml = XmlReader.Create(stream, new XmlReaderSettings { Async = true });
            var inPage = 0;
            while (await xml.ReadAsync())
            {
                if (xml.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                if (xml.Name == "MediaContainer" && int.TryParse(xml.GetAttribute("totalSize"), CultureInfo.InvariantCulture, out var t))
                {
                    total = t;
                }
                else if (xml.Name == "Track")
                {
                    inPage++;
                    if (xml.GetAttribute("userRating") is null)
                    {
                        unrated.Add(xml.GetAttribute("ratingKey")!);
                    }
                }
            }

            if (inPage == 0)
            {
                break;
            }

            seen += inPage;
        }

        return (unrated, seen, pages);
    }

    /// <summary>Rates <paramref name="keys"/> one after the other (python-plexapi: <c>track.rate(6.0)</c>).</summary>
    public async Task<TimeSpan> RateSeriallyAsync(IEnumerable<string> keys, double rating, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var key in keys)
        {
            var uri = new Uri(string.Create(CultureInfo.InvariantCulture,
                $":/rate?key={key}&identifier=com.plexapp.plugins.library&rating={rating:0.0}"), UriKind.Relative);
            Requests++;
            using var response = await _http.PutAsync(uri, null, ct);
            response.EnsureSuccessStatusCode();
        }

        return Stopwatch.GetElapsedTime(started);
    }

    public void Dispose() => _http.Dispose();
}
