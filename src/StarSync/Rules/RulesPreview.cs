using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>One bar of a preview histogram: how many tracks a rule would give this value.</summary>
/// <param name="Label">"3★", "3.5★", or "unrated".</param>
/// <param name="PlexValue">The 0..10 value, null for "leave unrated".</param>
/// <param name="Count">Tracks.</param>
public sealed record HistogramBar(string Label, double? PlexValue, int Count);

/// <summary>One sample track with the signals that made its rule match.</summary>
public sealed record PreviewSample(string RatingKey, string? Artist, string? Album, string Title, string Result, IReadOnlyList<string> Signals);

/// <summary>What one rule would do in one library.</summary>
public sealed record RulePreview(int Index, string Name, int Count, IReadOnlyList<HistogramBar> Histogram, IReadOnlyList<PreviewSample> Sample);

/// <summary>The preview of one library: its unrated tracks, per rule, plus those no rule takes.</summary>
public sealed record LibraryPreview(string Library, int Unrated, int Unmatched, IReadOnlyList<RulePreview> Rules, long ElapsedMs)
{
    /// <summary>When the signals this preview evaluated were read from Plex (the start of that listing).</summary>
    public DateTimeOffset SignalsReadAt { get; init; }

    /// <summary>True when the signals came from an earlier preview (<see cref="SignalCache"/>), evaluated in memory.</summary>
    public bool FromCache { get; init; }

    /// <summary>Why the signals read now are not kept for the next preview (too large, cache off…); null when kept or from cache.</summary>
    public string? NotKept { get; init; }
}

/// <summary>The whole preview.</summary>
public sealed record RulesPreviewResult(IReadOnlyList<LibraryPreview> Libraries, long ElapsedMs)
{
    /// <summary>The oldest moment the signals evaluated were read (null without libraries).</summary>
    public DateTimeOffset? SignalsReadAt { get; init; }

    /// <summary>Seconds between <see cref="SignalsReadAt"/> and the answer, by the server's clock (so the page needs no clock of its own).</summary>
    public long SignalsAgeSeconds { get; init; }
}

/// <summary>
/// Shows what rules would do to the unrated tracks of the selected libraries without writing anything. The first
/// preview of an edit session reads each library once: one streamed pass over the unrated tracks with a few pages in
/// flight (<see cref="PrefetchedListing"/>), while the album listing and the rated tracks (only when the rules need
/// them) are read at the same time; libraries are previewed concurrently. That pass keeps a compact record of each
/// unrated track's signals in the <see cref="SignalCache"/>, so the following previews are evaluated in memory, with
/// exactly the counts, histograms and samples a new pass would give while the library has not changed. A library whose
/// signals do not fit the cache is read again by each preview. Only counts, a histogram per rule and the first
/// <see cref="SampleSize"/> tracks each rule takes (with the signals that matched) go into the answer.
/// </summary>
public sealed class RulesPreview(IPlexClient plex, RuleEngine engine, RatingJob job, SignalCache cache, TimeProvider time, IOptionsMonitor<PlexOptions> plexOptions)
{
    /// <summary>Sample tracks per rule and library.</summary>
    public const int SampleSize = 20;

    /// <summary>Pages of the unrated listing asked for ahead of the one being read.</summary>
    public const int PagesInFlight = 3;

    /// <summary>Previews <paramref name="rules"/> with the style and libraries of <paramref name="settings"/>, from kept signals where there are some.</summary>
    public Task<RulesPreviewResult> PreviewAsync(StarSyncSettings settings, IReadOnlyList<RatingRule> rules, CancellationToken cancellationToken) =>
        PreviewAsync(settings, rules, refresh: false, cancellationToken);

    /// <summary>Previews <paramref name="rules"/>; <paramref name="refresh"/> reads every library from Plex again (and keeps what it read).</summary>
    public async Task<RulesPreviewResult> PreviewAsync(StarSyncSettings settings, IReadOnlyList<RatingRule> rules, bool refresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rules);
        var started = Stopwatch.GetTimestamp();
        if (refresh)
        {
            cache.Invalidate("Refresh asked for");
        }

