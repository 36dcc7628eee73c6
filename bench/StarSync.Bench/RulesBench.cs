using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Rules;

namespace StarSync.Bench;

/// <summary>
/// Rating rules (issue 13): preview time and peak memory at library sizes, and a rate-all with five rules against the
/// single default rule (same library, same latency model).
/// </summary>
internal static class RulesBench
{
    /// <summary>Five rules that need every input: durations, skips, plays, album tags (live), and hand ratings (inherit).</summary>
    public static IReadOnlyList<RatingRule> FiveRules =>
    [
        new() { Name = "Interludes", When = new() { DurationUnderSeconds = 90 }, Then = new() { Kind = OutcomeKind.Unrated } },
        new() { Name = "Often skipped", When = new() { SkipsAtLeast = 5, PlaysAtMost = 3 }, Then = new() { Kind = OutcomeKind.Fixed, Value = 2 } },
        new() { Name = "Like the album", Then = new() { Kind = OutcomeKind.Inherit } },
        new() { Name = "Live albums", When = new() { Live = true }, Then = new() { Kind = OutcomeKind.Fixed, Value = 2 } },
        new() { Name = "Everything else", Then = new() { Kind = OutcomeKind.Fixed, Value = 3 } },
    ];

    public static async Task RunAsync(Report report, BenchOptions o)
    {
        report.Line("### Rating rules: preview and rate-all (issue 13)");
        report.Line();
        report.Line("Five rules: interludes (< 90 s) left unrated; skipped ≥ 5 and played ≤ 3 → 1★; inherit from the album/artist (K = 3, prior weight 2); live albums (Subformat or title) → 1★; everything else → 3★. 10% of tracks hand-rated.");
        report.Line();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var tracks in o.Quick ? new[] { o.Tracks } : [o.Tracks, 1_000_000])
        {
            // Preview: in process, emulator without latency: the time is StarSync's own work plus the emulator's.
            await using var plex = await Scenarios.StartEmulatorAsync(tracks, 0.1, latency: false);
            var music = plex.Library.Sections.First(s => s.IsMusic);
            await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, o.Headline);
            var preview = app.App.Services.GetRequiredService<RulesPreview>();
            var settings = app.App.Services.GetRequiredService<SettingsStore>().Current;

            // Side by side, alternating, same library and emulator: the pass as it was (one listing after the other, one
            // page at a time) and the preview as it is.
            var before = new List<TimeSpan>();
            var times = new List<TimeSpan>();
            RulesPreviewResult? last = null;
            var runs = tracks >= 1_000_000 ? 1 : 3;
            for (var run = 0; run < runs; run++)
            {
                var started = Stopwatch.GetTimestamp();
                await SequentialPreviewAsync(app, settings, FiveRules);
                before.Add(Stopwatch.GetElapsedTime(started));
                started = Stopwatch.GetTimestamp();
                last = await preview.PreviewAsync(settings, FiveRules, CancellationToken.None);
                times.Add(Stopwatch.GetElapsedTime(started));
            }

