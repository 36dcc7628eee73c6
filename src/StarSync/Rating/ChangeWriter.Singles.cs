using System.Threading.Channels;
using StarSync.Journal;
using StarSync.Plex;

namespace StarSync.Rating;

/// <summary>One <c>PUT /:/rate</c> per track, paced by the run's <see cref="WriteLimiter"/> (<see cref="ChangeWriter"/>).</summary>
public sealed partial class ChangeWriter
{
    /// <summary>
    /// One <c>PUT /:/rate</c> per track, as many at a time as the run's <see cref="WriteLimiter"/> allows. A write that
    /// fails transiently gives its slot back at once and is put back in the queue after its backoff: the backoff holds
    /// no slot, so one flaky answer does not slow the writes behind it. Consecutive failures
    /// (<see cref="MaxConsecutiveFailures"/>) or a refused token stop the job. A worker with more to write keeps its slot
    /// from one write to the next while the limit allows it and no earlier call waits for a slot (<see cref="Work.Turn"/>).
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
        var workers = Enumerable.Range(0, WriteLimiter.MaxLimit).Select(_ => Task.Run(WorkerAsync, ct)).ToArray();

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

        async Task WorkerAsync()
        {
            // The slot kept from this worker's last write for its next one: no hand-over to a waiting worker between two
            // writes of the same page (WriteLimiter.Lease.CompleteAndKeep).
            WriteLimiter.Lease? kept = null;
            try
            {
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    if (!queue.Reader.TryRead(out var item))
                    {
                        // Nothing to write now: a kept slot goes back before waiting.
                        kept?.Dispose();
                        kept = null;
                        if (!await queue.Reader.WaitToReadAsync(ct))
                        {
                            return;
                        }

                        continue;
                    }

                    var (i, attempt) = item;
                    var change = w.Changes[i];
                    var draft = change.Draft;
                    using var lease = kept ?? await limiter.AcquireAsync(w.Turn, ct);
                    kept = null;
                    Volatile.Write(ref w.Stage[i], 1);
                    try
                    {
                        await plex.WriteRatingOnceAsync(draft.RatingKey, draft.NewValue, w.InFlight);
                        if (queue.Reader.TryPeek(out _))
                        {
                            kept = lease.CompleteAndKeep(WriteSignal.Answered, w.Turn);
                        }
                        else
                        {
                            lease.Complete(WriteSignal.Answered);
                        }

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
            }
            finally
            {
                kept?.Dispose();
            }
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
}
