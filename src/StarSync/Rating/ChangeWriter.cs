using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Applies <paramref name="changes"/>; returns per change whether Plex has it. <paramref name="failureStreak"/>
    /// counts consecutive failures across calls of one job, so a job of many small batches stops as soon as one of
    /// many large ones would. Throws when cancelled or when Plex keeps failing.
    /// </summary>
    public async Task<bool[]> ApplyAsync(
        long jobId,
        IReadOnlyList<PlannedChange> changes,
        long? revertsJob,
        int concurrency,
        StrongBox<int> failureStreak,
        Action<PlannedChange, bool> onOutcome,
        CancellationToken cancellationToken)
    {
        var applied = new bool[changes.Count];
        if (changes.Count == 0)
        {
            return applied;
        }

        var ids = await journal.AddChangesAsync(jobId, changes.Select(c => c.Draft).ToArray(), ChangeState.Pending, revertsJob, null, cancellationToken);
        // 0 = not sent, 1 = in flight, 2 = outcome known, 3 = sent but the answer was lost (timeout, dropped connection, 5xx).
        var stage = new int[changes.Count];
        var outcomes = new ChangeOutcome?[changes.Count];
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
                        Interlocked.Exchange(ref failureStreak.Value, 0);
                        LogWritten(changes[i].Kind, draft.Artist, draft.Title, draft.OldValue, draft.NewValue);
                        Volatile.Write(ref stage[i], 2);
                        onOutcome(changes[i], true);
                    }
                    catch (PlexException ex)
                    {
                        LogWriteFailed(draft.Artist, draft.Title, draft.RatingKey, ex.Message);
                        if (IsDefiniteRefusal(ex))
                        {
                            outcomes[i] = new ChangeOutcome(ids[i], ChangeState.Failed, ex.Message);
                            Volatile.Write(ref stage[i], 2);
                            onOutcome(changes[i], false);
                        }
                        else
                        {
                            // Plex may have stored the value before the answer was lost: ask it afterwards.
                            outcomes[i] = new ChangeOutcome(ids[i], ChangeState.Failed, ex.Message);
                            Volatile.Write(ref stage[i], 3);
                        }

                        if (ex is PlexAuthenticationException || Interlocked.Increment(ref failureStreak.Value) >= MaxConsecutiveFailures)
                        {
                            fatal ??= ex;
                            await stop.CancelAsync();
                        }
                    }
                });
        }
        catch (OperationCanceledException)
        {
            await SettleAsync(changes, ids, stage, outcomes, applied, onOutcome,
                fatal is null ? "cancelled before it was sent" : "not sent: " + fatal.Message);
            if (fatal is not null)
            {
                throw new PlexException($"Stopped after repeated failures: {fatal.Message}", fatal);
            }

            throw;
        }

        await SettleAsync(changes, ids, stage, outcomes, applied, onOutcome, "not sent");
        return applied;
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
    private async Task SettleAsync(IReadOnlyList<PlannedChange> changes, IReadOnlyList<long> ids, int[] stage,
        ChangeOutcome?[] outcomes, bool[] applied, Action<PlannedChange, bool> onOutcome, string notSentReason)
    {
        var unknown = new List<int>();
        for (var i = 0; i < changes.Count; i++)
        {
            switch (Volatile.Read(ref stage[i]))
            {
                case 0:
                    outcomes[i] = new ChangeOutcome(ids[i], ChangeState.Failed, notSentReason);
                    onOutcome(changes[i], false);
                    break;
                case 1 or 3:
                    unknown.Add(i);
                    break;
            }
        }

        if (unknown.Count > 0)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                var current = (await plex.GetTracksByKeysAsync(unknown.Select(i => changes[i].Draft.RatingKey).ToArray(), timeout.Token))
                    .ToDictionary(t => t.RatingKey);
                foreach (var i in unknown)
                {
                    var draft = changes[i].Draft;
                    outcomes[i] = ReadBackOutcome(ids[i], draft.OldValue, draft.NewValue, current.GetValueOrDefault(draft.RatingKey),
                        outcomes[i]?.Error ?? "interrupted before Plex took it");
                    applied[i] = outcomes[i]!.State == ChangeState.Applied;
                    onOutcome(changes[i], applied[i]);
                }
            }
            catch (Exception ex) when (ex is PlexException or OperationCanceledException)
            {
                LogReadBackFailed(ex, unknown.Count);
                foreach (var i in unknown)
                {
                    outcomes[i] = null;
                    onOutcome(changes[i], false);
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
