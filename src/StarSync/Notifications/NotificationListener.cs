using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StarSync.Automation;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Plex;

namespace StarSync.Notifications;

/// <summary>
/// Listens to Plex's notification websocket (plex-api.md §9b), so new music is rated without Plex Pass or a webhook:
/// library items of the selected music libraries that Plex announces as created and then processed go to the
/// <see cref="NewMusicBatcher"/> (the webhook's debouncer), and a scan that may have been missed in part is caught
/// up with the unrated batch, newest first.
/// </summary>
/// <remarks>
/// Reconnects with jittered exponential backoff (1 s doubling, capped at 60 s) on <see cref="TimeProvider"/>, so
/// tests advance it; stops on 401 until PLEX_TOKEN changes. Memory is bounded whatever Plex sends: one frame is
/// read into a buffer of at most <see cref="MaxFrameBytes"/> (larger frames are skipped and counted), and the
/// items remembered between "created" and "processed" are capped.
/// </remarks>
public sealed partial class NotificationListener(
    SettingsStore settings,
    IOptionsMonitor<PlexOptions> plexOptions,
    IPlexClient plex,
    NewMusicBatcher batcher,
    JobQueue queue,
    NotificationStatus status,
    TimeProvider time,
    ILogger<NotificationListener> logger) : BackgroundService
{
    /// <summary>Largest frame read; PMS frames are a few KB (a batch of timeline entries), so 1 MB is generous.</summary>
    public const int MaxFrameBytes = 1024 * 1024;

    /// <summary>The longest wait between two connection attempts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    /// <summary>The first wait after a failure; doubled per attempt.</summary>
    public static readonly TimeSpan BaseBackoff = TimeSpan.FromSeconds(1);

    /// <summary>Most items remembered between "created" and "processed" (a huge import forgets the oldest).</summary>
    public const int MaxTrackedItems = 50_000;

    internal const string LibraryIdentifier = "com.plexapp.plugins.library";
    private const string ScanActivity = "library.update.section";
    private const string ScanComplete = "Library scan complete";
    private static readonly TimeSpan s_sectionRefreshInterval = TimeSpan.FromMinutes(1);

    private readonly Lock _wakeLock = new();
    private CancellationTokenSource _wake = new();

    // Per connection (the receive loop is the only writer).
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);
    private readonly Queue<string> _createdOrder = new();

    // Items already handed to the batcher: PMS repeats "processed" (media analysis after metadata), and a repeat
    // must neither queue again nor look like a missed announcement.
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly Queue<string> _doneOrder = new();
    private readonly Dictionary<string, string> _scans = new(StringComparer.Ordinal);
    private readonly HashSet<string> _scannedSections = new(StringComparer.Ordinal);
    private Dictionary<string, PlexLibrary> _sections = new(StringComparer.Ordinal);
    private DateTimeOffset _sectionsAt = DateTimeOffset.MinValue;
    private bool _mayHaveMissed;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        settings.Changed += OnSettingsChanged;
        if (settings.Current.PlexNotifications)
        {
            status.Update(s => s with { State = ListenerState.Connecting, Since = time.GetUtcNow() });
        }

        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        settings.Changed -= OnSettingsChanged;
        await base.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tokenChange = plexOptions.OnChange(_ => Wake());
        var attempt = 0;
        var wasConnected = false;
        string? refusedToken = null;
        var enabled = settings.Current.PlexNotifications;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = WakeToken();
            try
            {
                enabled = settings.Current.PlexNotifications;
                var token = plexOptions.CurrentValue.Token?.Trim() ?? "";
                if (!enabled)
                {
                    status.Update(s => s with { State = ListenerState.Off, Since = time.GetUtcNow(), Attempt = 0, NextAttemptAt = null, Problem = null });
                    LogOff();
                    attempt = 0;
                    await WaitAsync(Timeout.InfiniteTimeSpan, wake, stoppingToken);
                    continue;
                }

                if (refusedToken is not null && string.Equals(refusedToken, token, StringComparison.Ordinal))
                {
                    await WaitAsync(Timeout.InfiniteTimeSpan, wake, stoppingToken);
                    continue;
                }

                refusedToken = null;
                status.Update(s => s with { State = ListenerState.Connecting, Attempt = attempt, NextAttemptAt = null });
                var outcome = await ConnectAndListenAsync(wasConnected, wake, stoppingToken);
                switch (outcome.Kind)
                {
                    case OutcomeKind.Refused:
                        refusedToken = token;
                        attempt = 0;
                        status.Update(s => s with
                        {
                            State = ListenerState.Stopped, Since = time.GetUtcNow(), Attempt = 0, NextAttemptAt = null,
                            Problem = "Plex refused the token (HTTP 401). Set a valid PLEX_TOKEN; StarSync listens again as soon as the token changes.",
                        });
                        LogRefused();
                        continue;
                    case OutcomeKind.Interrupted:
                        // Turned off, or a new token: decide again at once.
                        attempt = 0;
                        continue;
                    case OutcomeKind.Lost:
                        wasConnected = true;
                        attempt = 1;
                        break;
                    default:
                        attempt++;
                        break;
                }

                var delay = Backoff(attempt, Random.Shared.NextDouble());
                var next = time.GetUtcNow() + delay;
                // The timer exists before the status says "waiting", so whoever reads the status and advances the
                // clock cannot advance it past a timer that is not there yet.
                var waiting = WaitAsync(delay, wake, stoppingToken);
                status.Update(s => s with { State = ListenerState.Reconnecting, Attempt = attempt, NextAttemptAt = next, Problem = outcome.Problem });
                LogRetrying(outcome.Problem ?? "connection lost", attempt, delay.TotalSeconds);
                await waiting;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (wake.IsCancellationRequested)
            {
                // Woken by a settings or token change.
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong, the listener lives on: the next attempt starts from scratch.
                attempt++;
                var delay = Backoff(attempt, Random.Shared.NextDouble());
                var next = time.GetUtcNow() + delay;
                var waiting = WaitAsync(delay, wake, stoppingToken);
                status.Update(s => s with { State = ListenerState.Reconnecting, Attempt = attempt, NextAttemptAt = next, Problem = ex.Message });
                LogFailed(ex, ex.Message, attempt, delay.TotalSeconds);
                await waiting;
            }
        }
    }

    /// <summary>Jittered exponential backoff: 1 s doubling per attempt, capped at 60 s, each wait 50..100% of its step.</summary>
    public static TimeSpan Backoff(int attempt, double jitter) => StarSync.Plex.Backoff.Delay(BaseBackoff, MaxBackoff, attempt, jitter);

    private async Task<Outcome> ConnectAndListenAsync(bool reconnecting, CancellationToken wake, CancellationToken stoppingToken)
    {
        var options = plexOptions.CurrentValue;
        if (!TryBuildUri(options, out var uri))
        {
            return new Outcome(OutcomeKind.Failed, "PLEX_URL is not an http(s) address");
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(wake, stoppingToken);
        using var socket = new ClientWebSocket();
        var token = options.Token?.Trim() ?? "";
        if (token.Length > 0 && token.All(c => c is > ' ' and < (char)127))
        {
            // As a header, never in the URL: no URI StarSync might log carries the token.
            socket.Options.SetRequestHeader("X-Plex-Token", token);
        }

        socket.Options.SetRequestHeader("X-Plex-Client-Identifier",
            string.IsNullOrWhiteSpace(options.ClientIdentifier) ? PlexClient.FallbackClientIdentifier : options.ClientIdentifier.Trim());
        socket.Options.SetRequestHeader("X-Plex-Product", PlexClient.Product);
        socket.Options.SetRequestHeader("X-Plex-Version", PlexClient.ProductVersion);
        socket.Options.CollectHttpResponseDetails = true;
        // PMS pings its clients (the runtime answers); our own pings notice a connection that died silently.
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(30);

        using (var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, options.TimeoutSeconds)), time))
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, connectTimeout.Token))
        {
            try
            {
                await socket.ConnectAsync(uri, connecting.Token);
            }
            catch (WebSocketException ex)
            {
                return socket.HttpStatusCode == HttpStatusCode.Unauthorized
                    ? new Outcome(OutcomeKind.Refused, "Plex refused the token (HTTP 401)")
                    : new Outcome(OutcomeKind.Failed, socket.HttpStatusCode != 0
                        ? $"Plex answered HTTP {(int)socket.HttpStatusCode} instead of opening the notification websocket"
                        : "could not reach Plex: " + (ex.InnerException?.Message ?? ex.Message));
            }
            catch (OperationCanceledException) when (connectTimeout.IsCancellationRequested && !linked.IsCancellationRequested)
            {
                return new Outcome(OutcomeKind.Failed, $"Plex did not open the notification websocket within {options.TimeoutSeconds} s");
            }
            catch (OperationCanceledException) when (wake.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                return new Outcome(OutcomeKind.Interrupted, null);
            }
        }

        ResetConnectionState();
        var since = time.GetUtcNow();
        status.Update(s => s with { State = ListenerState.Connected, Since = since, Attempt = 0, NextAttemptAt = null, Problem = null });
        LogConnected(reconnecting);
        await RefreshSectionsAsync(force: true, linked.Token);
        if (reconnecting)
        {
            // Whatever Plex added while the connection was down was announced to nobody.
            await QueueCatchUpAsync("reconnected after the connection was lost", linked.Token);
        }

        try
        {
            return await ReceiveAsync(socket, linked.Token);
        }
        catch (OperationCanceledException) when (wake.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return new Outcome(OutcomeKind.Interrupted, null);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException && !stoppingToken.IsCancellationRequested)
        {
            LogLost(ex.Message);
            return new Outcome(OutcomeKind.Lost, "the connection to Plex was lost");
        }
    }

    private async Task<Outcome> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var chunk = new byte[16 * 1024];
        var frame = new byte[16 * 1024];
        while (true)
        {
            var length = 0;
            var oversized = false;
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(chunk, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    LogLost($"Plex closed the connection ({socket.CloseStatus}, {socket.CloseStatusDescription})");
                    return new Outcome(OutcomeKind.Lost, "Plex closed the connection");
                }

                if (oversized)
                {
                    continue; // drained, not kept
                }

                if (length + result.Count > MaxFrameBytes)
                {
                    oversized = true;
                    continue;
                }

                if (length + result.Count > frame.Length)
                {
                    Array.Resize(ref frame, Math.Min(MaxFrameBytes, Math.Max(frame.Length * 2, length + result.Count)));
                }

                Buffer.BlockCopy(chunk, 0, frame, length, result.Count);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (oversized)
            {
                Dropped(oversize: true, $"a frame larger than {MaxFrameBytes / 1024} KB was skipped");
                continue;
            }

            if (result.MessageType != WebSocketMessageType.Text)
            {
                Dropped(oversize: false, "a binary frame was skipped (Plex sends JSON text)");
                continue;
            }

            await HandleFrameAsync(frame.AsMemory(0, length), cancellationToken);

            // A burst of large frames must not keep a large buffer for the rest of the connection.
            if (frame.Length > 64 * 1024)
            {
                frame = new byte[16 * 1024];
            }
        }
    }

    /// <summary>Acts on one frame; anything unreadable is counted and skipped, never fatal.</summary>
    internal async Task HandleFrameAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        NotificationContainer? container;
        try
        {
            container = JsonSerializer.Deserialize(json.Span, NotificationJsonContext.Default.NotificationFrame)?.Container;
        }
        catch (JsonException ex)
        {
            Dropped(oversize: false, "a frame that is not Plex notification JSON was skipped: " + Shorten(ex.Message));
            return;
        }

        if (container is null)
        {
            Dropped(oversize: false, "a frame without NotificationContainer was skipped");
            return;
        }

        status.Update(s => s with { FramesReceived = s.FramesReceived + 1 });
        var type = Clean(container.Type ?? "unknown");
        switch (type)
        {
            case "timeline":
                var queued = 0;
                foreach (var entry in container.Timeline ?? [])
                {
                    if (entry is not null && await HandleTimelineAsync(entry, cancellationToken))
                    {
                        queued++;
                    }
                }

                if (queued > 0)
                {
                    status.Update(s => s with { ItemsQueued = s.ItemsQueued + queued });
                    Record(type, $"{queued} new item(s) processed by Plex, queued for rating");
                    LogItemsQueued(queued);
                }

                break;
            case "activity":
                foreach (var activity in container.Activities ?? [])
                {
                    if (activity?.Activity is { } detail)
                    {
                        HandleActivity(activity, detail);
                    }
                }

                break;
            case "status":
                foreach (var entry in container.Statuses ?? [])
                {
                    if (entry?.Title is { } title && string.Equals(title.Trim(), ScanComplete, StringComparison.OrdinalIgnoreCase))
                    {
                        await HandleScanCompleteAsync(cancellationToken);
                    }
                }

                break;
            default:
                // playing, progress, reachability, transcodeSession…: not about new music.
                break;
        }
    }

    private async Task<bool> HandleTimelineAsync(TimelineEntry entry, CancellationToken cancellationToken)
    {
        if (!string.Equals(entry.Identifier, LibraryIdentifier, StringComparison.Ordinal) ||
            entry.Type is not ("9" or "10") || !IsKey(entry.ItemId) || entry.SectionId is not { } sectionId)
        {
            return false; // other identifiers (tv.plex.*), artists, type -1, junk
        }

        var itemId = entry.ItemId!;
        if (entry.State == "9")
        {
            Forget(itemId); // deleted: never rated
            _done.Remove(itemId);
            return false;
        }

        var library = await FindSelectedLibraryAsync(sectionId, cancellationToken);
        if (library is null)
        {
            return false;
        }

        if (entry.State == "0")
        {
            Remember(itemId);
            return false;
        }

        var final = entry.State == "5" || (library.HasNoAgent && entry.State == "1");
        if (!final)
        {
            return false;
        }

        if (_done.Contains(itemId))
        {
            return false;
        }

        if (!_created.Contains(itemId))
        {
            // Processed without our having seen it created: a refresh of an old item, or a scan that started
            // before we connected. The next "Library scan complete" catches up with the unrated batch.
            _mayHaveMissed = true;
            return false;
        }

        Forget(itemId);
        if (_done.Add(itemId))
        {
            _doneOrder.Enqueue(itemId);
            while (_doneOrder.Count > MaxTrackedItems && _doneOrder.TryDequeue(out var oldest))
            {
                _done.Remove(oldest);
            }
        }

        var isTrack = entry.Type == "10";
        var parent = isTrack && IsKey(entry.ParentItemId) ? entry.ParentItemId : null;
        var added = batcher.Add(new NewMusicItem(itemId, parent, isTrack, NewMusicSource.Notification));
        return !added.AlreadyQueued;
    }

    private void HandleActivity(ActivityNotification activity, ActivityDetail detail)
    {
        if (!string.Equals(detail.Type, ScanActivity, StringComparison.Ordinal) || activity.Uuid is not { } uuid)
        {
            return;
        }

        var section = detail.Context?.LibrarySectionId ?? "";
        switch (activity.Event)
        {
            case "started":
                if (_scans.Count < 1000)
                {
                    _scans[uuid] = section;
                }

                break;
            case "ended":
                if (!_scans.Remove(uuid))
                {
                    _mayHaveMissed = true; // a scan that began before we were listening
                }

                if (_scannedSections.Count < 1000)
                {
                    _scannedSections.Add(section);
                }

                Record("activity", Clean(detail.Title ?? "library scan") + " ended");
                break;
            default:
                if (!_scans.ContainsKey(uuid))
                {
                    _mayHaveMissed = true;
                }

                break;
        }
    }

    private async Task HandleScanCompleteAsync(CancellationToken cancellationToken)
    {
        var sections = _scannedSections.ToArray();
        _scannedSections.Clear();
        var selected = false;
        foreach (var section in sections)
        {
            selected |= section.Length == 0 || await FindSelectedLibraryAsync(section, cancellationToken) is not null;
        }

        // Without a scan activity we cannot tell which library it was: assume it may be a selected one.
        selected |= sections.Length == 0;
        if (selected && _mayHaveMissed)
        {
            _mayHaveMissed = false;
            await QueueCatchUpAsync("a library scan completed and some of its announcements were missed", cancellationToken);
            return;
        }

        Record("status", ScanComplete);
    }

    private async Task QueueCatchUpAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            var count = settings.Current.BatchSize;
            var job = await queue.EnqueueAsync(new JobRequest(JobTrigger.Notification, JobMode.UnratedBatch, Count: count), cancellationToken);
            status.Update(s => s with { CatchUps = s.CatchUps + 1 });
            Record("catch-up", $"{reason}: queued job #{job.Id}, up to {count} unrated tracks, newest first");
            LogCatchUp(reason, job.Id, count);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogCatchUpFailed(ex, ex.Message);
        }
    }

    private async Task<PlexLibrary?> FindSelectedLibraryAsync(string sectionId, CancellationToken cancellationToken)
    {
        if (!_sections.ContainsKey(sectionId))
        {
            await RefreshSectionsAsync(force: false, cancellationToken);
        }

        return _sections.TryGetValue(sectionId, out var library) && LibraryMatcher.IsNamed(library, settings.Current.Libraries)
            ? library
            : null;
    }

    private async Task RefreshSectionsAsync(bool force, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!force && now - _sectionsAt < s_sectionRefreshInterval)
        {
            return; // an unknown section id in every frame must not become a request per frame
        }

        _sectionsAt = now;
        try
        {
            var libraries = await plex.GetLibrariesAsync(cancellationToken);
            _sections = libraries.ToDictionary(l => l.Key, StringComparer.Ordinal);
        }
        catch (PlexException ex)
        {
            // Entries of unknown sections are skipped until the next refresh; the schedule still covers them.
            LogSectionsFailed(ex.Message);
        }
    }

    private void Remember(string itemId)
    {
        if (_created.Add(itemId))
        {
            _createdOrder.Enqueue(itemId);
            while (_createdOrder.Count > MaxTrackedItems && _createdOrder.TryDequeue(out var oldest))
            {
                if (_created.Remove(oldest))
                {
                    _mayHaveMissed = true; // forgotten before it was processed: the catch-up covers it
                }
            }
        }
    }

    private void Forget(string itemId) => _created.Remove(itemId);

    private void ResetConnectionState()
    {
        _created.Clear();
        _createdOrder.Clear();
        _done.Clear();
        _doneOrder.Clear();
        _scans.Clear();
        _scannedSections.Clear();
        _mayHaveMissed = false;
    }

    private void Dropped(bool oversize, string reason)
    {
        // A damaged frame may have carried an announcement: the next scan completion catches up.
        _mayHaveMissed = true;
        status.Update(s => s with
        {
            FramesDropped = s.FramesDropped + 1,
            OversizedFrames = s.OversizedFrames + (oversize ? 1 : 0),
            MalformedFrames = s.MalformedFrames + (oversize ? 0 : 1),
        });
        Record("dropped", reason);
        LogDropped(reason);
    }

    private void Record(string type, string description) =>
        status.Update(s => s with { LastEvent = new NotificationEvent(type, description, time.GetUtcNow()) });

    private void OnSettingsChanged(StarSyncSettings changed)
    {
        var listening = status.Snapshot().State != ListenerState.Off;
        if (changed.PlexNotifications != listening)
        {
            Wake();
        }
    }

    private void Wake()
    {
        CancellationTokenSource old;
        lock (_wakeLock)
        {
            old = _wake;
            _wake = new CancellationTokenSource();
        }

        // Not disposed: the loop may still be linking to its token; a cancelled source holds nothing worth freeing.
        old.Cancel();
    }

    private CancellationToken WakeToken()
    {
        lock (_wakeLock)
        {
            return _wake.Token;
        }
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken wake, CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(wake, stoppingToken);
        try
        {
            await Task.Delay(delay, time, linked.Token);
        }
        catch (OperationCanceledException) when (wake.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            // Woken early.
        }
    }

    private static bool TryBuildUri(PlexOptions options, out Uri uri)
    {
        uri = null!;
        if (!Uri.TryCreate(options.Url?.Trim(), UriKind.Absolute, out var http) || (http.Scheme != Uri.UriSchemeHttp && http.Scheme != Uri.UriSchemeHttps))
        {
            return false;
        }

        // Keeps a reverse proxy's path prefix; drops user info and query, as the HTTP client does.
        var builder = new UriBuilder(http)
        {
            Scheme = http.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Path = http.AbsolutePath.TrimEnd('/') + "/:/websockets/notifications",
            Query = "",
            UserName = "",
            Password = "",
        };
        uri = builder.Uri;
        return true;
    }

    private static bool IsKey(string? value) => value is { Length: > 0 and <= 20 } && value.All(char.IsAsciiDigit);

    private static string Clean(string text) => WebhookReceiver.Clean(text);

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;

    private enum OutcomeKind { Failed, Lost, Refused, Interrupted }

    private readonly record struct Outcome(OutcomeKind Kind, string? Problem);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Listening to Plex's notifications for new music (reconnected: {Reconnected})")]
    private partial void LogConnected(bool reconnected);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Plex notifications: {Problem}; attempt {Attempt} failed, trying again in {DelaySeconds:0.#} s")]
    private partial void LogRetrying(string problem, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Error, Message = "Plex refused the token on the notification websocket (HTTP 401): StarSync stops listening until PLEX_TOKEN changes. New music is still rated by the schedule and the webhook")]
    private partial void LogRefused();

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "Plex notifications: the connection was lost ({Reason}); reconnecting")]
    private partial void LogLost(string reason);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Warning, Message = "Plex notifications: {Reason}")]
    private partial void LogDropped(string reason);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Information, Message = "Plex notifications: {Count} new item(s) processed by Plex, queued for rating")]
    private partial void LogItemsQueued(int count);

    [LoggerMessage(EventId = 5207, Level = LogLevel.Information, Message = "Plex notifications: {Reason}; catch-up job #{JobId} rates up to {Count} unrated tracks, newest first")]
    private partial void LogCatchUp(string reason, long jobId, int count);

    [LoggerMessage(EventId = 5208, Level = LogLevel.Error, Message = "Plex notifications: the catch-up job could not be queued ({Reason}); the schedule will reach the new tracks")]
    private partial void LogCatchUpFailed(Exception exception, string reason);

    [LoggerMessage(EventId = 5209, Level = LogLevel.Warning, Message = "Plex notifications: could not read Plex's libraries ({Reason}); entries of unknown libraries are skipped for now")]
    private partial void LogSectionsFailed(string reason);

    [LoggerMessage(EventId = 5211, Level = LogLevel.Error, Message = "Plex notifications failed unexpectedly ({Reason}); attempt {Attempt}, trying again in {DelaySeconds:0.#} s")]
    private partial void LogFailed(Exception exception, string reason, int attempt, double delaySeconds);

    [LoggerMessage(EventId = 5210, Level = LogLevel.Information, Message = "Plex notifications are off (PLEX_NOTIFICATIONS=false or Settings)")]
    private partial void LogOff();
}
