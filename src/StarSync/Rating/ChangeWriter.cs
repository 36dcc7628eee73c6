using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Journal;
using StarSync.Plex;

namespace StarSync.Rating;

/// <summary>What kind of write a planned change is; decides which counter it feeds.</summary>
public enum ChangeKind
{
    /// <summary>Unrated -> target.</summary>
    Rate,

    /// <summary>Another rating -> target (override).</summary>
    ReRate,

    /// <summary>Rating -> unrated (clear all).</summary>
    Clear,

    /// <summary>Undo: back to the journaled old value.</summary>
    Restore,
}

/// <summary>A change the job decided to make. <paramref name="SectionKey"/> (the track's library section) lets it travel in a bulk edit; without it, it is written alone.</summary>
public sealed record PlannedChange(ChangeDraft Draft, ChangeKind Kind, string? SectionKey = null);

/// <summary>
/// Journals planned changes as pending, sends them to Plex and records each outcome. Where the server verifiably
/// honours bulk edits (<see cref="WriteMode"/>), changes of one library and one value travel together in one
/// <c>PUT /library/sections/{id}/all</c> and are read back before they count as applied; everything else is one
/// <c>PUT /:/rate</c> per track with bounded concurrency, and a failed write waits for its retry outside the
/// concurrency limit. In one-per-track mode each change is journaled pending just ahead of its write (in growing
/// chunks) and outcomes are marked in batches as the writes go on, so neither waits for a whole page. Writes whose fate
/// is unknown when the job stops are read back from Plex, so no journaled change is left unexplained.
/// </summary>
public sealed partial class ChangeWriter(
    IPlexClient plex,
    JournalStore journal,
    WriteVerdictStore verdicts,
    WritePathState pathState,
    IOptions<PlexResilienceOptions> resilience,
    TimeProvider time,
    ILogger<ChangeWriter> logger)
{
    /// <summary>Consecutive failed writes after which the job stops: Plex is down, not one track broken.</summary>
    public const int MaxConsecutiveFailures = 25;

    /// <summary>
    /// Longest bulk-edit path and query StarSync sends, in characters: under the 8 KB request line of Kestrel, nginx and
    /// Apache, with room for a reverse proxy's path prefix and the headers. 500 seven-digit ratingKeys take ~4,100.
    /// </summary>
    public const int MaxBulkUrlLength = 6000;

    /// <summary>Tracks in auto mode's first, verifying bulk edit.</summary>
    public const int ProbeSize = 2;

    /// <summary>Bulk-edit read-backs in flight at once (each holds at most a batch of tracks).</summary>
    public const int ReadBacksInFlight = 8;

    /// <summary>
    /// Pending rows journaled ahead of one-per-track writes, per transaction: a first chunk of twice the most writes in
    /// flight, then each chunk twice the last, up to a page. A chunk of n rows journals in far less time than n writes take
    /// (tens of microseconds a row against a write's milliseconds over at most 32 slots), so the writers never wait for it.
    /// </summary>
    public const int FirstJournalAheadChunk = 2 * WriteLimiter.MaxLimit;

    /// <summary>One-per-track outcomes marked in the journal per transaction while the writes go on (the rest when the call ends).</summary>
    public const int MarkBatch = 200;

    /// <summary>How long a write already sent may take to be answered once the job stops (cancel, Plex failing).</summary>
    public static readonly TimeSpan InFlightGrace = TimeSpan.FromSeconds(10);

    private readonly Lock _sessionGate = new();
    private WriteSession? _session;

    // Each call's turn at the write slots, in the order the calls came (WriteLimiter.AcquireAsync).
    private long _turns;

    /// <summary>
    /// Applies <paramref name="changes"/>; returns per change whether Plex has it. <paramref name="failureStreak"/>
    /// counts consecutive failures across calls of one job, so a job of many small batches stops as soon as one of
    /// many large ones would. Throws when cancelled or when Plex keeps failing.
    /// </summary>
    public async Task<bool[]> ApplyAsync(
        long jobId,
        IReadOnlyList<PlannedChange> changes,
        long? revertsJob,
        StarSyncSettings settings,
        StrongBox<int> failureStreak,
        Action<PlannedChange, bool> onOutcome,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(settings);
        var applied = new bool[changes.Count];
        if (changes.Count == 0)
        {
            return applied;
        }

        var turn = Interlocked.Increment(ref _turns);

        // One write per track, known before this call (WRITE_MODE=single, or auto settled on it earlier in the run): each
        // change is journaled pending in growing chunks just ahead of its write, so the writes start after the first chunk
        // instead of after the whole page (FirstJournalAheadChunk). Otherwise every change of this call is pending in ONE
        // transaction before the first PUT, bulk or single. Either way no write goes out before its pending row.
        var journalAhead = settings.WriteMode == WriteMode.PerTrack || _session is { Bulk: false } known && known.JobId == jobId;
        var ids = journalAhead ? new long[changes.Count]
            : (await journal.AddChangesAsync(jobId, changes.Select(c => c.Draft).ToArray(), ChangeState.Pending, revertsJob, null, cancellationToken)).ToArray();

        var w = new Work(jobId, revertsJob, changes, ids, applied, failureStreak, onOutcome);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        w.Stop = stop;
        w.Turn = turn;
        // A write already sent is not cut off when the job stops: cut off, its outcome would be unknown, and Plex may
        // still store it after the read-back that settles it (the journal would then say "not applied" for a rating
        // Plex has, and undo would miss it). It gets InFlightGrace to be answered; only then is it abandoned and read back.
        using var inFlight = new CancellationTokenSource();
        using var onStop = stop.Token.Register(static state => ((CancellationTokenSource)state!).CancelAfter(InFlightGrace), inFlight);
        w.InFlight = inFlight.Token;
        try
        {
            var session = await SessionAsync(jobId, settings, stop.Token);
            if (journalAhead)
            {
                await SinglesAsync(w, session, Enumerable.Range(0, changes.Count).ToList(), journalAhead: true, stop.Token);
            }
            else
            {
                var singles = await BulkPhaseAsync(w, session, settings, stop.Token);
                await SinglesAsync(w, session, singles, journalAhead: false, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            await SettleAsync(w, w.Fatal is null ? "cancelled before it was sent" : "not sent: " + w.Fatal.Message);
            if (w.Fatal is not null)
            {
                throw new PlexException($"Stopped after repeated failures: {w.Fatal.Message}", w.Fatal);
            }

            throw;
        }

        await SettleAsync(w, "not sent");
        return applied;
    }

    // ---- The run's write session: mode, verdict, batch size ----

    private async Task<WriteSession> SessionAsync(long jobId, StarSyncSettings settings, CancellationToken cancellationToken)
    {
        WriteSession session;
        // One session (one limiter) per job, also when a job's first pages arrive together: with WRITE_MODE=single
        // the first page is not written alone (RatingJob.PlacesAsync), and two sessions would mean two limiters, twice
        // the writes in flight that WRITE_CONCURRENCY allows.
        lock (_sessionGate)
        {
            if (_session is { } current && current.JobId == jobId)
            {
                return current;
            }

            session = new WriteSession(jobId, settings.WriteMode, settings.WriteBatchSize, NewLimiter(settings.WriteConcurrency));
            if (settings.WriteMode == WriteMode.PerTrack)
            {
                session.Bulk = false;
            }

            _session = session;
        }

        if (settings.WriteMode == WriteMode.PerTrack)
        {
            Announce(session, new WritePathStatus(false, "One write per track (WRITE_MODE=single)"));
            return session;
        }

        try
        {
            var info = await plex.GetServerInfoAsync(cancellationToken);
            session.Server = $"{info.MachineIdentifier}/{info.Version}";
        }
        catch (PlexException ex)
        {
            // Without the server's identity nothing is stored; the run still verifies what it sends.
            LogServerUnknown(ex.Message);
        }

        var verdict = session.Server is { } server ? verdicts.Get(server) : null;
        session.BulkClear = verdict?.BulkClear == true;
        session.ClearProbed = verdict?.BulkClear is not null;
        if (settings.WriteMode == WriteMode.Batch)
        {
            session.Bulk = true;
            Announce(session, new WritePathStatus(true, "Batched writes (WRITE_MODE=batch); every batch is read back"));
        }
        else if (verdict is not null)
        {
            session.Bulk = verdict.Bulk;
            Announce(session, new WritePathStatus(verdict.Bulk, verdict.Reason));
        }

        return session;
    }

    /// <summary>WRITE_CONCURRENCY: a number pins the writes in flight; auto (0) adapts them to Plex's latency, per run.</summary>
    private WriteLimiter NewLimiter(int concurrency)
    {
        var limiter = concurrency == StarSyncSettings.AutoWriteConcurrency
            ? WriteLimiter.CreateAdaptive(time, limit =>
            {
                pathState.SetConcurrency(limit, adaptive: true);
                LogConcurrency(limit);
            })
            : WriteLimiter.CreateFixed(time, concurrency);
        pathState.StartRun(limiter.Limit, limiter.Adaptive);
        return limiter;
    }

    private void Decide(WriteSession session, bool bulk, string reason)
    {
        session.Bulk = bulk;
        if (session.Server is { } server)
        {
            verdicts.Save(new WriteVerdict(server, bulk, reason, session.ClearProbed ? session.BulkClear : null));
        }

        Announce(session, new WritePathStatus(bulk, reason));
    }

    private void DecideClear(WriteSession session, bool ok)
    {
        session.BulkClear = ok;
        session.ClearProbed = true;
        if (session.Server is { } server && session.Bulk is { } bulk)
        {
            verdicts.Save(new WriteVerdict(server, bulk, pathState.Current?.Description ?? "", ok));
        }

        LogClearVerdict(ok ? "bulk clears leave tracks unrated and unlocked; clearing in batches" : "bulk clears did not leave tracks unrated and unlocked; clearing one track at a time");
    }

    /// <summary>Says once per run (log + dashboard) which write path is in use and why.</summary>
    private void Announce(WriteSession session, WritePathStatus status)
    {
        pathState.Set(status);
        if (session.Announced != status.Description)
        {
            session.Announced = status.Description;
            LogWritePath(status.Description);
        }
    }

    /// <summary>The shared jittered backoff (<see cref="StarSync.Plex.Backoff"/>) from the Plex retry knobs (attempt 1 = the first retry).</summary>
    private static TimeSpan Backoff(PlexResilienceOptions knobs, int attempt) =>
        StarSync.Plex.Backoff.Delay(knobs.RetryBaseDelay, knobs.RetryMaxDelay, attempt, Random.Shared.NextDouble());

    private static void CountFailure(Work w, PlexException ex)
    {
        if (ex is PlexAuthenticationException || Interlocked.Increment(ref w.FailureStreak.Value) >= MaxConsecutiveFailures)
        {
            w.Fatal ??= ex;
            w.Stop!.Cancel();
        }
    }

    /// <summary>
    /// The outcome of a journaled change whose fate only Plex knows (a lost answer, a cancel, a crash), from the
    /// track as Plex has it now; <paramref name="whyNot"/> explains a change that did not take.
    /// </summary>
    public static ChangeOutcome ReadBackOutcome(long changeId, double? oldValue, double? newValue, PlexTrack? current, string whyNot) =>
        current is null ? new ChangeOutcome(changeId, ChangeState.Failed, $"{whyNot}; the track is no longer in Plex")
        : RatingPolicy.SameRating(current.UserRating, newValue) ? new ChangeOutcome(changeId, ChangeState.Applied, "confirmed by reading it back")
        : RatingPolicy.SameRating(current.UserRating, oldValue) ? new ChangeOutcome(changeId, ChangeState.Failed, whyNot)
        : new ChangeOutcome(changeId, ChangeState.Failed, $"{whyNot}; Plex now has {RatingScale.Describe(current.UserRating)}");

    /// <summary>400, 401, 403, 404: Plex answered and did not store the value. Anything else may have reached it.</summary>
    private static bool IsDefiniteRefusal(PlexException ex) =>
        ex.StatusCode is >= 400 and < 500 and not 408 and not 429;

    /// <summary>
    /// Records every outcome. Changes never sent are failed; changes in flight when the job was cancelled, or whose
    /// answer was lost, are read back from Plex, because the PUT may or may not have reached it. When Plex cannot be
    /// asked, they stay pending and start-up reconciliation settles them.
    /// </summary>
    private async Task SettleAsync(Work w, string notSentReason)
    {
        var changes = w.Changes;
        var unknown = new List<int>();
        var neverJournaled = new List<ChangeDraft>();
        for (var i = 0; i < changes.Count; i++)
        {
            switch (Volatile.Read(ref w.Stage[i]))
            {
                case 0 when Volatile.Read(ref w.Ids[i]) == 0:
                    // Journaled ahead of its write, and the call stopped before its chunk: recorded as failed, as if pending first.
                    neverJournaled.Add(changes[i].Draft);
                    w.OnOutcome(changes[i], false);
                    break;
                case 0:
                    w.Outcomes[i] = new ChangeOutcome(w.Ids[i], ChangeState.Failed, notSentReason);
                    w.OnOutcome(changes[i], false);
                    break;
                case 1 or 3:
                    unknown.Add(i);
                    break;
            }
        }

        if (unknown.Count > 0)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), time);
            try
            {
                var current = (await plex.GetTracksByKeysAsync(unknown.Select(i => changes[i].Draft.RatingKey).ToArray(), timeout.Token))
                    .ToDictionary(t => t.RatingKey);
                foreach (var i in unknown)
                {
                    var draft = changes[i].Draft;
                    w.Outcomes[i] = ReadBackOutcome(w.Ids[i], draft.OldValue, draft.NewValue, current.GetValueOrDefault(draft.RatingKey),
                        w.Outcomes[i]?.Error ?? "interrupted before Plex took it");
                    w.Applied[i] = w.Outcomes[i]!.State == ChangeState.Applied;
                    w.OnOutcome(changes[i], w.Applied[i]);
                }
            }
            catch (Exception ex) when (ex is PlexException or OperationCanceledException)
            {
                LogReadBackFailed(ex, unknown.Count);
                foreach (var i in unknown)
                {
                    w.Outcomes[i] = null;
                    w.OnOutcome(changes[i], false);
                }
            }
        }

        await journal.AddChangesAsync(w.JobId, neverJournaled, ChangeState.Failed, w.RevertsJob, notSentReason, CancellationToken.None);
        await journal.MarkAsync(w.Outcomes.Where((o, i) => o is not null && !w.Marked[i]).Select(o => o!).ToArray(), CancellationToken.None);
    }

    /// <summary>The state of one ApplyAsync call, shared by its bulk and single writers.</summary>
    private sealed class Work(long jobId, long? revertsJob, IReadOnlyList<PlannedChange> changes, long[] ids, bool[] applied, StrongBox<int> failureStreak, Action<PlannedChange, bool> onOutcome)
    {
        public long JobId { get; } = jobId;

        public long? RevertsJob { get; } = revertsJob;

        public IReadOnlyList<PlannedChange> Changes { get; } = changes;

        /// <summary>Each change's journal row; 0 while a change journaled ahead of its write has no row yet.</summary>
        public long[] Ids { get; } = ids;

        /// <summary>One-per-track outcomes known and not yet handed to a mark (see <see cref="MarkBatch"/>).</summary>
        public System.Collections.Concurrent.ConcurrentQueue<int> ToMark { get; } = new();

        /// <summary>Outcomes marked in the journal while the writes went on; the call's last mark leaves them out.</summary>
        public bool[] Marked { get; } = new bool[changes.Count];

        public System.Collections.Concurrent.ConcurrentBag<Task> Marks { get; } = [];

        public int Known;

        public bool[] Applied { get; } = applied;

        public StrongBox<int> FailureStreak { get; } = failureStreak;

        public Action<PlannedChange, bool> OnOutcome { get; } = onOutcome;

        /// <summary>0 = not sent, 1 = in flight, 2 = outcome known, 3 = sent but the answer was lost.</summary>
        public int[] Stage { get; } = new int[changes.Count];

        public ChangeOutcome?[] Outcomes { get; } = new ChangeOutcome?[changes.Count];

        /// <summary>Why a change was written alone after a bulk edit (kept in the journal with the outcome).</summary>
        public string?[] Notes { get; } = new string?[changes.Count];

        public PlexException? Fatal { get; set; }

        public CancellationTokenSource? Stop { get; set; }

        /// <summary>For a write request itself: cancelled <see cref="InFlightGrace"/> after <see cref="Stop"/>.</summary>
        public CancellationToken InFlight { get; set; }

        /// <summary>This call's turn at the write slots: a call that came earlier is served first.</summary>
        public long Turn { get; set; }
    }

    /// <summary>What one run learnt about writing to this server.</summary>
    private sealed class WriteSession(long jobId, WriteMode configured, int batchSize, WriteLimiter limiter)
    {
        public long JobId { get; } = jobId;

        /// <summary>Bounds the writes in flight for the whole run (its adaptive limit carries over from page to page).</summary>
        public WriteLimiter Limiter { get; } = limiter;

        public WriteMode Configured { get; } = configured;

        /// <summary>Lowered for the rest of the run when a long URL is refused.</summary>
        public int BatchSize { get; set; } = batchSize;

        /// <summary>Read-backs in flight (outside the write slots), bounded so memory is.</summary>
        public SemaphoreSlim ReadBacks { get; } = new(ReadBacksInFlight);

        /// <summary>The longest bulk-edit URL Plex answered in this run: a dropped connection on one no longer is not about length.</summary>
        public int LongestAnsweredUrl => Volatile.Read(ref _longestAnsweredUrl);

        private int _longestAnsweredUrl;

        public void Answered(int urlLength)
        {
            var seen = Volatile.Read(ref _longestAnsweredUrl);
            while (urlLength > seen)
            {
                var was = Interlocked.CompareExchange(ref _longestAnsweredUrl, urlLength, seen);
                if (was == seen)
                {
                    break;
                }

                seen = was;
            }
        }

        /// <summary>null = auto has not verified bulk edits yet.</summary>
        public bool? Bulk { get; set; }

        public bool BulkClear { get; set; }

        public bool ClearProbed { get; set; }

        public string? Server { get; set; }

        public string? Announced { get; set; }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "{Kind} {Artist} - {Title}: {Old} -> {New} (Plex 0..10; empty = unrated)")]
    private partial void LogWritten(ChangeKind kind, string? artist, string? title, double? old, double? @new);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Could not rate {Artist} - {Title} ({RatingKey}): {Reason}")]
    private partial void LogWriteFailed(string? artist, string? title, string ratingKey, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Could not read back {Count} interrupted writes; they stay pending until the next start")]
    private partial void LogReadBackFailed(Exception exception, int count);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Write path: {Description}")]
    private partial void LogWritePath(string description);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "A bulk edit of {Count} tracks was refused ({Reason}); split in two, at most {BatchSize} tracks per bulk edit for the rest of this run")]
    private partial void LogBatchSplit(int count, string reason, int batchSize);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "A bulk edit of {Count} tracks got no answer ({Reason}); reading the tracks back")]
    private partial void LogBulkFailed(int count, string reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "Could not learn which Plex server this is ({Reason}); bulk edits are verified but the verdict is not kept")]
    private partial void LogServerUnknown(string reason);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "Write path: {Description}")]
    private partial void LogClearVerdict(string description);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Debug, Message = "Write concurrency (auto) now {Limit}")]
    private partial void LogConcurrency(int limit);
}
