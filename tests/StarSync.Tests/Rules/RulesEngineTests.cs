using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.PlexEmulator;
using StarSync.Rating;
using StarSync.Rules;

namespace StarSync.Tests.Rules;

/// <summary>The rules decide in real jobs against the emulator; every expectation is computed from the emulator's own data.</summary>
[Trait("Category", "Integration")]
public sealed class RulesEngineTests
{
    private const long Day = 86_400;

    /// <summary>What the emulator knows about a track, for computing what a condition should select.</summary>
    public sealed record Truth(TrackSignals Signals, AlbumTags Tags, bool Live, bool Compilation, string Artist, string Album, long Now);

    public static TheoryData<string> Conditions => new(ConditionCases.Keys);

    private static readonly Dictionary<string, (RuleConditions When, Func<Truth, bool> Holds)> ConditionCases = new()
    {
        ["playsAtLeast"] = (new() { PlaysAtLeast = 10 }, t => t.Signals.ViewCount >= 10),
        ["playsAtMost"] = (new() { PlaysAtMost = 0 }, t => t.Signals.ViewCount <= 0),
        ["skipsAtLeast"] = (new() { SkipsAtLeast = 4 }, t => t.Signals.SkipCount >= 4),
        ["skipsAtMost"] = (new() { SkipsAtMost = 2 }, t => t.Signals.SkipCount <= 2),
        ["lastPlayedOlderThanDays"] = (new() { LastPlayedOlderThanDays = 700 }, t => t.Signals.LastViewedAt is { } l && l.ToUnixTimeSeconds() < t.Now - (700 * Day)),
        ["lastPlayedWithinDays"] = (new() { LastPlayedWithinDays = 700 }, t => t.Signals.LastViewedAt is { } l && l.ToUnixTimeSeconds() >= t.Now - (700 * Day)),
        ["neverPlayed"] = (new() { NeverPlayed = true }, t => t.Signals.ViewCount == 0 && t.Signals.LastViewedAt is null),
        ["played"] = (new() { NeverPlayed = false }, t => t.Signals.ViewCount > 0),
        ["addedWithinDays"] = (new() { AddedWithinDays = 900 }, t => t.Signals.AddedAt.ToUnixTimeSeconds() >= t.Now - (900 * Day)),
        ["durationUnderSeconds"] = (new() { DurationUnderSeconds = 90 }, t => t.Signals.DurationMs < 90_000),
        ["durationOverSeconds"] = (new() { DurationOverSeconds = 400 }, t => t.Signals.DurationMs > 400_000),
        ["albumGenres"] = (new() { AlbumGenres = ["rock", "Jazz"] }, t => t.Tags.Genres.Any(g => g is "Rock" or "Jazz")),
        ["albumMoods"] = (new() { AlbumMoods = ["Mellow"] }, t => t.Tags.Moods.Contains("Mellow")),
        ["albumStyles"] = (new() { AlbumStyles = ["Indie Rock", "House", "Neo-Soul"] }, t => t.Tags.Styles.Any(s => s is "Indie Rock" or "House" or "Neo-Soul")),
        ["live"] = (new() { Live = true }, t => t.Live),
        ["notLive"] = (new() { Live = false }, t => !t.Live),
        ["compilation"] = (new() { Compilation = true }, t => t.Compilation),
        ["artistContains"] = (new() { ArtistContains = "the " }, t => t.Artist.Contains("the ", StringComparison.OrdinalIgnoreCase)),
        ["albumContains"] = (new() { AlbumContains = "the" }, t => t.Album.Contains("the", StringComparison.OrdinalIgnoreCase)),
        ["combined"] = (new() { PlaysAtMost = 5, DurationOverSeconds = 200, AlbumGenres = ["Rock", "Pop", "Electronic"] },
            t => t.Signals.ViewCount <= 5 && t.Signals.DurationMs > 200_000 && t.Tags.Genres.Any(g => g is "Rock" or "Pop" or "Electronic")),
    };

    // The generator's shape is seeded per process (HashCode), so libraries are big enough that every condition
    // (compilations are about one album in twenty) selects some tracks whatever the process.
    private static Task<TestHost> StartAsync(IDictionary<string, string?>? config = null, int tracks = 3000) =>
        TestHost.Create().Emulator(new EmulatorOptions { Tracks = tracks, Seed = 13, HandRatedShare = 0.2, MusicLibraries = 2 }).Config(config).EngineOnly().StartAsync();

