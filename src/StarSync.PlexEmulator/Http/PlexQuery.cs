using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace StarSync.PlexEmulator;

/// <summary>
/// The query string as an ordered list of raw (decoded) key/value pairs: PMS filters carry their operator in the
/// key (userRating&gt;&gt;=6 is key "userRating&gt;&gt;", value "6") and push/or/pop depend on order.
/// </summary>
internal sealed class PlexQuery
{
    private readonly List<KeyValuePair<string, string>> _pairs = [];

    private PlexQuery()
    {
    }

    public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

    public static PlexQuery Parse(HttpRequest request)
    {
        var query = new PlexQuery();
        var raw = request.QueryString.Value;
        if (string.IsNullOrEmpty(raw))
        {
            return query;
        }

        foreach (var part in raw.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Decode(part[(eq + 1)..]);
            // A percent-encoded operator ("userRating%3E%3E=6") decodes to the same key as the plain form.
            query._pairs.Add(new(key, value));
        }

        return query;
    }

    public string? Get(string name)
    {
        foreach (var pair in _pairs)
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value;
            }
        }

        return null;
    }

    /// <summary>A paging value from the header or the query (PMS accepts both; PPA uses both).</summary>
    public static int? HeaderOrQuery(HttpRequest request, PlexQuery query, string name)
    {
        var text = request.Headers[name].FirstOrDefault() ?? query.Get(name);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
