using System.Diagnostics;
using System.Runtime;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Emulator;

/// <summary>The seeded library generator: realistic, repeatable, compact.</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorGenerationTests
{
    [Fact]
    public void Same_seed_gives_the_same_library_and_another_seed_differs()
    {
        var a = EmulatedLibrary.Create(new EmulatorOptions { Seed = 3, Tracks = 2000 });
        var b = EmulatedLibrary.Create(new EmulatorOptions { Seed = 3, Tracks = 2000 });
        var c = EmulatedLibrary.Create(new EmulatorOptions { Seed = 4, Tracks = 2000 });

        var keys = a.TrackKeys("1");
        Assert.Equal(keys, b.TrackKeys("1"));
        Assert.Equal(keys.Select(a.GetTitle), keys.Select(b.GetTitle));
        Assert.Equal(keys.Select(a.GetUserRating), keys.Select(b.GetUserRating));
        Assert.NotEqual(keys.Select(a.GetTitle), c.TrackKeys("1").Select(c.GetTitle));
    }

    [Fact]
    public void Library_looks_like_a_real_music_collection()
    {
        var lib = EmulatedLibrary.Create(new EmulatorOptions { Seed = 1, Tracks = 20_000, MusicLibraries = 3, HandRatedShare = 0.1 });

        Assert.Equal(["Music", "Live Music", "Music 3", "Movies"], lib.Sections.Select(s => s.Title));
        Assert.Equal(["artist", "artist", "artist", "movie"], lib.Sections.Select(s => s.Type));
        Assert.Equal(20_000, lib.Sections.Sum(s => s.TrackCount));
        var keys = lib.TrackKeys("1");
        var ratings = keys.Select(lib.GetUserRating).Where(r => r is not null).Select(r => r!.Value).ToList();
        Assert.InRange(ratings.Count, keys.Count * 0.08, keys.Count * 0.12);
        Assert.Contains(0.0, ratings);
        Assert.Contains(ratings, r => r % 2 == 1);
        Assert.Contains(10.0, ratings);
        var albumSizes = keys.GroupBy(lib.GetParentKey).Select(g => g.Count()).ToList();
        Assert.True(albumSizes.Count(n => n is >= 8 and <= 20) >= albumSizes.Count - 1);
        var artistAlbums = lib.AlbumKeys("1").GroupBy(lib.GetParentKey).Select(g => g.Count()).ToList();
        Assert.Contains(artistAlbums, n => n > 1);
        Assert.Contains(lib.AlbumKeys("1"), a => lib.GetTitle(a).StartsWith("Live at ", StringComparison.Ordinal));
        Assert.True(lib.AlbumKeys("2").Count(a => lib.GetTitle(a).StartsWith("Live at ", StringComparison.Ordinal)) > lib.AlbumKeys("2").Count / 2);
    }
}

/// <summary>Memory runs alone so other tests' allocations do not blur the figure.</summary>
[CollectionDefinition(nameof(MemoryRunsAlone), DisableParallelization = true)]
public sealed class MemoryRunsAlone;

[Collection(nameof(MemoryRunsAlone))]
[Trait("Category", "Integration")]
public sealed class EmulatorMemoryTests
{
    [Fact]
    public async Task A_million_tracks_fit_in_well_under_500_MB_and_the_unrated_count_does_not_allocate_per_track()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();

        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0.1, tracks: 1_000_000);
        var generated = watch.Elapsed;
        var after = GC.GetTotalMemory(forceFullCollection: true);
        using var client = EmulatorTestHost.Client(server);
        await client.GetXmlAsync("/library/sections/1/all?type=10&userRating=-1", 0, 0);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var count = await client.GetXmlAsync("/library/sections/1/all?type=10&userRating=-1", 0, 0);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        var megabytes = (after - before) / (1024.0 * 1024.0);
        Console.WriteLine($"1M tracks: {megabytes:F1} MB managed heap, generated in {generated.TotalSeconds:F1} s; unrated count request allocated {allocated / 1024} KB");
        Assert.Equal(1_000_000, server.Library.TotalTracks);
        Assert.InRange(megabytes, 1, 200);
        Assert.Equal(server.Library.CountUnrated("1"), count.IntAttr("totalSize"));
        // Per-track allocation would be tens of MB for a million tracks.
        Assert.True(allocated < 2 * 1024 * 1024, $"count-only request allocated {allocated} bytes");
    }
}
