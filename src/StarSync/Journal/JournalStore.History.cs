using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using StarSync.Jobs;

namespace StarSync.Journal;

/// <summary>
/// The history's read side: jobs paged and filtered, a job's changes by state and library, one search across every
/// job, a track's whole story, the CSV stream, and what undo and clear previews need to know. Read-only: nothing here
/// writes a job or a change.
/// </summary>
public sealed partial class JournalStore
{
    /// <summary>Longest search text accepted (the words are ANDed; more would only slow the scan down).</summary>
    public const int MaxSearchWords = 8;

    /// <summary>A search across every job counts matches up to this many, then says "more than".</summary>
    public const int SearchCountCap = 10_000;

    /// <summary>
    /// The error texts <see cref="Rating.ChangeWriter"/> and start-up reconciliation give a change that did not happen
    /// because the job stopped (cancelled, Plex down, StarSync stopped) rather than because Plex refused it: never
    /// sent, or interrupted and read back unchanged. Stored as Failed; the history calls it "not sent".
    /// </summary>
    private static readonly string[] NotSentPrefixes = ["not sent", "cancelled before it was sent", "interrupted"];

    private static readonly string NotSentSql = NotSentWhere("");

    private static string NotSentWhere(string alias) =>
        $"({alias}state = 'Failed' AND (" + string.Join(" OR ", NotSentPrefixes.Select(p => $"COALESCE({alias}error, '') LIKE '{p}%'")) + "))";

