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

    private WriteSession? _session;

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
        if (_session is { } current && current.JobId == jobId)
        {
            return current;
        }

        var session = new WriteSession(jobId, settings.WriteMode, settings.WriteBatchSize, NewLimiter(settings.WriteConcurrency));
        _session = session;
        if (settings.WriteMode == WriteMode.PerTrack)
        {
            session.Bulk = false;
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

    // ---- Bulk edits ----

    /// <summary>Sends what can go in bulk edits; returns the indexes still to write one by one.</summary>
    private async Task<List<int>> BulkPhaseAsync(Work w, WriteSession session, StarSyncSettings settings, CancellationToken ct)
    {
        var singles = new List<int>();
        if (session.Bulk == false)
        {
            singles.AddRange(Enumerable.Range(0, w.Changes.Count));
            return singles;
        }

        // Grouped per library and per value (undo/reset: per old value, at most 21 groups).
        var groups = Enumerable.Range(0, w.Changes.Count)
            .GroupBy(i => (w.Changes[i].SectionKey, w.Changes[i].Draft.NewValue))
            .ToList();
        var batches = new List<(string Section, double? Value, int[] Items)>();
        foreach (var group in groups)
        {
            var items = group.ToList();
            var (section, value) = group.Key;
            if (section is null || (value is null && !await ClearsInBulkAsync(w, session, section, items, ct)))
            {
                singles.AddRange(items);
                continue;
            }

            // Auto, not verified on this server yet: a small batch first, read back before anything else goes. Only an
            // answer decides: a 4xx, a 200 that changed nothing, a lock or another value mean one write per track. A fault
            // (5xx, dropped connection, timeout, failed read-back) is retried inside BulkAsync after its backoff, and if
            // the retries run out the next tracks probe again: a flaky network never turns bulk edits off.
            while (session.Bulk is null && items.Count > 0)
            {
                var probe = items.Take(ProbeSize).ToArray();
                items.RemoveRange(0, probe.Length);
                var verdict = await BulkAsync(w, session, section, value, probe, ct);
                singles.AddRange(verdict.Left);
                if (session.Bulk is not null)
                {
                    // Decided inside (a long-URL refusal down to one track).
                }
                else if (verdict.Refused is { } refused)
                {
                    Decide(session, false, $"One write per track: Plex refused bulk edits ({refused})");
                }
                else if (verdict.Locked > 0)
                {
                    Decide(session, false, "One write per track: Plex locked the rating field on a bulk edit");
                }
                else if (verdict.Left.Count == 0)
                {
                    Decide(session, true, "Batched writes, verified on this server");
                }
                else if (!verdict.Transient)
                {
                    Decide(session, false, verdict.Applied == 0
                        ? "One write per track: Plex ignored a bulk edit (the tracks kept their ratings)"
                        : "One write per track: a bulk edit left some tracks with another value");
                }
            }

            if (session.Bulk == null)
            {
                // Every track of the group went into probes that kept meeting faults; they are written one by one.
                continue;
            }

            if (session.Bulk == false)
            {
                singles.AddRange(items);
                continue;
            }

            foreach (var chunk in Chunk(w, items, section, value, session))
            {
                batches.Add((section, value, chunk));
            }
        }

        var left = new System.Collections.Concurrent.ConcurrentBag<int>();
        // The run's limiter (inside BulkAsync) bounds the bulk edits in flight; a batch waiting for its retry holds no slot.
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = WriteLimiter.MaxLimit, CancellationToken = ct },
            async (batch, token) =>
            {
                if (session.Bulk == false)
                {
                    // Auto changed its mind during this call: the rest goes one by one.
                    foreach (var i in batch.Items)
                    {
                        left.Add(i);
                    }

                    return;
                }

                var result = await BulkAsync(w, session, batch.Section, batch.Value, batch.Items, token);
                foreach (var i in result.Left)
                {
                    left.Add(i);
                }

                if (session.Configured == WriteMode.Auto && result.Refused is null && !result.Transient && result.Applied == 0 && batch.Items.Length > 1)
                {
                    Decide(session, false, "One write per track: Plex stopped honouring bulk edits");
                }
            });

        singles.AddRange(left);
        return singles;
    }

    /// <summary>Clearing in bulk only where auto saw a bulk clear leave the tracks unrated and unlocked (probing once).</summary>
    private async Task<bool> ClearsInBulkAsync(Work w, WriteSession session, string section, List<int> items, CancellationToken ct)
    {
        if (session.BulkClear || session.Configured != WriteMode.Auto || session.Bulk != true || session.ClearProbed)
        {
            return session.BulkClear;
        }

        var probe = items.Take(ProbeSize).ToArray();
        var result = await BulkAsync(w, session, section, null, probe, ct);
        items.RemoveRange(0, probe.Length);
        if (!result.Transient)
        {
            DecideClear(session, result.Left.Count == 0 && result.Locked == 0 && result.Refused is null);
        }

        // What did not take goes one by one; the probe's own tracks are done either way.
        if (!session.BulkClear)
        {
            items.AddRange(result.Left);
        }

        return session.BulkClear;
    }

    /// <summary>Chunks of at most the session's batch size whose URL stays under <see cref="MaxBulkUrlLength"/>.</summary>
    private IEnumerable<int[]> Chunk(Work w, List<int> items, string section, double? value, WriteSession session)
    {
        // The URL's length is summed id by id (a comma and the escaped id each), not measured by building the URL for
        // every id added: that was quadratic, about 4 KB of garbage strings per track at 250 ids a batch.
        var chunk = new List<int>();
        var length = 0;
        foreach (var i in items)
        {
            var added = chunk.Count == 0 ? plex.BulkEditUrlLength(section, [Key(i)], value) : 1 + PlexQueries.EscapedIdLength(Key(i));
            if (chunk.Count > 0 && (chunk.Count >= session.BatchSize || length + added > MaxBulkUrlLength))
            {
                yield return chunk.ToArray();
                chunk.Clear();
                added = plex.BulkEditUrlLength(section, [Key(i)], value);
                length = 0;
            }

            chunk.Add(i);
            length += added;
        }

        if (chunk.Count > 0)
        {
            yield return chunk.ToArray();
        }

        string Key(int i) => w.Changes[i].Draft.RatingKey;
    }

    /// <summary>
    /// One bulk edit, then one read-back of its tracks: only tracks that now carry the value are applied; the rest are
    /// returned for a write of their own, with the reason kept. A 414/400 on a batch of more than one splits it and
    /// lowers the batch size for the rest of the run. A dropped connection is retried as it is after the backoff; only
    /// a batch of more than <see cref="ProbeSize"/> tracks dropped twice in a row, whose URL is longer than any bulk edit
    /// answered so far in this run, is taken for a URL too long for something on the way (split, size lowered): one drop
    /// in a flaky network says nothing about the URL. A 5xx, a dropped connection or a failed read-back sends the tracks
    /// that did not take again as a bulk edit after the backoff. It never fails a track.
    /// The write holds a <see cref="WriteLimiter"/> slot for the PUT only: the read-back is a GET that needs no database
    /// writer (at most <see cref="ReadBacksInFlight"/> at once, so memory stays bounded), and a retry waits for its
    /// backoff without a slot.
    /// </summary>
    private async Task<BulkResult> BulkAsync(Work w, WriteSession session, string section, double? value, int[] items, CancellationToken ct, int attempt = 1, bool droppedBefore = false)
    {
        var result = new BulkResult();
        var keys = items.Select(i => w.Changes[i].Draft.RatingKey).ToArray();
        var urlLength = plex.BulkEditUrlLength(section, keys, value);
        PlexException? error = null;
        using (var lease = await session.Limiter.AcquireAsync(ct))
        {
            foreach (var i in items)
            {
                Volatile.Write(ref w.Stage[i], 1);
            }

            try
            {
                await plex.BulkSetRatingAsync(section, keys, value, w.InFlight);
                // The slot is given back as soon as the writer answered: the read-back below needs no writer, and holding
                // the slot through it left the single writer idle while slots waited on GETs.
                lease.Complete(WriteSignal.Answered);
                session.Answered(urlLength);
            }
            catch (PlexException ex)
            {
                lease.Complete(ex.StatusCode is 414 or 400 || (ex is not PlexAuthenticationException && IsDefiniteRefusal(ex)) ? WriteSignal.Ignored : Signal(ex));
                error = ex;
            }
        }

        if (error is not null && items.Length > 1 && error.StatusCode is 414 or 400)
        {
            return await SplitAsync(w, session, section, value, items, error, ct);
        }

        // A drop of a URL longer than any Plex answered in this run may be about its length, not about the server.
        var mayBeTooLong = error is not null && Dropped(error) && items.Length > ProbeSize && urlLength > session.LongestAnsweredUrl;
        if (mayBeTooLong && droppedBefore)
        {
            return await SplitAsync(w, session, section, value, items, error!, ct);
        }

        if (error is not null && error is not PlexAuthenticationException && IsDefiniteRefusal(error))
        {
            // Plex answered and stored nothing: every track goes one by one, with the reason.
            result.Refused = error.StatusCode.ToString();
            foreach (var i in items)
            {
                Volatile.Write(ref w.Stage[i], 0);
                w.Notes[i] = $"bulk edit refused (HTTP {error.StatusCode}); written with /:/rate";
                result.Left.Add(i);
            }

            return result;
        }

        if (error is not null)
        {
            // The dead-server streak counts only what says something about the server: not the drop of a URL that may
            // be too long (several long batches in flight at once would otherwise add up to a false "repeated failures").
            if (!mayBeTooLong)
            {
                CountFailure(w, error);
            }

            result.Transient = true;
            LogBulkFailed(items.Length, error.Message);
        }

        if (error is not null && Dropped(error))
        {
            // No read-back: the retry resends the same absolute value and is read back itself (and a proxy that drops
            // long URLs would drop the read-back of the same keys too).
            foreach (var i in items)
            {
                // It may have reached Plex: if the job stops now, settling reads it back.
                Volatile.Write(ref w.Stage[i], 3);
                w.Notes[i] = $"bulk edit dropped ({error.Message}); written with /:/rate";
                result.Left.Add(i);
            }
        }
        else
        {
            // After a 5xx the edit may or may not have reached Plex: the read-back says which tracks have it.
            await ReadBackAsync(w, session, items, keys, result, ct);
        }

        if (result.Applied > 0)
        {
            Interlocked.Exchange(ref w.FailureStreak.Value, 0);
        }

        if (result.Transient && result.Left.Count > 0 && attempt <= resilience.Value.MaxRetryAttempts)
        {
            // A 5xx, a lost answer or a failed read-back: what did not take goes again as a bulk edit after the backoff
            // (holding no slot), not as hundreds of single writes. What the last attempt showed is the result.
            var again = result.Left.ToArray();
            result.Left.Clear();
            await Task.Delay(Backoff(resilience.Value, attempt), time, ct);
            var retried = await BulkAsync(w, session, section, value, again, ct, attempt + 1, droppedBefore: error is not null && Dropped(error) && again.Length == items.Length);
            result.Applied += retried.Applied;
            result.Locked += retried.Locked;
            result.Left.AddRange(retried.Left);
            result.Refused = retried.Refused;
            result.Transient = retried.Transient;
        }

        return result;
    }

    /// <summary>Reads a bulk edit's tracks back (outside the write slot): what carries the value is applied, the rest is left.</summary>
    private async Task ReadBackAsync(Work w, WriteSession session, int[] items, string[] keys, BulkResult result, CancellationToken ct)
    {
        IReadOnlyList<PlexTrack> current;
        await session.ReadBacks.WaitAsync(ct);
        try
        {
            current = await plex.ReadBackAsync(keys, ct);
        }
        catch (PlexException ex)
        {
            CountFailure(w, ex);
            result.Transient = true;
            foreach (var i in items)
            {
                // The edit may have reached Plex: if the job stops now, settling reads it back.
                Volatile.Write(ref w.Stage[i], 3);
                w.Notes[i] = $"bulk edit not confirmed (read-back failed: {ex.Message}); written with /:/rate";
                result.Left.Add(i);
            }

            return;
        }
        finally
        {
            session.ReadBacks.Release();
        }

        var outcomes = new List<int>();
        var byKey = current.ToDictionary(t => t.RatingKey, StringComparer.Ordinal);
        foreach (var i in items)
        {
            var draft = w.Changes[i].Draft;
            var track = byKey.GetValueOrDefault(draft.RatingKey);
            if (track is not null && RatingPolicy.SameRating(track.UserRating, draft.NewValue))
            {
                var note = track.UserRatingLocked ? "bulk edit, read back (Plex locked the field)" : "bulk edit, confirmed by reading it back";
                result.Locked += track.UserRatingLocked ? 1 : 0;
                result.Applied++;
                w.Outcomes[i] = new ChangeOutcome(w.Ids[i], ChangeState.Applied, note);
                w.Applied[i] = true;
                Volatile.Write(ref w.Stage[i], 2);
                outcomes.Add(i);
            }
            else
            {
                Volatile.Write(ref w.Stage[i], 0);
                w.Notes[i] = track is null
                    ? "bulk edit: the track was not in the read-back; written with /:/rate"
                    : $"bulk edit did not take (Plex has {RatingScale.Describe(track.UserRating)}); written with /:/rate";
                result.Left.Add(i);
            }
        }

        foreach (var i in outcomes)
        {
            var draft = w.Changes[i].Draft;
            LogWritten(w.Changes[i].Kind, draft.Artist, draft.Title, draft.OldValue, draft.NewValue);
            w.OnOutcome(w.Changes[i], true);
        }
    }

    /// <summary>A bulk edit refused as too long (or dropped): its halves go separately; the run's batch size drops when the URL is the likely cause.</summary>
    private async Task<BulkResult> SplitAsync(Work w, WriteSession session, string section, double? value, int[] items, PlexException ex, CancellationToken ct)
    {
        // A 414/400, or the same long batch dropped twice in a row. (Lowering the size on every single drop took a run
        // with 5% random drops down to one track per bulk edit, and auto then gave up bulk edits altogether: thousands
        // of single writes, each with its own chance to run out of retries. That was the 10%-faults test's flake.)
        var half = items.Length / 2;
        session.BatchSize = Math.Max(1, Math.Min(session.BatchSize, half));

        LogBatchSplit(items.Length, ex.Message, session.BatchSize);
        if (session.BatchSize < ProbeSize && session.Configured == WriteMode.Auto && !Dropped(ex))
        {
            // Only an answer (414/400) decides this; drops never reach here with two tracks or fewer.
            Decide(session, false, $"One write per track: Plex refused bulk edits of more than one track ({Status(ex)})");
        }

        if (session.Bulk == false)
        {
            var rest = new BulkResult();
            foreach (var i in items)
            {
                Volatile.Write(ref w.Stage[i], 0);
                w.Notes[i] = $"bulk edit refused ({Status(ex)}); written with /:/rate";
                rest.Left.Add(i);
            }

            return rest;
        }

        // Each half starts its own count of tries: a split is progress, not a retry (carried over, the tries ran out
        // after three or four halvings, and a batch of 250 behind a proxy that drops long URLs went one by one).
        var first = await BulkAsync(w, session, section, value, items[..half], ct);
        var second = await BulkAsync(w, session, section, value, items[half..], ct);
        first.Add(second);
        return first;
    }

    /// <summary>What a failed request tells the limiter: 5xx, 408/429, a timeout or a lost connection mean Plex is struggling.</summary>
    private static WriteSignal Signal(PlexException ex) =>
        ex.StatusCode is null or >= 500 or 408 or 429 ? WriteSignal.Overloaded : WriteSignal.Ignored;

    /// <summary>The connection was closed without an answer (what some proxies do with a URL they find too long, and a flaky network does at random).</summary>
    private static bool Dropped(PlexException ex) => ex.StatusCode is null && ex.InnerException is HttpRequestException;

    private static string Status(PlexException ex) => ex.StatusCode is { } status ? $"HTTP {status}" : "connection dropped";

    // ---- One write per track ----

    /// <summary>
    /// One <c>PUT /:/rate</c> per track, as many at a time as the run's <see cref="WriteLimiter"/> allows. A write that
    /// fails transiently gives its slot back at once and is put back in the queue after its backoff: the backoff holds
    /// no slot, so one flaky answer does not slow the writes behind it. Consecutive failures
    /// (<see cref="MaxConsecutiveFailures"/>) or a refused token stop the job.
    /// </summary>
    private async Task SinglesAsync(Work w, WriteSession session, List<int> todo, bool journalAhead, CancellationToken ct)
    {
        if (todo.Count == 0)
        {
            return;
        }

        var queue = Channel.CreateUnbounded<(int Index, int Attempt)>();
        var outstanding = todo.Count;
        var journaling = Task.CompletedTask;
        if (journalAhead)
        {
            // A change enters the queue only once its pending row is committed.
            journaling = JournalAheadAsync(w, todo, queue.Writer, ct);
        }
        else
        {
            foreach (var i in todo)
            {
                queue.Writer.TryWrite((i, 1));
            }
        }

        var knobs = resilience.Value;
        var limiter = session.Limiter;
        var retries = new System.Collections.Concurrent.ConcurrentBag<Task>();
        // As many workers as the limiter could ever allow; the limiter decides how many write at once.
        var workers = Enumerable.Range(0, WriteLimiter.MaxLimit).Select(_ => Task.Run(async () =>
        {
            await foreach (var (i, attempt) in queue.Reader.ReadAllAsync(ct))
            {
                var change = w.Changes[i];
                var draft = change.Draft;
                using var lease = await limiter.AcquireAsync(ct);
                Volatile.Write(ref w.Stage[i], 1);
                try
                {
                    await plex.WriteRatingOnceAsync(draft.RatingKey, draft.NewValue, w.InFlight);
                    lease.Complete(WriteSignal.Answered);
                    w.Outcomes[i] = new ChangeOutcome(w.Ids[i], ChangeState.Applied, w.Notes[i]);
                    w.Applied[i] = true;
                    Interlocked.Exchange(ref w.FailureStreak.Value, 0);
                    LogWritten(change.Kind, draft.Artist, draft.Title, draft.OldValue, draft.NewValue);
                    Volatile.Write(ref w.Stage[i], 2);
                    w.OnOutcome(change, true);
                    Outcome(w, i);
                }
                catch (PlexException ex)
                {
                    lease.Complete(Signal(ex));
                    w.Outcomes[i] = new ChangeOutcome(w.Ids[i], ChangeState.Failed, ex.Message);
                    if (IsDefiniteRefusal(ex))
                    {
                        LogWriteFailed(draft.Artist, draft.Title, draft.RatingKey, ex.Message);
                        Volatile.Write(ref w.Stage[i], 2);
                        w.OnOutcome(change, false);
                        Outcome(w, i);
                        CountFailure(w, ex);
                    }
                    else
                    {
                        // Plex may have stored the value before the answer was lost; if the retries run out, it is read back.
                        Volatile.Write(ref w.Stage[i], 3);
                        CountFailure(w, ex);
                        if (attempt <= knobs.MaxRetryAttempts && !ct.IsCancellationRequested)
                        {
                            retries.Add(RequeueAsync(queue.Writer, (i, attempt + 1), Backoff(knobs, attempt), ct));
                            continue;
                        }

                        LogWriteFailed(draft.Artist, draft.Title, draft.RatingKey, ex.Message);
                    }
                }

                if (Interlocked.Decrement(ref outstanding) == 0)
                {
                    queue.Writer.TryComplete();
                }
            }
        }, ct)).ToArray();

        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            queue.Writer.TryComplete();
            await Task.WhenAll(retries.ToArray()).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            // A journal that fails here fails the call, as a failed pending insert always did; what was written before
            // stays pending and is settled by reading Plex before the next job.
            await journaling;
            await Task.WhenAll(w.Marks.ToArray());
        }
    }

    /// <summary>Journals the changes pending in growing chunks (<see cref="FirstJournalAheadChunk"/>), queueing each chunk for its writes once committed.</summary>
    private async Task JournalAheadAsync(Work w, List<int> todo, ChannelWriter<(int, int)> queue, CancellationToken ct)
    {
        try
        {
            var chunk = FirstJournalAheadChunk;
            for (var start = 0; start < todo.Count && !ct.IsCancellationRequested; start += chunk, chunk *= 2)
            {
                var items = todo.GetRange(start, Math.Min(chunk, todo.Count - start));
                // Not cancelled halfway: a chunk is committed whole (and then written) or not at all (and journaled failed).
                var ids = await journal.AddChangesAsync(w.JobId, items.Select(i => w.Changes[i].Draft).ToArray(), ChangeState.Pending, w.RevertsJob, null, CancellationToken.None);
                for (var k = 0; k < items.Count; k++)
                {
                    Volatile.Write(ref w.Ids[items[k]], ids[k]);
                    queue.TryWrite((items[k], 1));
                }
            }
        }
        catch
        {
            // Nothing more can be journaled, so nothing more may be written.
            w.Stop!.Cancel();
            throw;
        }
    }

    /// <summary>A one-per-track outcome is known: every <see cref="MarkBatch"/> of them are marked in one transaction while the writes go on.</summary>
    private void Outcome(Work w, int index)
    {
        w.ToMark.Enqueue(index);
        if (Interlocked.Increment(ref w.Known) % MarkBatch == 0)
        {
            w.Marks.Add(MarkKnownAsync(w));
        }
    }

    /// <summary>Marks the outcomes known by now (marks of one call may overlap: each takes its own, and the journal queues their transactions).</summary>
    private async Task MarkKnownAsync(Work w)
    {
        var indexes = new List<int>(MarkBatch);
        while (w.ToMark.TryDequeue(out var i))
        {
            indexes.Add(i);
        }

        // Never cancelled: an outcome Plex confirmed is worth keeping even when the job stops.
        await journal.MarkAsync(indexes.Select(i => w.Outcomes[i]!).ToArray(), CancellationToken.None);
        foreach (var i in indexes)
        {
            Volatile.Write(ref w.Marked[i], true);
        }
    }

    private async Task RequeueAsync(ChannelWriter<(int, int)> queue, (int, int) item, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, time, ct);
            queue.TryWrite(item);
        }
        catch (OperationCanceledException)
        {
            // The job stops; the change stays in flight and is read back while settling.
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

    private sealed class BulkResult
    {
        public List<int> Left { get; } = [];

        public int Applied { get; set; }

        public int Locked { get; set; }

        /// <summary>The last attempt met a fault (5xx, dropped connection, timeout, failed read-back): what is left says nothing about bulk edits.</summary>
        public bool Transient { get; set; }

        /// <summary>The HTTP status of a definite refusal (403, 404, …).</summary>
        public string? Refused { get; set; }

        public void Add(BulkResult other)
        {
            Left.AddRange(other.Left);
            Applied += other.Applied;
            Locked += other.Locked;
            Transient |= other.Transient;
            Refused ??= other.Refused;
        }
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
