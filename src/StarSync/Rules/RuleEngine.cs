using System.Diagnostics;
using StarSync.Configuration;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>What the rules say about one track in a job.</summary>
/// <param name="Decision">Skip, rate (unrated track) or re-rate.</param>
/// <param name="Value">The Plex 0..10 value to write (for rate and re-rate).</param>
/// <param name="Rule">The rule that decided (journaled with the change).</param>
public readonly record struct RuleDecision(RatingDecision Decision, double? Value, string? Rule);

/// <summary>
/// Applies the rating rules to the tracks of a job. The default rule set (no rules in settings.json) is exactly the old
/// policy: every unrated track gets the target, and with override every track rated otherwise is re-rated. Custom rules
/// rate unrated tracks; with override they also re-rate a track StarSync itself rated earlier (the journal says so and
/// Plex still has StarSync's value) when the rule's value changed, and never a track a person rated.
/// </summary>
public sealed partial class RuleEngine(IPlexClient plex, JournalStore journal, TimeProvider time, ILogger<RuleEngine> logger)
{
    /// <summary>Rated tracks read per journal look-up while counting hand ratings.</summary>
    private const int HandRatingBatch = 1000;

    private readonly Lock _gate = new();
    private (long JobId, string Library, StarSyncSettings Settings, LibraryRules Rules)? _cache;

    /// <summary>
    /// Reads what the rules of <paramref name="library"/> need: the album listing (once, only when a rule has album
    /// conditions) and the hand ratings (once, only when a rule inherits). Both are streamed.
    /// </summary>
    public async Task<LibraryRules> PrepareAsync(IReadOnlyList<RatingRule> rules, RatingStyle style, PlexLibrary library, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(library);
        var started = Stopwatch.GetTimestamp();
        var applicable = rules.Where(r => r.AppliesTo(library.Title)).ToArray();
        // The album listing and the rated tracks are independent: both are read at once.
        var albumsTask = LibraryRules.NeedAlbums(applicable) ? ReadAlbumsAsync(library, cancellationToken) : Task.FromResult<Dictionary<string, AlbumFacts>?>(null);
        var handTask = LibraryRules.NeedHandRatings(applicable) ? ReadHandRatingsAsync(library, cancellationToken) : Task.FromResult<HandRatings?>(null);
        await Task.WhenAll(albumsTask, handTask);
        var albums = await albumsTask;
        var hand = await handTask;

        LogPrepared(library.Title, albums?.Count ?? -1, hand?.Library.Count ?? -1, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new LibraryRules(rules, style, library.Title, time.GetUtcNow(), albums, hand);
    }

    /// <summary>Decides for one page of a job's candidates (see the class summary for who may be re-rated).</summary>
    public async Task<IReadOnlyList<RuleDecision>> DecideAsync(long jobId, StarSyncSettings settings, PlexLibrary library, IReadOnlyList<PlexTrack> tracks,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(tracks);
        var decisions = new RuleDecision[tracks.Count];
        if (settings.Rules is null)
        {
            // The default rule set: exactly the old policy, override included.
            var policy = settings.Policy;
            for (var i = 0; i < tracks.Count; i++)
            {
                var decision = policy.Decide(tracks[i].UserRating);
                decisions[i] = new RuleDecision(decision, decision == RatingDecision.Skip ? null : policy.Target, RuleNames.Default);
            }

            return decisions;
        }

        var rules = await RulesForAsync(jobId, settings, library, cancellationToken);
        IReadOnlyDictionary<string, double>? ours = null;
        if (settings.OverrideRating && tracks.Any(t => t.UserRating is not null))
        {
            ours = await journal.GetStarSyncValuesAsync(tracks.Where(t => t.UserRating is not null).Select(t => t.RatingKey).ToArray(), cancellationToken);
        }

        for (var i = 0; i < tracks.Count; i++)
        {
            var track = tracks[i];
            if (track.UserRating is { } current)
            {
                // Only StarSync's own rating, still as StarSync left it, may change; a person's rating never.
                if (ours is null || !ours.TryGetValue(track.RatingKey, out var mine) || !RatingPolicy.SameRating(mine, current))
                {
                    decisions[i] = new RuleDecision(RatingDecision.Skip, null, null);
                    continue;
                }

                var again = rules.Evaluate(track);
                decisions[i] = again.Value is { } value && !RatingPolicy.SameRating(value, current)
                    ? new RuleDecision(RatingDecision.ReRate, value, again.RuleName)
                    : new RuleDecision(RatingDecision.Skip, null, again.RuleName);
                continue;
            }

            var match = rules.Evaluate(track);
            decisions[i] = match.Value is { } v
                ? new RuleDecision(RatingDecision.Rate, v, match.RuleName)
                : new RuleDecision(RatingDecision.Skip, null, match.RuleName);
        }

        return decisions;
    }

    /// <summary>True when a job with these settings must also look at rated tracks StarSync rated (custom rules with override).</summary>
    public static bool ReRatesOwnRatings(StarSyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Rules is not null && settings.OverrideRating;
    }

    // One job runs at a time, and it walks one library after the other: one cached entry is enough.
    private async Task<LibraryRules> RulesForAsync(long jobId, StarSyncSettings settings, PlexLibrary library, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_cache is { } c && c.JobId == jobId && c.Library == library.Key && ReferenceEquals(c.Settings, settings))
            {
                return c.Rules;
            }
        }

