using StarSync.Configuration;
using StarSync.Journal;
using StarSync.Plex;

namespace StarSync.Rating;

/// <summary>Bulk edits: grouped, chunked under the URL bound, verified by reading them back (<see cref="ChangeWriter"/>).</summary>
public sealed partial class ChangeWriter
{
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
        using (var lease = await session.Limiter.AcquireAsync(w.Turn, ct))
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

    /// <summary>What one bulk edit (with its retries and halves) did to its tracks.</summary>
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
}
