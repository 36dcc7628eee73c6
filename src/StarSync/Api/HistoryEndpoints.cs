using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StarSync.Jobs;
using StarSync.Journal;

namespace StarSync.Api;

/// <summary>
/// The history API under /api/v1/history: jobs paged, filtered and sorted; a job's changes by state, library and
/// words; one search across every job; a track's whole story; a job's changes as CSV; "Apply this preview".
/// Unknown query parameters and unknown filter values are refused with a message naming them.
/// </summary>
public static class HistoryEndpoints
{
    /// <summary>Page sizes the pages offer; any value in this range is accepted.</summary>
    public const int MinPageSize = 10, MaxPageSize = 500;

    /// <summary>Maps the history routes on <paramref name="api"/> (the /api/v1 group, which carries auth).</summary>
    public static RouteGroupBuilder MapHistoryApi(this RouteGroupBuilder api)
    {
        var history = api.MapGroup("/history").WithTags("History");
        history.MapGet("/jobs", GetJobs).WithSummary("Jobs, paged, filtered (trigger, status, mode, dryRun, from, to) and sorted");
        history.MapGet("/jobs/{id:long}", GetJob).WithSummary("One job with its outcome in words, undo state and preview links");
        history.MapGet("/jobs/{id:long}/changes", GetChanges).WithSummary("A job's changes, paged, filtered by state, library and words");
        history.MapGet("/jobs/{id:long}/changes.csv", ExportChanges).WithSummary("A job's changes as CSV (streamed)");
        history.MapGet("/search", Search).WithSummary("Changes of every job whose artist, album or title contain each word");
        history.MapGet("/tracks/{ratingKey}", GetTrack).WithSummary("Every change StarSync made to one track");
        api.MapPost("/jobs/{id:long}/apply", ApplyPreview).WithSummary("Run a dry run's request for real");
        return history;
    }

    private static async Task<Results<Ok<HistoryJobPageDto>, ValidationProblem>> GetJobs(HttpContext context, JournalStore journal, JobQueue queue,
        CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var errors = new Dictionary<string, string[]>();
        Unknown(query, errors, "page", "pageSize", "trigger", "status", "mode", "dryRun", "from", "to", "sort");
        var (page, pageSize) = Paging(query, errors, 25);
        var filter = new JobFilter(
            Trigger: Kebab<JobTrigger>(query, "trigger", errors),
            Outcome: Kebab<JobOutcomeKind>(query, "status", errors),
            Mode: Kebab<JobMode>(query, "mode", errors),
            DryRun: Bool(query, "dryRun", errors),
            From: Date(query, "from", errors),
            To: Date(query, "to", errors),
            Sort: Kebab<JobSort>(query, "sort", errors) ?? JobSort.Newest,
            Offset: (page - 1) * pageSize,
            Limit: pageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The history filter is not valid");
        }

        var result = await journal.QueryJobPageAsync(filter, cancellationToken);
        var items = new List<HistoryJobDto>(result.Items.Count);
        foreach (var stored in result.Items)
        {
            var job = Live(stored, queue);
            var (outcome, undo) = await FactsAsync(job, journal, cancellationToken);
            items.Add(new HistoryJobDto(job.ToDto(), outcome.ToDto(), undo.ToDto(job)));
        }

        return TypedResults.Ok(new HistoryJobPageDto(result.Total, page, pageSize, items));
    }

    private static async Task<Results<Ok<HistoryJobDetailDto>, NotFound<ProblemDetails>>> GetJob(long id, JournalStore journal, JobQueue queue,
        CancellationToken cancellationToken)
    {
        if (await journal.GetJobAsync(id, cancellationToken) is not { } stored)
        {
            return NoSuchJob(id);
        }

        var job = Live(stored, queue);
        var (outcome, undo) = await FactsAsync(job, journal, cancellationToken);
        var preview = await PreviewAsync(job, journal, cancellationToken);
        var origins = job.Mode == JobMode.Clear ? await journal.GetClearOriginsAsync(id, cancellationToken) : null;
        var libraries = await journal.GetJobChangeLibrariesAsync(job, cancellationToken);
        return TypedResults.Ok(new HistoryJobDetailDto(job.ToDto(), outcome.ToDto(), undo.ToDto(job), preview, libraries, origins));
    }