    private static async Task SetRulesAsync(TestHost engine, bool overrideRating, params RatingRule[] rules)
    {
        var errors = await engine.Settings.UpdateAsync(s => s with { Rules = rules, OverrideRating = overrideRating }, CancellationToken.None);
        Assert.Empty(errors);
    }

    private static RatingRule Fixed(string name, double stars, RuleConditions? when = null) =>
        new() { Name = name, When = when ?? new(), Then = new RuleOutcome { Kind = OutcomeKind.Fixed, Value = stars } };

    private static Truth TruthOf(EmulatedLibrary lib, string key, long now)
    {
        var album = lib.GetAlbumOf(key);
        var kind = lib.GetAlbumKind(album);
        return new Truth(lib.GetTrackSignals(key), lib.GetAlbumTags(album), kind.Live, kind.Compilation, lib.GetTitle(lib.GetParentKey(album)!), lib.GetTitle(album), now);
    }

    [Theory]
    [MemberData(nameof(Conditions))]
    public async Task Each_condition_takes_exactly_the_unrated_tracks_the_emulator_data_says(string condition)
    {
        await using var engine = await StartAsync(tracks: 8000);
        var (when, holds) = ConditionCases[condition];
        await SetRulesAsync(engine, overrideRating: false, Fixed("Matched", 5, when));
        var lib = engine.Plex.Library;
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All, dryRun: true);

