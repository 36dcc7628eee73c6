using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rules;

namespace StarSync.Rating;

/// <summary>
/// Runs one job: finds candidates (filtered by Plex, streamed page by page, or read from the journal for undo), decides
/// with the rating policy, and hands the changes to <see cref="ChangeWriter"/>.
/// </summary>
public sealed partial class RatingJob(
    IPlexClient plex,
    JournalStore journal,
    ChangeWriter writer,
    SettingsStore settings,
    IOptions<PlexOptions> plexOptions,
    TimeProvider time,
    ILogger<RatingJob> logger,
    RuleEngine? rules = null)
{
    // Optional so that code constructing the job by hand keeps compiling; the host always supplies the shared engine.
    private readonly RuleEngine _rules = rules ?? new RuleEngine(plex, journal, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<RuleEngine>.Instance);

    /// <summary>Journal rows read per undo step; also the size of one read-back request batch.</summary>
    private const int UndoChunk = 500;

    /// <summary>Runs <paramref name="job"/> to the end; <paramref name="report"/> receives counters as they change.</summary>
    public async Task<JobRecord> RunAsync(JobRecord job, Action<JobProgress> report, CancellationToken cancellationToken)
    {
        var snapshot = settings.Current;
        var run = new Run(job, snapshot, report, time);
        try
        {
            await RunModeAsync(run, snapshot, cancellationToken);
        }
        finally
        {
            // Also when the job fails or is cancelled: the history must show the counts the journal has.
            run.Report(force: true);
        }

        return job with { Counts = run.Counts };
    }

    private async Task RunModeAsync(Run run, StarSyncSettings snapshot, CancellationToken cancellationToken)
    {
        var job = run.Job;
        switch (job.Mode)
        {
            case JobMode.Undo or JobMode.UndoAll:
                await UndoAsync(run, cancellationToken);
                break;
            case JobMode.Items:
                await ItemsAsync(run, await SelectedLibrariesAsync(snapshot, cancellationToken), cancellationToken);
                break;
            default:
                // Recent N is per library, as the old tool's "last batch"; the scheduled batch shares N across them.
                var budget = job.Request.Count ?? int.MaxValue;
                foreach (var library in await SelectedLibrariesAsync(snapshot, cancellationToken))
                {
                    run.Library = library.Title;
                    var consumed = await LibraryAsync(run, library, budget, cancellationToken);
                    if (job.Mode == JobMode.UnratedBatch && (budget -= consumed) <= 0)
                    {
                        break;
                    }
                }

                break;
        }
    }

    /// <summary>The configured libraries that Plex has; an unknown name is a warning that lists what Plex offers.</summary>
    public async Task<IReadOnlyList<PlexLibrary>> SelectedLibrariesAsync(StarSyncSettings snapshot, CancellationToken cancellationToken)
    {
        var libraries = await plex.GetLibrariesAsync(cancellationToken);
        var selected = LibraryMatcher.Select(libraries, snapshot.Libraries, out var unknown);
        foreach (var name in unknown)
        {
            LogUnknownLibrary(name, string.Join(", ", LibraryMatcher.Offered(libraries, snapshot.Libraries).Select(l => l.Title)));
        }

        return selected;
    }

    /// <summary>Rate / re-rate / clear in one library; returns how many candidates it consumed from the budget.</summary>
    private async Task<int> LibraryAsync(Run run, PlexLibrary library, int budget, CancellationToken cancellationToken)
    {
        var mode = run.Job.Mode;
        var policy = run.Settings.Policy;
        if (mode == JobMode.Recent)
        {
            // The N most recently added tracks, whatever their rating: a listing our writes do not shrink.
            return await ListedAsync(run, library, new TrackQuery(TrackFilter.All, TrackSort.AddedAtDesc, budget), policy, cancellationToken);
        }

        var passes = mode switch
        {
            JobMode.Clear => [new TrackQuery(TrackFilter.Rated)],
            JobMode.UnratedBatch => [new TrackQuery(TrackFilter.Unrated, TrackSort.AddedAtDesc)],
            _ when policy.Override && run.Settings.Rules is null => [new TrackQuery(TrackFilter.Unrated), new TrackQuery(TrackFilter.RatedOtherThan, RatingNot: policy.Target)],
            _ => new[] { new TrackQuery(TrackFilter.Unrated) },
        };

        // Counting first costs one request per pass and gives the progress bar its total; when nothing is left to
        // rate, this is all the work a run does (requests O(libraries), not O(tracks)).
        var counts = new int[passes.Length];
        for (var p = 0; p < passes.Length; p++)
        {
            counts[p] = Math.Min(budget, passes[p].Filter == TrackFilter.RatedOtherThan
                ? await CountRatedOtherThanAsync(library, passes[p], cancellationToken)
                : await plex.CountTracksAsync(library.Key, passes[p], cancellationToken));
        }

        var total = counts.Sum();
        run.AddTotal(total);
        LogLibraryStart(library.Title, total, run.Job.Description);
        var consumed = 0;
        for (var p = 0; p < passes.Length && consumed < budget; p++)
        {
            if (counts[p] > 0)
            {
                consumed += await ShrinkingSetAsync(run, library, passes[p], counts[p], budget - consumed, policy, cancellationToken);
            }
        }

        // Custom rules with override may re-rate StarSync's own earlier ratings: a walk over the rated tracks, which
        // our writes do not shrink (the rule engine picks StarSync's own from the journal).
        if (mode == JobMode.All && RuleEngine.ReRatesOwnRatings(run.Settings))
        {
            consumed += await ListedAsync(run, library, new TrackQuery(TrackFilter.Rated), policy, cancellationToken);
        }

        return consumed;
    }

    /// <summary>
    /// How many rated tracks differ from the target, counted as "rated" minus "rated exactly the target": both filters
    /// never match unrated tracks, whereas some servers' <c>userRating!=X</c> lets them through, which counted them
    /// twice (once per pass) in the progress total.
    /// </summary>
    private async Task<int> CountRatedOtherThanAsync(PlexLibrary library, TrackQuery pass, CancellationToken cancellationToken)
    {
        var rated = await plex.CountTracksAsync(library.Key, new TrackQuery(TrackFilter.Rated), cancellationToken);
        var atTarget = await plex.CountTracksAsync(library.Key, new TrackQuery(TrackFilter.RatedExactly, RatingNot: pass.RatingNot), cancellationToken);
        return Math.Max(0, rated - atTarget);
    }

    /// <summary>
    /// Works through a filtered set that our own writes shrink (unrated tracks stop being unrated). Paging by offset
    /// would skip tracks, so each page starts at the number of earlier tracks still in the set: the ones we skipped or
    /// failed to write (and, in a dry run, everything).
    /// </summary>
    private async Task<int> ShrinkingSetAsync(Run run, PlexLibrary library, TrackQuery query, int expected, int budget, RatingPolicy policy, CancellationToken cancellationToken)
    {
        var pageSize = plexOptions.Value.PageSize;
        var stillInSet = 0;
        var consumed = 0;
        // A server that answers 200 but does not store ratings would hand us the same tracks forever.
        var giveUpAfter = (2L * expected) + pageSize;
        while (consumed < budget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await plex.GetTrackPageAsync(library.Key, query with { Start = stillInSet }, Math.Min(pageSize, budget - consumed), cancellationToken);
            // ServerCount, not Tracks.Count: the client's re-check may drop items the server's filter let through,
            // and those still occupy places in the server's set.
            if (page.ServerCount == 0)
            {
                break;
            }

            consumed += page.ServerCount;
            // A server whose filter lets more through than counted (e.g. unrated tracks in userRating!=X) lists more.
            giveUpAfter = Math.Max(giveUpAfter, (2L * page.TotalSize) + pageSize);
            var applied = await DecideAndWriteAsync(run, library, page.Tracks, policy, cancellationToken);
            stillInSet += page.ServerCount - (run.DryRun ? 0 : applied);
            if (stillInSet >= page.TotalSize)
            {
                break;
            }

            if (consumed > giveUpAfter)
            {
                throw new PlexException($"Plex keeps listing tracks in {library.Title} as still to do after StarSync rated them ({consumed} listed, {expected} expected); stopped so as not to loop. Is another tool changing ratings at the same time?");
            }
        }

        return consumed;
    }

    /// <summary>Works through a listing our writes do not change (Recent N), page by page.</summary>
    private async Task<int> ListedAsync(Run run, PlexLibrary library, TrackQuery query, RatingPolicy policy, CancellationToken cancellationToken)
    {
        var total = Math.Min(query.Limit ?? int.MaxValue, await plex.CountTracksAsync(library.Key, query with { Limit = null }, cancellationToken));
        run.AddTotal(total);
        LogLibraryStart(library.Title, total, run.Job.Description);
        var buffer = new List<PlexTrack>(plexOptions.Value.PageSize);
        var seen = 0;
        await foreach (var track in plex.GetTracksAsync(library.Key, query, cancellationToken))
        {
            buffer.Add(track);
            seen++;
            if (buffer.Count == plexOptions.Value.PageSize)
            {
                await DecideAndWriteAsync(run, library, buffer, policy, cancellationToken);
                buffer.Clear();
            }
        }

        await DecideAndWriteAsync(run, library, buffer, policy, cancellationToken);
        return seen;
    }

    /// <summary>
    /// Rates exactly the tracks of the given ratingKeys (tracks, albums or artists) that belong to a selected library.
    /// The items are read in comma-list requests (not one metadata request each), and their tracks are written in
    /// batches of a page; a track named twice (its album and itself, in one scan's burst) is looked at once.
    /// </summary>
    private async Task ItemsAsync(Run run, IReadOnlyList<PlexLibrary> libraries, CancellationToken cancellationToken)
    {
        var byKey = libraries.ToDictionary(l => l.Key);
        var policy = run.Settings.Policy;
        var pageSize = plexOptions.Value.PageSize;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var batches = new Dictionary<string, List<PlexTrack>>(StringComparer.Ordinal);
        await foreach (var item in plex.GetItemsTracksAsync(run.Job.Request.ItemKeys ?? [], cancellationToken))
        {
            var tracks = item.Tracks.Where(t => t.LibrarySectionId is { } section && byKey.ContainsKey(section)).ToList();
            if (tracks.Count == 0)
            {
                LogItemIgnored(item.RatingKey);
                continue;
            }

            foreach (var track in tracks.Where(t => seen.Add(t.RatingKey)))
            {
                var section = track.LibrarySectionId!;
                if (!batches.TryGetValue(section, out var batch))
                {
                    batches[section] = batch = new List<PlexTrack>(pageSize);
                }

                batch.Add(track);
                if (batch.Count >= pageSize)
                {
                    await FlushAsync(section, batch);
                }
            }
        }

        foreach (var (section, batch) in batches)
        {
            await FlushAsync(section, batch);
        }

        async Task FlushAsync(string section, List<PlexTrack> batch)
        {
            if (batch.Count == 0)
            {
                return;
            }

            var library = byKey[section];
            run.Library = library.Title;
            run.AddTotal(batch.Count);
            await DecideAndWriteAsync(run, library, batch.ToArray(), policy, cancellationToken);
            batch.Clear();
        }
    }

    /// <summary>The policy re-checks every candidate (Plex filtered them, but a hand rating may have arrived since).</summary>
    private async Task<int> DecideAndWriteAsync(Run run, PlexLibrary library, IReadOnlyList<PlexTrack> tracks, RatingPolicy policy, CancellationToken cancellationToken)
    {
        var planned = new List<PlannedChange>(tracks.Count);
        // The rules decide (Rules/RuleEngine.cs); the default rule set is exactly `policy`.
        var decisions = run.Job.Mode == JobMode.Clear ? [] : await _rules.DecideAsync(run.Job.Id, run.Settings, library, tracks, cancellationToken);
        for (var i = 0; i < tracks.Count; i++)
        {
            var track = tracks[i];
            var draft = new ChangeDraft(track.RatingKey, library.Title, track.ArtistTitle, track.AlbumTitle, track.Title, track.UserRating, null);
            if (run.Job.Mode == JobMode.Clear)
            {
                if (track.UserRating is not null)
                {
                    planned.Add(new PlannedChange(draft, ChangeKind.Clear, library.Key));
                }
                else
                {
                    run.Skip();
                }

                continue;
            }

            var decision = decisions[i];
            switch (decision.Decision)
            {
                case RatingDecision.Rate:
                    planned.Add(new PlannedChange(draft with { NewValue = decision.Value, Rule = decision.Rule }, ChangeKind.Rate, library.Key));
                    break;
                case RatingDecision.ReRate:
                    planned.Add(new PlannedChange(draft with { NewValue = decision.Value, Rule = decision.Rule }, ChangeKind.ReRate, library.Key));
                    break;
                default:
                    run.Skip();
                    break;
            }
        }

        return await WriteAsync(run, planned, revertsJob: null, cancellationToken);
    }

    /// <summary>Undo one job or everything: restore old values where the track still has the value StarSync set.</summary>
    private async Task UndoAsync(Run run, CancellationToken cancellationToken)
    {
        var single = run.Job.Mode == JobMode.Undo;
        var target = run.Job.Request.UndoJobId ?? 0;
        if (single)
        {
            var targetJob = await journal.GetJobAsync(target, cancellationToken)
                ?? throw new InvalidOperationException($"There is no job #{target} to undo.");
            if (UndoEligibility.WhyNever(targetJob) is { } reason)
            {
                throw new InvalidOperationException(reason);
            }
        }

        // A pending row is a change whose outcome only Plex knows; the executor settles such rows (reading Plex)
        // before every job. Any left mean Plex could not be asked: undoing now would skip them silently.
        var pending = await journal.CountPendingChangesAsync(cancellationToken);
        if (pending > 0)
        {
            throw new InvalidOperationException($"{pending} change(s) of an interrupted run are still pending: StarSync could not check them against Plex yet. Undo refused so that no track is left wrong; make sure Plex is reachable and try again.");
        }

        long afterId = 0;
        var afterKey = "";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var candidates = single
                ? await journal.GetUndoCandidatesAsync(target, afterId, UndoChunk, cancellationToken)
                : await journal.GetUndoAllCandidatesAsync(afterKey, UndoChunk, cancellationToken);
            if (candidates.Count == 0)
            {
                break;
            }

            afterId = candidates[^1].LastChangeId;
            afterKey = candidates[^1].RatingKey;
            run.AddTotal(candidates.Count);
            var current = (await plex.GetTracksByKeysAsync(candidates.Select(c => c.RatingKey).ToArray(), cancellationToken))
                .ToDictionary(t => t.RatingKey);
            var planned = new List<PlannedChange>();
            var already = new List<PlannedChange>();
            var skipped = new List<ChangeDraft>();
            var reasons = new List<string>();
            foreach (var candidate in candidates)
            {
                run.Library = candidate.Library;
                var draft = new ChangeDraft(candidate.RatingKey, candidate.Library, candidate.Artist, candidate.Album, candidate.Title, null, candidate.RestoreTo);
                if (!current.TryGetValue(candidate.RatingKey, out var track))
                {
                    skipped.Add(draft);
                    reasons.Add("the track is no longer in Plex");
                }
                else if (RatingPolicy.SameRating(track.UserRating, candidate.RestoreTo) &&
                    (!single || await journal.GetLaterJobOfTrackAsync(candidate.RatingKey, candidate.LastChangeId, cancellationToken) is null))
                {
                    // The track already has the value undo restores and no later StarSync change explains it: an
                    // interrupted undo wrote it before it could journal the outcome (or someone set it by hand).
                    // Restored either way, not "changed since". (With a later job, that job's undo comes first.)
                    already.Add(new PlannedChange(draft with { OldValue = candidate.ExpectedCurrent }, ChangeKind.Restore));
                }
                else if (!RatingPolicy.SameRating(track.UserRating, candidate.ExpectedCurrent))
                {
                    // Someone rated it after StarSync did: their rating wins. Say who, if it was a later StarSync job.
                    var later = single ? await journal.GetLaterJobOfTrackAsync(candidate.RatingKey, candidate.LastChangeId, cancellationToken) : null;
                    skipped.Add(draft with { OldValue = track.UserRating });
                    reasons.Add(later is { } laterJob
                        ? $"a later StarSync job (#{laterJob}) changed it to {RatingScale.Describe(track.UserRating)}; undo that job first"
                        : $"rating changed since StarSync set it (StarSync set {RatingScale.Describe(candidate.ExpectedCurrent)}, now {RatingScale.Describe(track.UserRating)})");
                }
                else
                {
                    planned.Add(new PlannedChange(draft with { OldValue = track.UserRating }, ChangeKind.Restore, track.LibrarySectionId));
                }
            }

            for (var i = 0; i < skipped.Count; i++)
            {
                await journal.AddChangesAsync(run.Job.Id, [skipped[i]], ChangeState.Skipped, null, reasons[i], cancellationToken);
                LogUndoSkipped(skipped[i].Artist, skipped[i].Title, reasons[i]);
                run.Skip();
            }

            await RecordAlreadyRestoredAsync(run, already, single ? target : 0, cancellationToken);
            await WriteAsync(run, planned, single ? target : 0, cancellationToken);
        }
    }

    /// <summary>Journals tracks that already have their restore value as restored, without writing to Plex.</summary>
    private async Task RecordAlreadyRestoredAsync(Run run, IReadOnlyList<PlannedChange> already, long revertsJob, CancellationToken cancellationToken)
    {
        if (already.Count == 0)
        {
            return;
        }

        var state = run.DryRun ? ChangeState.Planned : ChangeState.Pending;
        var ids = await journal.AddChangesAsync(run.Job.Id, already.Select(a => a.Draft).ToArray(), state, revertsJob, null, cancellationToken);
        if (!run.DryRun)
        {
            // Marked applied like a write, so the reverted changes are flagged as undone.
            await journal.MarkAsync(ids.Select(id => new ChangeOutcome(id, ChangeState.Applied, "already had this value (restored by an interrupted undo)")).ToArray(), cancellationToken);
        }

        foreach (var change in already)
        {
            run.Count(change.Kind, applied: true);
        }

        run.Report(force: false);
    }

    private async Task<int> WriteAsync(Run run, IReadOnlyList<PlannedChange> planned, long? revertsJob, CancellationToken cancellationToken)
    {
        if (planned.Count == 0)
        {
            run.Report(force: false);
            return 0;
        }

        if (run.DryRun)
        {
            await journal.AddChangesAsync(run.Job.Id, planned.Select(p => p.Draft).ToArray(), ChangeState.Planned, revertsJob, null, cancellationToken);
            foreach (var change in planned)
            {
                run.Count(change.Kind, applied: true);
            }

            run.Report(force: false);
            return 0;
        }

        var applied = await writer.ApplyAsync(run.Job.Id, planned, revertsJob, run.Settings, run.FailureStreak,
            (change, ok) => { run.Count(change.Kind, ok); run.Report(force: false); }, cancellationToken);
        return applied.Count(a => a);
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Library '{Name}' is not a music library on this Plex server. Music libraries Plex has: {Available}. Fix LIBRARY_NAME or the library selection in Settings.")]
    private partial void LogUnknownLibrary(string name, string available);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{Library}: {Count} tracks to look at ({Job})")]
    private partial void LogLibraryStart(string library, int count, string job);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Item {RatingKey} has no tracks in a selected music library; ignored")]
    private partial void LogItemIgnored(string ratingKey);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Undo skipped {Artist} - {Title}: {Reason}")]
    private partial void LogUndoSkipped(string? artist, string? title, string reason);

    /// <summary>Mutable counters of one run; updated from parallel writes, so every change goes through a lock.</summary>
    private sealed class Run(JobRecord job, StarSyncSettings settings, Action<JobProgress> report, TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly long _started = time.GetTimestamp();
        private long _lastReport;
        private int _writes;

        public JobRecord Job { get; } = job;

        public StarSyncSettings Settings { get; } = settings;

        public bool DryRun => Job.DryRun;

        public string Library { get; set; } = "";

        /// <summary>Consecutive failed writes across the whole job (see <see cref="ChangeWriter.MaxConsecutiveFailures"/>).</summary>
        public StrongBox<int> FailureStreak { get; } = new(0);

        public JobCounts Counts { get; private set; } = new();

        public void AddTotal(int count)
        {
            lock (_lock)
            {
                Counts = Counts with { Total = Counts.Total + count };
            }
        }

        public void Skip()
        {
            lock (_lock)
            {
                Counts = Counts with { Done = Counts.Done + 1, Skipped = Counts.Skipped + 1 };
            }
        }

        public void Count(ChangeKind kind, bool applied)
        {
            lock (_lock)
            {
                var c = Counts with { Done = Counts.Done + 1 };
                if (!applied)
                {
                    Counts = c with { Failed = c.Failed + 1 };
                    return;
                }

                _writes++;
                Counts = kind switch
                {
                    ChangeKind.Rate => c with { Rated = c.Rated + 1 },
                    ChangeKind.ReRate => c with { Updated = c.Updated + 1 },
                    ChangeKind.Clear => c with { Cleared = c.Cleared + 1 },
                    _ => c with { Restored = c.Restored + 1 },
                };
            }
        }

        /// <summary>Reports at most four times a second, and always when forced (end of job).</summary>
        public void Report(bool force)
        {
            JobProgress progress;
            lock (_lock)
            {
                var now = time.GetTimestamp();
                if (!force && time.GetElapsedTime(_lastReport, now) < TimeSpan.FromMilliseconds(250))
                {
                    return;
                }

                _lastReport = now;
                var seconds = time.GetElapsedTime(_started, now).TotalSeconds;
                var rate = seconds > 0 ? _writes / seconds : 0;
                var left = Math.Max(0, Counts.Total - Counts.Done);
                progress = new JobProgress(Job.Id, Library, Counts, Math.Round(rate, 1), rate > 0 ? Math.Round(left / rate, 1) : null);
            }

            report(progress);
        }
    }
}
