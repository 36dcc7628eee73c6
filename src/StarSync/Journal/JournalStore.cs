using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using StarSync.Configuration;
using StarSync.Jobs;

namespace StarSync.Journal;

/// <summary>
/// The SQLite journal (WAL) of jobs and of every change StarSync makes to Plex, written before the change is sent so
/// that a crash leaves an exact record and any job can be undone.
/// </summary>
public sealed partial class JournalStore(StarSyncPaths paths, TimeProvider time)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = paths.JournalFile,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>
    /// One write transaction of this process at a time, queued here rather than in SQLite: pages of a job are journaled
    /// and marked at once (RatingJob), and a transaction that finds another one open waits in SQLite's busy handler,
    /// blocking a thread in sleeps. Other processes on the same journal still meet SQLite's lock (busy_timeout).
    /// </summary>
    private readonly SemaphoreSlim _writes = new(1, 1);

    private async Task<WriteTurn> WriteTurnAsync(CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        return new WriteTurn(_writes);
    }

    private readonly struct WriteTurn(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    /// <summary>
    /// Creates the journal (owner-only, with its -wal and -shm) or brings its schema up to date
    /// (<see cref="JournalSchema.Journal"/>). Safe to call more than once, and from two processes at once.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(paths.JournalFile)!);
        // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
        PrivateFiles.EnsureFile(paths.JournalFile);
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken);
        await JournalSchema.MigrateAsync(connection, JournalSchema.Journal, cancellationToken);
    }

    /// <summary>
    /// Takes (or renews) the runner lease for <paramref name="holder"/> until now + <paramref name="ttl"/>. Fails while
    /// another live process holds it; a lease its holder stopped renewing (a crash) expires and can be taken.
    /// </summary>
    public async Task<bool> TryAcquireLeaseAsync(string holder, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO runner_lease (id, holder, expires_at) VALUES (1, $holder, $expires)
            ON CONFLICT(id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE runner_lease.holder = excluded.holder OR runner_lease.expires_at < $now;
            """;
        command.Parameters.AddWithValue("$holder", holder);
        command.Parameters.AddWithValue("$expires", now + (long)ttl.TotalMilliseconds);
        command.Parameters.AddWithValue("$now", now);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Who holds the runner lease now (expired or not), or null when nobody does.</summary>
    public async Task<string?> GetLeaseHolderAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT holder FROM runner_lease WHERE id = 1;";
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Takes the runner lease from <paramref name="deadHolder"/>, only if it still holds it (a dead process does not renew).</summary>
    public async Task<bool> TakeOverLeaseAsync(string deadHolder, string holder, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE runner_lease SET holder = $holder, expires_at = $expires WHERE id = 1 AND holder = $dead;";
        command.Parameters.AddWithValue("$holder", holder);
        command.Parameters.AddWithValue("$dead", deadHolder);
        command.Parameters.AddWithValue("$expires", time.GetUtcNow().ToUnixTimeMilliseconds() + (long)ttl.TotalMilliseconds);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Gives the runner lease back, if <paramref name="holder"/> has it.</summary>
    public async Task ReleaseLeaseAsync(string holder, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM runner_lease WHERE id = 1 AND holder = $holder;";
        command.Parameters.AddWithValue("$holder", holder);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a new queued job.</summary>
    public async Task<JobRecord> CreateJobAsync(JobRequest request, IReadOnlyList<string> libraries, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO jobs (trigger, mode, dry_run, description, libraries, request, status, queued_at)
            VALUES ($trigger, $mode, $dry, $description, $libraries, $request, 'Queued', $queued) RETURNING id;
            """;
        command.Parameters.AddWithValue("$trigger", request.Trigger.ToString());
        command.Parameters.AddWithValue("$mode", request.Mode.ToString());
        command.Parameters.AddWithValue("$dry", request.DryRun ? 1 : 0);
        command.Parameters.AddWithValue("$description", request.Describe());
        command.Parameters.AddWithValue("$libraries", JsonSerializer.Serialize(libraries));
        command.Parameters.AddWithValue("$request", JsonSerializer.Serialize(request));
        command.Parameters.AddWithValue("$queued", Format(now));
        var id = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new JobRecord(id, request.Trigger, request.Mode, request.DryRun, request.Describe(), libraries,
            JobStatus.Queued, now, null, null, new JobCounts(), null, request);
    }

    /// <summary>Updates a job's status, counters and times.</summary>
    public async Task UpdateJobAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE jobs SET status = $status, started_at = $started, finished_at = $finished, error = $error,
                libraries = $libraries, description = $description, request = $request, total = $total, done = $done, rated = $rated, updated = $updated,
                skipped = $skipped, failed = $failed, cleared = $cleared, restored = $restored
            WHERE id = $id;
            """;
        var c = job.Counts;
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$status", job.Status.ToString());
        command.Parameters.AddWithValue("$started", (object?)FormatNullable(job.StartedAt) ?? DBNull.Value);
        command.Parameters.AddWithValue("$finished", (object?)FormatNullable(job.FinishedAt) ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)job.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$libraries", JsonSerializer.Serialize(job.Libraries));
        command.Parameters.AddWithValue("$description", job.Description);
        command.Parameters.AddWithValue("$request", JsonSerializer.Serialize(job.Request));
        command.Parameters.AddWithValue("$total", c.Total);
        command.Parameters.AddWithValue("$done", c.Done);
        command.Parameters.AddWithValue("$rated", c.Rated);
        command.Parameters.AddWithValue("$updated", c.Updated);
        command.Parameters.AddWithValue("$skipped", c.Skipped);
        command.Parameters.AddWithValue("$failed", c.Failed);
        command.Parameters.AddWithValue("$cleared", c.Cleared);
        command.Parameters.AddWithValue("$restored", c.Restored);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One job, or null.</summary>
    public async Task<JobRecord?> GetJobAsync(long id, CancellationToken cancellationToken)
    {
        var jobs = await QueryJobsAsync("WHERE id = $p", id, cancellationToken);
        return jobs.Count > 0 ? jobs[0] : null;
    }

    /// <summary>The most recent jobs, newest first.</summary>
    public Task<IReadOnlyList<JobRecord>> GetJobsAsync(int limit, CancellationToken cancellationToken) =>
        QueryJobsAsync("ORDER BY id DESC LIMIT $p", Math.Clamp(limit, 1, 1000), cancellationToken);

    /// <summary>The newest job of <paramref name="mode"/>, or null (the dashboard's Tasks card: the task's last run, scheduled or run now).</summary>
    public async Task<JobRecord?> GetLatestJobAsync(JobMode mode, CancellationToken cancellationToken)
    {
        // An enum's name, not user input: safe in the SQL text. Newest first, so the scan stops at the first match.
        var jobs = await QueryJobsAsync($"WHERE mode = '{mode}' AND $p = $p ORDER BY id DESC LIMIT 1", 0, cancellationToken);
        return jobs.Count > 0 ? jobs[0] : null;
    }

    /// <summary>Jobs left queued or running by a previous process.</summary>
    public Task<IReadOnlyList<JobRecord>> GetUnfinishedJobsAsync(CancellationToken cancellationToken) =>
        QueryJobsAsync("WHERE status IN ('Queued', 'Running') AND $p = $p ORDER BY id", 0, cancellationToken);

    /// <summary>One change's row (the bench's JournalInsertBench times this statement too).</summary>
    internal const string InsertChange = """
        INSERT INTO changes (job_id, rating_key, library, artist, album, title, old_value, new_value, time, state, error, reverts_job, rule)
        VALUES ($job, $key, $library, $artist, $album, $title, $old, $new, $time, $state, $error, $reverts, $rule)
        """;

    /// <summary>What every connection sets first (see <see cref="OpenAsync"/>).</summary>
    internal const string ConnectionPragmas = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;";

    /// <summary>Journals changes in one transaction and returns their ids in order. Write these before touching Plex.</summary>
    public async Task<IReadOnlyList<long>> AddChangesAsync(
        long jobId, IReadOnlyList<ChangeDraft> drafts, ChangeState state, long? revertsJob, string? error, CancellationToken cancellationToken)
    {
        var ids = new List<long>(drafts.Count);
        if (drafts.Count == 0)
        {
            return ids;
        }

        var now = Format(time.GetUtcNow());
        using var turn = await WriteTurnAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertChange + ";";
        var key = command.Parameters.Add("$key", SqliteType.Text);
        var library = command.Parameters.Add("$library", SqliteType.Text);
        var artist = command.Parameters.Add("$artist", SqliteType.Text);
        var album = command.Parameters.Add("$album", SqliteType.Text);
        var title = command.Parameters.Add("$title", SqliteType.Text);
        var oldValue = command.Parameters.Add("$old", SqliteType.Real);
        var newValue = command.Parameters.Add("$new", SqliteType.Real);
        var rule = command.Parameters.Add("$rule", SqliteType.Text);
        command.Parameters.AddWithValue("$job", jobId);
        command.Parameters.AddWithValue("$time", now);
        command.Parameters.AddWithValue("$state", state.ToString());
        command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        command.Parameters.AddWithValue("$reverts", (object?)revertsJob ?? DBNull.Value);
        foreach (var draft in drafts)
        {
            key.Value = draft.RatingKey;
            library.Value = draft.Library;
            artist.Value = (object?)draft.Artist ?? DBNull.Value;
            album.Value = (object?)draft.Album ?? DBNull.Value;
            title.Value = (object?)draft.Title ?? DBNull.Value;
            oldValue.Value = (object?)draft.OldValue ?? DBNull.Value;
            newValue.Value = (object?)draft.NewValue ?? DBNull.Value;
            rule.Value = (object?)draft.Rule ?? DBNull.Value;
            // ExecuteNonQuery and the connection's last rowid, not RETURNING id through ExecuteScalar (a data reader
            // per row): 8.4 against 13.8 µs of CPU per row (bench/StarSync.Bench/JournalInsertBench.cs; docs/
            // benchmarks.md, "2026-12-01: the journal's inserts"). No insert trigger exists, and a trigger's inserts
            // would not change this value.
            await command.ExecuteNonQueryAsync(cancellationToken);
            ids.Add(SQLitePCL.raw.sqlite3_last_insert_rowid(connection.Handle));
        }

        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>
    /// Records the outcome of journaled changes in one transaction. An applied undo change also marks the changes it
    /// reverted, so they are not undone twice.
    /// </summary>
    public async Task MarkAsync(IReadOnlyList<ChangeOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        using var turn = await WriteTurnAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var mark = connection.CreateCommand();
        mark.Transaction = transaction;
        mark.CommandText = "UPDATE changes SET state = $state, error = $error WHERE id = $id;";
        var id = mark.Parameters.Add("$id", SqliteType.Integer);
        var state = mark.Parameters.Add("$state", SqliteType.Text);
        var error = mark.Parameters.Add("$error", SqliteType.Text);

        await using var undone = connection.CreateCommand();
        undone.Transaction = transaction;
        undone.CommandText = """
            UPDATE changes SET undone_by = u.job_id
            FROM (SELECT id, job_id, rating_key, reverts_job FROM changes WHERE id = $id AND reverts_job IS NOT NULL) AS u
            WHERE changes.rating_key = u.rating_key AND changes.id < u.id
              AND changes.state = 'Applied' AND changes.undone_by IS NULL
              AND changes.job_id IN (SELECT j.id FROM jobs j WHERE j.mode NOT IN ('Undo', 'UndoAll') AND j.dry_run = 0
                                     AND (u.reverts_job = 0 OR j.id = u.reverts_job));
            """;
        var undoneId = undone.Parameters.Add("$id", SqliteType.Integer);

        // Most marks are of a rating run, which reverts nothing: one look for an undo's change among them spares the
        // undone-by statement per applied row (about a third of a mark's CPU).
        await using var anyRevert = connection.CreateCommand();
        anyRevert.Transaction = transaction;
        anyRevert.CommandText = "SELECT EXISTS (SELECT 1 FROM changes WHERE id IN (SELECT value FROM json_each($ids)) AND reverts_job IS NOT NULL);";
        anyRevert.Parameters.AddWithValue("$ids", "[" + string.Join(',', outcomes.Select(o => o.ChangeId)) + "]");
        var reverts = Convert.ToInt64(await anyRevert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) != 0;
        foreach (var outcome in outcomes)
        {
            id.Value = outcome.ChangeId;
            state.Value = outcome.State.ToString();
            error.Value = (object?)outcome.Error ?? DBNull.Value;
            await mark.ExecuteNonQueryAsync(cancellationToken);
            if (reverts && outcome.State == ChangeState.Applied)
            {
                undoneId.Value = outcome.ChangeId;
                await undone.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A page of a job's changes, optionally filtered by artist, album or title.</summary>
    public Task<ChangePage> GetChangesAsync(long jobId, string? search, int offset, int limit, CancellationToken cancellationToken) =>
        GetChangesAsync(jobId, search, rule: null, offset, limit, cancellationToken);

    /// <summary>
    /// A page of a job's changes, optionally filtered by words (each in artist, album or title) and by the rule that
    /// decided them: the history query (<see cref="QueryJobChangesAsync"/>) without the history columns.
    /// </summary>
    public async Task<ChangePage> GetChangesAsync(long jobId, string? search, string? rule, int offset, int limit, CancellationToken cancellationToken)
    {
        var page = await QueryJobChangesAsync(jobId, new ChangeFilter(Search: search, Rule: rule), offset, limit, cancellationToken);
        return new ChangePage(page.Total, page.Items.Select(c => c.Change).ToArray());
    }

    /// <summary>
    /// Every change left pending (StarSync stopped between journaling and hearing back from Plex), each with the first
    /// later change of the same track, whose old value shows what Plex had after this one was sent.
    /// </summary>
    public async Task<IReadOnlyList<PendingChange>> GetPendingChangesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {ChangeColumns}, l.id AS later_id, l.job_id AS later_job_id, l.old_value AS later_old_value FROM changes
            LEFT JOIN changes l ON l.id = (SELECT n.id FROM changes n WHERE n.rating_key = changes.rating_key AND n.id > changes.id ORDER BY n.id LIMIT 1)
            WHERE changes.state = 'Pending' ORDER BY changes.id;
            """;
        var list = new List<PendingChange>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var laterId = reader.GetOrdinal("later_id");
            var later = reader.IsDBNull(laterId) ? null
                : new LaterObservation(reader.GetInt64(laterId), reader.GetInt64(reader.GetOrdinal("later_job_id")), NullableDouble(reader, "later_old_value"));
            list.Add(new PendingChange(ReadChange(reader), later));
        }

        return list;
    }

    /// <summary>How many changes are pending (journaled, outcome unknown); an undo refuses to run past them.</summary>
    public async Task<int> CountPendingChangesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM changes WHERE state = 'Pending';";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>A job's rows by outcome, for the counts of a job that was interrupted.</summary>
    public async Task<ChangeTally> CountChangesAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT
                COALESCE(SUM(state = 'Applied' AND old_value IS NULL), 0),
                COALESCE(SUM(state = 'Applied' AND old_value IS NOT NULL AND new_value IS NOT NULL), 0),
                COALESCE(SUM(state = 'Applied' AND old_value IS NOT NULL AND new_value IS NULL), 0),
                COALESCE(SUM(state = 'Failed'), 0),
                COALESCE(SUM(state = 'Skipped'), 0),
                COALESCE(SUM(state = 'Pending'), 0)
            FROM changes WHERE job_id = $job;
            """;
        command.Parameters.AddWithValue("$job", jobId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ChangeTally(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5));
    }

    /// <summary>
    /// Undo candidates of one job, in change order after <paramref name="afterChangeId"/>: each applied change not yet
    /// undone, to be restored to its old value if the track still has the value the job set.
    /// </summary>
    public async Task<IReadOnlyList<UndoCandidate>> GetUndoCandidatesAsync(long jobId, long afterChangeId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, rating_key, library, artist, album, title, old_value, new_value FROM changes
            WHERE job_id = $job AND id > $after AND state = 'Applied' AND undone_by IS NULL
            ORDER BY id LIMIT $limit;
            """;
        command.Parameters.AddWithValue("$job", jobId);
        command.Parameters.AddWithValue("$after", afterChangeId);
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadCandidatesAsync(command, cancellationToken);
    }

    /// <summary>
    /// What an undo of <paramref name="jobId"/> (null: of everything) will look at, per library, before it starts: the
    /// same rows <see cref="GetUndoCandidatesAsync"/> (one per change) or <see cref="GetUndoAllCandidatesAsync"/> (one
    /// per track, in the library of its newest change) will hand out. Libraries in the order the undo meets them first.
    /// </summary>
    public async Task<IReadOnlyList<LibraryCount>> CountUndoCandidatesAsync(long? jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        if (jobId is { } job)
        {
            command.CommandText = """
                SELECT library, COUNT(*) FROM changes
                WHERE job_id = $job AND state = 'Applied' AND undone_by IS NULL
                GROUP BY library ORDER BY MIN(id);
                """;
            command.Parameters.AddWithValue("$job", job);
        }
        else
        {
            // SQLite takes the bare column (library) from the row that holds MAX(id): the track's newest change.
            command.CommandText = """
                WITH eligible AS (
                    SELECT c.id, c.rating_key, c.library FROM changes c JOIN jobs j ON j.id = c.job_id
                    WHERE c.state = 'Applied' AND c.undone_by IS NULL AND j.mode NOT IN ('Undo', 'UndoAll') AND j.dry_run = 0),
                newest AS (SELECT rating_key, library, MAX(id) AS id FROM eligible GROUP BY rating_key)
                SELECT library, COUNT(*) FROM newest GROUP BY library ORDER BY MIN(rating_key);
                """;
        }

        var list = new List<LibraryCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new LibraryCount(reader.GetString(0), reader.GetInt32(1)));
        }

        return list;
    }

    /// <summary>The job of the newest applied, not undone, change to <paramref name="ratingKey"/> made after <paramref name="afterChangeId"/>, if any.</summary>
    public async Task<long?> GetLaterJobOfTrackAsync(string ratingKey, long afterChangeId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT job_id FROM changes
            WHERE rating_key = $key AND id > $after AND state = 'Applied' AND undone_by IS NULL
            ORDER BY id DESC LIMIT 1;
            """;
        command.Parameters.AddWithValue("$key", ratingKey);
        command.Parameters.AddWithValue("$after", afterChangeId);
        return await command.ExecuteScalarAsync(cancellationToken) is long job ? job : null;
    }

    /// <summary>
    /// Undo candidates across every job, one per track, in ratingKey order after <paramref name="afterRatingKey"/>.
    /// Each track's StarSync changes are walked back from the newest while each earlier change left the value the
    /// later one found; a gap means a person rated the track in between, and the walk stops there, so undoing
    /// everything restores that hand rating, exactly as undoing each job newest-first would.
    /// </summary>
    public async Task<IReadOnlyList<UndoCandidate>> GetUndoAllCandidatesAsync(string afterRatingKey, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            WITH eligible AS (
                SELECT c.* FROM changes c JOIN jobs j ON j.id = c.job_id
                WHERE c.state = 'Applied' AND c.undone_by IS NULL AND j.mode NOT IN ('Undo', 'UndoAll') AND j.dry_run = 0),
            keys AS (SELECT DISTINCT rating_key FROM eligible WHERE rating_key > $after ORDER BY rating_key LIMIT $limit)
            SELECT id, rating_key, library, artist, album, title, old_value, new_value FROM eligible
            WHERE rating_key IN (SELECT rating_key FROM keys)
            ORDER BY rating_key, id;
            """;
        command.Parameters.AddWithValue("$after", afterRatingKey);
        command.Parameters.AddWithValue("$limit", limit);
        var rows = await ReadCandidatesAsync(command, cancellationToken);
        var candidates = new List<UndoCandidate>();
        foreach (var track in rows.GroupBy(r => r.RatingKey))
        {
            var changes = track.ToList(); // oldest first; each row's RestoreTo is that change's old value
            var newest = changes[^1];
            var restoreTo = newest.RestoreTo;
            for (var i = changes.Count - 2; i >= 0 && Rating.RatingPolicy.SameRating(changes[i].ExpectedCurrent, restoreTo); i--)
            {
                restoreTo = changes[i].RestoreTo;
            }

            candidates.Add(newest with { RestoreTo = restoreTo });
        }

        return candidates;
    }

    private const string ChangeColumns = "changes.id, changes.job_id, changes.rating_key, changes.library, changes.artist, changes.album, changes.title, changes.old_value, changes.new_value, changes.time, changes.state, changes.error, changes.rule";

    private static async Task<IReadOnlyList<ChangeRecord>> ReadChangesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<ChangeRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadChange(reader));
        }

        return list;
    }

    /// <summary>A change row, read by column name (any query that selects the change columns, qualified or not).</summary>
    private static ChangeRecord ReadChange(SqliteDataReader reader) => new(
        reader.GetInt64(reader.GetOrdinal("id")), reader.GetInt64(reader.GetOrdinal("job_id")),
        reader.GetString(reader.GetOrdinal("rating_key")), reader.GetString(reader.GetOrdinal("library")),
        NullableString(reader, "artist"), NullableString(reader, "album"), NullableString(reader, "title"),
        NullableDouble(reader, "old_value"), NullableDouble(reader, "new_value"),
        Parse(reader.GetString(reader.GetOrdinal("time"))), Enum.Parse<ChangeState>(reader.GetString(reader.GetOrdinal("state"))),
        NullableString(reader, "error"))
    {
        Rule = NullableString(reader, "rule"),
    };

    private static async Task<IReadOnlyList<UndoCandidate>> ReadCandidatesAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var list = new List<UndoCandidate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new UndoCandidate(reader.GetInt64(reader.GetOrdinal("id")), reader.GetString(reader.GetOrdinal("rating_key")),
                reader.GetString(reader.GetOrdinal("library")), NullableString(reader, "artist"), NullableString(reader, "album"),
                NullableString(reader, "title"), NullableDouble(reader, "old_value"), NullableDouble(reader, "new_value")));
        }

        return list;
    }

    private async Task<IReadOnlyList<JobRecord>> QueryJobsAsync(string tail, long parameter, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id, trigger, mode, dry_run, description, libraries, request, status, queued_at, started_at, finished_at,
                   total, done, rated, updated, skipped, failed, cleared, restored, error
            FROM jobs {tail};
            """;
        command.Parameters.AddWithValue("$p", parameter);
        var list = new List<JobRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadJob(reader));
        }

        return list;
    }

    // Columns by name: a migration may add or reorder columns without breaking a reader.
    private static JobRecord ReadJob(SqliteDataReader reader)
    {
        int Int(string column) => reader.GetInt32(reader.GetOrdinal(column));
        string Text(string column) => reader.GetString(reader.GetOrdinal(column));
        return new JobRecord(
            reader.GetInt64(reader.GetOrdinal("id")),
            Enum.Parse<JobTrigger>(Text("trigger")),
            Enum.Parse<JobMode>(Text("mode")),
            Int("dry_run") != 0,
            Text("description"),
            JsonSerializer.Deserialize<string[]>(Text("libraries")) ?? [],
            Enum.Parse<JobStatus>(Text("status")),
            Parse(Text("queued_at")),
            NullableString(reader, "started_at") is { } started ? Parse(started) : null,
            NullableString(reader, "finished_at") is { } finished ? Parse(finished) : null,
            new JobCounts(Int("total"), Int("done"), Int("rated"), Int("updated"), Int("skipped"), Int("failed"), Int("cleared"), Int("restored")),
            NullableString(reader, "error"),
            JsonSerializer.Deserialize<JobRequest>(Text("request"))!);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
        // busy_timeout: a connection that finds another one writing waits inside SQLite, which retries after 1, 2, 5,
        // 10 ms...; without it Microsoft.Data.Sqlite retries after 150 ms, and two pages journaled at once (RatingJob)
        // lost that much each time one met the other's transaction.
        await ExecuteAsync(connection, ConnectionPragmas, cancellationToken);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static string? FormatNullable(DateTimeOffset? value) => value is { } v ? Format(v) : null;

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static string? NullableString(SqliteDataReader reader, string column) =>
        reader.GetOrdinal(column) is var ordinal && reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static double? NullableDouble(SqliteDataReader reader, string column) =>
        reader.GetOrdinal(column) is var ordinal && reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