        var expected = before.Where(kv => kv.Value is null && holds(TruthOf(lib, kv.Key, now))).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();
        var planned = (await engine.ChangesAsync(job.Id)).Where(c => c.State == ChangeState.Planned).ToList();
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(expected, planned.Select(c => c.RatingKey).Order(StringComparer.Ordinal).ToArray());
        Assert.All(planned, c => Assert.Equal((10.0, "Matched"), (c.NewValue!.Value, c.Rule)));
        // A condition that selects nothing (or everything) would prove little.
        Assert.InRange(expected.Length, 1, before.Count(kv => kv.Value is null) - 1);
    }

    [Fact]
    public async Task First_match_wins_and_an_unrated_outcome_leaves_the_track_alone()
    {
        await using var engine = await StartAsync();
        await SetRulesAsync(engine, false,
            new RatingRule { Name = "Interludes", When = new() { DurationUnderSeconds = 90 }, Then = new() { Kind = OutcomeKind.Unrated } },
            Fixed("Favourites", 4, new() { PlaysAtLeast = 20 }),
            Fixed("Rest", 3));
        var lib = engine.Plex.Library;
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        foreach (var (key, old) in before)
        {
            var s = lib.GetTrackSignals(key);
            double? expected = old ?? (s.DurationMs < 90_000 ? null : s.ViewCount >= 20 ? 8 : 6);
            Assert.Equal(expected, after[key]);
        }

        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(changes.Count(c => c.NewValue == 8), changes.Count(c => c.Rule == "Favourites"));
        Assert.DoesNotContain(changes, c => c.Rule == "Interludes");
        Assert.Equal(before.Count(kv => kv.Value is null && lib.GetTrackSignals(kv.Key).DurationMs < 90_000), job.Counts.Skipped);
    }

    [Fact]
    public async Task Rules_scoped_to_a_library_do_not_apply_elsewhere()
    {
        await using var engine = await StartAsync(new Dictionary<string, string?> { ["LIBRARY_NAME"] = "Music, Live Music" });
        await SetRulesAsync(engine, false,
            new RatingRule { Name = "Live only", Libraries = ["live music"], Then = new() { Kind = OutcomeKind.Fixed, Value = 2 } });

        var job = await engine.RunAsync(JobMode.All, dryRun: true);

        var planned = await engine.ChangesAsync(job.Id);
        Assert.Equal(engine.Plex.Library.CountUnrated("2"), planned.Count);
        Assert.All(planned, c => Assert.Equal("Live Music", c.Library));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Default_rule_set_writes_exactly_what_the_old_policy_writes(bool overrideRating)
    {
        await using var engine = await StartAsync(new Dictionary<string, string?> { ["OVERRIDE_RATING"] = overrideRating ? "true" : "false" });
        Assert.Null(engine.Settings.Current.Rules);
        var policy = new RatingPolicy(6, overrideRating);
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        foreach (var (key, old) in before)
        {
            Assert.Equal(policy.Decide(old) == RatingDecision.Skip ? old : 6, after[key]);
        }

        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(before.Count(kv => policy.Decide(kv.Value) != RatingDecision.Skip), changes.Count);
        Assert.All(changes, c => Assert.Equal(RuleNames.Default, c.Rule));
    }

    [Fact]
    public async Task Inherit_gives_the_shrunk_album_mean_then_the_artist_mean_else_falls_through()
    {
        await using var engine = await StartAsync();
        await SetRulesAsync(engine, false,
            new RatingRule { Name = "Inherit", Then = new() { Kind = OutcomeKind.Inherit, MinRated = 3, PriorWeight = 2 } },
            Fixed("Rest", 1));
        var lib = engine.Plex.Library;
        var before = engine.Ratings();
        // Every rating the emulator starts with is a hand rating.
        var rated = before.Where(kv => kv.Value is not null).ToList();
        var mean = rated.Average(kv => kv.Value!.Value);
        var byAlbum = rated.GroupBy(kv => lib.GetAlbumOf(kv.Key)).ToDictionary(g => g.Key, g => g.Select(kv => kv.Value!.Value).ToList());
        var byArtist = rated.GroupBy(kv => lib.GetParentKey(lib.GetAlbumOf(kv.Key))!).ToDictionary(g => g.Key, g => g.Select(kv => kv.Value!.Value).ToList());

        var job = await engine.RunAsync(JobMode.All, dryRun: true);

        var planned = (await engine.ChangesAsync(job.Id)).ToDictionary(c => c.RatingKey);
        var inherited = 0;
        foreach (var (key, _) in before.Where(kv => kv.Value is null))
        {
            var album = lib.GetAlbumOf(key);
            var ratings = byAlbum.GetValueOrDefault(album) is { Count: >= 3 } a ? a
                : byArtist.GetValueOrDefault(lib.GetParentKey(album)!) is { Count: >= 3 } r ? r : null;
            if (ratings is null)
            {
                Assert.Equal((2.0, "Rest"), (planned[key].NewValue!.Value, planned[key].Rule));
                continue;
            }

            var estimate = ((2 * mean) + ratings.Sum()) / (2 + ratings.Count);
            var expected = Math.Clamp(2 * Math.Floor((estimate / 2) + 0.5), 2, 10);
            Assert.Equal((expected, "Inherit"), (planned[key].NewValue!.Value, planned[key].Rule));
            inherited++;
        }

        Assert.True(inherited > 0, "no track inherited; the test proves nothing");
        Assert.Contains(planned.Values, c => c.Rule == "Rest");
    }

    [Fact]
    public async Task With_override_rules_rerate_StarSyncs_own_ratings_but_never_a_person()
    {
        await using var engine = await StartAsync();
        var before = engine.Ratings();
        await SetRulesAsync(engine, overrideRating: true, Fixed("Everything", 3));
        await engine.RunAsync(JobMode.All);
        var ours = before.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList();
        Assert.All(ours, k => Assert.Equal(6, engine.Plex.Library.GetUserRating(k)));
        // A person re-rates one of StarSync's tracks by hand.
        engine.Plex.Library.SetUserRating(ours[0], 10);

        await SetRulesAsync(engine, overrideRating: true, Fixed("Everything", 4));
        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.Equal(10, after[ours[0]]);
        Assert.All(ours.Skip(1), k => Assert.Equal(8, after[k]));
        Assert.All(before.Where(kv => kv.Value is not null), kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(ours.Count - 1, job.Counts.Updated);
    }

    [Fact]
    public async Task Without_override_rules_touch_only_unrated_tracks()
    {
        await using var engine = await StartAsync();
        await SetRulesAsync(engine, false, Fixed("Everything", 3));
        await engine.RunAsync(JobMode.All);
        var first = engine.Ratings();

        await SetRulesAsync(engine, false, Fixed("Everything", 4));
        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(first, engine.Ratings());
        Assert.Equal(0, job.Counts.Rated + job.Counts.Updated);
    }

    [Fact]
    public async Task History_filters_a_jobs_changes_by_rule()
    {
        await using var engine = await StartAsync();
        await SetRulesAsync(engine, false, Fixed("Short", 1, new() { DurationUnderSeconds = 90 }), Fixed("Rest", 3));
        var job = await engine.RunAsync(JobMode.All, dryRun: true);

        var all = await engine.ChangesAsync(job.Id);
        var shortOnes = await engine.Journal.GetChangesAsync(job.Id, null, "Short", 0, 1000, CancellationToken.None);

        Assert.Equal(all.Count(c => c.Rule == "Short"), shortOnes.Total);
        Assert.All(shortOnes.Items, c => Assert.Equal(2, c.NewValue));
        Assert.InRange(shortOnes.Total, 1, all.Count - 1);
    }
}
