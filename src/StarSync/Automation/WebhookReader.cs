using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace StarSync.Automation;

/// <summary>A payload read from a webhook request, or why it could not be read (a 4xx status and a message).</summary>
internal readonly record struct WebhookRead(WebhookPayload? Payload, int Status, string? Error)
{
    public static WebhookRead Fail(int status, string error) => new(null, status, error);
}

/// <summary>
/// Reads what PMS and other senders post: multipart/form-data with a "payload" part (and maybe a "thumb" JPEG), a
/// url-encoded "payload" field, or a raw JSON body. Streams with hard limits; every malformed input is a 4xx.
/// </summary>
internal static class WebhookReader
{
    // RFC 2046 caps a boundary at 70 characters; MultipartReader would throw on one longer than its buffer.
    private const int MaxBoundaryLength = 70;

    // PMS sends two parts; a few more are tolerated, a flood of tiny parts is not.
    private const int MaxParts = 16;

    private const string Expected = "Send multipart/form-data with a \"payload\" part (as Plex does), a url-encoded \"payload\" field, or an application/json body.";

    public static async Task<WebhookRead> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.ContentType) || !MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
        {
            return WebhookRead.Fail(StatusCodes.Status415UnsupportedMediaType, "Missing or unreadable Content-Type. " + Expected);
        }

        var mediaType = contentType.MediaType.Value ?? "";
        var kind = mediaType.ToLowerInvariant() switch
        {
            "multipart/form-data" => BodyKind.Multipart,
            "application/x-www-form-urlencoded" => BodyKind.Form,
            "application/json" or "text/json" => BodyKind.Json,
            var t when t.EndsWith("+json", StringComparison.Ordinal) => BodyKind.Json,
            _ => BodyKind.Unsupported,
        };
        if (kind == BodyKind.Unsupported)
        {
            return WebhookRead.Fail(StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{Shorten(mediaType)}' is not supported. " + Expected);
        }

        var limit = kind switch
        {
            BodyKind.Multipart => AutomationOptions.MaxMultipartBytes,
            BodyKind.Form => AutomationOptions.MaxFormBytes,
            _ => AutomationOptions.MaxPayloadBytes,
        };
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        // Kestrel enforces this for chunked bodies too (BadHttpRequestException 413), on this endpoint only.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        try
        {
            var read = kind switch
            {
                BodyKind.Multipart => await ReadMultipartAsync(request, contentType, cancellationToken),
                BodyKind.Form => await ReadFormAsync(request, cancellationToken),
                _ => await ReadJsonBodyAsync(request.Body, cancellationToken),
            };
            return read.Error is null ? Parse(read.Bytes!) : WebhookRead.Fail(read.Status, read.Error);
        }
        catch (BadHttpRequestException ex)
        {
            return ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge(limit)
                : WebhookRead.Fail(StatusCodes.Status400BadRequest, "The request body could not be read: " + ex.Message);
        }
        catch (InvalidDataException ex)
        {
            // MultipartReader and FormReader report malformed structure and exceeded limits this way.
            return WebhookRead.Fail(StatusCodes.Status400BadRequest, "The request body is malformed: " + ex.Message);
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A truncated upload (the sender went away mid-body) lands here; nobody may be left to read the answer.
            return WebhookRead.Fail(StatusCodes.Status400BadRequest, "The request body ended early: " + ex.Message);
        }
    }

    /// <summary>Parses payload JSON; every way it can be wrong is a 400 that says what is wrong.</summary>
    public static WebhookRead Parse(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json.Trim(" \t\r\n"u8).IsEmpty)
        {
            return WebhookRead.Fail(StatusCodes.Status400BadRequest, "The payload is empty. " + Expected);
        }

        try
        {
            var payload = JsonSerializer.Deserialize(json, WebhookJsonContext.Default.WebhookPayload);
            return payload is null
                ? WebhookRead.Fail(StatusCodes.Status400BadRequest, "The payload is JSON null, not an object.")
                : new WebhookRead(payload, StatusCodes.Status200OK, null);
        }
        catch (JsonException ex)
        {
            return WebhookRead.Fail(StatusCodes.Status400BadRequest, "The payload is not valid Plex webhook JSON: " + Shorten(ex.Message));
        }
    }

    private static async Task<BodyRead> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue contentType, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > MaxBoundaryLength)
        {
            return BodyRead.Fail(StatusCodes.Status400BadRequest, $"multipart/form-data needs a boundary of 1 to {MaxBoundaryLength} characters.");
        }

        var reader = new MultipartReader(boundary, request.Body);
        byte[]? payload = null;
        var parts = 0;
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (++parts > MaxParts)
            {
                return BodyRead.Fail(StatusCodes.Status400BadRequest, $"Too many parts (more than {MaxParts}); Plex sends a payload and at most a thumb.");
            }

            // The payload may come as a plain field or as a file-like part with Content-Type application/json (§9).
            if (payload is null && ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) &&
                string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, "payload", StringComparison.Ordinal))
            {
                payload = await ReadLimitedAsync(section.Body, AutomationOptions.MaxPayloadBytes, cancellationToken);
                if (payload is null)
                {
                    return BodyRead.Fail(StatusCodes.Status413PayloadTooLarge, $"The payload part is larger than {AutomationOptions.MaxPayloadBytes / 1024} KB.");
                }
            }
            else
            {
                // The poster thumb (or anything else) is not needed: drain it without keeping it.
                await section.Body.CopyToAsync(Stream.Null, cancellationToken);
            }
        }

        return payload is null
            ? BodyRead.Fail(StatusCodes.Status400BadRequest, "The multipart body has no \"payload\" part.")
            : new BodyRead(payload, 0, null);
    }

    private static async Task<BodyRead> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new FormReader(request.Body)
        {
            ValueCountLimit = MaxParts,
            KeyLengthLimit = 1024,
            ValueLengthLimit = AutomationOptions.MaxPayloadBytes,
        };
        var form = await reader.ReadFormAsync(cancellationToken);
        return form.TryGetValue("payload", out var values) && values.Count > 0 && values[0] is { } text
            ? new BodyRead(System.Text.Encoding.UTF8.GetBytes(text), 0, null)
            : BodyRead.Fail(StatusCodes.Status400BadRequest, "The url-encoded body has no \"payload\" field.");
    }

    private static async Task<BodyRead> ReadJsonBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        var bytes = await ReadLimitedAsync(body, AutomationOptions.MaxPayloadBytes, cancellationToken);
        return bytes is null
            ? BodyRead.Fail(StatusCodes.Status413PayloadTooLarge, $"The JSON body is larger than {AutomationOptions.MaxPayloadBytes / 1024} KB.")
            : new BodyRead(bytes, 0, null);
    }

    /// <summary>Reads the whole stream, or returns null as soon as it exceeds <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadLimitedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var collected = new MemoryStream();
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (collected.Length + read > limit)
                {
                    return null;
                }

                collected.Write(buffer, 0, read);
            }

            return collected.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static WebhookRead TooLarge(long limit) =>
        WebhookRead.Fail(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit / 1024} KB, the most a Plex webhook needs.");

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private enum BodyKind { Unsupported, Multipart, Form, Json }

    private readonly record struct BodyRead(byte[]? Bytes, int Status, string? Error)
    {
        public static BodyRead Fail(int status, string error) => new(null, status, error);
    }
}
