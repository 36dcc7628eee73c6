using System.Diagnostics;
using System.Globalization;
using System.Xml;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Bench;

/// <summary>
/// Issue 11: batched, verified writes against the single-writer model (every write request holds one global writer
/// for 3 ms + n x per-item), beside the old tool's loop (pages of 100, then per track one metadata GET and one
/// /:/rate, serial), measured in the same run.
/// </summary>
internal static class WritePathBench
{
    private static readonly TimeSpan WriteFixed = TimeSpan.FromMilliseconds(3);

    /// <summary>
    /// Tracks of a batched warm-up run: long enough that the runtime tiers up what a 100k-track run uses (after runs of
    /// 2,000 the first 100k run still compiled ~4,000 methods, ~4.5 s of JIT on the bench's 2 cores).
    /// </summary>
    private const int WarmUpTracks = 20_000;

    /// <summary>What the runtime did during each StarSync row (JIT, GC), printed under the table: the rows share a process.</summary>
    private static List<string>? RuntimeNotes;

    /// <summary>Every part; <c>--writepath-parts</c> picks some (for quick iteration): baseline, batch (the default size), sizes (the others), faults, cpu (where the CPU of a batch run goes, and the journal's inserts two ways: <see cref="JournalInsertBench"/>), single (both server models, then where its CPU goes; single-serial or single-parallel for one model, single-nocpu to leave out the CPU breakdown), process (the StarSync program and the emulator program as two processes, <see cref="ProcessWritePath"/>; process-single for its single-mode rows alone).</summary>
    public static readonly string[] AllParts = ["baseline", "batch", "sizes", "faults", "cpu", "single", "process"];

    /// <summary>Every name <c>--writepath-parts</c> takes: the parts and their narrower variants.</summary>
    public static readonly string[] Parts = [.. AllParts, "single-parallel", "single-serial", "single-nocpu", "process-single"];