    private static async Task<Results<Ok<HistoryChangePageDto>, NotFound<ProblemDetails>, ValidationProblem>> GetChanges(long id, HttpContext context,
        JournalStore journal, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var errors = new Dictionary<string, string[]>();
        Unknown(query, errors, "page", "pageSize", "state", "library", "q", "rule");
        var (page, pageSize) = Paging(query, errors, 50);
        var state = Kebab<ChangeView>(query, "state", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The change filter is not valid");
        }

        if (await journal.GetJobAsync(id, cancellationToken) is null)
        {
            return NoSuchJob(id);
        }

        var filter = new ChangeFilter(state, query["library"], query["q"], query["rule"]);
        var result = await journal.QueryJobChangesAsync(id, filter, (page - 1) * pageSize, pageSize, cancellationToken);
        return TypedResults.Ok(new HistoryChangePageDto(result.Total, false, page, pageSize, result.Items.Select(c => c.ToDto()).ToArray()));
    }

    private static async Task<Results<Ok<HistoryChangePageDto>, ValidationProblem>> Search(HttpContext context, JournalStore journal,
        CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var errors = new Dictionary<string, string[]>();
        Unknown(query, errors, "q", "page", "pageSize");
        var (page, pageSize) = Paging(query, errors, 50);
        var q = query["q"].ToString();
        if (string.IsNullOrWhiteSpace(q))
        {
            errors["q"] = ["Give one or more words to look for in artist, album and title (q=...)."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The search is not valid");
        }

        var result = await journal.SearchChangesAsync(q, (page - 1) * pageSize, pageSize, cancellationToken);
        return TypedResults.Ok(new HistoryChangePageDto(result.Total, result.TotalCapped, page, pageSize, result.Items.Select(c => c.ToDto()).ToArray()));
    }

    private static async Task<Results<Ok<TrackHistoryDto>, NotFound<ProblemDetails>>> GetTrack(string ratingKey, JournalStore journal,
        CancellationToken cancellationToken)
    {
        var changes = await journal.GetTrackChangesAsync(ratingKey, cancellationToken);
        if (changes.Count == 0)
        {
            return TypedResults.NotFound(new ProblemDetails
            {
                Title = "No changes to this track",
                Detail = $"StarSync never changed (or planned to change) the track with ratingKey {ratingKey}.",
            });
        }

        var latest = changes[^1].Change;
        return TypedResults.Ok(new TrackHistoryDto(ratingKey, latest.Artist, latest.Album, latest.Title, changes.Select(c => c.ToDto()).ToArray()));
    }

    private static async Task<Results<PushStreamHttpResult, NotFound<ProblemDetails>>> ExportChanges(long id, JournalStore journal,
        CancellationToken cancellationToken)
    {
        if (await journal.GetJobAsync(id, cancellationToken) is null)
        {
            return NoSuchJob(id);
        }

        // Streamed row by row: a job of a million changes costs a reader, not a million rows in memory.
        return TypedResults.Stream(async body =>
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024);
            await writer.WriteLineAsync(ChangeCsv.Header);
            var rows = 0;
            await foreach (var row in journal.StreamJobChangesAsync(id, cancellationToken))
            {
                await writer.WriteLineAsync(ChangeCsv.Row(row));
                if (++rows % 2000 == 0)
                {
                    await writer.FlushAsync(cancellationToken);
                }
            }
        }, "text/csv; charset=utf-8", string.Create(CultureInfo.InvariantCulture, $"starsync-job-{id}-changes.csv"));
    }

    private static async Task<Results<Accepted<JobDto>, NotFound<ProblemDetails>, ValidationProblem, Conflict<ProblemDetails>>> ApplyPreview(long id,
        ApplyPreviewRequest? body, JournalStore journal, JobQueue queue, HttpContext context, CancellationToken cancellationToken)
    {
        if (await journal.GetJobAsync(id, cancellationToken) is not { } preview)
        {
            return NoSuchJob(id);
        }

        if (!preview.DryRun)
        {
            return Invalid("id", $"Job #{id} is not a dry run; only a preview can be applied. Start a new run instead.");
        }

        if (preview.Status is JobStatus.Queued or JobStatus.Running)
        {
            return TypedResults.Conflict(new ProblemDetails
            {
                Title = "The preview has not finished",
                Detail = $"Dry run #{id} is still {(preview.Status == JobStatus.Queued ? "queued" : "running")}; apply it when it has finished.",
            });
        }

        if (preview.Mode == JobMode.Clear && !string.Equals(body?.Confirm?.Trim(), "CLEAR", StringComparison.Ordinal))
        {
            return Invalid("confirm", "Type CLEAR to confirm: this removes every user rating in the selected libraries (StarSync journals them, so Undo can bring them back).");
        }

        if (preview.Mode == JobMode.Undo && preview.Request.UndoJobId is { } target && await journal.GetJobAsync(target, cancellationToken) is { } undone)
        {
            var undo = await UndoEligibilityOfAsync(undone, journal, cancellationToken);
            if (!undo.CanUndo)
            {
                return TypedResults.Conflict(new ProblemDetails { Title = $"Job #{target} cannot be undone", Detail = undo.Reason });
            }
        }

        var trigger = context.Request.Headers.ContainsKey("X-Api-Key") ? JobTrigger.Api : JobTrigger.Manual;
        var job = await queue.EnqueueAsync(preview.Request with { Trigger = trigger, DryRun = false, PreviewJobId = id }, cancellationToken);
        return TypedResults.Accepted($"/api/v1/jobs/{job.Id}", job.ToDto());
    }

    /// <summary>The one undo rule (<see cref="UndoEligibility"/>) fed from the journal; the undo endpoint asks it too.</summary>
    public static async Task<UndoEligibility> UndoEligibilityOfAsync(JobRecord job, JournalStore journal, CancellationToken cancellationToken)
    {
        var c = job.Counts;
        var tally = job.Mode is JobMode.Undo or JobMode.UndoAll || job.DryRun
            ? UndoTally.None
            : await journal.GetUndoTallyAsync(job.Id, c.Rated + c.Updated + c.Cleared + c.Restored, cancellationToken);
        var open = job.DryRun ? null : await journal.GetOpenUndoJobAsync(job.Id, cancellationToken);
        return UndoEligibility.Evaluate(job, tally, open);
    }

    private static async Task<(JobOutcome Outcome, UndoEligibility Undo)> FactsAsync(JobRecord job, JournalStore journal, CancellationToken cancellationToken)
    {
        // Only a job with failures can have unsent changes; asking only then keeps a page of jobs at one cheap query each.
        var notSent = job.Counts.Failed > 0 ? await journal.CountNotSentAsync(job.Id, cancellationToken) : 0;
        return (JobOutcome.Of(job, notSent), await UndoEligibilityOfAsync(job, journal, cancellationToken));
    }

    private static async Task<PreviewDto?> PreviewAsync(JobRecord job, JournalStore journal, CancellationToken cancellationToken)
    {
        if (job.DryRun)
        {
            return new PreviewDto(null, await journal.GetAppliedPreviewRunsAsync(job.Id, cancellationToken), Changes(job.Counts), null, null);
        }

        if (job.Request.PreviewJobId is not { } previewId || await journal.GetJobAsync(previewId, cancellationToken) is not { } preview)
        {
            return null;
        }

        var planned = Changes(preview.Counts);
        var done = Changes(job.Counts) + job.Counts.Failed;
        var comparison = job.Status is JobStatus.Queued or JobStatus.Running
            ? $"Applying dry run #{previewId}, which planned {planned:N0} changes."
            : planned == done
                ? $"As previewed: dry run #{previewId} planned {planned:N0} changes and this run made {done:N0}."
                : $"The library changed since the preview: dry run #{previewId} planned {planned:N0} changes, this run found {done:N0}.";
        return new PreviewDto(previewId, [], planned, done, comparison);
    }

    private static int Changes(JobCounts c) => c.Rated + c.Updated + c.Cleared + c.Restored;

    /// <summary>The running job's counters live in memory until it ends.</summary>
    private static JobRecord Live(JobRecord stored, JobQueue queue) =>
        queue.Snapshot().Current is { } current && current.Id == stored.Id ? current : stored;

    private static NotFound<ProblemDetails> NoSuchJob(long id) =>
        TypedResults.NotFound(new ProblemDetails { Title = "No such job", Detail = $"There is no job #{id}." });

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid");

    private static void Unknown(IQueryCollection query, Dictionary<string, string[]> errors, params string[] known)
    {
        foreach (var key in query.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)))
        {
            errors[key] = [$"Unknown parameter '{key}'. Known: {string.Join(", ", known)}."];
        }
    }

    private static (int Page, int PageSize) Paging(IQueryCollection query, Dictionary<string, string[]> errors, int defaultSize)
    {
        var page = 1;
        var size = defaultSize;
        if (query.TryGetValue("page", out var p) && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1))
        {
            errors["page"] = ["page must be a whole number from 1."];
            page = 1;
        }

        if (query.TryGetValue("pageSize", out var s) &&
            (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < MinPageSize or > MaxPageSize))
        {
            errors["pageSize"] = [$"pageSize must be a whole number from {MinPageSize} to {MaxPageSize}."];
            size = defaultSize;
        }

        return (page, size);
    }

    private static T? Kebab<T>(IQueryCollection query, string name, Dictionary<string, string[]> errors) where T : struct, Enum
    {
        var text = query[name].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        foreach (var value in Enum.GetValues<T>())
        {
            if (string.Equals(ApiMapping.Kebab(value), text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        errors[name] = [$"{name} '{text}' is unknown: use one of {string.Join(", ", Enum.GetValues<T>().Select(v => ApiMapping.Kebab(v)))}."];
        return null;
    }

    private static bool? Bool(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var text = query[name].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        errors[name] = [$"{name} must be true or false."];
        return null;
    }

    private static DateTimeOffset? Date(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var text = query[name].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[name] = [$"{name} must be a date or date-time (ISO 8601, e.g. 2026-11-30 or 2026-11-30T08:00:00Z); 'from' is inclusive, 'to' exclusive."];
        return null;
    }
}

/// <summary>Applying a clear preview needs the word CLEAR typed again; other previews need nothing.</summary>
public sealed record ApplyPreviewRequest(string? Confirm);

/// <summary>
/// A job's changes as CSV: RFC 4180 quoting, and any cell a spreadsheet would run as a formula (starting with
/// = + - @, tab or carriage return) gets a leading apostrophe, so a track named "=HYPERLINK(...)" stays text.
/// </summary>
public static class ChangeCsv
{
    /// <summary>The header row.</summary>
    public const string Header = "change_id,job_id,time,library,artist,album,title,rating_key,before_stars,after_stars,state,reason";

    /// <summary>One row.</summary>
    public static string Row(HistoryChange row)
    {
        var c = row.Change;
        return string.Join(',',
            c.Id.ToString(CultureInfo.InvariantCulture), c.JobId.ToString(CultureInfo.InvariantCulture),
            Cell(c.Time.ToString("O", CultureInfo.InvariantCulture)), Cell(c.Library), Cell(c.Artist), Cell(c.Album), Cell(c.Title),
            Cell(c.RatingKey), Stars(c.OldValue), Stars(c.NewValue), Cell(ApiMapping.Kebab(ChangeReason.ViewOf(c))), Cell(ChangeReason.Of(row)));
    }

    /// <summary>A text cell, neutralised and quoted as needed.</summary>
    public static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Stars(double? plexValue) =>
        plexValue is { } v ? (v / 2).ToString("0.#", CultureInfo.InvariantCulture) : "unrated";
}
