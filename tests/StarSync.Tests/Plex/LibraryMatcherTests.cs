using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Jobs;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Plex;

/// <summary>
/// Which libraries StarSync works on (<see cref="LibraryMatcher"/>): hidden libraries and audiobook libraries (Plex
/// lists both as <c>type="artist"</c>) stay out of coverage and "every library" unless chosen by name.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LibraryMatcherTests
{
    private const string Key = "library-matcher-key-0123456789";

    private static EmulatorOptions WithExtras() =>
        new() { Tracks = 300, Seed = 9, HandRatedShare = 0.2, HiddenMusicLibrary = true, AudiobookLibrary = true, ExtraLibraryTracks = 30 };

    [Fact]
    public async Task Plex_reports_the_hidden_flag_and_the_audiobook_agent_and_the_matcher_names_each_reason()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(WithExtras());
        await using var sp = PlexTestServices.Build(plex.BaseUri.ToString(), plex.Token);

        var libraries = await sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None);

        Assert.Equal(["Music", "Movies", "Hidden Music", "Audiobooks"], libraries.Select(l => l.Title));
        Assert.Equal([false, false, true, false], libraries.Select(l => l.Hidden));
        Assert.Equal(
            [LibraryExclusion.None, LibraryExclusion.None, LibraryExclusion.Hidden, LibraryExclusion.Audiobooks],
            libraries.Select(LibraryMatcher.ExclusionOf));
        Assert.Equal(["Music"], LibraryMatcher.Offered(libraries, ["Music"]).Select(l => l.Title)); // Movies is not music
        Assert.Equal(["Hidden Music", "Audiobooks"], LibraryMatcher.Excluded(libraries, ["Music"]).Select(e => e.Library.Title));
        Assert.Equal(["Music", "Audiobooks"], LibraryMatcher.Offered(libraries, ["audiobooks"]).Select(l => l.Title)); // named = chosen
        Assert.Equal("looks like audiobooks (agent com.plexapp.agents.audnexus); tick it in Settings to rate it anyway", LibraryMatcher.Reason(libraries[3]));
    }

    [Theory]
    [InlineData("\"1\"", true)]
    [InlineData("1", true)]
    [InlineData("2", true)]
    [InlineData("\"2\"", true)]
    [InlineData("true", true)]
    [InlineData("0", false)]
    [InlineData("\"0\"", false)]
    [InlineData("false", false)]
    [InlineData("null", false)]
    public async Task Any_hidden_value_but_zero_false_or_absent_counts_as_hidden_and_none_breaks_the_listing(string hidden, bool expected)
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json(
            "{\"MediaContainer\":{\"size\":2,\"Directory\":[{\"key\":\"1\",\"title\":\"Music\",\"type\":\"artist\"},{\"key\":\"2\",\"title\":\"Other\",\"type\":\"artist\",\"hidden\":" + hidden + "}]}}"));
        await using var sp = stub.BuildServices();

        var libraries = await sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None);

        Assert.False(libraries[0].Hidden); // absent
        Assert.Equal(expected, libraries[1].Hidden);
    }

    [Theory]
    [InlineData("Audiobooks", "tv.plex.agents.music", LibraryExclusion.Audiobooks)]
    [InlineData("Hörbücher", "tv.plex.agents.none", LibraryExclusion.Audiobooks)]
    [InlineData("Books", "com.plexapp.agents.audnexus", LibraryExclusion.Audiobooks)]
    [InlineData("Books", "com.plexapp.agents.audiobooks", LibraryExclusion.Audiobooks)]
    [InlineData("Music", "tv.plex.agents.music", LibraryExclusion.None)]
    [InlineData("Classical", "com.plexapp.agents.lastfm", LibraryExclusion.None)]
    [InlineData("Spoken word", null, LibraryExclusion.None)]
    public void Audiobooks_are_recognised_by_agent_or_title(string title, string? agent, LibraryExclusion expected) =>
        Assert.Equal(expected, LibraryMatcher.ExclusionOf(new PlexLibrary("9", title, "artist", null, agent)));

    [Fact]
    public async Task Coverage_and_rate_all_leave_hidden_and_audiobook_libraries_alone_and_say_why()
    {
        await using var host = await TestHost.Create().Emulator(WithExtras()).Config("API_KEY", Key).StartAsync();
        using var client = host.CreateApiClient(Key);
        var library = host.Plex.Library;
        var left = library.Sections.Where(s => s.Hidden || s.Agent is not null).ToArray();
        var before = left.SelectMany(s => library.TrackKeys(s.Key)).ToDictionary(k => k, k => library.GetUserRating(k));
        Assert.Equal(60, before.Count);

        var listed = await client.GetFromJsonAsync<JsonElement>("/api/v1/libraries");
        var rows = listed.GetProperty("libraries").EnumerateArray().ToDictionary(l => l.GetProperty("title").GetString()!);
        Assert.Equal(["Music", "Hidden Music", "Audiobooks"], rows.Keys);
        Assert.Equal(JsonValueKind.Null, rows["Music"].GetProperty("excluded").ValueKind);
        Assert.Equal(library.Sections[0].TrackCount, rows["Music"].GetProperty("total").GetInt32());
        Assert.Equal("hidden in Plex; tick it in Settings to rate it anyway", rows["Hidden Music"].GetProperty("excluded").GetString());
        Assert.StartsWith("looks like audiobooks", rows["Audiobooks"].GetProperty("excluded").GetString(), StringComparison.Ordinal);
        Assert.All([rows["Hidden Music"], rows["Audiobooks"]], r => Assert.Equal((0, false), (r.GetProperty("total").GetInt32(), r.GetProperty("selected").GetBoolean())));

        using var run = await client.PostAsJsonAsync("/api/v1/jobs", new { mode = "all" });
        var job = await TestHost.FinishedJobAsync(client, (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal(0, library.CountUnrated(library.Sections[0].Key));
        Assert.Equal(before, before.Keys.ToDictionary(k => k, k => library.GetUserRating(k)));
    }

    [Fact]
    public async Task An_audiobook_or_hidden_library_named_in_LIBRARY_NAME_is_covered_and_rated_like_music()
    {
        await using var host = await TestHost.Create().Emulator(WithExtras())
            .Config("LIBRARY_NAME", "Music,audiobooks,Hidden Music").Config("API_KEY", Key).EngineOnly().StartAsync();
        var library = host.Plex.Library;

        var coverage = await host.Services.GetRequiredService<StarSync.Status.PlexStatus>().GetCoverageAsync(CancellationToken.None);
        Assert.Equal(["Music", "Hidden Music", "Audiobooks"], coverage.Select(c => c.Title));
        Assert.All(coverage, c => Assert.Equal((true, null), (c.Selected, c.Excluded)));
        Assert.All(coverage, c => Assert.True(c.Total > 0, c.Title + " is counted"));

        var job = await host.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.All(library.Sections.Where(s => s.IsMusic), s => Assert.Equal(0, library.CountUnrated(s.Key)));
    }
}