    public static async Task RunAsync(Report report, int tracks, int baselineSample, IReadOnlyCollection<string>? parts = null)
    {
        parts ??= AllParts;
        report.Line($"### Write path (issue 11): {Report.N(tracks)} unrated tracks, single-writer model");
        report.Line();
        report.Line("Emulator: 2 ms per request; each write request holds ONE global writer for 3 ms + n × per-item (n = tracks it writes). " +
            "Model limit = time the writer itself is busy = ⌈N/B⌉ × (3 ms + B × per-item), for N tracks in bulk edits of B. " +
            $"StarSync at its defaults (WRITE_MODE=auto, WRITE_BATCH_SIZE={StarSync.Configuration.StarSyncSettings.DefaultWriteBatchSize}, WRITE_CONCURRENCY=auto) unless the row says otherwise. " +
            "Writer busy = the emulator's count of the single writer's modelled work (the limit's numerator, as measured); the rest of the wall time it idled. " +
            "CPU = the bench process's CPU time during the run (StarSync and the emulator share it: listing, read-back and journal work on both sides); no run can take less wall time than CPU / cores.");
        report.Line();
        if (parts.All(p => p is "process" or "process-single"))
        {
            await ProcessWritePath.RunAsync(report, tracks, Math.Min(tracks, 10_000), batch: !parts.Contains("process-single"));
            return;
        }

        // Warm-up (not reported): the first runs in a process pay the JIT for the whole write path, which would weigh on
        // whichever row comes first (measured: ~40% more CPU on the first of three identical runs).
        await SettleJitAsync(report, async () =>
        {
            await using var warm = await StartAsync(WarmUpTracks, 0.02);
            await StarSyncAsync(warm, warm.Library.Sections.First(s => s.IsMusic).Title, StarSync.Configuration.StarSyncSettings.DefaultWriteBatchSize, faults: false);
        });
        RuntimeNotes = [];

        var rows = new List<IReadOnlyList<string>>();
        foreach (var perItem in new[] { 0.02, 0.2 })
        {
            await using var plex = await StartAsync(tracks, perItem);
            var music = plex.Library.Sections.First(s => s.IsMusic);
            var keys = plex.Library.TrackKeys(music.Key);

            // Baseline on a sample: the full listing is measured, the per-track loop on the first tracks, then extrapolated.
            var (baseline, perTrack, listing) = parts.Contains("baseline") ? await BaselineAsync(plex, music.Title, Math.Min(baselineSample, tracks)) : (0, TimeSpan.Zero, TimeSpan.Zero);
            var baselineTotal = listing + (perTrack * tracks);
            if (parts.Contains("baseline"))
            {
                rows.Add([Report.F(perItem, "0.00"), "old tool's loop (serial; per track GET + /:/rate)", "-",
                $"{Secs(baselineTotal)} (extrapolated: listing {Secs(listing)} + {Report.N(tracks)} × {Report.F(perTrack.TotalMilliseconds, "0.00")} ms measured on {Report.N(Math.Min(baselineSample, tracks))} tracks)",
                "-", "-", "-", "1.0x", "-"]);
            }

            Reset(plex, keys);

            foreach (var batch in new[] { 100, 250, 500 })
            {
                var isDefault = batch == StarSync.Configuration.StarSyncSettings.DefaultWriteBatchSize;
                if (!parts.Contains(isDefault ? "batch" : "sizes"))
                {
                    continue;
                }

                var (elapsed, requests, busy, cpu) = await StarSyncAsync(plex, music.Title, batch, faults: false);
                var limit = Limit(tracks, batch, perItem);
                rows.Add([Report.F(perItem, "0.00"), $"StarSync batch{(batch == StarSync.Configuration.StarSyncSettings.DefaultWriteBatchSize ? " (default)" : "")}, WRITE_BATCH_SIZE={batch}", Report.N(requests), Secs(elapsed),
                    $"{Secs(limit)} → {Report.F(elapsed / limit, "0.00")}x", Busy(busy, elapsed), Cpu(cpu, elapsed), VsBaseline(baselineTotal, elapsed), "-"]);
                Reset(plex, keys);
                if (isDefault && parts.Contains("faults"))
                {
                    var (faulty, faultyRequests, faultyBusy, faultyCpu) = await StarSyncAsync(plex, music.Title, batch, faults: true);
                    rows.Add([Report.F(perItem, "0.00"), "StarSync default, 10% faults (5% HTTP 500 + 5% dropped connections, every route)",
                        Report.N(faultyRequests), Secs(faulty), $"{Secs(limit)} → {Report.F(faulty / limit, "0.00")}x", Busy(faultyBusy, faulty), Cpu(faultyCpu, faulty),
                        VsBaseline(baselineTotal, faulty), Report.F(faulty / elapsed, "0.00") + "x the fault-free run"]);
                    Reset(plex, keys);
                }
            }

            _ = baseline;
        }

        report.Table(["per item (ms)", "client", "requests", "wall time", "model limit → ratio", "writer busy", "CPU (both sides)", "vs baseline", "faults"], rows);
        report.Line("The runtime during each StarSync row, in table order: " + string.Join("; ", RuntimeNotes ?? []) + ".");
        report.Line();
        if (parts.Contains("cpu"))
        {
            await CpuBreakdownAsync(report, Math.Min(tracks, 20_000));
            await JournalInsertBench.RunAsync(report);
        }

        if (parts.Contains("single") || parts.Contains("single-parallel") || parts.Contains("single-serial"))
        {
            // "single" runs both server models; "single-parallel" or "single-serial" one of them (quicker to iterate on).
            bool[] models = parts.Contains("single") ? [true, false] : parts.Contains("single-serial") ? [true] : [false];
            await SingleModeAsync(report, Math.Min(tracks, 10_000), models, breakdown: !parts.Contains("single-nocpu"));
        }

        if (parts.Contains("process") || parts.Contains("process-single"))
        {
            // "process-single" leaves out the two batch rows (quicker to iterate on single mode).
            await ProcessWritePath.RunAsync(report, tracks, Math.Min(tracks, 10_000), batch: !parts.Contains("process-single"));
        }
    }