            times.Sort();
            before.Sort();
            var lib = last!.Libraries[0];
            var peak = await PeakOfPreviewAsync(tracks);
            var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0] : "?";
            rows.Add([Report.N(tracks), Report.N(lib.Unrated), Report.Secs(before[before.Count / 2]), Report.Secs(times[times.Count / 2]), Report.Secs(times[0]),
                Report.F(before[before.Count / 2] / times[times.Count / 2], "0.0") + "x", load, Report.Mb(peak.PeakWorkingSet),
                string.Join(", ", lib.Rules.Select(r => $"{r.Name} {Report.N(r.Count)}")), Report.N(plex.Counters.RatingWrites)]);
        }

        report.Table(["tracks", "unrated", "before: one listing after the other, a page at a time", "preview now (median)", "best", "speed-up", "load average after",
            "peak working set of a process that only previews (emulator in its own process)", "tracks per rule", "rating writes during preview"], rows);
        await RateAllAsync(report, o);
    }

    /// <summary>
    /// The preview's pass as it was before it read pages ahead: the album listing, then the rated tracks (journal looked up
    /// per 1,000), then the unrated tracks, each one page at a time. Same rules code, so only the reading differs.
    /// </summary>
    private static async Task SequentialPreviewAsync(AppSide app, StarSyncSettings settings, IReadOnlyList<RatingRule> rules)
    {
        var plex = app.App.Services.GetRequiredService<IPlexClient>();
        var journal = app.App.Services.GetRequiredService<JournalStore>();
        var time = app.App.Services.GetRequiredService<TimeProvider>();
        var ct = CancellationToken.None;
        foreach (var library in await app.App.Services.GetRequiredService<RatingJob>().SelectedLibrariesAsync(settings, ct))
        {
            var albums = new Dictionary<string, AlbumFacts>(StringComparer.Ordinal);
            await foreach (var album in plex.GetAlbumsAsync(library.Key, ct))
            {
                albums[album.RatingKey] = AlbumFacts.From(album);
            }

            var hand = new HandRatings();
            var batch = new List<PlexTrack>(1000);
            async Task FlushAsync()
            {
                var ours = await journal.GetStarSyncValuesAsync(batch.Select(t => t.RatingKey).ToArray(), ct);
                foreach (var t in batch.Where(t => !ours.ContainsKey(t.RatingKey)))
                {
                    hand.Add(t, t.UserRating!.Value);
                }

                batch.Clear();
            }

            await foreach (var track in plex.GetTracksAsync(library.Key, new TrackQuery(TrackFilter.Rated), ct))
            {
                batch.Add(track);
                if (batch.Count == 1000)
                {
                    await FlushAsync();
                }
            }

            await FlushAsync();
            var prepared = new LibraryRules(rules, settings.RatingStyle, library.Title, time.GetUtcNow(), albums, hand);
            var counts = new int[rules.Count];
            await foreach (var track in plex.GetTracksAsync(library.Key, new TrackQuery(TrackFilter.Unrated), ct))
            {
                if (prepared.Evaluate(track) is { Matched: true } match)
                {
                    counts[match.RuleIndex]++;
                }
            }
        }
    }

    /// <summary>Child mode: one preview of the five rules, in a process of its own so its peak working set is StarSync's alone.</summary>
    public static async Task<int> PreviewChildAsync(string url, string token, string title)
    {
        await using var app = await AppSide.StartAsync(new Uri(url), token, title, 4);
        var settings = app.App.Services.GetRequiredService<SettingsStore>().Current;
        var result = await app.App.Services.GetRequiredService<RulesPreview>().PreviewAsync(settings, FiveRules, CancellationToken.None);
        Console.WriteLine($"previewed {result.Libraries.Sum(l => l.Unrated)} unrated tracks in {result.ElapsedMs} ms");
        return 0;
    }

    private static async Task<MemoryBench.ChildResult> PeakOfPreviewAsync(int tracks)
    {
        var release = MemoryBench.FindBuildOutput();
        using var emulator = MemoryBench.StartProcess("dotnet", [release.Emulator, "--tracks", tracks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port", "0", "--token", "bench-token", "--seed", "1"], null);
        try
        {
            var (url, title) = await MemoryBench.ReadEmulatorBannerAsync(emulator);
            return await MemoryBench.RunChildAsync("dotnet", [typeof(RulesBench).Assembly.Location, "--child-preview", url, "bench-token", title],
                new Dictionary<string, string> { ["RATING_STYLE"] = "5stars", ["TARGET_RATING"] = "3", ["LIBRARY_NAME"] = title, ["PLEX_URL"] = url, ["PLEX_TOKEN"] = "bench-token" });
        }
        finally
        {
            emulator.Kill(entireProcessTree: true);
            await emulator.WaitForExitAsync();
        }
    }

    /// <summary>Rate-all with the five rules against the default rule, same library and latency model.</summary>
    private static async Task RateAllAsync(Report report, BenchOptions o)
    {
        var tracks = o.SweepTracks;
        var rows = new List<IReadOnlyList<string>>();
        TimeSpan? baseline = null;
        foreach (var (name, rules) in new (string, IReadOnlyList<RatingRule>?)[] { ("default rule", null), ("five rules", FiveRules) })
        {
            await using var plex = await Scenarios.StartEmulatorAsync(tracks, 0.1, latency: !o.NoLatency);
            var music = plex.Library.Sections.First(s => s.IsMusic);
            await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, o.Headline);
            await app.App.Services.GetRequiredService<SettingsStore>().UpdateAsync(s => s with { Rules = rules }, CancellationToken.None);
            plex.Counters.Reset();
            var (job, elapsed) = await app.RunAsync(JobMode.All);
            var writes = plex.Counters.RatingWrites;
            baseline ??= elapsed;
            rows.Add([name, Report.Secs(elapsed), Report.N(plex.Counters.Requests), Report.N(writes), Report.N(job.Counts.Skipped),
                Report.F(writes / elapsed.TotalSeconds, "0") + "/s", Report.F(elapsed / baseline.Value, "0.00") + "x"]);
        }

        report.Line();
        report.Line($"Rate all, {Report.N(tracks)} tracks (90% unrated), WRITE_CONCURRENCY={o.Headline}, latency model {(o.NoLatency ? "off" : "on")}:");
        report.Line();
        report.Table(["rules", "wall time", "requests", "rating writes", "skipped", "writes per second", "time vs default"], rows);
    }
}
