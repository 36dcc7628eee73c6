namespace StarSync.Plex;

/// <summary>
/// Reads each response body inside the resilience pipeline (it sits inside the retry and per-try timeout handlers),
/// so a connection dropped or stalled mid-body counts as a failed attempt and is retried, instead of surfacing
/// after the pipeline has already declared success. Plex pages are at most 1000 tracks (about 1 MB), so buffering is cheap.
/// </summary>
internal sealed class PlexBufferingHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken);
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
