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

/// <summary>A change the job decided to make.</summary>
public sealed record PlannedChange(ChangeDraft Draft, ChangeKind Kind);

/// <summary>
/// Journals planned changes as pending, sends them to Plex with bounded concurrency, and records each outcome. Writes
/// whose fate is unknown when the job is cancelled are read back from Plex, so no journaled change is left unexplained.
/// </summary>
public sealed partial class ChangeWriter(IPlexClient plex, JournalStore journal, ILogger<ChangeWriter> logger)
{
    /// <summary>Consecutive failed writes after which the job stops: Plex is down, not one track broken.</summary>
    public const int MaxConsecutiveFailures = 25;

    /// <summary>Applies <paramref name="changes"/>; returns per change whether it was applied. Throws when cancelled or when Plex keeps failing.</summary>
    public async Task<bool[]> ApplyAsync(
        long jobId,
        IReadOnlyList<PlannedChange> changes,
        long? revertsJob,
        int concurrency,
        Action<PlannedChange, bool> onOutcome,
        CancellationToken cancellationToken)
    {
        var applied = new bool[changes.Count];
        if (changes.Count == 0)
        {
            return applied;
        }

        var ids = await journal.AddChangesAsync(jobId, changes.Select(c => c.Draft).ToArray(), ChangeState.Pending, revertsJob, null, cancellationToken);
        // 0 = not sent, 1 = in flight, 2 = done (outcome known).
        var stage = new int[changes.Count];
        var outcomes = new ChangeOutcome?[changes.Count];
        var consecutiveFailures = 0;
        PlexException? fatal = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, changes.Count),
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = stop.Token },
                async (i, ct) =>
                {
                    var draft = changes[i].Draft;
                    Volatile.Write(ref stage[i], 1);
                    try
                    {
                        if (draft.NewValue is { } value)
                        {
                            await plex.SetRatingAsync(draft.RatingKey, value, ct);
                        }
                        else
                        {
                            await plex.ClearRatingAsync(draft.RatingKey, ct);
                        }

                        outcomes[i] = new ChangeOutcome(ids[i], ChangeState.Applied);
                        applied[i] = true;
                        Interlocked.Exchange(ref consecutiveFailures, 0);
                        LogWritten(changes[i].Kind, draft.Artist, draft.Title, draft.OldValue, draft.NewValue);
                    }
                    catch (PlexException ex)
                    {
                        outcomes[i] = new ChangeOutcome(ids[i], ChangeState.Failed, ex.Message);
                        LogWriteFailed(draft.Artist, draft.Title, draft.RatingKey, ex.Message);
                        if (ex is PlexAuthenticationException || Interlocked.Increment(ref consecutiveFailures) >= MaxConsecutiveFailures)
                        {
                            fatal ??= ex;
                            await stop.CancelAsync();
                        }
                    }

                    Volatile.Write(ref stage[i], 2);
                    onOutcome(changes[i], applied[i]);
                });
        }
        catch (OperationCanceledException)
        {
            await SettleAsync(changes, ids, stage, outcomes, applied, fatal is null ? "cancelled before it was sent" : "not sent: " + fatal.Message);
            if (fatal is not null)
            {
                throw new PlexException($"Stopped after repeated failures: {fatal.Message}", fatal);
            }

            throw;
        }

        await journal.MarkAsync(outcomes.Select(o => o!).ToArray(), CancellationToken.None);
        return applied;
    }

    /// <summary>
    /// After a cancellation: changes never sent are failed; changes that were in flight are read back from Plex,
    /// because the PUT may or may not have reached it.
    /// </summary>
    private async Task SettleAsync(IReadOnlyList<PlannedChange> changes, IReadOnlyList<long> ids, int[] stage,
        ChangeOutcome?[] outcomes, bool[] applied, string notSentReason)
    {
        var inFlight = new List<int>();
        for (var i = 0; i < changes.Count; i++)
        {
            if (outcomes[i] is not null && Volatile.Read(ref stage[i]) == 2)
            {
                continue;
            }

            if (Volatile.Read(ref stage[i]) == 0)
            {
                outcomes[i] = new ChangeOutcome(ids[i], ChangeState.Failed, notSentReason);
            }
            else
            {
                inFlight.Add(i);
            }
        }

        if (inFlight.Count > 0)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                var current = (await plex.GetTracksByKeysAsync(inFlight.Select(i => changes[i].Draft.RatingKey).ToArray(), timeout.Token))
                    .ToDictionary(t => t.RatingKey);
                foreach (var i in inFlight)
                {
                    var draft = changes[i].Draft;
                    var now = current.GetValueOrDefault(draft.RatingKey)?.UserRating;
                    var took = RatingPolicy.SameRating(now, draft.NewValue);
                    applied[i] = took;
                    outcomes[i] = new ChangeOutcome(ids[i], took ? ChangeState.Applied : ChangeState.Failed,
                        took ? null : "interrupted before Plex took it");
                }
            }
            catch (Exception ex) when (ex is PlexException or OperationCanceledException)
            {
                // Plex cannot tell us now: the rows stay pending and start-up reconciliation settles them.
                LogReadBackFailed(ex, inFlight.Count);
                foreach (var i in inFlight)
                {
                    outcomes[i] = null;
                }
            }
        }

        await journal.MarkAsync(outcomes.Where(o => o is not null).Select(o => o!).ToArray(), CancellationToken.None);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "{Kind} {Artist} - {Title}: {Old} -> {New} (Plex 0..10; empty = unrated)")]
    private partial void LogWritten(ChangeKind kind, string? artist, string? title, double? old, double? @new);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Could not rate {Artist} - {Title} ({RatingKey}): {Reason}")]
    private partial void LogWriteFailed(string? artist, string? title, string ratingKey, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Could not read back {Count} interrupted writes; they stay pending until the next start")]
    private partial void LogReadBackFailed(Exception exception, int count);
}
