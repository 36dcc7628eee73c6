using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Rules;

namespace StarSync.Tests.Rules;

/// <summary>Rules as data: the inheritance formula, validation messages, the title heuristic and settings.json versions.</summary>
[Trait("Category", "Unit")]
public sealed class RulesDefinitionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-rules-").FullName;

    private string SettingsFile => Path.Combine(_dir, "settings.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IConfiguration Env(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact]
    public void Inheritance_worked_example_shrinks_the_album_mean_toward_the_library_mean()
    {
        // Album rated 8, 10, 6 (n = 3), library mean 6, prior weight 2: (2*6 + 24) / 5 = 7.2.
        var estimate = Inheritance.Estimate(sum: 24, count: 3, libraryMean: 6, priorWeight: 2, minRated: 3);

        Assert.Equal(7.2, estimate!.Value, 10);
        Assert.Equal(8, Inheritance.RoundToStyle(estimate.Value, RatingStyle.FiveStars));
        Assert.Equal(7, Inheritance.RoundToStyle(estimate.Value, RatingStyle.FiveStarsHalf));
        Assert.Equal(10, Inheritance.RoundToStyle(estimate.Value, RatingStyle.OneStar));
        Assert.Null(Inheritance.Estimate(24, 3, 6, 2, minRated: 4));
        Assert.Equal(2, Inheritance.RoundToStyle(0.4, RatingStyle.FiveStars));
        Assert.Equal(0, Inheritance.RoundToStyle(4.9, RatingStyle.OneStar));
    }

    [Fact]
    public void Evaluator_falls_through_an_inherit_rule_without_enough_hand_ratings()
    {
        var hand = new HandRatings();
        foreach (var value in new[] { 8.0, 10, 6 })
        {
            hand.Add(new PlexTrack("r", "", null, null, value, 0, "1") { AlbumKey = "A", ArtistKey = "X" }, value);
        }

        hand.Add(new PlexTrack("s", "", null, null, 0, 0, "1") { AlbumKey = "B", ArtistKey = "Y" }, 0);
        RatingRule[] rules =
        [
            new() { Name = "Inherit", Then = new() { Kind = OutcomeKind.Inherit } },
            new() { Name = "Rest", Then = new() { Kind = OutcomeKind.Fixed, Value = 3 } },
        ];
        var evaluator = new LibraryRules(rules, RatingStyle.FiveStars, "Music", TimeProvider.System.GetUtcNow(), null, hand);

        // Library mean (8+10+6+0)/4 = 6: (2*6 + 24) / 5 = 7.2 -> 8.
        Assert.Equal(new RuleMatch(0, "Inherit", 8), evaluator.Evaluate(new PlexTrack("t", "", null, null, null, 0, "1") { AlbumKey = "A", ArtistKey = "X" }));
        Assert.Equal(new RuleMatch(1, "Rest", 6), evaluator.Evaluate(new PlexTrack("u", "", null, null, null, 0, "1") { AlbumKey = "B", ArtistKey = "Y" }));
    }

    [Theory]
    [InlineData("Live at Budokan 1978", new string[0], true, false)]
    [InlineData("Songs (Live)", new string[0], true, false)]
    [InlineData("MTV Unplugged", new string[0], true, false)]
    [InlineData("Greatest Hits", new string[0], false, true)]
    [InlineData("The Essential Collection", new string[0], false, true)]
    [InlineData("Oliver Twist", new string[0], false, false)]
    [InlineData("Live at Budokan", new[] { "Remix" }, false, false)]
    [InlineData("Blue River", new[] { "Live" }, true, false)]
    [InlineData("Blue River", new[] { "Compilation" }, false, true)]
    public void Live_and_compilation_come_from_the_subformat_else_from_the_title(string title, string[] subformats, bool live, bool compilation)
    {
        var facts = AlbumFacts.From(new PlexAlbum("1", title, null, [], [], [], ["Album"], subformats));

        Assert.Equal((live, compilation), (facts.Live, facts.Compilation));
        Assert.Equal(subformats.Length == 0, facts.FromTitle);
    }

    [Theory]
    [InlineData("""[{"name":"A","then":{"kind":"fixed","value":3}},{"name":"Bad","when":{"playsAtLeast":-1},"then":{"kind":"fixed","value":3}}]""", "rules[1].when.playsAtLeast", "Rule 2 'Bad': when.playsAtLeast")]
    [InlineData("""[{"name":"Six","then":{"kind":"fixed","value":6}}]""", "rules[0].then.value", "Rule 1 'Six': then.value 6 does not fit")]
    [InlineData("""[{"name":"X","then":{"kind":"maybe"}}]""", "rules[0].then.kind", "use fixed, inherit or unrated")]
    [InlineData("""[{"name":"X","when":{"plays":3},"then":{"kind":"unrated"}}]""", "rules[0].when.plays", "is not a rule field")]
    [InlineData("""[{"then":{"kind":"unrated"}}]""", "rules[0].name", "Rule 1: name is missing")]
    [InlineData("""[{"name":"X","when":{"durationUnderSeconds":60,"durationOverSeconds":90},"then":{"kind":"unrated"}}]""", "rules[0].when.durationUnderSeconds", "no track can match")]
    [InlineData("""[{"name":"X","when":{"albumGenres":"Rock"},"then":{"kind":"unrated"}}]""", "rules[0].when.albumGenres", "list of names")]
    [InlineData("""[{"name":"X","then":{"kind":"unrated"}},{"name":"x","then":{"kind":"unrated"}}]""", "rules[1].name", "used by an earlier rule")]
    [InlineData("""[{"name":"X","then":{"kind":"inherit","minRated":0}}]""", "rules[0].then.minRated", "from 1 to 1000")]
    [InlineData("""{"name":"X"}""", "rules", "JSON array")]
    public void Malformed_rules_are_refused_naming_the_rule_and_field(string json, string field, string message)
    {
        var errors = new Dictionary<string, string[]>();

        var rules = RuleJson.Parse(JsonNode.Parse(json), RatingStyle.FiveStars, errors);

        Assert.Null(rules);
        Assert.Contains(field, errors.Keys);
        Assert.Contains(errors[field], m => m.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Rules_round_trip_through_json()
    {
        var rules = RuleSets.Example(3).Append(new RatingRule
        {
            Name = "Everything set",
            Libraries = ["Music"],
            When = new()
            {
                PlaysAtLeast = 1, PlaysAtMost = 9, SkipsAtLeast = 0, SkipsAtMost = 3, LastPlayedOlderThanDays = 30, LastPlayedWithinDays = 900,
                AddedWithinDays = 10, DurationOverSeconds = 30, DurationUnderSeconds = 600, AlbumGenres = ["Rock"], AlbumMoods = ["Mellow"],
                AlbumStyles = ["House"], Live = false, Compilation = true, ArtistContains = "a", AlbumContains = "b",
            },
            Then = new() { Kind = OutcomeKind.Inherit, MinRated = 5, PriorWeight = 1.5 },
        }).ToList();
        var errors = new Dictionary<string, string[]>();

        var back = RuleJson.Parse(JsonNode.Parse(RuleJson.Write(rules).ToJsonString()), RatingStyle.FiveStars, errors);

        Assert.Empty(errors);
        Assert.Equal(RuleJson.Write(rules).ToJsonString(), RuleJson.Write(back!).ToJsonString());
    }

    [Fact]
    public async Task Old_settings_json_loads_unchanged_as_the_default_rule_set_and_is_upgraded_on_save_with_a_backup()
    {
        const string old = """{"libraries":["Music"],"rating_style":"5stars_half","rating_value":3.5,"override_rating":true,"batch_interval_minutes":30,"batch_size":100}""";
        await File.WriteAllTextAsync(SettingsFile, old);

        var settings = SettingsLoader.Load(Env(), SettingsFile);

        Assert.Null(settings.Rules);
        Assert.Equal(7, settings.PlexTarget);
        Assert.True(settings.OverrideRating);
        var only = Assert.Single(settings.EffectiveRules);
        Assert.Equal((RuleNames.Default, OutcomeKind.Fixed, 3.5), (only.Name, only.Then.Kind, only.Then.Value!.Value));

        await SettingsLoader.SaveAsync(settings with { Rules = RuleSets.Example(3.5) }, SettingsFile, CancellationToken.None);

        Assert.Equal(old, await File.ReadAllTextAsync(SettingsFile + ".v1.bak"));
        var saved = JsonNode.Parse(await File.ReadAllTextAsync(SettingsFile))!;
        Assert.Equal(RulesSettingsFile.CurrentVersion, saved[RulesSettingsFile.VersionKey]!.GetValue<int>());
        var reloaded = SettingsLoader.Load(Env(), SettingsFile);
        Assert.Equal(RuleJson.Write(RuleSets.Example(3.5)).ToJsonString(), RuleJson.Write(reloaded.Rules!).ToJsonString());
        Assert.Equal((7.0, true, 30, 100), (reloaded.PlexTarget, reloaded.OverrideRating, reloaded.BatchIntervalMinutes, reloaded.BatchSize));

        // A later save keeps the first backup: it is the old tool's file.
        await SettingsLoader.SaveAsync(reloaded with { Rules = null }, SettingsFile, CancellationToken.None);
        Assert.Equal(old, await File.ReadAllTextAsync(SettingsFile + ".v1.bak"));
        Assert.Null(SettingsLoader.Load(Env(), SettingsFile).Rules);
    }

    [Fact]
    public async Task Settings_json_with_a_bad_rule_stops_start_up_naming_the_rule_and_field()
    {
        await File.WriteAllTextAsync(SettingsFile, """{"settings_version":2,"rating_style":"5stars","rules":[{"name":"Loud","then":{"kind":"fixed","value":9}}]}""");

        var ex = Assert.Throws<StartupConfigurationException>(() => SettingsLoader.Load(Env(), SettingsFile));

        Assert.Contains("rules[0].then.value", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Rule 1 'Loud'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_json_from_a_newer_format_is_refused_with_the_fix()
    {
        await File.WriteAllTextAsync(SettingsFile, """{"settings_version":3}""");

        var ex = Assert.Throws<StartupConfigurationException>(() => SettingsLoader.Load(Env(), SettingsFile));

        Assert.Contains("newer StarSync", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Changing_the_style_under_custom_rules_names_the_rule_that_no_longer_fits()
    {
        var settings = new StarSyncSettings { Rules = [new RatingRule { Name = "Half", Then = new() { Kind = OutcomeKind.Fixed, Value = 2.5 } }], RatingStyle = RatingStyle.FiveStarsHalf };
        Assert.Empty(settings.Validate());

        var errors = (settings with { RatingStyle = RatingStyle.FiveStars }).Validate();

        Assert.Contains("Rule 1 'Half'", errors["rules[0].then.value"][0], StringComparison.Ordinal);
    }
}
