using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StarSync.Automation;
using StarSync.Notifications;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Status;

namespace StarSync.Api;

/// <summary>The JSON API under /api/v1 that the UI and scripts use (cookie or X-Api-Key auth, set up by the web layer).</summary>
public static class ApiEndpoints
{
    /// <summary>Maps every /api/v1 route on <paramref name="api"/> (a group already carrying auth).</summary>
    public static RouteGroupBuilder MapStarSyncApi(this RouteGroupBuilder api)
    {
        api.MapGet("/status", GetStatus).WithName("GetStatus").WithSummary("Plex connection, running job, queue, recent jobs, schedule, last webhook, Plex notification listener");
        api.MapGet("/libraries", GetLibraries).WithSummary("Music libraries with rated/unrated counts");

        api.MapPost("/jobs", StartJob).NeedsPlex().WithSummary("Start a run: mode all or recent (with count), optionally a dry run");
        api.MapPost("/jobs/cancel", CancelJob).WithSummary("Cancel the running job");
        api.MapGet("/jobs", GetJobs).WithSummary("Recent jobs, newest first");
        api.MapGet("/jobs/{id:long}", GetJob).WithSummary("One job");
        api.MapGet("/jobs/{id:long}/changes", GetChanges).WithSummary("A job's changes, paged and searchable (q), filtered by the rule that decided them (rule)");
        api.MapPost("/jobs/{id:long}/undo", UndoJob).NeedsPlex().WithSummary("Restore the old values of a job's changes");
        api.MapPost("/undo-all", UndoAll).NeedsPlex().WithSummary("Restore the old values of everything StarSync set");
        api.MapPost("/clear", Clear).NeedsPlex().WithSummary("Remove every user rating in the selected libraries (needs confirm = CLEAR)");

        api.MapGet("/settings", GetSettings).WithSummary("Current settings");
        api.MapPut("/settings", PutSettings).WithSummary("Change settings; applied at once and saved to settings.json");
        api.MapPost("/settings/test-connection", TestConnection).WithSummary("Ask Plex now");
        api.MapPost("/settings/api-key", RegenerateApiKey).WithSummary("Replace the API key (409 when API_KEY in the environment sets it)");
        api.MapPost("/settings/webhook-secret", RegenerateWebhookSecret).WithSummary("Replace the webhook secret (409 when WEBHOOK_SECRET in the environment sets it)");
        api.MapGet("/write-path", (Rating.WritePathState writePath, SettingsStore settings) => TypedResults.Ok(writePath.Show(settings.Current)))
            .WithSummary("The write path in use and the writes in flight (WRITE_CONCURRENCY, or auto's current value); the dashboard polls it during a run");
        api.MapHistoryApi();
        return api;
    }