    /// <summary>
    /// Repeats a warm-up until the JIT has settled, so that the rows measure a server that has been up a while.
    /// Tiered compilation recompiles hot methods in the background for seconds after they first run (quick JIT, then
    /// instrumented, then optimized), and on a 2-core machine those compiles take CPU from the measured run: perf
    /// sampled the JIT's thread in 31% of a 30k-track run that followed one warm-up of 2,000 tracks.
    /// </summary>
    private static async Task SettleJitAsync(Report report, Func<Task> warmUp)
    {
        // Each warm-up builds a new host, whose dependency injection and routing compile a few hundred small methods of
        // their own; a run that compiles fewer than that has nothing of the write path left to tier up.
        const long Settled = 600;
        var counts = new List<long>();
        do
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            await warmUp();
            // The background compiles start after a quiet spell (100 ms) once methods were called often enough.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            counts.Add(System.Runtime.JitInfo.GetCompiledMethodCount() - before);
        }
        while (counts[^1] >= Settled && counts.Count < 12);

        report.Line($"Warm-up (not reported): {counts.Count} run{(counts.Count == 1 ? "" : "s")}; methods compiled in each: {string.Join(", ", counts.Select(c => Report.N(c)))}.");
        report.Line();
    }

    /// <summary>
    /// One write per track with WRITE_CONCURRENCY=auto, on the single-writer model (limit: the writer busy N x 3 ms)
    /// and on a server that writes in parallel (limit: N x (2 ms + 3 ms) / 32, the adaptive limiter's ceiling). Each row
    /// also gives the process CPU (both sides) and what it means on this machine's cores, and the time-weighted mean of
    /// the adaptive limit (sampled every 5 ms), which says how much of the run the limiter spent below its ceiling. Each
    /// model runs <see cref="SingleJobs"/> jobs, each on a new app over the same tracks made unrated again; the row is
    /// the median job's, with every job's wall time beside it.
    /// </summary>
    private static async Task SingleModeAsync(Report report, int tracks, bool[] models, bool breakdown)
    {
        report.Line($"Single mode (WRITE_MODE=single, WRITE_CONCURRENCY=auto), {Report.N(tracks)} unrated tracks:");
        report.Line();
        // Warm-up (not reported): the batch warm-up above leaves the one-write-per-track path cold, and a row run alone
        // (single-parallel) would pay its JIT.
        await SettleJitAsync(report, async () =>
        {
            await using var warm = await StartAsync(2_000, 0);
            warm.Options.Latency.SerializeWrites = false;
            await using var warmApp = await AppSide.StartAsync(warm.BaseUri, warm.Token, warm.Library.Sections.First(s => s.IsMusic).Title, 4, new Dictionary<string, string?>
            {
                ["WRITE_MODE"] = "single",
                ["WRITE_CONCURRENCY"] = "auto",
            });
            await warmApp.RunAsync(JobMode.All);
        });

        var rows = new List<IReadOnlyList<string>>();
        foreach (var serialized in models)
        {
            await using var plex = await StartAsync(tracks, 0);
            plex.Options.Latency.SerializeWrites = serialized;
            var music = plex.Library.Sections.First(s => s.IsMusic);
            var keys = plex.Library.TrackKeys(music.Key);
            var limit = serialized
                ? TimeSpan.FromMilliseconds(tracks * WriteFixed.TotalMilliseconds)
                : ParallelLimit(tracks);
            var jobs = new List<(TimeSpan Elapsed, IReadOnlyList<string> Columns)>();
            for (var round = 0; round < SingleJobs; round++)
            {
                Reset(plex, keys);
                jobs.Add(await SingleJobAsync(plex, music, tracks, serialized));
            }

            // The median job's row; every job's wall time beside it (one job alone swings by ±0.1x on this shared machine).
            var median = jobs.OrderBy(j => j.Elapsed).ElementAt(jobs.Count / 2);
            rows.Add([serialized ? "single writer (3 ms per write, one at a time)" : "parallel writes (2 ms + 3 ms, no writer lock)",
                $"{Secs(median.Elapsed)} ({string.Join(", ", jobs.Select(j => Secs(j.Elapsed)))})", $"{Secs(limit)} → {Report.F(median.Elapsed / limit, "0.00")}x", .. median.Columns]);
        }

        report.Table(["server model", $"wall time: median of {SingleJobs} jobs (each)", "model limit → ratio (median)", "requests (median job, as the columns after it)", "peak limit", "mean limit (time-weighted)", "requests in flight at the emulator: peak / time-weighted mean", LateHeader, "CPU (both sides)"], rows);
        report.Line();
        if (breakdown)
        {
            await SingleCpuBreakdownAsync(report, tracks);
        }
    }

    /// <summary>Jobs measured per server model in <see cref="SingleModeAsync"/>, each on a new app over the same tracks made unrated again.</summary>
    private const int SingleJobs = 3;

    /// <summary>One single-mode job on a new app: its wall time, then the row's other columns (requests, limits, requests in flight, lateness, CPU).</summary>
    private static async Task<(TimeSpan Elapsed, IReadOnlyList<string> Columns)> SingleJobAsync(PlexEmulatorServer plex, EmulatedSection music, int tracks, bool serialized)
    {
        await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, 4, new Dictionary<string, string?>
        {
            ["WRITE_MODE"] = "single",
            ["WRITE_CONCURRENCY"] = "auto",
        });
        var state = app.App.Services.GetRequiredService<StarSync.Rating.WritePathState>();
        using var stopSampling = new CancellationTokenSource();
        var sampler = SampleMeanAsync(() => state.Current?.Concurrency, stopSampling.Token);
        var inFlight = SampleMeanAsync(() => plex.Counters.CurrentRequests, stopSampling.Token);
        plex.Counters.Reset();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (job, elapsed) = await app.RunAsync(JobMode.All);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        await stopSampling.CancelAsync();
        var meanLimit = await sampler;
        var meanInFlight = await inFlight;
        if (plex.Library.CountUnrated(music.Key) != 0 || job.Counts.Failed != 0)
        {
            throw new InvalidOperationException($"single mode: {plex.Library.CountUnrated(music.Key)} left unrated, {job.Counts.Failed} failed");
        }

        var peak = state.Current?.PeakConcurrency ?? 0;
        return (elapsed, [Report.N(plex.Counters.Requests), Report.N(peak), Report.F(meanLimit, "0.0"),
            $"{Report.N(plex.Counters.PeakConcurrentRequests)} / {Report.F(meanInFlight, "0.0")}", Late(plex, serialized ? null : tracks, elapsed), Cpu(cpu, elapsed)]);
    }

    /// <summary>A value's mean over the run (the adaptive limit, the requests in flight), sampled every 5 ms until cancelled; a null sample is left out.</summary>
    private static async Task<double> SampleMeanAsync(Func<double?> read, CancellationToken cancellationToken)
    {
        double sum = 0;
        var samples = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (read() is { } value)
                {
                    sum += value;
                    samples++;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }

        return samples == 0 ? 0 : sum / samples;
    }

    /// <summary>
    /// Where the CPU of a single-mode run goes, per write, with the latency model off (CPU only; app and emulator share
    /// the process, so each figure is both sides): the PUT through StarSync's Plex client, the same PUT through a bare
    /// HttpClient (Kestrel + the emulator's handler + the least a client can do), the limiter, the journal, and the
    /// whole run. The whole run's CPU / cores is the floor no single-mode run on this machine can beat.
    /// </summary>
    private static async Task SingleCpuBreakdownAsync(Report report, int tracks)
    {
        const int InFlight = 32;
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = tracks, Seed = 1, HandRatedShare = 0 });
        var music = plex.Library.Sections.First(s => s.IsMusic);
        var keys = plex.Library.TrackKeys(music.Key);
        await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, 4, new Dictionary<string, string?>
        {
            ["WRITE_MODE"] = "single",
            ["WRITE_CONCURRENCY"] = "auto",
        });
        var client = app.App.Services.GetRequiredService<StarSync.Plex.IPlexClient>();
        var journal = app.App.Services.GetRequiredService<StarSync.Journal.JournalStore>();
        var rows = new List<IReadOnlyList<string>>();

        void Row(string step, TimeSpan cpu) => rows.Add(CpuRow(step, cpu, tracks));

        Task AllAsync(Func<string, CancellationToken, ValueTask> write) =>
            Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = InFlight }, write);

        Row($"PUT /:/rate through StarSync's Plex client ({InFlight} at a time)", await CpuOfAsync(() =>
            AllAsync(async (key, ct) => await client.WriteRatingOnceAsync(key, 6, ct))));
        using (var bare = new HttpClient { BaseAddress = plex.BaseUri })
        {
            bare.DefaultRequestHeaders.Add("X-Plex-Token", plex.Token);
            Row($"the same PUT through a bare HttpClient (Kestrel + emulator + the least a client does)", await CpuOfAsync(() =>
                AllAsync((key, ct) => BarePutAsync(bare, key, ct))));
        }

        // The same two loops with the parallel model's latency on: the fastest any client can do on this machine (wall
        // and CPU), which the single-mode row is set against as well as against the model's limit.
        plex.Options.Latency.PerRequest = TimeSpan.FromMilliseconds(2);
        plex.Options.Latency.PerRatingWrite = WriteFixed;
        var walls = new List<IReadOnlyList<string>>();
        async Task TimedAsync(string step, Func<Task> work)
        {
            await work();
            plex.Counters.Reset();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            await work();
            var wall = Stopwatch.GetElapsedTime(started);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            walls.Add([step, Secs(wall), Cpu(cpu, wall), Report.F(cpu.TotalMicroseconds / tracks, "0") + " µs", Late(plex, tracks, wall)]);
        }

        await TimedAsync($"PUT /:/rate through StarSync's Plex client, {InFlight} at a time", () =>
            AllAsync(async (key, ct) => await client.WriteRatingOnceAsync(key, 6, ct)));
        using (var bare = new HttpClient { BaseAddress = plex.BaseUri })
        {
            bare.DefaultRequestHeaders.Add("X-Plex-Token", plex.Token);
            await TimedAsync($"the same PUT through a bare HttpClient, {InFlight} at a time", () =>
                AllAsync((key, ct) => BarePutAsync(bare, key, ct)));
        }

        plex.Options.Latency.PerRequest = TimeSpan.Zero;
        plex.Options.Latency.PerRatingWrite = TimeSpan.Zero;
        var limiter = StarSync.Rating.WriteLimiter.CreateAdaptive(TimeProvider.System);
        Row($"adaptive limiter: acquire + release ({InFlight} at a time)", await CpuOfAsync(() =>
            AllAsync(async (key, ct) =>
            {
                using var lease = await limiter.AcquireAsync(ct);
                lease.Complete(StarSync.Rating.WriteSignal.Answered);
            })));
        Row("journal: pending rows + outcome marks (one transaction each per page of 1,000)", await JournalCpuAsync(journal, music.Title, keys, outcomeText: null));
        var (done, elapsed, whole) = await WholeRunCpuAsync(app, plex, keys);
        Row($"the whole run (WRITE_MODE=single, auto; {Report.N(done.Counts.Rated)} rated in {Secs(elapsed)} without latency)", whole);
        report.Line($"Where the CPU of a single-mode run goes, {Report.N(tracks)} tracks, latency model off (each step run twice, the second measured; app and emulator in one process, so both sides):");
        report.Line();
        report.Table(["step", "CPU", "per track"], rows);
        report.Line();
        report.Line($"The same {Report.N(tracks)} PUTs with the parallel model's latency on (2 ms + 3 ms), nothing else (no listing, no journal): what a client can reach on this machine:");
        report.Line();
        report.Table(["loop", "wall time", "CPU (both sides)", "CPU per track", LateHeader], walls);
        report.Line();
        var limit = ParallelLimit(tracks);
        var floor = whole / Environment.ProcessorCount;
        report.Line($"- Parallel model: limit {Secs(limit)}; the whole run's CPU / {Environment.ProcessorCount} cores = {Secs(floor)} → no single-mode run on this machine can be faster than {Report.F(floor / limit, "0.00")}x the limit.");
        report.Line();
    }

    /// <summary>
    /// Where the CPU of a batched run goes, per step, with the latency model off (CPU only; app and emulator share the
    /// process, so each figure is both sides): the listing, the bulk PUTs, their read-backs, the journal, and the whole
    /// run. On a machine of C cores no run can take less wall time than CPU / C: set against the model's limit, this
    /// says how close to it the machine can get at all.
    /// </summary>
    private static async Task CpuBreakdownAsync(Report report, int tracks)
    {
        const int Batch = StarSync.Configuration.StarSyncSettings.DefaultWriteBatchSize;
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = tracks, Seed = 1, HandRatedShare = 0 });
        var music = plex.Library.Sections.First(s => s.IsMusic);
        var keys = plex.Library.TrackKeys(music.Key);
        await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, 4);
        var client = app.App.Services.GetRequiredService<StarSync.Plex.IPlexClient>();
        var journal = app.App.Services.GetRequiredService<StarSync.Journal.JournalStore>();
        var rows = new List<IReadOnlyList<string>>();

        void Row(string step, TimeSpan cpu) => rows.Add(CpuRow(step, cpu, tracks));

        Row($"list every unrated track (pages of 1,000, JSON)", await CpuOfAsync(async () =>
        {
            for (var start = 0; start < tracks; start += 1000)
            {
                await client.GetTrackPageAsync(music.Key, new StarSync.Plex.TrackQuery(StarSync.Plex.TrackFilter.Unrated) { Start = start }, 1000, CancellationToken.None);
            }
        }));
        Row($"bulk edits of {Batch} (PUT, no read-back)", await CpuOfAsync(async () =>
        {
            foreach (var chunk in keys.Chunk(Batch))
            {
                await client.BulkSetRatingAsync(music.Key, chunk, 6, CancellationToken.None);
            }
        }));
        Row($"read-backs of {Batch} (GET /library/metadata/ids)", await CpuOfAsync(async () =>
        {
            foreach (var chunk in keys.Chunk(Batch))
            {
                await client.ReadBackAsync(chunk, CancellationToken.None);
            }
        }));
        Row("journal: pending rows (one transaction per 1,000) + applied marks", await JournalCpuAsync(journal, music.Title, keys, "bulk edit, confirmed by reading it back"));
        var (done, elapsed, whole) = await WholeRunCpuAsync(app, plex, keys);
        Row($"the whole run (WRITE_MODE=auto, batch {Batch}; {Report.N(done.Counts.Rated)} rated in {Secs(elapsed)} without latency)", whole);
        report.Line($"Where the CPU of a batched run goes, {Report.N(tracks)} tracks, latency model off (each step run twice, the second measured; app and emulator in one process, so both sides):");
        report.Line();
        report.Table(["step", "CPU", "per track"], rows);
        report.Line();
        foreach (var perItem in new[] { 0.02, 0.2 })
        {
            var limit = Limit(tracks, Batch, perItem);
            var floor = whole / Environment.ProcessorCount;
            report.Line($"- {Report.F(perItem, "0.00")} ms per item: model limit {Secs(limit)}; CPU / {Environment.ProcessorCount} cores = {Secs(floor)} → no run on this machine can be faster than {Report.F(floor / limit, "0.00")}x the limit.");
        }

        report.Line();
    }

    /// <summary>The least a client does to rate one track: one <c>PUT /:/rate</c> through a bare client whose default headers carry the token.</summary>
    internal static async ValueTask BarePutAsync(HttpClient bare, string key, CancellationToken cancellationToken)
    {
        using var answer = await bare.PutAsync(new Uri($"/:/rate?key={key}&identifier=com.plexapp.plugins.library&rating=6", UriKind.Relative), null, cancellationToken);
        answer.EnsureSuccessStatusCode();
    }

    /// <summary>The single-writer model's limit: the time the writer itself is busy, ⌈N/B⌉ × (3 ms + B × per item).</summary>
    internal static TimeSpan Limit(int tracks, int batch, double perItemMs) =>
        TimeSpan.FromMilliseconds(Math.Ceiling(tracks / (double)batch) * (WriteFixed.TotalMilliseconds + (batch * perItemMs)));

    private const string LateHeader = "emulator's modelled waits: late by (mean) → parallel limit as served → ratio";

    /// <summary>
    /// How late the emulator's modelled waits went on (its timer and thread pool under load), and for the parallel model
    /// (<paramref name="parallelTracks"/>) the limit with that lateness in each write: what the emulator actually served,
    /// which no client can beat. A write's two waits keep to one schedule from its arrival (the emulator's
    /// <c>ModelledSchedule</c>), so only the last one's lateness reaches the answer.
    /// </summary>
    private static string Late(PlexEmulatorServer plex, int? parallelTracks, TimeSpan elapsed)
    {
        var late = plex.Counters.MeanModelledLateness;
        var text = $"{Report.F(late.TotalMilliseconds, "0.00")} ms";
        if (parallelTracks is not { } n)
        {
            return text;
        }

        var served = ParallelLimit(n) + TimeSpan.FromTicks(late.Ticks * n / StarSync.Rating.WriteLimiter.MaxLimit);
        return $"{text} → {Secs(served)} → {Report.F(elapsed / served, "0.00")}x";
    }

    /// <summary>The parallel model's limit for one write per track: N × (2 ms + 3 ms) / 32, the adaptive limiter's ceiling.</summary>
    internal static TimeSpan ParallelLimit(int tracks) =>
        TimeSpan.FromMilliseconds(tracks * (2 + WriteFixed.TotalMilliseconds) / 32.0);

    private static async Task<PlexEmulatorServer> StartAsync(int tracks, double perItemMs)
    {
        var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = tracks, Seed = 1, HandRatedShare = 0 });
        plex.Options.Latency.PerRequest = TimeSpan.FromMilliseconds(2);
        plex.Options.Latency.PerRatingWrite = WriteFixed;
        plex.Options.Latency.PerRatedItem = TimeSpan.FromMilliseconds(perItemMs);
        plex.Options.Latency.SerializeWrites = true;
        return plex;
    }

    private static void Reset(PlexEmulatorServer plex, IReadOnlyList<string> keys)
    {
        foreach (var key in keys)
        {
            plex.Library.SetUserRating(key, null);
        }

        plex.Options.Faults.ServerErrorRate = 0;
        plex.Options.Faults.DropConnectionRate = 0;
        plex.Counters.Reset();
    }

    private static string VsBaseline(TimeSpan baseline, TimeSpan elapsed) => baseline > TimeSpan.Zero ? Report.F(baseline / elapsed, "0") + "x" : "-";

    /// <summary>Process CPU (app and emulator share the process) and what it means on this machine's cores: wall time can not go below CPU / cores.</summary>
    private static string Cpu(TimeSpan cpu, TimeSpan wall) =>
        $"{Secs(cpu)} (≥ {Secs(cpu / Environment.ProcessorCount)} of wall on {Environment.ProcessorCount} cores)";

    private static string Busy(TimeSpan busy, TimeSpan wall) => $"{Secs(busy)} ({Report.F(100 * busy / wall, "0")}% of wall)";

    /// <summary>The process CPU of <paramref name="work"/>'s second run (the first warms the JIT).</summary>
    private static async Task<TimeSpan> CpuOfAsync(Func<Task> work)
    {
        await work();
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        await work();
        return Process.GetCurrentProcess().TotalProcessorTime - before;
    }

    /// <summary>The journal's part of a run: every track pending, then marked applied, one transaction each per page of 1,000.</summary>
    private static async Task<TimeSpan> JournalCpuAsync(StarSync.Journal.JournalStore journal, string library, IReadOnlyList<string> keys, string? outcomeText)
    {
        var job = await journal.CreateJobAsync(new JobRequest(JobTrigger.Cli, JobMode.All), [library], CancellationToken.None);
        return await CpuOfAsync(async () =>
        {
            foreach (var chunk in keys.Chunk(1000))
            {
                var ids = await journal.AddChangesAsync(job.Id, chunk.Select(k => new StarSync.Journal.ChangeDraft(k, library, "Artist Name", "Album Title", "Track Title", null, 6)).ToArray(),
                    StarSync.Journal.ChangeState.Pending, null, null, CancellationToken.None);
                await journal.MarkAsync(ids.Select(id => new StarSync.Journal.ChangeOutcome(id, StarSync.Journal.ChangeState.Applied, outcomeText)).ToArray(), CancellationToken.None);
            }
        });
    }

    /// <summary>A whole rate-all from every track unrated again, and its process CPU.</summary>
    private static async Task<(JobRecord Job, TimeSpan Elapsed, TimeSpan Cpu)> WholeRunCpuAsync(AppSide app, PlexEmulatorServer plex, IReadOnlyList<string> keys)
    {
        Reset(plex, keys);
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var (done, elapsed) = await app.RunAsync(JobMode.All);
        return (done, elapsed, Process.GetCurrentProcess().TotalProcessorTime - before);
    }

    private static string[] CpuRow(string step, TimeSpan cpu, int tracks) =>
        [step, Secs(cpu), Report.F(cpu.TotalMicroseconds / tracks, "0") + " µs"];

    private static async Task<(TimeSpan Elapsed, long Requests, TimeSpan WriterBusy, TimeSpan Cpu)> StarSyncAsync(PlexEmulatorServer plex, string library, int batch, bool faults)
    {
        plex.Counters.Reset();
        await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, library, 4, new Dictionary<string, string?>
        {
            ["WRITE_MODE"] = "auto",
            ["WRITE_BATCH_SIZE"] = batch.ToString(CultureInfo.InvariantCulture),
            ["WRITE_CONCURRENCY"] = "auto",
        });
        if (faults)
        {
            plex.Options.Faults.ServerErrorRate = 0.05;
            plex.Options.Faults.DropConnectionRate = 0.05;
        }

        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (gc, jit, contention, gen2) = (GC.GetTotalPauseDuration(), System.Runtime.JitInfo.GetCompiledMethodCount(), Monitor.LockContentionCount, GC.CollectionCount(2));
        RuntimeNotes ??= [];
        var (job, elapsed) = await app.RunAsync(JobMode.All);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        RuntimeNotes.Add($"batch {batch}{(faults ? " with faults" : "")}: {Report.N(System.Runtime.JitInfo.GetCompiledMethodCount() - jit)} methods compiled, " +
            $"{GC.CollectionCount(2) - gen2} gen-2 collections, GC pauses {Report.F((GC.GetTotalPauseDuration() - gc).TotalMilliseconds, "0")} ms, {Monitor.LockContentionCount - contention} lock contentions");
        var music = plex.Library.Sections.First(s => s.IsMusic);
        if (plex.Library.CountUnrated(music.Key) != 0 || job.Counts.Failed != 0)
        {
            throw new InvalidOperationException($"batch {batch}, faults {faults}: {plex.Library.CountUnrated(music.Key)} left unrated, {job.Counts.Failed} failed");
        }

        return (elapsed, plex.Counters.Requests, plex.Counters.WriterBusy, cpu);
    }

    /// <summary>The old tool: pages of 100 (XML), then per unrated track a metadata GET (reload) and a /:/rate, one at a time.</summary>
    private static async Task<(int Rated, TimeSpan PerTrack, TimeSpan Listing)> BaselineAsync(PlexEmulatorServer plex, string title, int sample)
    {
        using var naive = new NaiveBaseline(plex.BaseUri, plex.Token);
        var started = Stopwatch.GetTimestamp();
        var section = await naive.FindSectionAsync(title, CancellationToken.None);
        var (unrated, _, _) = await naive.ListUnratedAsync(section, null, null, CancellationToken.None);
        var listing = Stopwatch.GetElapsedTime(started);
        using var http = new HttpClient { BaseAddress = plex.BaseUri };
        http.DefaultRequestHeaders.Add("X-Plex-Token", plex.Token);
        var loop = Stopwatch.GetTimestamp();
        foreach (var key in unrated.Take(sample))
        {
            await using (var stream = await http.GetStreamAsync(new Uri("library/metadata/" + key, UriKind.Relative)))
            {
                using var xml = XmlReader.Create(stream, new XmlReaderSettings { Async = true });
                while (await xml.ReadAsync())
                {
                }
            }

            await naive.RateSeriallyAsync([key], 6.0, CancellationToken.None);
        }

        return (sample, Stopwatch.GetElapsedTime(loop) / sample, listing);
    }

    private static string Secs(TimeSpan t) => Report.Secs(t);
}
