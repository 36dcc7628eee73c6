using Microsoft.Data.Sqlite;
using StarSync.Configuration;

namespace StarSync.Journal;

/// <summary>
/// Versioned schemas of StarSync's SQLite files (PRAGMA user_version) and the one helper that brings a file up to
/// date. Migrations are ordered and append-only: a released step is never edited, a change is a new step.
/// </summary>
internal static class JournalSchema
{
    /// <summary>The journal (starsync.db). Step 1 is the schema every journal had before versions existed, so a journal of that time (version 0) takes it as a no-op.</summary>
    public static readonly IReadOnlyList<string> Journal =
    [
        // 1: jobs, changes, the runner lease.
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            trigger     TEXT NOT NULL,
            mode        TEXT NOT NULL,
            dry_run     INTEGER NOT NULL,
            description TEXT NOT NULL,
            libraries   TEXT NOT NULL,
            request     TEXT NOT NULL,
            status      TEXT NOT NULL,
            queued_at   TEXT NOT NULL,
            started_at  TEXT,
            finished_at TEXT,
            total INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, rated INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
            cleared INTEGER NOT NULL DEFAULT 0, restored INTEGER NOT NULL DEFAULT 0,
            error       TEXT
        );
        CREATE TABLE IF NOT EXISTS changes (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id      INTEGER NOT NULL REFERENCES jobs(id),
            rating_key  TEXT NOT NULL,
            library     TEXT NOT NULL,
            artist      TEXT,
            album       TEXT,
            title       TEXT,
            old_value   REAL,
            new_value   REAL,
            time        TEXT NOT NULL,
            state       TEXT NOT NULL,
            error       TEXT,
            -- For an undo's change: the job it reverts (0 = every job). Set on the reverted rows once applied.
            reverts_job INTEGER,
            undone_by   INTEGER
        );
        CREATE INDEX IF NOT EXISTS changes_by_job ON changes(job_id, id);
        CREATE INDEX IF NOT EXISTS changes_by_key ON changes(rating_key, id);
        CREATE INDEX IF NOT EXISTS changes_pending ON changes(state) WHERE state = 'Pending';
        -- One job at a time across processes (the web app and a CLI run from cron share this journal).
        CREATE TABLE IF NOT EXISTS runner_lease (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            holder     TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        );
        """,
        // 2: the rating rule that decided each change (null for undo, clear and changes made before rules).
        """
        ALTER TABLE changes ADD COLUMN rule TEXT;
        CREATE INDEX changes_by_rule ON changes(job_id, rule);
        """,
        // 3: History at scale.
        """
        -- A job's changes filtered by state, in order; also counts per state without touching the rows.
        CREATE INDEX changes_by_job_state ON changes(job_id, state, id);
        -- Only undone rows: "undone by #N" for a job costs as much as it has undone rows, not as it has changes.
        CREATE INDEX changes_undone ON changes(job_id, undone_by) WHERE undone_by IS NOT NULL;
        CREATE INDEX jobs_by_mode ON jobs(mode, dry_run);
        """,
        // 4: word search across every job. A trigram index finds any substring of 3 or more characters (as LIKE
        // '%word%' did, case-insensitively) without reading every change. It holds no copy of the text (external
        // content: the changes table), is filled from the rows already journaled, and kept in step by triggers, so
        // every insert path (rating, undo, clear, tests writing rows directly) is covered. Artist, album and title
        // are never updated after the insert; the update trigger is there so that stays harmless if it changes.
        """
        CREATE VIRTUAL TABLE changes_words USING fts5(artist, album, title, content='changes', content_rowid='id', tokenize='trigram');
        INSERT INTO changes_words(changes_words) VALUES ('rebuild');
        CREATE TRIGGER changes_words_insert AFTER INSERT ON changes BEGIN
            INSERT INTO changes_words(rowid, artist, album, title) VALUES (new.id, new.artist, new.album, new.title);
        END;
        CREATE TRIGGER changes_words_delete AFTER DELETE ON changes BEGIN
            INSERT INTO changes_words(changes_words, rowid, artist, album, title) VALUES ('delete', old.id, old.artist, old.album, old.title);
        END;
        CREATE TRIGGER changes_words_update AFTER UPDATE OF artist, album, title ON changes BEGIN
            INSERT INTO changes_words(changes_words, rowid, artist, album, title) VALUES ('delete', old.id, old.artist, old.album, old.title);
            INSERT INTO changes_words(rowid, artist, album, title) VALUES (new.id, new.artist, new.album, new.title);
        END;
        """,
        // 5: the word index is filled after the fact, not by a trigger on every insert. The trigger was most of a
        // journal insert's cost (7.45 s against 1.57 s per 100k changes), paid while Plex's writer waited for the
        // next bulk edit. word_index.indexed_to is the last change id in the index; the rows after it (a running
        // job's, until the indexer catches up) are searched by LIKE (JournalStore.SearchChangesAsync). The delete and
        // update triggers touch only rows already indexed: an external-content FTS5 table must never be told to
        // delete a row it does not hold.
        """
        CREATE TABLE word_index (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            indexed_to INTEGER NOT NULL
        );
        INSERT INTO word_index (id, indexed_to) VALUES (1, COALESCE((SELECT MAX(id) FROM changes), 0));
        DROP TRIGGER changes_words_insert;
        DROP TRIGGER changes_words_delete;
        DROP TRIGGER changes_words_update;
        CREATE TRIGGER changes_words_delete AFTER DELETE ON changes WHEN old.id <= (SELECT indexed_to FROM word_index) BEGIN
            INSERT INTO changes_words(changes_words, rowid, artist, album, title) VALUES ('delete', old.id, old.artist, old.album, old.title);
        END;
        CREATE TRIGGER changes_words_update AFTER UPDATE OF artist, album, title ON changes WHEN old.id <= (SELECT indexed_to FROM word_index) BEGIN
            INSERT INTO changes_words(changes_words, rowid, artist, album, title) VALUES ('delete', old.id, old.artist, old.album, old.title);
            INSERT INTO changes_words(rowid, artist, album, title) VALUES (new.id, new.artist, new.album, new.title);
        END;
        """,
    ];

    /// <summary>The session store (sessions.db).</summary>
    public static readonly IReadOnlyList<string> Sessions =
    [
        // 1: the sessions table as it was before versions existed.
        "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL);",
        // 2: sliding expiry: a session is kept while it is used, whatever its age.
        """
        ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
        UPDATE sessions SET last_used_at = started_at;
        CREATE INDEX sessions_by_last_use ON sessions(last_used_at);
        """,
    ];

    /// <summary>
    /// Runs the steps after the file's version, each in its own transaction with its version number, so a crash
    /// leaves the file at a whole step. A file from a newer StarSync is refused rather than misread.
    /// </summary>
    public static async Task MigrateAsync(SqliteConnection connection, IReadOnlyList<string> migrations, CancellationToken cancellationToken)
    {
        var version = await VersionAsync(connection, null, cancellationToken);
        while (version < migrations.Count)
        {
            // Microsoft.Data.Sqlite begins IMMEDIATE (not deferred) transactions: another process (the web app and a
            // CLI share the journal) waits here instead of running the same step.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            version = await VersionAsync(connection, transaction, cancellationToken);
            if (version < migrations.Count)
            {
                await using var step = connection.CreateCommand();
                step.Transaction = transaction;
                step.CommandText = migrations[version] + $"\nPRAGMA user_version = {version + 1};";
                await step.ExecuteNonQueryAsync(cancellationToken);
                version++;
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (version > migrations.Count)
        {
            throw new StartupConfigurationException(
                $"{connection.DataSource} has schema version {version}, newer than this StarSync knows ({migrations.Count}): run the newer StarSync that wrote it, or restore a backup made with this version.");
        }
    }

    private static async Task<int> VersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
