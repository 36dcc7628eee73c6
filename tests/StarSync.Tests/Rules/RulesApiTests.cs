using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Rules;

/// <summary>/api/v1/rules and /api/v1/rules/preview over real HTTP, against the emulated Plex.</summary>
[Trait("Category", "Integration")]
public sealed class RulesApiTests : IAsyncLifetime
{
    private const string Key = "rules-api-tests-key-0123456789";
    private TestHost _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 2000, Seed = 5, HandRatedShare = 0.25 }).Config(new Dictionary<string, string?>
        {
            ["API_KEY"] = Key,
        }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
    }

    private HttpClient Client()
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", Key);
        return client;
    }

    private const string ThreeRules = """
        {"rules":[
          {"name":"Interludes","when":{"durationUnderSeconds":90},"then":{"kind":"unrated"}},
          {"name":"Skipped","when":{"skipsAtLeast":5},"then":{"kind":"fixed","value":2}},
          {"name":"Album","then":{"kind":"inherit","minRated":3,"priorWeight":2}},
          {"name":"Rest","then":{"kind":"fixed","value":3}}
        ]}
        """;

    [Fact]
    public async Task Get_shows_the_default_rule_set_when_none_is_saved()
    {
        using var client = Client();

        var rules = await client.GetFromJsonAsync<JsonElement>("/api/v1/rules");

        Assert.True(rules.GetProperty("isDefault").GetBoolean());
        Assert.Equal(2, rules.GetProperty("version").GetInt32());
        var only = Assert.Single(rules.GetProperty("rules").EnumerateArray());
        Assert.Equal("Default", only.GetProperty("name").GetString());
        Assert.Equal(3, only.GetProperty("then").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task Preview_counts_each_rules_tracks_as_the_emulator_data_says_and_writes_nothing()
    {
        using var client = Client();
        var lib = _app.Plex.Library;
        var before = lib.TrackKeys("1").ToDictionary(k => k, k => lib.GetUserRating(k));
        var settingsBefore = await File.ReadAllTextAsync(Path.Combine(_app.ConfigDirectory, "settings.json"));

        using var response = await client.PostAsync("/api/v1/rules/preview", new StringContent(ThreeRules, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var preview = await response.Content.ReadFromJsonAsync<JsonElement>();
        var music = Assert.Single(preview.GetProperty("libraries").EnumerateArray());
        var unrated = before.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList();
        Assert.Equal(unrated.Count, music.GetProperty("unrated").GetInt32());
        var rules = music.GetProperty("rules").EnumerateArray().ToList();
        var interludes = unrated.Count(k => lib.GetTrackSignals(k).DurationMs < 90_000);
        var skipped = unrated.Count(k => lib.GetTrackSignals(k).DurationMs >= 90_000 && lib.GetTrackSignals(k).SkipCount >= 5);
        Assert.Equal(interludes, rules[0].GetProperty("count").GetInt32());
        Assert.Equal(skipped, rules[1].GetProperty("count").GetInt32());
        Assert.Equal(unrated.Count - interludes - skipped, rules[2].GetProperty("count").GetInt32() + rules[3].GetProperty("count").GetInt32());
        Assert.Equal(0, music.GetProperty("unmatched").GetInt32());
        Assert.Equal("unrated", Assert.Single(rules[0].GetProperty("histogram").EnumerateArray()).GetProperty("label").GetString());
        var skippedBar = Assert.Single(rules[1].GetProperty("histogram").EnumerateArray());
        Assert.Equal((4.0, skipped), (skippedBar.GetProperty("plexValue").GetDouble(), skippedBar.GetProperty("count").GetInt32()));
        Assert.Equal(rules[2].GetProperty("count").GetInt32(), rules[2].GetProperty("histogram").EnumerateArray().Sum(b => b.GetProperty("count").GetInt32()));
        foreach (var rule in rules)
        {
            var sample = rule.GetProperty("sample").EnumerateArray().ToList();
            Assert.Equal(Math.Min(20, rule.GetProperty("count").GetInt32()), sample.Count);
            Assert.All(sample, s => Assert.NotEmpty(s.GetProperty("signals").EnumerateArray()));
        }

        Assert.Contains(rules[1].GetProperty("sample")[0].GetProperty("signals").EnumerateArray(), s => s.GetString()!.StartsWith("skips ", StringComparison.Ordinal));
        Assert.Equal(0, _app.Plex.Counters.RatingWrites);
        Assert.Equal(before, lib.TrackKeys("1").ToDictionary(k => k, k => lib.GetUserRating(k)));
        Assert.Equal(settingsBefore, await File.ReadAllTextAsync(Path.Combine(_app.ConfigDirectory, "settings.json")));
    }

    [Fact]
    public async Task Put_saves_the_rules_and_a_rate_all_journals_which_rule_decided()
    {
        using var client = Client();

        using var put = await client.PutAsync("/api/v1/rules", new StringContent(ThreeRules, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var saved = await client.GetFromJsonAsync<JsonElement>("/api/v1/rules");
        Assert.False(saved.GetProperty("isDefault").GetBoolean());
        Assert.Equal(4, saved.GetProperty("rules").GetArrayLength());
        Assert.Contains("\"rules\"", await File.ReadAllTextAsync(Path.Combine(_app.ConfigDirectory, "settings.json")), StringComparison.Ordinal);

        using var start = await client.PostAsJsonAsync("/api/v1/jobs", new { mode = "all", dryRun = true });
        var id = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await TestHost.FinishedJobAsync(client, id);

        var skipped = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}/changes?rule=Skipped&limit=1000");
        var all = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}/changes?limit=1000");
        Assert.InRange(skipped.GetProperty("total").GetInt32(), 1, all.GetProperty("total").GetInt32() - 1);
        Assert.All(skipped.GetProperty("items").EnumerateArray(), c => Assert.Equal("Skipped", c.GetProperty("rule").GetString()));

        using var reset = await client.PutAsync("/api/v1/rules", new StringContent("""{"rules":null}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True((await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("isDefault").GetBoolean());
    }

    [Theory]
    [InlineData("""{"rules":[{"name":"Ok","then":{"kind":"fixed","value":3}},{"name":"Loud","then":{"kind":"fixed","value":11}}]}""", "rules[1].then.value", "Rule 2 'Loud'")]
    [InlineData("""{"rules":[{"name":"Typo","when":{"playsAtleast":3},"then":{"kind":"unrated"}}]}""", "rules[0].when.playsAtleast", "Rule 1 'Typo'")]
    [InlineData("""{"rules":[{"name":"Neg","when":{"skipsAtLeast":"many"},"then":{"kind":"unrated"}}]}""", "rules[0].when.skipsAtLeast", "whole number")]
    [InlineData("""{"rulez":[]}""", "rulez", "not a field")]
    [InlineData("""{"rules":[""", "body", "not valid JSON")]
    [InlineData("""{"rules":[]}""", "rules", "at least one rule")]
    public async Task Malformed_rules_get_400_naming_the_rule_and_field_and_nothing_is_saved(string body, string field, string message)
    {
        using var client = Client();
        foreach (var (method, path) in new[] { ("PUT", "/api/v1/rules"), ("POST", "/api/v1/rules/preview") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            var errors = problem.GetProperty("errors").GetProperty(field);
            Assert.Contains(errors.EnumerateArray(), e => e.GetString()!.Contains(message, StringComparison.Ordinal));
        }

        Assert.True((await client.GetFromJsonAsync<JsonElement>("/api/v1/rules")).GetProperty("isDefault").GetBoolean());
    }

    [Fact]
    public async Task Put_refuses_a_scope_naming_a_library_plex_does_not_have_and_names_it_at_the_field()
    {
        using var client = Client();

        using var response = await client.PutAsync("/api/v1/rules", new StringContent(
            """{"rules":[{"name":"Jazz only","libraries":["Music","Jazz"],"then":{"kind":"fixed","value":4}}]}""",
            System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = Assert.Single(problem.GetProperty("errors").GetProperty("rules[0].libraries").EnumerateArray()).GetString();
        Assert.Contains("'Jazz'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("'Music'", message, StringComparison.Ordinal);
        Assert.Contains("Plex's music libraries: Music", message, StringComparison.Ordinal);
        Assert.Null(_app.App.Services.GetRequiredService<StarSync.Configuration.SettingsStore>().Current.Rules);
    }

    [Fact]
    public async Task Get_lists_plex_music_libraries_and_flags_a_saved_rule_whose_library_plex_lacks()
    {
        // Saved before the library was renamed in Plex: the file holds a name Plex no longer has.
        await _app.App.Services.GetRequiredService<StarSync.Configuration.SettingsStore>().UpdateAsync(s => s with
        {
            Rules = [new StarSync.Rules.RatingRule { Name = "Old jazz", Libraries = ["Jazz"], Then = new() { Kind = StarSync.Rules.OutcomeKind.Fixed, Value = 4 } }],
        }, CancellationToken.None);
        using var client = Client();

        var rules = await client.GetFromJsonAsync<JsonElement>("/api/v1/rules");

        Assert.Equal(["Music"], rules.GetProperty("libraries").EnumerateArray().Select(l => l.GetString()));
        var message = Assert.Single(rules.GetProperty("errors").GetProperty("rules[0].libraries").EnumerateArray()).GetString();
        Assert.Contains("Rule 'Old jazz' names 'Jazz'", message, StringComparison.Ordinal);
    }
}