        var libraries = await job.SelectedLibrariesAsync(settings, cancellationToken);
        var result = await Task.WhenAll(libraries.Select(library => LibraryAsync(settings.RatingStyle, rules, library, cancellationToken)));
        DateTimeOffset? readAt = result.Length == 0 ? null : result.Min(l => l.SignalsReadAt);
        return new RulesPreviewResult(result, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds)
        {
            SignalsReadAt = readAt,
            SignalsAgeSeconds = readAt is { } at ? Math.Max(0, (long)(time.GetUtcNow() - at).TotalSeconds) : 0,
        };
    }

    private async Task<LibraryPreview> LibraryAsync(RatingStyle style, IReadOnlyList<RatingRule> rules, PlexLibrary library, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var applicable = rules.Where(r => r.AppliesTo(library.Title)).ToArray();
        var needAlbums = LibraryRules.NeedAlbums(applicable);
        var needHand = LibraryRules.NeedHandRatings(applicable);
        var connection = SignalCache.ConnectionId(plexOptions.CurrentValue.Url, plexOptions.CurrentValue.Token);
        if (cache.TryGet(library, connection) is { } kept && await CompleteAsync(kept, needAlbums, needHand, cancellationToken) is { } snapshot)
        {
            var prepared = new LibraryRules(rules, style, library.Title, time.GetUtcNow(), snapshot.Albums, snapshot.Hand);
            var tally = new Tally(rules.Count);
            for (var i = 0; i < snapshot.Count; i++)
            {
                var input = snapshot.Input(i);
                if (tally.Add(prepared, in input, out var result) is var rule and >= 0)
                {
                    tally.AddSample(rule, result, snapshot.RatingKey(i), snapshot.Title(i), prepared, in input);
                }
            }

            return tally.ToPreview(library.Title, rules, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds) with
            {
                SignalsReadAt = snapshot.ReadAt,
                FromCache = true,
            };
        }

        return await StreamedAsync(style, rules, library, connection, needAlbums, needHand, started, cancellationToken);
    }

    // Kept signals lack album facts or hand ratings the rules now need: read just those, and keep them too. Null when
    // the library changed meanwhile (a job ended): the caller then reads everything again.
    private async Task<SignalSnapshot?> CompleteAsync(SignalSnapshot kept, bool needAlbums, bool needHand, CancellationToken cancellationToken)
    {
        var readAlbums = needAlbums && kept.Albums is null;
        var readHand = needHand && kept.Hand is null;
        if (!readAlbums && !readHand)
        {
            return kept;
        }

        var generation = cache.Generation;
        var albumsTask = readAlbums ? engine.ReadAlbumsAsync(kept.Library, cancellationToken) : Task.FromResult<Dictionary<string, AlbumFacts>?>(null);
        var handTask = readHand ? engine.ReadHandRatingsAsync(kept.Library, cancellationToken) : Task.FromResult<HandRatings?>(null);
        await Task.WhenAll(albumsTask, handTask);
        var completed = kept.With(await albumsTask, await handTask);
        return cache.Store(completed, generation) switch
        {
            null => completed,
            _ when cache.Generation != generation => null,
            _ => completed, // valid, only too large to keep: this preview still uses it
        };
    }

    private async Task<LibraryPreview> StreamedAsync(RatingStyle style, IReadOnlyList<RatingRule> rules, PlexLibrary library, string connection, bool needAlbums, bool needHand,
        long started, CancellationToken cancellationToken)
    {
        var generation = cache.Generation;
        var readAt = time.GetUtcNow();
        // The rules' inputs (albums, hand ratings) are read while the first unrated pages are already on their way.
        var albumsTask = needAlbums ? engine.ReadAlbumsAsync(library, cancellationToken) : Task.FromResult<Dictionary<string, AlbumFacts>?>(null);
        var handTask = needHand ? engine.ReadHandRatingsAsync(library, cancellationToken) : Task.FromResult<HandRatings?>(null);
        var preparing = PrepareAsync(rules, style, library, albumsTask, handTask);
        var tally = new Tally(rules.Count);
        var pageSize = Math.Clamp(plexOptions.CurrentValue.PageSize, 1, PlexQueries.MaxPageSize);
        SignalSnapshotBuilder? builder = null;
        string? notKept = cache.Options.MaxBytes <= 0 ? cache.TooLarge(0) : null;
        var first = true;
        long estimate = 0;
        LibraryRules? prepared = null;
        try
        {
            await foreach (var page in PrefetchedListing.PagesAsync(plex, library.Key, new TrackQuery(TrackFilter.Unrated), pageSize, PagesInFlight, cancellationToken))
            {
                if (first && notKept is null)
                {
                    // Judged before anything is held: a library that would not fit is not copied at all, so its preview
                    // takes no more memory than without a cache.
                    estimate = SignalSnapshotBuilder.Estimate(page.TotalSize, page.Tracks);
                    var room = cache.Room(library, connection);
                    if (estimate > room)
                    {
                        notKept = cache.TooLarge(estimate);
                    }
                    else
                    {
                        builder = new SignalSnapshotBuilder(library, connection, readAt, page.TotalSize, room);
                    }
                }

                first = false;
                prepared ??= await preparing;
                foreach (var track in page.Tracks)
                {
                    var input = TrackInput.From(track);
                    if (tally.Add(prepared, in input, out var result) is var rule and >= 0)
                    {
                        tally.AddSample(rule, result, track.RatingKey, track.Title, prepared, in input);
                    }

                    if (builder is not null && !builder.Add(track))
                    {
                        notKept = builder.OverBudget ? cache.TooLarge(Math.Max(estimate, builder.BytesWhenStopped)) : builder.GaveUp;
                        builder = null;
                    }
                }
            }

            prepared ??= await preparing;
            if (first && notKept is null)
            {
                // No unrated track at all: that is worth keeping too (the next preview asks Plex nothing).
                builder = new SignalSnapshotBuilder(library, connection, readAt, 0, cache.Room(library, connection));
            }
        }
        finally
        {
            // A failed listing must not leave the rules' own reads running unobserved.
            if (prepared is null)
            {
                await Task.WhenAny(preparing);
                _ = preparing.Exception;
            }
        }

        if (builder is not null)
        {
            notKept = cache.Store(builder.Build(await albumsTask, await handTask), generation);
        }

        return tally.ToPreview(library.Title, rules, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds) with
        {
            SignalsReadAt = readAt,
            NotKept = notKept,
        };
    }

    private async Task<LibraryRules> PrepareAsync(IReadOnlyList<RatingRule> rules, RatingStyle style, PlexLibrary library,
        Task<Dictionary<string, AlbumFacts>?> albums, Task<HandRatings?> hand)
    {
        await Task.WhenAll(albums, hand);
        return new LibraryRules(rules, style, library.Title, time.GetUtcNow(), await albums, await hand);
    }

    // What one library's pass keeps: counts, histogram values and samples; nothing per track.
    private sealed class Tally(int ruleCount)
    {
        private readonly int[] _counts = new int[ruleCount];
        private readonly Dictionary<double, int>?[] _histograms = new Dictionary<double, int>?[ruleCount];
        private readonly int[] _leftUnrated = new int[ruleCount];
        private readonly List<PreviewSample>?[] _samples = new List<PreviewSample>?[ruleCount];
        private int _unrated;
        private int _unmatched;

        // Counts the track; returns its rule's index when the rule still wants a sample, else -1.
        public int Add(LibraryRules rules, in TrackInput track, out double? result)
        {
            _unrated++;
            var match = rules.Evaluate(in track);
            result = match.Value;
            if (!match.Matched)
            {
                _unmatched++;
                return -1;
            }

            var i = match.RuleIndex;
            _counts[i]++;
            if (match.Value is { } value)
            {
                var histogram = _histograms[i] ??= [];
                histogram[value] = histogram.GetValueOrDefault(value) + 1;
            }
            else
            {
                _leftUnrated[i]++;
            }

            return (_samples[i]?.Count ?? 0) < SampleSize ? i : -1;
        }

        public void AddSample(int rule, double? result, string ratingKey, string title, LibraryRules rules, in TrackInput track) =>
            (_samples[rule] ??= []).Add(new PreviewSample(ratingKey, track.ArtistTitle, track.AlbumTitle, title,
                RatingScale.Describe(result), rules.Explain(rule, in track)));

        public LibraryPreview ToPreview(string library, IReadOnlyList<RatingRule> rules, long elapsedMs)
        {
            var perRule = new List<RulePreview>(rules.Count);
            for (var i = 0; i < rules.Count; i++)
            {
                var bars = (_histograms[i] ?? []).OrderBy(b => b.Key).Select(b => new HistogramBar(RatingScale.Describe(b.Key), b.Key, b.Value)).ToList();
                if (_leftUnrated[i] > 0)
                {
                    bars.Add(new HistogramBar("unrated", null, _leftUnrated[i]));
                }

                perRule.Add(new RulePreview(i, rules[i].Name, _counts[i], bars, (IReadOnlyList<PreviewSample>?)_samples[i] ?? []));
            }

            return new LibraryPreview(library, _unrated, _unmatched, perRule, elapsedMs);
        }
    }

    /// <summary>A one-line summary of a rule for lists (CLI, logs).</summary>
    public static string Describe(RatingRule rule, RatingStyle style)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var scope = rule.Libraries.Count == 0 ? "all libraries" : string.Join(", ", rule.Libraries);
        var when = RuleJson.Write([rule])[0]!["when"]!.ToJsonString();
        var then = rule.Then.Kind switch
        {
            OutcomeKind.Fixed => string.Create(CultureInfo.InvariantCulture, $"rate {rule.Then.Value} ({style.ToName()})"),
            OutcomeKind.Inherit => string.Create(CultureInfo.InvariantCulture, $"inherit (K={rule.Then.MinRated}, prior weight {rule.Then.PriorWeight})"),
            _ => "leave unrated",
        };
        return $"{rule.Name} [{scope}] when {when} -> {then}";
    }
}
