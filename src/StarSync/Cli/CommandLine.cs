using System.CommandLine;
using System.Globalization;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Status;

namespace StarSync.Cli;

/// <summary>
/// The CLI verbs, for cron and scripts. They run the same engine, queue and journal as the web app (on a host without the
/// web server, <see cref="StarSyncApp.BuildCli"/>), print progress,
/// and exit non-zero with a message on any error.
/// </summary>
public static class CommandLine
{
    /// <summary>Exit codes: 0 done, 1 the job failed or some writes failed, 2 usage or configuration error, 130 cancelled.</summary>
    public const int Ok = 0, JobFailed = 1, Usage = 2, Cancelled = 130;

    /// <summary>True when <paramref name="args"/> name a verb (or ask for help); the rest (none, --demo, --urls ...) start the web app.</summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (args[0] is "--help" or "-h" or "-?" or "help"
            // A word that is not an option (and not a key=value setting for the web host) is a verb, known or not:
            // a mistyped verb is an error, not a web app started by accident.
            || (!args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal)));

    /// <summary>Runs a verb. <paramref name="configure"/> lets tests point the host at an emulator.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<IHostApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var root = BuildCommands(new CliHost(output, error, configure));
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        // No response files (@file): every argument means what it says.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync($"starsync: {problem.Message}");
            }

            // The usage of the verb that was meant (or of them all), as --help would print it.
            var verb = parsed.CommandResult.Command;
            string[] help = verb == root ? ["--help"] : [verb.Name, "--help"];
            await root.Parse(help).InvokeAsync(Invocation(error, error), cancellationToken);
            return Usage;
        }

        return await parsed.InvokeAsync(Invocation(output, error), cancellationToken);
    }

    private static InvocationConfiguration Invocation(TextWriter output, TextWriter error) => new()
    {
        Output = output,
        Error = error,
        // Configuration errors reach StarSyncApp (exit 2 with the message); Ctrl+C is handled there too.
        EnableDefaultExceptionHandler = false,
        ProcessTerminationTimeout = null,
    };

    /// <summary>
    /// The verbs. Adding one is a method returning its <see cref="Command"/> (options, validators, action) and a line here.
    /// </summary>
    private static RootCommand BuildCommands(CliHost host) => new("StarSync gives unrated Plex music tracks a default star rating. "
        + "Without a command it starts the web app (add --demo to run against the built-in emulated Plex). "
        + "Configuration comes from the environment or .env (PLEX_URL, PLEX_TOKEN, LIBRARY_NAME, ...). "
        + "Exit codes: 0 done, 1 the job failed or some writes failed, 2 usage or configuration error, 130 cancelled.")
    {
        RateCommand(host),
        UndoCommand(host),
        ClearCommand(host),
        LibrariesCommand(host),
        JobsCommand(host),
        RulesCommand(host),
    };

    private static Command RateCommand(CliHost host)
    {
        var all = new Option<bool>("--all") { Description = "Rate every unrated track (the default)" };
        var recent = PositiveNumber("--recent", "Rate the N most recently added unrated tracks");
        var dryRun = DryRun();
        var command = new Command("rate", "Rate unrated tracks (all, or the N most recently added)") { all, recent, dryRun };
        command.Validators.Add(result =>
        {
            if (result.GetValue(all) && result.GetValue(recent) is not null)
            {
                result.AddError("choose either --all or --recent N, not both.");
            }
        });
        command.SetAction((parsed, cancellationToken) => host.RunJobAsync(parsed.GetValue(recent) is { } n
            ? new JobRequest(JobTrigger.Cli, JobMode.Recent, parsed.GetValue(dryRun), n)
            : new JobRequest(JobTrigger.Cli, JobMode.All, parsed.GetValue(dryRun)), cancellationToken));
        return command;
    }

    private static Command UndoCommand(CliHost host)
    {
        var job = PositiveNumber("--job", "Restore what job ID changed", "ID");
        var all = new Option<bool>("--all") { Description = "Restore everything StarSync ever changed" };
        var dryRun = DryRun();
        var command = new Command("undo", "Restore what a job (or StarSync ever) changed; needs --job ID or --all") { job, all, dryRun };
        command.Validators.Add(result =>
        {
            if (result.GetValue(job) is null == !result.GetValue(all))
            {
                result.AddError("undo needs --job ID or --all (one of them).");
            }
        });
        command.SetAction((parsed, cancellationToken) => host.RunJobAsync(parsed.GetValue(job) is { } id
            ? new JobRequest(JobTrigger.Cli, JobMode.Undo, parsed.GetValue(dryRun), UndoJobId: id)
            : new JobRequest(JobTrigger.Cli, JobMode.UndoAll, parsed.GetValue(dryRun)), cancellationToken));
        return command;
    }

    private static Command ClearCommand(CliHost host)
    {
        var confirm = new Option<bool>("--confirm") { Description = "Yes, remove every user rating (journaled, so undo can bring them back)" };
        var dryRun = DryRun();
        var command = new Command("clear", "Remove every user rating in the selected libraries; needs --confirm (or --dry-run to preview)") { confirm, dryRun };
        command.Validators.Add(result =>
        {
            if (!result.GetValue(confirm) && !result.GetValue(dryRun))
            {
                result.AddError("clear removes every user rating in the selected libraries; add --confirm to do it (or --dry-run to see what it would clear).");
            }
        });
        command.SetAction((parsed, cancellationToken) =>
            host.RunJobAsync(new JobRequest(JobTrigger.Cli, JobMode.Clear, parsed.GetValue(dryRun)), cancellationToken));
        return command;
    }

    private static Command LibrariesCommand(CliHost host)
    {
        var command = new Command("libraries", "List Plex's music libraries and their coverage");
        command.SetAction((_, cancellationToken) => host.RunAsync((services, ct) => LibrariesAsync(services, host.Output, ct), cancellationToken));
        return command;
    }

    private static Command JobsCommand(CliHost host)
    {
        var limit = PositiveNumber("--limit", "How many jobs to list (default 20)");
        var command = new Command("jobs", "List recent jobs, newest first") { limit };
        command.SetAction((parsed, cancellationToken) => host.RunAsync((services, ct) =>
            JobsAsync(services.GetRequiredService<JournalStore>(), parsed.GetValue(limit) ?? 20, host.Output, ct), cancellationToken));
        return command;
    }

    private static Command RulesCommand(CliHost host)
    {
        var list = new Command("list", "The rating rules in force, in order (the default rule set unless settings.json has rules)");
        list.SetAction((_, cancellationToken) => host.RunAsync((services, ct) =>
            services.GetRequiredService<Rules.RulesCli>().RunAsync(["list"], host.Output, host.Error, ct), cancellationToken));
        var file = new Option<FileInfo?>("--file") { Description = "Preview the rules in this JSON file (a rules array, or an object with \"rules\") instead of the saved ones", HelpName = "F" };
        var preview = new Command("preview", "What the rules would do per library: tracks per rule, resulting values, samples. Writes nothing") { file };
        preview.SetAction((parsed, cancellationToken) => host.RunAsync((services, ct) =>
            services.GetRequiredService<Rules.RulesCli>().RunAsync(parsed.GetValue(file) is { } f ? ["preview", "--file", f.FullName] : ["preview"], host.Output, host.Error, ct),
            cancellationToken));
        return new Command("rules", "Rating rules: list them, or preview what they would do") { list, preview };
    }

    private static Option<bool> DryRun() => new("--dry-run") { Description = "Show what would change, change nothing" };

    /// <summary>An optional whole number from 1 up, refused in words otherwise.</summary>
    private static Option<int?> PositiveNumber(string name, string description, string helpName = "N") => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1)
            {
                return value;
            }

            result.AddError($"{name} needs a positive whole number, e.g. {name} 500 (got '{token}').");
            return null;
        },
    };

    /// <summary>What every verb's action shares: where to write, and the host it runs on (built only once a verb is valid).</summary>
    private sealed record CliHost(TextWriter Output, TextWriter Error, Action<IHostApplicationBuilder>? Configure)
    {
        public Task<int> RunJobAsync(JobRequest request, CancellationToken cancellationToken) =>
            RunAsync((services, ct) => CommandLine.RunJobAsync(services, request, Output, Error, ct), cancellationToken);

        public async Task<int> RunAsync(Func<IServiceProvider, CancellationToken, Task<int>> verb, CancellationToken cancellationToken)
        {
            // The CLI's own host: the engine without the web server (see StarSyncApp.BuildCli).
            var host = StarSyncApp.BuildCli(Configure);
            try
            {
                var services = host.Services;
                await StarSyncApp.PrepareWithoutServerAsync(services, cancellationToken);
                await services.GetRequiredService<JournalStore>().InitializeAsync(cancellationToken);
                return await verb(services, cancellationToken);
            }
            catch (PlexException ex)
            {
                await Error.WriteLineAsync($"starsync: {ex.Message}");
                return JobFailed;
            }
            finally
            {
                if (host is IAsyncDisposable disposable)
                {
                    await disposable.DisposeAsync();
                }
                else
                {
                    host.Dispose();
                }
            }
        }
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
            await output.WriteLineAsync(library.Excluded is { } why
                ? $"  {library.Title} (section {library.Key}): not covered, {why}"
                : string.Create(CultureInfo.InvariantCulture,
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
