using System.Globalization;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Cli;

/// <summary>
/// The CLI verbs, for cron and scripts. They run on the same host, queue and journal as the web app, print progress,
/// and exit non-zero with a message on any error.
/// </summary>
public static class CommandLine
{
    /// <summary>Exit codes: 0 done, 1 the job failed or some writes failed, 2 usage or configuration error, 130 cancelled.</summary>
    public const int Ok = 0, JobFailed = 1, Usage = 2, Cancelled = 130;

    private const string Help = """
        Usage: starsync <command> [options]

          rate [--all | --recent N] [--dry-run]   rate unrated tracks (all, or the N most recently added)
          undo (--job ID | --all) [--dry-run]     restore what a job (or StarSync ever) changed
          clear --confirm [--dry-run]             remove every user rating in the selected libraries
          libraries                               list Plex's music libraries and their coverage
          jobs [--limit N]                        list recent jobs
          rules list | rules preview [--file F]   rating rules in force; what they would do (writes nothing)

        Without a command StarSync starts the web app (add --demo to run against the built-in emulated Plex).
        Configuration comes from the environment or .env (PLEX_URL, PLEX_TOKEN, LIBRARY_NAME, ...).
        """;

    /// <summary>True when <paramref name="args"/> start with a CLI verb.</summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && args[0] is "rate" or "undo" or "clear" or "libraries" or "jobs" or "rules" or "help" or "--help" or "-h";

    /// <summary>Runs a verb. <paramref name="configure"/> lets tests point the host at an emulator.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        if (args[0] is "help" or "--help" or "-h")
        {
            await output.WriteLineAsync(Help);
            return Ok;
        }

        JobRequest? request;
        try
        {
            request = Parse(args);
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync($"starsync: {ex.Message}");
            await error.WriteLineAsync(Help);
            return Usage;
        }

        await using var app = StarSyncApp.Build([], configure);
        var services = app.Services;
        await StarSyncApp.PrepareWithoutServerAsync(services, cancellationToken);
        var journal = services.GetRequiredService<JournalStore>();
        await journal.InitializeAsync(cancellationToken);
        try
        {
            return args[0] switch
            {
                "libraries" => await LibrariesAsync(services, output, cancellationToken),
                "jobs" => await JobsAsync(journal, Option(args, "--limit") ?? 20, output, cancellationToken),
                "rules" => await services.GetRequiredService<Rules.RulesCli>().RunAsync(args[1..], output, error, cancellationToken),
                _ => await RunJobAsync(services, request!, output, error, cancellationToken),
            };
        }
        catch (PlexException ex)
        {
            await error.WriteLineAsync($"starsync: {ex.Message}");
            return JobFailed;
        }
    }

    private static JobRequest? Parse(string[] args)
    {
        var dryRun = args.Contains("--dry-run");
        switch (args[0])
        {
            case "rate":
                var recent = Option(args, "--recent");
                if (recent is not null && args.Contains("--all"))
                {
                    throw new FormatException("choose either --all or --recent N, not both.");
                }

                return recent is { } n
                    ? new JobRequest(JobTrigger.Cli, JobMode.Recent, dryRun, n)
                    : new JobRequest(JobTrigger.Cli, JobMode.All, dryRun);
            case "undo":
                var job = Option(args, "--job");
                if (job is null == !args.Contains("--all"))
                {
                    throw new FormatException("undo needs --job ID or --all.");
                }

                return job is { } id
                    ? new JobRequest(JobTrigger.Cli, JobMode.Undo, dryRun, UndoJobId: id)
                    : new JobRequest(JobTrigger.Cli, JobMode.UndoAll, dryRun);
            case "clear":
                if (!args.Contains("--confirm") && !dryRun)
                {
                    throw new FormatException("clear removes every user rating in the selected libraries; add --confirm to do it (or --dry-run to see what it would clear).");
                }

                return new JobRequest(JobTrigger.Cli, JobMode.Clear, dryRun);
            default:
                return null;
        }
    }

    private static int? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        if (index < 0)
        {
            return null;
        }

        if (index + 1 >= args.Length || !int.TryParse(args[index + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new FormatException($"{name} needs a positive whole number, e.g. {name} 500.");
        }

        return value;
    }

    private static async Task<int> RunJobAsync(IServiceProvider services, JobRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var lastLine = 0L;
        void Progress(JobProgress progress)
        {
            var c = progress.Counts;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{progress.Library}: {c.Done}/{c.Total} rated {c.Rated} updated {c.Updated} cleared {c.Cleared} restored {c.Restored} skipped {c.Skipped} failed {c.Failed} ({progress.WritesPerSecond:0} writes/s)");
            if (interactive)
            {
                output.Write("\r" + line.PadRight(120));
            }
            else if (Environment.TickCount64 - lastLine > 5000)
            {
                // Redirected output (cron, logs) gets a line every few seconds instead of a redrawn one.
                lastLine = Environment.TickCount64;
                output.WriteLine(line);
            }
        }

        // The executor settles what a killed earlier run left (under the runner lease) before it runs the job.
        JobRecord done;
        try
        {
            done = await services.GetRequiredService<JobExecutor>().RunToCompletionAsync(request, Progress, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C while waiting for another process's job: the job never started and is recorded as cancelled.
            await error.WriteLineAsync("starsync: cancelled before the job started.");
            return Cancelled;
        }

        if (interactive)
        {
            await output.WriteLineAsync();
        }

        var counts = done.Counts;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Job #{done.Id} {done.Status.ToString().ToLowerInvariant()}: {done.Description}. Rated {counts.Rated}, updated {counts.Updated}, cleared {counts.Cleared}, restored {counts.Restored}, skipped {counts.Skipped}, failed {counts.Failed}."));
        switch (done.Status)
        {
            case JobStatus.Succeeded when counts.Failed == 0:
                return Ok;
            case JobStatus.Cancelled:
                await error.WriteLineAsync($"starsync: {done.Error}");
                return Cancelled;
            default:
                await error.WriteLineAsync($"starsync: {done.Error ?? $"{counts.Failed} writes failed; see the log."}");
                return JobFailed;
        }
    }

    private static async Task<int> LibrariesAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        // The same coverage the dashboard shows.
        foreach (var library in await services.GetRequiredService<PlexStatus>().GetCoverageAsync(cancellationToken))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{(library.Selected ? "*" : " ")} {library.Title} (section {library.Key}): {library.Total} tracks, {library.Rated} rated, {library.Unrated} unrated"));
        }

        await output.WriteLineAsync("(* = selected in LIBRARY_NAME / settings)");
        return Ok;
    }

    private static async Task<int> JobsAsync(JournalStore journal, int limit, TextWriter output, CancellationToken cancellationToken)
    {
        foreach (var job in await journal.GetJobsAsync(limit, cancellationToken))
        {
            var c = job.Counts;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"#{job.Id} {job.QueuedAt:yyyy-MM-dd HH:mm} {job.Trigger,-8} {job.Status,-9} {job.Description}: rated {c.Rated}, updated {c.Updated}, cleared {c.Cleared}, restored {c.Restored}, skipped {c.Skipped}, failed {c.Failed}{(job.Error is null ? "" : " - " + job.Error)}"));
        }

        return Ok;
    }
}
