using System.Buffers;
using System.Net;

namespace StarSync.Plex;

/// <summary>
/// Reads each response body inside the resilience pipeline (it sits inside the retry and per-try timeout handlers),
/// so a connection dropped or stalled mid-body counts as a failed attempt and is retried, instead of surfacing
/// after the pipeline has already declared success. The body goes into <see cref="PlexBody"/>: pooled 64 KB chunks,
/// below the large-object heap and given back when the response is disposed. A 1,000-track page is about 1.1 MB of
/// JSON; buffered the usual way (a growing MemoryStream) each page left 2-3 MB of large-object garbage behind, which
/// with a few pages in flight set the process's peak memory (docs/benchmarks.md, "Peak memory").
/// </summary>
internal sealed class PlexBufferingHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        try
        {
            var body = await PlexBody.ReadAsync(response.Content, cancellationToken);
            var original = response.Content;
            foreach (var header in original.Headers)
            {
                body.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = body;
            original.Dispose();
        }
        catch (Exception e) when (e is IOException)
        {
            response.Dispose();
            throw new HttpRequestException("The connection broke while reading the response.", e);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }
}

/// <summary>A response body held in pooled chunks; <see cref="Json"/> hands it to a <c>Utf8JsonReader</c> without copying.</summary>
internal sealed class PlexBody : HttpContent
{
    /// <summary>Below the 85,000-byte large-object threshold, and a size <see cref="ArrayPool{T}.Shared"/> keeps.</summary>
    internal const int ChunkSize = 64 * 1024;

    private readonly List<byte[]> _chunks = [];
    private long _length;
    private ReadOnlySequence<byte>? _sequence;
    private bool _disposed;

    private PlexBody()
    {
    }

    /// <summary>The whole body as one sequence over the pooled chunks (valid until the response is disposed).</summary>
    public ReadOnlySequence<byte> Json
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _sequence ??= BuildSequence();
        }
    }

    public static async Task<PlexBody> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var body = new PlexBody();
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            while (true)
            {
                var used = (int)(body._length % ChunkSize);
                if (used == 0 && body._length == body._chunks.Count * (long)ChunkSize)
                {
                    body._chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
                }

                var chunk = body._chunks[^1];
                var read = await stream.ReadAsync(chunk.AsMemory(used, ChunkSize - used), cancellationToken);
                if (read == 0)
                {
                    return body;
                }

                body._length += read;
            }
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var segment in Json)
        {
            await stream.WriteAsync(segment, cancellationToken);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _sequence = null;
            foreach (var chunk in _chunks)
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            _chunks.Clear();
        }

        base.Dispose(disposing);
    }

    private ReadOnlySequence<byte> BuildSequence()
    {
        if (_length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        if (_chunks.Count == 1)
        {
            return new ReadOnlySequence<byte>(_chunks[0], 0, (int)_length);
        }

        Segment? first = null;
        Segment? last = null;
        var remaining = _length;
        foreach (var chunk in _chunks)
        {
            var take = (int)Math.Min(remaining, ChunkSize);
            remaining -= take;
            var segment = new Segment(chunk.AsMemory(0, take), last is null ? 0 : last.RunningIndex + last.Memory.Length);
            first ??= segment;
            last?.SetNext(segment);
            last = segment;
            if (remaining == 0)
            {
                break;
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
