using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Web.Auth;

namespace StarSync.Automation;

/// <summary>What StarSync answers a webhook sender (Plex ignores it; people testing with curl read it).</summary>
public sealed record WebhookAnswer(string Outcome);

/// <summary>
/// Handles one webhook request: authenticates, parses, hands new music to the <see cref="NewMusicBatcher"/>, records
/// the outcome, and answers. It never waits for Plex or a job, so Plex's sender is never held up.
/// </summary>
public sealed partial class WebhookReceiver(
    SettingsStore settings,
    NewMusicBatcher batcher,
    AutomationState state,
    IOptions<AutomationOptions> options,
    TimeProvider time,
    ILogger<WebhookReceiver> logger)
{
    private const string NewMusicEvent = "library.new";

    /// <summary>Longer than any ratingKey a server sends, short enough that no URL or log line grows unreasonably.</summary>
    private const int MaxRatingKeyLength = 128;

    /// <summary>Handles a webhook. <paramref name="secret"/> is null when the URL carries none.</summary>
    public async Task<Results<Accepted<WebhookAnswer>, Ok<WebhookAnswer>, ProblemHttpResult>> ReceiveAsync(
        HttpContext context, string? secret, CancellationToken cancellationToken)
    {
        if (!IsAuthorized(secret))
        {
            // The secret itself is never logged, right or wrong.
            // Not recorded on the dashboard: anyone could otherwise overwrite what Plex's real webhooks show there.
            LogRefused(secret is null ? "missing" : "wrong", context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return TypedResults.Problem(
                title: "Wrong or missing webhook secret",
                detail: "Copy the webhook URL from StarSync's Settings page (it ends in /plex-webhook/<secret>) and paste it into Plex Web under Account settings > Webhooks.",
                statusCode: StatusCodes.Status401Unauthorized);
        }

        var read = await WebhookReader.ReadAsync(context.Request, cancellationToken);
        if (read.Payload is not { } payload)
        {
            LogRejected(read.Status, read.Error!);
            Record("unknown", null, "rejected: " + read.Error);
            return TypedResults.Problem(title: "Not a Plex webhook StarSync can read", detail: read.Error, statusCode: read.Status);
        }

        return Decide(payload);
    }

    private Results<Accepted<WebhookAnswer>, Ok<WebhookAnswer>, ProblemHttpResult> Decide(WebhookPayload payload)
    {
        if (string.IsNullOrWhiteSpace(payload.Event))
        {
            return Rejected("unknown", null, "The payload has no \"event\".");
        }

        var eventName = Clean(payload.Event);
        if (!string.Equals(eventName, NewMusicEvent, StringComparison.Ordinal))
        {
            return Ignored(eventName, payload.Metadata?.Describe(), $"{eventName} is not a new-music event");
        }

        if (payload.Metadata is not { } item)
        {
            return Rejected(eventName, null, "library.new without \"Metadata\": there is no item to rate.");
        }

        var title = item.Describe();
        if (string.IsNullOrWhiteSpace(item.RatingKey))
        {
            return Rejected(eventName, title, "library.new without \"Metadata.ratingKey\": there is no item to rate.");
        }

        // ratingKeys are opaque strings (numbers on today's servers, but Plex does not promise it); they are escaped
        // wherever they go into a URL. Only keys nobody could mean are refused.
        if (item.RatingKey.Length > MaxRatingKeyLength || item.RatingKey.Any(char.IsControl))
        {
            return Rejected(eventName, title, $"\"Metadata.ratingKey\" is not a Plex ratingKey (at most {MaxRatingKeyLength} characters, no control characters).");
        }

        if (item.LibrarySectionType is { } sectionType && !string.Equals(sectionType, "artist", StringComparison.Ordinal))
        {
            return Ignored(eventName, title, $"library.new in a {Shorten(sectionType)} library, not a music library");
        }

        if (item.Type is { } type && type is not ("track" or "album" or "artist"))
        {
            return Ignored(eventName, title, $"library.new for a {Shorten(type)}, not a track, album or artist");
        }

        if (!string.IsNullOrWhiteSpace(item.LibrarySectionTitle))
        {
            if (!LibraryMatcher.NameMatches(item.LibrarySectionTitle, settings.Current.Libraries))
            {
                return Ignored(eventName, title, $"library '{Shorten(item.LibrarySectionTitle)}' is not one of the selected libraries");
            }
        }
        else if (string.IsNullOrWhiteSpace(item.LibrarySectionId) || !item.LibrarySectionId.All(char.IsAsciiDigit))
        {
            // A section ID alone is enough: the rating job keeps only tracks of the selected libraries.
            return Rejected(eventName, title, "library.new without \"Metadata.librarySectionTitle\" or a numeric \"librarySectionID\": StarSync cannot tell which library it is in.");
        }

        var isTrack = string.Equals(item.Type, "track", StringComparison.Ordinal);
        var parent = isTrack && item.ParentRatingKey is { Length: > 0 and <= 20 } p && p.All(char.IsAsciiDigit) ? p : null;
        var added = batcher.Add(new NewMusicItem(item.RatingKey, parent, isTrack, NewMusicSource.Webhook));
        var waiting = added.Waiting;
        var outcome = added.AlreadyQueued ? "already queued for rating (Plex's notifications announced it first)"
            : waiting == 1 ? "queued 1 item for rating" : $"queued 1 item for rating ({waiting} new items waiting)";
        LogAccepted(eventName, item.RatingKey, waiting);
        Record(eventName, title ?? item.RatingKey, outcome);
        return TypedResults.Accepted((string?)null, new WebhookAnswer(outcome));
    }

    private bool IsAuthorized(string? secret)
    {
        if (secret is null)
        {
            return options.Value.AllowUnauthenticatedWebhook;
        }

        var expected = settings.Current.WebhookSecret;
        if (expected.Length == 0)
        {
            return false;
        }

        return ConstantTime.SecretEquals(secret, expected);
    }

    private Ok<WebhookAnswer> Ignored(string eventName, string? title, string reason)
    {
        LogIgnored(eventName, reason);
        Record(eventName, title, "ignored: " + reason);
        return TypedResults.Ok(new WebhookAnswer("ignored: " + reason));
    }

    private ProblemHttpResult Rejected(string eventName, string? title, string reason)
    {
        LogRejected(StatusCodes.Status400BadRequest, reason);
        Record(eventName, title, "rejected: " + reason);
        return TypedResults.Problem(title: "Not a Plex webhook StarSync can read", detail: reason, statusCode: StatusCodes.Status400BadRequest);
    }

    private void Record(string eventName, string? item, string outcome) =>
        state.LastWebhook = new WebhookReceipt(eventName, item, time.GetUtcNow(), outcome);

    private static string Shorten(string text) => Clean(text);

    /// <summary>Sender text as it may appear in logs and on the dashboard: short, one line.</summary>
    internal static string Clean(string text)
    {
        var shortened = text.Length > 80 ? text[..80] + "…" : text;
        return string.Create(shortened.Length, shortened, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "Webhook {Event} for item {RatingKey}: queued for rating ({Waiting} new item(s) waiting)")]
    private partial void LogAccepted(string @event, string ratingKey, int waiting);

    [LoggerMessage(EventId = 5112, Level = LogLevel.Information, Message = "Webhook {Event} ignored: {Reason}")]
    private partial void LogIgnored(string @event, string reason);

    [LoggerMessage(EventId = 5113, Level = LogLevel.Warning, Message = "Webhook rejected with {Status}: {Reason}")]
    private partial void LogRejected(int status, string reason);

    [LoggerMessage(EventId = 5114, Level = LogLevel.Warning, Message = "Webhook refused: {Problem} secret (from {RemoteAddress}). The URL to paste into Plex is on the Settings page")]
    private partial void LogRefused(string problem, string remoteAddress);
}