    /// <summary>True when a change in <paramref name="state"/> with <paramref name="error"/> was journaled but never sent to Plex.</summary>
    public static bool IsNotSent(ChangeState state, string? error) =>
        state == ChangeState.Failed && error is not null &&
        NotSentPrefixes.Any(p => error.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Indexes the history queries need; idempotent, so an existing journal gains them at the next start.</summary>
    /// <summary>A page of jobs matching <paramref name="filter"/>, with the total that match.</summary>
    public async Task<JobPage> QueryJobPageAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var where = new List<string>();
        var parameters = new Dictionary<string, object>();
        if (filter.Trigger is { } trigger)
        {
            where.Add("trigger = $trigger");
            parameters["$trigger"] = trigger.ToString();
        }

        if (filter.Mode is { } mode)
        {
            where.Add("mode = $mode");
            parameters["$mode"] = mode.ToString();
        }

        if (filter.DryRun is { } dry)
        {
            where.Add("dry_run = $dry");
            parameters["$dry"] = dry ? 1 : 0;
        }

        if (filter.From is { } from)
        {
            where.Add("queued_at >= $from");
            parameters["$from"] = Format(from.ToUniversalTime());
        }

        if (filter.To is { } to)
        {
            where.Add("queued_at < $to");
            parameters["$to"] = Format(to.ToUniversalTime());
        }

        if (filter.Outcome is { } outcome)
        {
            where.Add(outcome switch
            {
                JobOutcomeKind.Queued => "status = 'Queued'",
                JobOutcomeKind.Running => "status = 'Running'",
                JobOutcomeKind.Succeeded => "status = 'Succeeded' AND failed = 0",
                JobOutcomeKind.CompletedWithFailures => "status = 'Succeeded' AND failed > 0",
                JobOutcomeKind.Failed => "status = 'Failed'",
                _ => "status = 'Cancelled'",
            });
        }

        var whereSql = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        var order = filter.Sort switch
        {
            JobSort.Oldest => "id ASC",
            JobSort.MostChanges => "(rated + updated + cleared + restored) DESC, id DESC",
            JobSort.MostFailures => "failed DESC, id DESC",
            JobSort.Longest => "COALESCE(julianday(finished_at) - julianday(started_at), -1) DESC, id DESC",
            _ => "id DESC",
        };

        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM jobs {whereSql};";
        AddParameters(count, parameters);
        var total = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);

        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobColumns} FROM jobs {whereSql} ORDER BY {order} LIMIT $limit OFFSET $offset;";
        AddParameters(command, parameters);
        command.Parameters.AddWithValue("$limit", Math.Clamp(filter.Limit, 1, 500));
        command.Parameters.AddWithValue("$offset", Math.Max(0, filter.Offset));
        var items = new List<JobRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadJob(reader));
        }

        return new JobPage(total, items);
    }

    /// <summary>How many of a job's changes were journaled but never sent (counted among its failures).</summary>
    public async Task<int> CountNotSentAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The (job_id, state, id) index narrows this to the job's failed rows.
        command.CommandText = $"SELECT COUNT(*) FROM changes WHERE job_id = $job AND state = 'Failed' AND {NotSentSql};";
        command.Parameters.AddWithValue("$job", jobId);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Which undo jobs reverted how many of <paramref name="jobId"/>'s applied changes, and how many it applied. Cheap
    /// when nothing was undone: a partial index holds only undone rows, and then the job's own counters
    /// (<paramref name="appliedWhenNothingUndone"/>) stand in for counting its applied rows.
    /// </summary>
    public async Task<UndoTally> GetUndoTallyAsync(long jobId, int appliedWhenNothingUndone, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT undone_by, COUNT(*) FROM changes WHERE job_id = $job AND undone_by IS NOT NULL
            GROUP BY undone_by ORDER BY undone_by;
            """;
        command.Parameters.AddWithValue("$job", jobId);
        var undone = new List<UndoneByJob>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                undone.Add(new UndoneByJob(reader.GetInt64(0), reader.GetInt32(1)));
            }
        }

        if (undone.Count == 0)
        {
            return new UndoTally([], appliedWhenNothingUndone);
        }

        await using var applied = connection.CreateCommand();
        applied.CommandText = "SELECT COUNT(*) FROM changes WHERE job_id = $job AND state = 'Applied';";
        applied.Parameters.AddWithValue("$job", jobId);
        var appliedCount = Convert.ToInt32(await applied.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        return new UndoTally(undone, appliedCount);
    }

    /// <summary>A page of one job's changes, filtered by state, library and words (each in artist, album or title).</summary>
    public async Task<HistoryChangePage> QueryJobChangesAsync(long jobId, ChangeFilter filter, int offset, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string> { "c.job_id = $job" };
        var parameters = new Dictionary<string, object> { ["$job"] = jobId };
        if (filter.State is { } state)
        {
            where.Add(state switch
            {
                ChangeView.NotSent => NotSentWhere("c."),
                ChangeView.Failed => "c.state = 'Failed' AND NOT " + NotSentWhere("c."),
                ChangeView.Applied => "c.state = 'Applied'",
                ChangeView.Skipped => "c.state = 'Skipped'",
                ChangeView.Planned => "c.state = 'Planned'",
                _ => "c.state = 'Pending'",
            });
        }

        if (!string.IsNullOrWhiteSpace(filter.Library))
        {
            where.Add("c.library = $library");
            parameters["$library"] = filter.Library.Trim();
        }

        if (!string.IsNullOrWhiteSpace(filter.Rule))
        {
            where.Add("c.rule = $rule");
            parameters["$rule"] = filter.Rule.Trim();
        }

        // Inside one job the words are matched on the job's own rows (found through the job_id index), not through
        // the word index: asking the index for a rowid range still walks every match of common words in the whole
        // journal (21 s for two common words in a 100k job of a 1M-change journal, against 42 ms for the scan).
        var words = ParseWords(filter.Search);
        const string order = "c.id";
        const string from = HistoryFrom;
        AddWordFilter(words, where, parameters, indexed: false);
        return await QueryHistoryPageAsync(from, where, parameters, order, offset, Math.Clamp(limit, 1, 1000), countCap: null, cancellationToken);
    }

    /// <summary>The libraries a job's changes touched (for the library filter).</summary>
    public async Task<IReadOnlyList<string>> GetJobChangeLibrariesAsync(JobRecord job, CancellationToken cancellationToken)
    {
        // A job's libraries are in its record; an undo's come from the journal rows (few distinct values, indexed by job).
        if (job.Mode is not (JobMode.Undo or JobMode.UndoAll) && job.Libraries.Count > 0)
        {
            return job.Libraries;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT library FROM changes WHERE job_id = $job ORDER BY library LIMIT 100;";
        command.Parameters.AddWithValue("$job", job.Id);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }

    /// <summary>
    /// Changes of every job whose artist, album or title contain each word (several words may match different
    /// fields), newest first. The total is counted up to <see cref="SearchCountCap"/>.
    /// </summary>
    public async Task<HistoryChangePage> SearchChangesAsync(string search, int offset, int limit, CancellationToken cancellationToken)
    {
        var words = ParseWords(search);
        if (words.Match is null && words.Short.Count == 0)
        {
            return new HistoryChangePage(0, false, []);
        }

        limit = Math.Clamp(limit, 1, 500);
        offset = Math.Max(0, offset);
        if (words.Match is null || ScanWithoutWordIndex)
        {
            // Only words shorter than the index can look up (or the benchmark's way before the index): LIKE on every row.
            var scanWhere = new List<string>();
            var scanParameters = new Dictionary<string, object>();
            AddWordFilter(words, scanWhere, scanParameters, indexed: false);
            return await QueryHistoryPageAsync(HistoryFrom, scanWhere, scanParameters, "c.id DESC", offset, limit, SearchCountCap, cancellationToken);
        }

        long indexedTo;
        await using (var connection = await OpenAsync(cancellationToken))
        {
            indexedTo = await IndexedToAsync(connection, cancellationToken);
        }

        // Newest first, so the changes the indexer has not reached yet (a running job's, or the last job's for a few
        // seconds) come before every indexed one. They are few or none, found by LIKE over their id range.
        var tailWhere = new List<string> { "c.id > $indexedTo" };
        var tailParameters = new Dictionary<string, object> { ["$indexedTo"] = indexedTo };
        AddWordFilter(words, tailWhere, tailParameters, indexed: false);
        var tail = await QueryHistoryPageAsync(HistoryFrom, tailWhere, tailParameters, "c.id DESC", offset, limit, SearchCountCap, cancellationToken);

        // The index hands out its matches newest first and stops at the page: no scan of the journal. The bound is on
        // c.id, not on the index's rowid (a rowid range makes the index walk every match); it keeps a row the indexer
        // added since the watermark was read from being listed twice.
        var where = new List<string> { "changes_words MATCH $match", "c.id <= $indexedTo" };
        var parameters = new Dictionary<string, object> { ["$match"] = words.Match, ["$indexedTo"] = indexedTo };
        AddWordFilter(words, where, parameters, indexed: true);
        if (tail.Total == 0)
        {
            return await QueryHistoryPageAsync(WordIndexFrom, where, parameters, "changes_words.rowid DESC", offset, limit, SearchCountCap, cancellationToken);
        }

        var want = limit - tail.Items.Count;
        var indexed = want > 0
            ? await QueryHistoryPageAsync(WordIndexFrom, where, parameters, "changes_words.rowid DESC", Math.Max(0, offset - tail.Total), want, SearchCountCap, cancellationToken)
            : await CountHistoryAsync(WordIndexFrom, where, parameters, SearchCountCap, cancellationToken);
        var total = tail.Total + indexed.Total;
        return new HistoryChangePage(Math.Min(total, SearchCountCap), tail.TotalCapped || indexed.TotalCapped || total > SearchCountCap, [.. tail.Items, .. indexed.Items]);
    }

    /// <summary>
    /// True makes the word searches scan artist, album and title with LIKE, as before the word index existed. Only
    /// the benchmark sets it, to time both ways side by side in one run; the results are the same either way.
    /// </summary>
    internal bool ScanWithoutWordIndex { get; set; }

    /// <summary>
    /// One page of changes from <paramref name="from"/> matching <paramref name="where"/>, in <paramref name="order"/>,
    /// with the total that match (counted up to <paramref name="countCap"/> when given).
    /// </summary>
    private async Task<HistoryChangePage> QueryHistoryPageAsync(string from, List<string> where, Dictionary<string, object> parameters, string order,
        int offset, int limit, int? countCap, CancellationToken cancellationToken)
    {
        var whereSql = "WHERE " + string.Join(" AND ", where);
        offset = Math.Max(0, offset);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{HistoryColumns} {from} {whereSql} ORDER BY {order} LIMIT $limit OFFSET $offset;";
        AddParameters(command, parameters);
        command.Parameters.AddWithValue("$limit", limit);
        command.Parameters.AddWithValue("$offset", offset);
        var items = await ReadHistoryAsync(command, cancellationToken);
        if ((items.Count > 0 || offset == 0) && items.Count < limit)
        {
            // A short (or empty first) page is the last one: the total is known without scanning the matches again.
            return new HistoryChangePage(offset + items.Count, false, items);
        }

        var total = await CountAsync(connection, from, whereSql, parameters, countCap, cancellationToken);
        return countCap is { } max ? new HistoryChangePage(Math.Min(total, max), total > max, items) : new HistoryChangePage(total, false, items);
    }

    /// <summary>How many changes match, without a page (counted up to <paramref name="countCap"/>).</summary>
    private async Task<HistoryChangePage> CountHistoryAsync(string from, List<string> where, Dictionary<string, object> parameters, int countCap, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var total = await CountAsync(connection, from, "WHERE " + string.Join(" AND ", where), parameters, countCap, cancellationToken);
        return new HistoryChangePage(Math.Min(total, countCap), total > countCap, []);
    }

    private static async Task<int> CountAsync(SqliteConnection connection, string from, string whereSql, Dictionary<string, object> parameters, int? countCap, CancellationToken cancellationToken)
    {
        await using var count = connection.CreateCommand();
        // The count needs the jobs table only for the page's columns, not to filter.
        var countFrom = from == WordIndexFrom ? "FROM changes_words JOIN changes c ON c.id = changes_words.rowid" : "FROM changes c";
        count.CommandText = countCap is { } cap
            ? $"SELECT COUNT(*) FROM (SELECT 1 {countFrom} {whereSql} LIMIT {cap + 1});"
            : $"SELECT COUNT(*) {countFrom} {whereSql};";
        AddParameters(count, parameters);
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Every change StarSync ever journaled for one track, oldest first (dry runs included, marked as such).</summary>
    public async Task<IReadOnlyList<HistoryChange>> GetTrackChangesAsync(string ratingKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{HistoryColumns} {HistoryFrom} WHERE c.rating_key = $key ORDER BY c.id LIMIT 5000;";
        command.Parameters.AddWithValue("$key", ratingKey);
        return await ReadHistoryAsync(command, cancellationToken);
    }

    /// <summary>Every change of one job in order, streamed (for the CSV export; memory stays flat for any size).</summary>
    public async IAsyncEnumerable<HistoryChange> StreamJobChangesAsync(long jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"{HistoryColumns} {HistoryFrom} WHERE c.job_id = $job ORDER BY c.id;";
        command.Parameters.AddWithValue("$job", jobId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadHistory(reader);
        }
    }

    /// <summary>
    /// For a clear job (or its preview): how many of the ratings it cleared (or would clear) StarSync had set and how
    /// many were set by hand. A rating counts as StarSync's when the track's last applied change before the clear came
    /// from a rating job (not an undo, which puts hand ratings back) and set exactly the value the clear found.
    /// </summary>
    public async Task<RatingOrigins> GetClearOriginsAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*),
                   COALESCE(SUM(CASE WHEN (
                       SELECT j.mode NOT IN ('Undo', 'UndoAll') AND p.old_value IS NOT NULL AND prev.new_value = p.old_value
                       FROM changes prev JOIN jobs j ON j.id = prev.job_id
                       WHERE prev.rating_key = p.rating_key AND prev.id < p.id AND prev.state = 'Applied'
                       ORDER BY prev.id DESC LIMIT 1) THEN 1 ELSE 0 END), 0)
            FROM changes p
            WHERE p.job_id = $job AND p.state IN ('Planned', 'Applied');
            """;
        command.Parameters.AddWithValue("$job", jobId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var all = reader.GetInt32(0);
        var starSync = reader.GetInt32(1);
        return new RatingOrigins(starSync, all - starSync);
    }

    /// <summary>Undo jobs (not dry runs) of <paramref name="jobId"/> still queued or running.</summary>
    public async Task<long?> GetOpenUndoJobAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id FROM jobs WHERE mode = 'Undo' AND dry_run = 0 AND status IN ('Queued', 'Running')
              AND json_extract(request, '$.UndoJobId') = $job
            ORDER BY id LIMIT 1;
            """;
        command.Parameters.AddWithValue("$job", jobId);
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    /// <summary>Real runs that applied a dry run (their request names it as the preview), newest first.</summary>
    public async Task<IReadOnlyList<long>> GetAppliedPreviewRunsAsync(long previewJobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id FROM jobs WHERE dry_run = 0 AND json_extract(request, '$.PreviewJobId') = $job ORDER BY id DESC LIMIT 20;
            """;
        command.Parameters.AddWithValue("$job", previewJobId);
        var list = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(reader.GetInt64(0));
        }

        return list;
    }

    private const string JobColumns = """
        id, trigger, mode, dry_run, description, libraries, request, status, queued_at, started_at, finished_at,
        total, done, rated, updated, skipped, failed, cleared, restored, error
        """;

    private const string HistoryColumns = """
        SELECT c.id, c.job_id, c.rating_key, c.library, c.artist, c.album, c.title, c.old_value, c.new_value, c.time, c.state, c.error,
               j.mode, j.dry_run, c.reverts_job, c.undone_by, c.rule
        """;

    private const string HistoryFrom = "FROM changes c JOIN jobs j ON j.id = c.job_id";

    /// <summary>The word index drives: its matches in rowid order, each change looked up by id.</summary>
    private const string WordIndexFrom = "FROM changes_words JOIN changes c ON c.id = changes_words.rowid JOIN jobs j ON j.id = c.job_id";

    /// <summary>
    /// The words of a search: those of 3 or more characters as one FTS5 query for the trigram index (each word a
    /// quoted phrase, so it must occur as it is in one field; AND across words, which may match different fields), the
    /// shorter ones apart (a trigram index cannot look up fewer than 3 characters).
    /// </summary>
    private sealed record SearchWords(string? Match, IReadOnlyList<string> Short, IReadOnlyList<string> All);

    private static SearchWords ParseWords(string? search)
    {
        var words = (search ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(MaxSearchWords).ToArray();
        // Characters as the tokenizer counts them (Unicode code points), not UTF-16 units.
        var indexed = words.Where(w => w.EnumerateRunes().Count() >= 3).ToArray();
        var match = indexed.Length == 0 ? null : string.Join(" AND ", indexed.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
        return new SearchWords(match, words.Except(indexed, StringComparer.Ordinal).ToArray(), words);
    }

    /// <summary>
    /// Each word must occur in the artist, album or title. With the index (<paramref name="indexed"/>) only the short
    /// words are left to LIKE, on the rows the index found; without it every word is a LIKE over every row
    /// (case-insensitive for ASCII; the index folds case for every script).
    /// </summary>
    private static void AddWordFilter(SearchWords words, List<string> where, Dictionary<string, object> parameters, bool indexed)
    {
        var like = indexed ? words.Short : words.All;
        for (var i = 0; i < like.Count; i++)
        {
            var name = "$w" + i.ToString(CultureInfo.InvariantCulture);
            where.Add($"(c.artist LIKE {name} ESCAPE '\\' OR c.album LIKE {name} ESCAPE '\\' OR c.title LIKE {name} ESCAPE '\\')");
            parameters[name] = "%" + like[i].Replace("\\", "\\\\", StringComparison.Ordinal)
                .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
        }
    }

    private static void AddParameters(SqliteCommand command, Dictionary<string, object> parameters)
    {
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
    }

    private static async Task<IReadOnlyList<HistoryChange>> ReadHistoryAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<HistoryChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadHistory(reader));
        }

        return list;
    }

    private static HistoryChange ReadHistory(SqliteDataReader reader) => new(
        ReadChange(reader),
        Enum.Parse<JobMode>(reader.GetString(reader.GetOrdinal("mode"))),
        reader.GetInt64(reader.GetOrdinal("dry_run")) != 0,
        NullableLong(reader, "reverts_job"),
        NullableLong(reader, "undone_by"));

    private static long? NullableLong(SqliteDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
    }
}