        var rules = await PrepareAsync(settings.EffectiveRules, settings.RatingStyle, library, cancellationToken);
        lock (_gate)
        {
            _cache = (jobId, library.Key, settings, rules);
        }

        return rules;
    }

    /// <summary>The album facts of <paramref name="library"/> (one album listing, streamed).</summary>
    internal async Task<Dictionary<string, AlbumFacts>?> ReadAlbumsAsync(PlexLibrary library, CancellationToken cancellationToken)
    {
        var albums = new Dictionary<string, AlbumFacts>(StringComparer.Ordinal);
        var pool = new TagPool();
        await foreach (var album in plex.GetAlbumsAsync(library.Key, cancellationToken))
        {
            albums[album.RatingKey] = AlbumFacts.From(album, pool);
        }

        return albums;
    }

    /// <summary>The hand ratings of <paramref name="library"/> (one listing of the rated tracks, less those StarSync set).</summary>
    internal async Task<HandRatings?> ReadHandRatingsAsync(PlexLibrary library, CancellationToken cancellationToken)
    {
        var hand = new HandRatings();
        var batch = new List<PlexTrack>(HandRatingBatch);
        await foreach (var track in plex.GetTracksAsync(library.Key, new TrackQuery(TrackFilter.Rated), cancellationToken))
        {
            batch.Add(track);
            if (batch.Count == HandRatingBatch)
            {
                await AddHandRatingsAsync(hand, batch, cancellationToken);
                batch.Clear();
            }
        }

        await AddHandRatingsAsync(hand, batch, cancellationToken);
        return hand;
    }

    // A rated track counts as a hand rating unless its rating is the one StarSync wrote (and nobody changed since).
    private async Task AddHandRatingsAsync(HandRatings hand, List<PlexTrack> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var ours = await journal.GetStarSyncValuesAsync(batch.Select(t => t.RatingKey).ToArray(), cancellationToken);
        foreach (var track in batch)
        {
            if (track.UserRating is { } rating && !(ours.TryGetValue(track.RatingKey, out var mine) && RatingPolicy.SameRating(mine, rating)))
            {
                hand.Add(track, rating);
            }
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Debug, Message = "Rules ready for {Library}: {Albums} albums, {HandRatings} hand ratings (-1 = not needed) in {ElapsedMs} ms")]
    private partial void LogPrepared(string library, int albums, int handRatings, long elapsedMs);
}