    /// <summary>
    /// A job that talks to Plex is refused (409, naming the fix) while no Plex URL and token are set, instead of being
    /// queued only to fail at once; the dashboard holds the same buttons back (<c>data-needs-plex</c>).
    /// </summary>
    private static RouteHandlerBuilder NeedsPlex(this RouteHandlerBuilder endpoint) => endpoint
        .AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<PlexOptions>>().CurrentValue.IsConfigured
                ? await next(context)
                : TypedResults.Problem(PlexNotConfiguredException.Explanation, statusCode: StatusCodes.Status409Conflict, title: "Plex is not set up"))
        .ProducesProblem(StatusCodes.Status409Conflict);

    private static async Task<Ok<StatusDto>> GetStatus(JobQueue queue, JournalStore journal, PlexStatus plex, SettingsStore settings,
        AutomationState automation, NotificationStatus notifications, Rating.WritePathState writePath, TimeProvider time, CancellationToken cancellationToken)
    {
        var snapshot = queue.Snapshot();
        var recent = await journal.GetJobsAsync(10, cancellationToken);
        var lastScheduled = await journal.GetLatestJobAsync(JobMode.UnratedBatch, cancellationToken);
        var connection = await plex.GetConnectionAsync(refresh: false, cancellationToken);
        var interval = settings.Current.BatchIntervalMinutes;
        return TypedResults.Ok(new StatusDto(connection, snapshot.Current?.ToDto(),
            snapshot.Current is null ? null : snapshot.Progress?.ToDto(),
            snapshot.Queued.Select(j => j.ToDto()).ToArray(), recent.Select(j => j.ToDto()).ToArray(),
            new ScheduleDto(interval, interval > 0 ? automation.NextRunAt : null, settings.Current.BatchSize, lastScheduled?.ToDto()),
            automation.LastWebhook, notifications.Snapshot().ToDto(time.GetUtcNow()),
            writePath.Show(settings.Current))
        {
            ServerTime = time.GetUtcNow(),
        });
    }

    private static async Task<Results<Ok<LibrariesDto>, ProblemHttpResult>> GetLibraries(PlexStatus plex, SettingsStore settings, CancellationToken cancellationToken)
    {
        try
        {
            var libraries = await plex.GetCoverageAsync(cancellationToken);
            var missing = settings.Current.Libraries
                .Where(name => !libraries.Any(l => string.Equals(l.Title, name, StringComparison.OrdinalIgnoreCase))).ToArray();
            return TypedResults.Ok(new LibrariesDto(libraries, missing));
        }
        catch (PlexException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status502BadGateway, title: "Plex did not answer");
        }
    }

    private static async Task<Results<Accepted<JobDto>, ValidationProblem>> StartJob(StartJobRequest body, JobQueue queue,
        SettingsStore settings, HttpContext context, CancellationToken cancellationToken)
    {
        var trigger = TriggerOf(context);
        JobRequest request;
        switch (body.Mode?.Trim().ToLowerInvariant())
        {
            case "all":
                request = new JobRequest(trigger, JobMode.All, body.DryRun ?? false);
                break;
            case "recent":
                var count = body.Count ?? settings.Current.BatchSize;
                if (count is < 1 or > 1_000_000)
                {
                    return Invalid("count", "count must be a whole number of tracks from 1 to 1000000.");
                }

                request = new JobRequest(trigger, JobMode.Recent, body.DryRun ?? false, count);
                break;
            case "unrated-batch":
                // The schedule's task, run now from the dashboard's Tasks card: BATCH_SIZE unrated tracks, newest first.
                var batch = body.Count ?? settings.Current.BatchSize;
                if (batch is < 1 or > 1_000_000)
                {
                    return Invalid("count", "count must be a whole number of tracks from 1 to 1000000.");
                }

                request = new JobRequest(trigger, JobMode.UnratedBatch, body.DryRun ?? false, batch);
                break;
            default:
                return Invalid("mode", "mode must be \"all\", \"recent\" or \"unrated-batch\".");
        }

        var job = await queue.EnqueueAsync(request, cancellationToken);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job.ToDto());
    }

    private static async Task<Results<Accepted, NotFound<ProblemDetails>>> CancelJob(JobQueue queue, CancellationToken cancellationToken) =>
        await queue.CancelAsync(null, cancellationToken)
            ? TypedResults.Accepted((string?)null)
            : TypedResults.NotFound(new ProblemDetails { Title = "Nothing to cancel", Detail = "No job is running." });

    private static async Task<Ok<JobDto[]>> GetJobs(JournalStore journal, int? limit, CancellationToken cancellationToken) =>
        TypedResults.Ok((await journal.GetJobsAsync(limit ?? 50, cancellationToken)).Select(j => j.ToDto()).ToArray());

    private static async Task<Results<Ok<JobDto>, NotFound>> GetJob(long id, JournalStore journal, JobQueue queue, CancellationToken cancellationToken)
    {
        // The running job's counters live in memory until it ends.
        if (queue.Snapshot().Current is { } current && current.Id == id)
        {
            return TypedResults.Ok(current.ToDto());
        }

        return await journal.GetJobAsync(id, cancellationToken) is { } job ? TypedResults.Ok(job.ToDto()) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<ChangePageDto>, NotFound>> GetChanges(long id, JournalStore journal, int? offset, int? limit, string? q,
        string? rule, CancellationToken cancellationToken)
    {
        if (await journal.GetJobAsync(id, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var page = await journal.GetChangesAsync(id, q, rule, offset ?? 0, limit ?? 50, cancellationToken);
        return TypedResults.Ok(new ChangePageDto(page.Total, page.Items.Select(c => c.ToDto()).ToArray()));
    }

    private static async Task<Results<Accepted<JobDto>, NotFound<ProblemDetails>, ValidationProblem, Conflict<ProblemDetails>>> UndoJob(long id, DryRunRequest body, JobQueue queue,
        JournalStore journal, HttpContext context, CancellationToken cancellationToken)
    {
        var target = await journal.GetJobAsync(id, cancellationToken);
        if (target is null)
        {
            return TypedResults.NotFound(new ProblemDetails { Title = "No such job", Detail = $"There is no job #{id}." });
        }

        if (UndoEligibility.WhyNever(target) is { } reason)
        {
            return Invalid("id", reason);
        }

        // Undone already, an undo queued, still running: refused here as the history page shows it (one rule).
        var undo = await HistoryEndpoints.UndoEligibilityOfAsync(target, journal, cancellationToken);
        if (!undo.CanUndo)
        {
            return TypedResults.Conflict(new ProblemDetails { Title = $"Job #{id} cannot be undone now", Detail = undo.Reason });
        }

        var job = await queue.EnqueueAsync(new JobRequest(TriggerOf(context), JobMode.Undo, body.DryRun ?? false, UndoJobId: id), cancellationToken);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job.ToDto());
    }

    private static async Task<Accepted<JobDto>> UndoAll(DryRunRequest body, JobQueue queue, HttpContext context, CancellationToken cancellationToken)
    {
        var job = await queue.EnqueueAsync(new JobRequest(TriggerOf(context), JobMode.UndoAll, body.DryRun ?? false), cancellationToken);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job.ToDto());
    }

    private static async Task<Results<Accepted<JobDto>, ValidationProblem>> Clear(ClearRequest body, JobQueue queue, HttpContext context, CancellationToken cancellationToken)
    {
        var dryRun = body.DryRun ?? false;
        if (!dryRun && !string.Equals(body.Confirm?.Trim(), "CLEAR", StringComparison.Ordinal))
        {
            return Invalid("confirm", "Type CLEAR to confirm: this removes every user rating in the selected libraries (StarSync journals them, so Undo can bring them back).");
        }

        var job = await queue.EnqueueAsync(new JobRequest(TriggerOf(context), JobMode.Clear, dryRun), cancellationToken);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job.ToDto());
    }

    private static Ok<SettingsDto> GetSettings(SettingsStore settings, HttpContext context, IOptionsMonitor<PlexOptions> plexOptions) =>
        TypedResults.Ok(settings.ToDto(WebhookUrl(context, settings.Current), plexOptions.CurrentValue));

    private static async Task<Results<Ok<SettingsDto>, ValidationProblem>> PutSettings(SettingsUpdate body, SettingsStore settings, HttpContext context,
        IOptionsMonitor<PlexOptions> plexOptions, CancellationToken cancellationToken)
    {
        // One pass: what the body itself gets wrong (emptied fields, unknown names) and what the settings' rules say
        // of the result, every field at once, in the words of the page's labels.
        var inputErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var errors = await settings.UpdateAsync(current => body.ApplyTo(current, inputErrors), inputErrors, cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Settings not saved");
        }

        return TypedResults.Ok(settings.ToDto(WebhookUrl(context, settings.Current), plexOptions.CurrentValue));
    }

    private static async Task<Ok<PlexConnection>> TestConnection(PlexStatus plex, CancellationToken cancellationToken) =>
        TypedResults.Ok(await plex.GetConnectionAsync(refresh: true, cancellationToken));

    private static async Task<Results<Ok<ApiKeyDto>, ProblemHttpResult>> RegenerateApiKey(SettingsStore settings, CancellationToken cancellationToken)
    {
        var result = await settings.RegenerateApiKeyAsync(cancellationToken);
        return result.Value is { } key ? TypedResults.Ok(new ApiKeyDto(key)) : PinnedSecret(result.RefusedReason!);
    }

    private static async Task<Results<Ok<WebhookSecretDto>, ProblemHttpResult>> RegenerateWebhookSecret(SettingsStore settings, HttpContext context,
        CancellationToken cancellationToken)
    {
        var result = await settings.RegenerateWebhookSecretAsync(cancellationToken);
        return result.Value is not null ? TypedResults.Ok(new WebhookSecretDto(WebhookUrl(context, settings.Current))) : PinnedSecret(result.RefusedReason!);
    }

    private static ProblemHttpResult PinnedSecret(string reason) =>
        TypedResults.Problem(reason, statusCode: StatusCodes.Status409Conflict, title: "Set in the environment");

    /// <summary>The URL to paste into Plex's webhook settings, with the secret in the path.</summary>
    public static string WebhookUrl(HttpContext context, StarSyncSettings settings) =>
        $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/plex-webhook/{settings.WebhookSecret}";

    /// <summary>Requests that came with an API key are "api" jobs; the rest come from the UI.</summary>
    private static JobTrigger TriggerOf(HttpContext context) =>
        context.Request.Headers.ContainsKey("X-Api-Key") ? JobTrigger.Api : JobTrigger.Manual;

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid");
}

/// <summary>A new API key.</summary>
public sealed record ApiKeyDto(string ApiKey);

/// <summary>The webhook URL with a new secret.</summary>
public sealed record WebhookSecretDto(string WebhookUrl);
