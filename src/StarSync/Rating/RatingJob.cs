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
                // Every library is counted before the first write, so the first progress event carries the job's
                // whole total and the ETA covers every library, not the one being worked on.
                var plans = await PlanAsync(run, await SelectedLibrariesAsync(snapshot, cancellationToken), cancellationToken);
                run.Plan(plans.Select(p => new LibraryCount(p.Library.Title, p.Total)));
                run.Report(force: true);

                // Recent N is per library, as the old tool's "last batch"; the scheduled batch shares N across them.
                var budget = job.Request.Count ?? int.MaxValue;
                foreach (var plan in plans)
                {
                    if (budget <= 0)
                    {
                        run.EndLibrary(plan.Library.Title);
                        continue;
                    }

                    run.BeginLibrary(plan.Library.Title);
                    var consumed = await LibraryAsync(run, plan, budget, cancellationToken);
                    run.EndLibrary(plan.Library.Title);
                    if (job.Mode == JobMode.UnratedBatch)
                    {
                        budget -= consumed;
                    }
                }

                break;
        }
    }

    /// <summary>
    /// What one library's part of a job will walk, counted before anything is written: one count request per pass
    /// (Plex's <c>X-Plex-Container-Size=0</c> answers with <c>totalSize</c> only), so when nothing is left to rate
    /// this is all the work a run does (requests O(libraries), not O(tracks)).
    /// </summary>
    /// <param name="Library">The library.</param>
    /// <param name="Passes">Sets our writes shrink (unrated tracks; rated ones other than the target with override).</param>
    /// <param name="Counts">Tracks each pass will list, capped by the job's budget.</param>
    /// <param name="Listed">A listing our writes do not shrink (Recent N; the rated tracks custom rules may re-rate), walked first.</param>
    /// <param name="ListedCount">Tracks the listing will give.</param>
    private sealed record LibraryPlan(PlexLibrary Library, TrackQuery[] Passes, int[] Counts, TrackQuery? Listed, int ListedCount)
    {
        public int Total => Counts.Sum() + ListedCount;
    }

    private async Task<IReadOnlyList<LibraryPlan>> PlanAsync(Run run, IReadOnlyList<PlexLibrary> libraries, CancellationToken cancellationToken)
    {
        var mode = run.Job.Mode;
        var policy = run.Settings.Policy;
        // The scheduled batch shares N across libraries, in order; Recent N is per library.
        var shared = run.Job.Request.Count ?? int.MaxValue;
        var plans = new List<LibraryPlan>(libraries.Count);
        foreach (var library in libraries)
        {
            var budget = mode == JobMode.UnratedBatch ? shared : run.Job.Request.Count ?? int.MaxValue;
            if (mode == JobMode.Recent)
            {
                // The N most recently added tracks, whatever their rating: a listing our writes do not shrink.
                var recent = new TrackQuery(TrackFilter.All, TrackSort.AddedAtDesc, budget);
                plans.Add(new LibraryPlan(library, [], [], recent, Math.Min(budget, await plex.CountTracksAsync(library.Key, recent with { Limit = null }, cancellationToken))));
                continue;
            }

            TrackQuery[] passes = mode switch
            {
                JobMode.Clear => [new TrackQuery(TrackFilter.Rated)],
                JobMode.UnratedBatch => [new TrackQuery(TrackFilter.Unrated, TrackSort.AddedAtDesc)],
                _ when policy.Override && run.Settings.Rules is null => [new TrackQuery(TrackFilter.Unrated), new TrackQuery(TrackFilter.RatedOtherThan, RatingNot: policy.Target)],
                _ => [new TrackQuery(TrackFilter.Unrated)],
            };
            var counts = new int[passes.Length];
            var left = budget;
            for (var p = 0; p < passes.Length; p++)
            {
                counts[p] = Math.Min(left, passes[p].Filter == TrackFilter.RatedOtherThan
                    ? await CountRatedOtherThanAsync(library, passes[p], cancellationToken)
                    : await plex.CountTracksAsync(library.Key, passes[p], cancellationToken));
                left -= counts[p];
            }

            // Custom rules with override may re-rate StarSync's own earlier ratings: a walk over the rated tracks, which
            // our writes do not shrink (the rule engine picks StarSync's own from the journal). It runs before the
            // unrated pass, so it meets exactly the tracks counted here and not the ones this job rates.
            TrackQuery? listed = null;
            var listedCount = 0;
            if (mode == JobMode.All && RuleEngine.ReRatesOwnRatings(run.Settings))
            {
                listed = new TrackQuery(TrackFilter.Rated);
                listedCount = await plex.CountTracksAsync(library.Key, listed, cancellationToken);
            }

            plans.Add(new LibraryPlan(library, passes, counts, listed, listedCount));
            if (mode == JobMode.UnratedBatch)
            {
                shared = Math.Max(0, shared - counts.Sum());
            }
        }

        return plans;
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

    /// <summary>Rate / re-rate / clear in one library, as planned; returns how many candidates it consumed from the budget.</summary>
    private async Task<int> LibraryAsync(Run run, LibraryPlan plan, int budget, CancellationToken cancellationToken)
    {
        var library = plan.Library;
        var policy = run.Settings.Policy;
        LogLibraryStart(library.Title, plan.Total, run.Job.Description);
        var consumed = 0;
        if (plan.Listed is { } listed)
        {
            consumed += await ListedAsync(run, library, listed, policy, cancellationToken);
        }

        for (var p = 0; p < plan.Passes.Length && consumed < budget; p++)
        {
            if (plan.Counts[p] > 0)
            {
                consumed += await ShrinkingSetAsync(run, library, plan.Passes[p], budget - consumed, policy, cancellationToken);
            }
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
    /// Tracks in the first page of a shrinking set with WRITE_MODE=single: listing, parsing and deciding a page of 1,000
    /// took 20–30 ms before the first write went out (the emulator's request timeline, 10,000-track jobs out of
    /// process); a page of 100 takes a few. Later pages are <see cref="PlexOptions.PageSize"/>.
    /// </summary>
    internal const int FirstPageSize = 100;

    /// <summary>Pages of a shrinking set whose writes go on at once (of 2, 3 and 4, 3 was quickest in the write-path bench at 30k tracks).</summary>
    internal const int PagesInFlight = 3;

    /// <summary>
    /// Works through a filtered set that our own writes shrink (unrated tracks stop being unrated) from its end back to
    /// its start (<see cref="PlacesAsync"/>). Tracks that joined the set meanwhile (an album scanned in during the run)
    /// take the places after the ones it kept (the skipped and failed tracks, sorted by ratingKey, which grows), so
    /// they are listed in another round, as long as the set holds more than the tracks kept.
    /// </summary>
    private async Task<int> ShrinkingSetAsync(Run run, PlexLibrary library, TrackQuery query, int budget, RatingPolicy policy, CancellationToken cancellationToken)
    {
        var (consumed, applied) = await PlacesAsync(run, library, query, 0, Math.Min(budget, await plex.CountTracksAsync(library.Key, query, cancellationToken)), policy, cancellationToken);
        var kept = consumed - applied;
        for (var round = 1; round < MaxRounds && consumed < budget; round++)
        {
            var now = await plex.CountTracksAsync(library.Key, query, cancellationToken);
            if (now <= kept)
            {
                break;
            }

            var (more, moreApplied) = await PlacesAsync(run, library, query, kept, Math.Min(now, kept + budget - consumed), policy, cancellationToken);
            if (more == 0)
            {
                break;
            }

            consumed += more;
            kept += more - moreApplied;
        }

        return consumed;
    }

    /// <summary>Rounds of <see cref="ShrinkingSetAsync"/> at most: a library that keeps growing is left to the next run.</summary>
    private const int MaxRounds = 20;

    /// <summary>
    /// Works through the places [<paramref name="floor"/>, <paramref name="end"/>) of a shrinking set from the end back.
    /// A write removes a track only from places after the pages still to list, so those pages keep their places
    /// whatever the writes' outcome or timing: the next page is listed while this one is decided, and up to
    /// <see cref="PagesInFlight"/> pages are written at once (their bulk edits queue at Plex's single writer), so Plex
    /// does not wait for StarSync's listing, rules and journal between pages. Tracks skipped or failed stay behind the
    /// pages still to list and need no counting. A track rated by someone else during the run moves the rest up one
    /// place, so a track already taken can be listed again: the last pages' keys are kept and such a track is dropped.
    /// The newest tracks (the highest ratingKeys) are rated first. Returns the places taken and the tracks Plex now has
    /// rated (none in a dry run).
    /// </summary>
    private async Task<(int Taken, int Applied)> PlacesAsync(Run run, PlexLibrary library, TrackQuery query, int floor, int end, RatingPolicy policy, CancellationToken cancellationToken)
    {
        var size = plexOptions.Value.PageSize;
        // The first page is written alone: it settles the run's write path (auto's probe, the limiter) before another
        // page shares it. With WRITE_MODE=single there is no probe, and the pages after it only take the write slots the
        // first page leaves idle (ChangeWriter gives each page a turn), so they go at once: its tail is no gap. And there
        // the first page is small (FirstPageSize): the writes start once it is listed and decided, while the next, full
        // page is listed.
        var first = run.Settings.WriteMode != WriteMode.PerTrack;
        var asked = first ? size : Math.Min(size, FirstPageSize);
        // One page failing (Plex down, the job stopped) stops the others and the listing ahead.
        using var pass = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = pass.Token;
        var (taken, applied) = (0, 0);
        var writing = new Queue<Task<int>>();
        var recent = new Queue<string[]>();
        var recentKeys = new HashSet<string>(StringComparer.Ordinal);
        Task<Window>? next = end > floor ? WindowAsync(library, query, floor, end, asked, token) : null;
        try
        {
            while (next is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var window = await next;
                // A server that capped the page (window.Size below what was asked) keeps its cap for the rest of the set.
                (end, size) = (window.Start, window.Size < asked ? window.Size : size);
                asked = size;
                next = end > floor ? WindowAsync(library, query, floor, end, size, token) : null;
                taken += window.Page.ServerCount;
                var tracks = window.Page.Tracks.Where(t => !recentKeys.Contains(t.RatingKey)).ToList();
                Remember(recent, recentKeys, window.Page.Tracks);
                var planned = await DecideAsync(run, library, tracks, policy, token);
                // On a thread of its own: the journal's SQLite calls complete synchronously, and the next page's
                // listing and rules need not wait for this page's pending rows.
                writing.Enqueue(Task.Run(() => WriteAsync(run, planned, revertsJob: null, token), CancellationToken.None));
                while (writing.Count >= (first ? 1 : PagesInFlight))
                {
                    applied += await writing.Dequeue();
                }

                first = false;
            }

            while (writing.Count > 0)
            {
                applied += await writing.Dequeue();
            }
        }
        finally
        {
            // Leaving by an exception (cancelled, Plex down): no page is left writing behind the job, no listing runs on,
            // and the error reported is the one that ended the loop.
            if (next is not null || writing.Count > 0)
            {
                await pass.CancelAsync();
            }

            foreach (var task in writing.Cast<Task>().Append(next ?? Task.CompletedTask))
            {
                await task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        return (taken, run.DryRun ? 0 : applied);
    }

    /// <summary>Keys of the last pages taken (the ones a place shifted by someone else's rating can bring back).</summary>
    private static void Remember(Queue<string[]> recent, HashSet<string> recentKeys, IReadOnlyList<PlexTrack> tracks)
    {
        var keys = tracks.Select(t => t.RatingKey).ToArray();
        recent.Enqueue(keys);
        recentKeys.UnionWith(keys);
        if (recent.Count > PagesInFlight + 1)
        {
            recentKeys.ExceptWith(recent.Dequeue());
        }
    }

    /// <summary>A page of a set listed backwards: its first place, and the page size the server honours (kept for the next ones).</summary>
    private sealed record Window(PlexPage Page, int Start, int Size);

    /// <summary>
    /// Lists the page that ends at <paramref name="end"/>. A server that sends fewer items than asked for while more are
    /// there caps its pages: the window is listed again at that size (and kept for the rest of the set), since the
    /// places after a short page would move once it is written. A server that ignores the start is not paged backwards
    /// at all: the job stops before writing anything of that page.
    /// </summary>
    private async Task<Window> WindowAsync(PlexLibrary library, TrackQuery query, int floor, int end, int size, CancellationToken cancellationToken)
    {
        while (true)
        {
            var start = Math.Max(floor, end - size);
            var page = await plex.GetTrackPageAsync(library.Key, query with { Start = start }, end - start, cancellationToken);
            if (page.Offset != start)
            {
                throw new PlexException($"Plex listed {library.Title} from place {page.Offset} when asked for place {start} (X-Plex-Container-Start); StarSync stopped before rating any track of that page. Is a proxy between StarSync and Plex dropping that header?");
            }

            if (page.ServerCount > 0 && page.ServerCount < end - start && start + page.ServerCount < Math.Min(end, page.TotalSize))
            {
                size = page.ServerCount;
                continue;
            }

            return new Window(page, start, size);
        }
    }

    /// <summary>Works through a listing our writes do not change (Recent N), page by page.</summary>
    private async Task<int> ListedAsync(Run run, PlexLibrary library, TrackQuery query, RatingPolicy policy, CancellationToken cancellationToken)
    {
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
        // The items' tracks are found as they are read (an artist may hold hundreds): the total grows, and says so.
        run.TotalUnknown();
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

        foreach (var library in libraries)
        {
            run.EndLibrary(library.Title);
        }

        async Task FlushAsync(string section, List<PlexTrack> batch)
        {
            if (batch.Count == 0)
            {
                return;
            }

            var library = byKey[section];
            run.BeginLibrary(library.Title);
            run.AddTotal(library.Title, batch.Count);
            await DecideAndWriteAsync(run, library, batch.ToArray(), policy, cancellationToken);
            batch.Clear();
        }
    }

    private async Task<int> DecideAndWriteAsync(Run run, PlexLibrary library, IReadOnlyList<PlexTrack> tracks, RatingPolicy policy, CancellationToken cancellationToken) =>
        await WriteAsync(run, await DecideAsync(run, library, tracks, policy, cancellationToken), revertsJob: null, cancellationToken);

    /// <summary>The policy re-checks every candidate (Plex filtered them, but a hand rating may have arrived since).</summary>
    private async Task<List<PlannedChange>> DecideAsync(Run run, PlexLibrary library, IReadOnlyList<PlexTrack> tracks, RatingPolicy policy, CancellationToken cancellationToken)
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
                    run.Skip(library.Title);
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
                    run.Skip(library.Title);
                    break;
            }
        }

        return planned;
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

        // Counted before the first write (the journal answers at once), so the bar's total is right from the start.
        run.Plan(await journal.CountUndoCandidatesAsync(single ? target : null, cancellationToken));
        run.Report(force: true);
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
            var current = (await plex.GetTracksByKeysAsync(candidates.Select(c => c.RatingKey).ToArray(), cancellationToken))
                .ToDictionary(t => t.RatingKey);
            var planned = new List<PlannedChange>();
            var already = new List<PlannedChange>();
            var skipped = new List<ChangeDraft>();
            var reasons = new List<string>();
            foreach (var candidate in candidates)
            {
                run.BeginLibrary(candidate.Library);
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
                run.Skip(skipped[i].Library);
            }

            await RecordAlreadyRestoredAsync(run, already, single ? target : 0, cancellationToken);
            await WriteAsync(run, planned, single ? target : 0, cancellationToken);
        }

        run.EndAll();
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
            run.Count(change.Draft.Library, change.Kind, applied: true);
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
                run.Count(change.Draft.Library, change.Kind, applied: true);
            }

            run.Report(force: false);
            return 0;
        }

        var applied = await writer.ApplyAsync(run.Job.Id, planned, revertsJob, run.Settings, run.FailureStreak,
            (change, ok) => { run.Count(change.Draft.Library, change.Kind, ok); run.Report(force: false); }, cancellationToken);
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

    /// <summary>
    /// Mutable counters of one run; updated from parallel writes, so every change goes through a lock. The job's total
    /// is the sum of its libraries' totals, counted before the first write; it only grows when Plex lists more than it
    /// counted (then <see cref="JobProgress.TotalCorrected"/> says so), and a library that ends with fewer tracks than
    /// counted gives the difference back, so the total is never below what was done.
    /// </summary>
    private sealed class Run(JobRecord job, StarSyncSettings settings, Action<JobProgress> report, TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly Lock _deliver = new();
        private readonly List<LibraryCounter> _libraries = [];
        private readonly RecentRate _rate = new(time);
        private long _lastReport;
        private int _writes;
        private bool _totalKnown = true;
        private bool _corrected;
        private string _library = "";

        public JobRecord Job { get; } = job;

        public StarSyncSettings Settings { get; } = settings;

        public bool DryRun => Job.DryRun;

        /// <summary>Consecutive failed writes across the whole job (see <see cref="ChangeWriter.MaxConsecutiveFailures"/>).</summary>
        public StrongBox<int> FailureStreak { get; } = new(0);

        public JobCounts Counts { get; private set; } = new();

        /// <summary>The counted work of every library, before anything is written.</summary>
        public void Plan(IEnumerable<LibraryCount> libraries)
        {
            lock (_lock)
            {
                foreach (var library in libraries)
                {
                    Library(library.Library).Total += library.Count;
                    Counts = Counts with { Total = Counts.Total + library.Count };
                }
            }
        }

        /// <summary>For jobs that find their work as they go (new items): no ETA, and a growing total is not a correction.</summary>
        public void TotalUnknown()
        {
            lock (_lock)
            {
                _totalKnown = false;
            }
        }

        /// <summary>Work found as the job goes (new items only).</summary>
        public void AddTotal(string library, int count)
        {
            lock (_lock)
            {
                Library(library).Total += count;
                Counts = Counts with { Total = Counts.Total + count };
            }
        }

        public void BeginLibrary(string library)
        {
            bool changed;
            lock (_lock)
            {
                var counter = Library(library);
                changed = counter.State != LibraryState.Running;
                counter.State = LibraryState.Running;
                _library = library;
            }

            // A library's start and end are always shown, however fast it went (the 250 ms throttle must not hide them).
            if (changed)
            {
                Report(force: true);
            }
        }

        /// <summary>The library is finished: tracks counted but never listed (rated by hand meanwhile) leave the total.</summary>
        public void EndLibrary(string library)
        {
            bool changed;
            lock (_lock)
            {
                var counter = Library(library);
                changed = counter.State != LibraryState.Done;
                counter.State = LibraryState.Done;
                if (counter.Done < counter.Total)
                {
                    Counts = Counts with { Total = Counts.Total - (counter.Total - counter.Done) };
                    counter.Total = counter.Done;
                }
            }

            if (changed)
            {
                Report(force: true);
            }
        }

        public void EndAll()
        {
            foreach (var name in LibraryNames())
            {
                EndLibrary(name);
            }
        }

        public void Skip(string library)
        {
            lock (_lock)
            {
                Looked(library);
                Counts = Counts with { Done = Counts.Done + 1, Skipped = Counts.Skipped + 1 };
            }
        }

        public void Count(string library, ChangeKind kind, bool applied)
        {
            lock (_lock)
            {
                Looked(library);
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

        /// <summary>
        /// Reports at most four times a second, and always when forced (the first report after counting, the end).
        /// The rates are measured over the last <see cref="RecentRate.Window"/>; the ETA is the whole job's remaining
        /// tracks (every library) at that rate.
        /// </summary>
        public void Report(bool force)
        {
            // One report at a time, in order: parallel writers must not deliver an older snapshot after a newer one
            // (the bar would step back). A writer that finds a report under way skips; the next one reports.
            if (force)
            {
                _deliver.Enter();
            }
            else if (!_deliver.TryEnter())
            {
                return;
            }

            try
            {
                JobProgress progress;
                lock (_lock)
                {
                    var now = time.GetTimestamp();
                    if (!force && _lastReport != 0 && time.GetElapsedTime(_lastReport, now) < TimeSpan.FromMilliseconds(250))
                    {
                        return;
                    }

                    _lastReport = now;
                    // Tracks looked at per second (skips included: they are part of the work left).
                    var (writeRate, eta) = _rate.Sample(Counts.Done, _writes, Counts.Total, _totalKnown);
                    progress = new JobProgress(Job.Id, _library, Counts, writeRate, eta)
                    {
                        Libraries = _libraries.Select(l => new LibraryProgress(l.Name, l.Done, l.Total, l.State)).ToArray(),
                        TotalKnown = _totalKnown,
                        TotalCorrected = _corrected,
                    };
                }

                report(progress);
            }
            finally
            {
                _deliver.Exit();
            }
        }

        private string[] LibraryNames()
        {
            lock (_lock)
            {
                return _libraries.Select(l => l.Name).ToArray();
            }
        }

        /// <summary>One more track of <paramref name="library"/> looked at; more than counted raises the total (never below done).</summary>
        private void Looked(string library)
        {
            var counter = Library(library);
            counter.Done++;
            if (counter.Done > counter.Total)
            {
                counter.Total = counter.Done;
                Counts = Counts with { Total = Counts.Total + 1 };
                _corrected |= _totalKnown;
            }
        }

        private LibraryCounter Library(string name)
        {
            foreach (var counter in _libraries)
            {
                if (string.Equals(counter.Name, name, StringComparison.Ordinal))
                {
                    return counter;
                }
            }

            var added = new LibraryCounter(name);
            _libraries.Add(added);
            return added;
        }

        private sealed class LibraryCounter(string name)
        {
            public string Name { get; } = name;

            public int Total { get; set; }

            public int Done { get; set; }

            public LibraryState State { get; set; } = LibraryState.Waiting;
        }
    }
}
