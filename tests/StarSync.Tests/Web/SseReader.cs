namespace StarSync.Tests.Web;

/// <summary>One server-sent event as a browser's EventSource would see it.</summary>
public sealed record SseEvent(string Event, string? Id, string Data);

/// <summary>Reads SSE frames from a response stream (test helper).</summary>
public sealed class SseReader(Stream stream)
{
    private readonly StreamReader _reader = new(stream);

    /// <summary>The next event; throws when the stream ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task<SseEvent> ReadAsync(CancellationToken cancellationToken)
    {
        string? type = null, id = null;
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new EndOfStreamException("The event stream ended.");
            if (line.Length == 0)
            {
                if (data.Count > 0 || type is not null)
                {
                    return new SseEvent(type ?? "message", id, string.Join('\n', data));
                }

                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event": type = value; break;
                case "id": id = value; break;
                case "data": data.Add(value); break;
            }
        }
    }

    /// <summary>Skips events until one matches.</summary>
    public async Task<SseEvent> ReadUntilAsync(Func<SseEvent, bool> predicate, CancellationToken cancellationToken)
    {
        while (true)
        {
            var e = await ReadAsync(cancellationToken);
            if (predicate(e))
            {
                return e;
            }
        }
    }
}
