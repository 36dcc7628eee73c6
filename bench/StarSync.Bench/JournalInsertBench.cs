using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace StarSync.Bench;

/// <summary>
/// The journal's pending rows inserted two ways, on the journal's own schema (<see cref="StarSync.Journal.JournalSchema.Journal"/>
/// in a file of its own): <c>RETURNING id</c> read through <c>ExecuteScalar</c>, as <c>JournalStore.AddChangesAsync</c>
/// did until 2026-12-01, and <c>ExecuteNonQuery</c> with the connection's last rowid, as it does now. The same rows,
/// one transaction per bulk edit's 250, the two ways alternated; CPU of the bench process per row.
/// </summary>
internal static class JournalInsertBench
{
    private const int RowsPerTransaction = 250;
    private const int Transactions = 40;
    private const int Rounds = 3;
    private const int RowsPerPass = Transactions * RowsPerTransaction;

    public static async Task RunAsync(Report report)
    {
        var file = Path.Combine(Path.GetTempPath(), $"starsync-bench-insert-{Guid.NewGuid():N}.db");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString();
        try
        {
            await using (var setup = new SqliteConnection(connectionString))
            {
                await setup.OpenAsync();
                await ExecuteAsync(setup, "PRAGMA journal_mode = WAL;");
                await StarSync.Journal.JournalSchema.MigrateAsync(setup, StarSync.Journal.JournalSchema.Journal, CancellationToken.None);
                await ExecuteAsync(setup, "INSERT INTO jobs (trigger, mode, dry_run, description, libraries, request, status, queued_at) VALUES ('Cli', 'All', 0, 'bench', '[]', '{}', 'Running', '2026-12-01T00:00:00Z');");
            }

            var returning = new List<double>();
            var lastRowid = new List<double>();
            for (var round = 0; round <= Rounds; round++)
            {
                // Round 0 warms both paths up (JIT, the file's first pages) and is not counted. Every pass has keys of its own.
                var a = await MeasureAsync(connectionString, withReturning: true, firstKey: 2 * round * RowsPerPass);
                var b = await MeasureAsync(connectionString, withReturning: false, firstKey: ((2 * round) + 1) * RowsPerPass);
                if (round > 0)
                {
                    returning.Add(a);
                    lastRowid.Add(b);
                }
            }

            report.Line($"Journal inserts, {Report.N(RowsPerPass)} pending rows per round in transactions of {RowsPerTransaction}, the journal's schema, alternated {Rounds} times (CPU per row, median and each):");
            report.Line();
            report.Table(["insert", "CPU per row (median)", "each round"],
            [
                ["`… RETURNING id` read through `ExecuteScalar` (until 2026-12-01)", Us(Median(returning)), string.Join(", ", returning.Select(Us))],
                ["`ExecuteNonQuery`, then `sqlite3_last_insert_rowid` (now)", Us(Median(lastRowid)), string.Join(", ", lastRowid.Select(Us))],
            ]);
            report.Line();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(path);
            }
        }
    }

    private static async Task<double> MeasureAsync(string connectionString, bool withReturning, int firstKey)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var t = 0; t < Transactions; t++)
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            await ExecuteAsync(connection, StarSync.Journal.JournalStore.ConnectionPragmas);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = StarSync.Journal.JournalStore.InsertChange + (withReturning ? " RETURNING id;" : ";");
            var keyParameter = command.Parameters.Add("$key", SqliteType.Text);
            var artist = command.Parameters.Add("$artist", SqliteType.Text);
            var title = command.Parameters.Add("$title", SqliteType.Text);
            command.Parameters.AddWithValue("$job", 1);
            command.Parameters.AddWithValue("$library", "Music");
            command.Parameters.AddWithValue("$album", "Album Title");
            command.Parameters.AddWithValue("$old", DBNull.Value);
            command.Parameters.AddWithValue("$new", 6.0);
            command.Parameters.AddWithValue("$time", "2026-12-01T00:00:00.0000000+00:00");
            command.Parameters.AddWithValue("$state", "Pending");
            command.Parameters.AddWithValue("$error", DBNull.Value);
            command.Parameters.AddWithValue("$reverts", DBNull.Value);
            command.Parameters.AddWithValue("$rule", "default");
            long last = 0;
            for (var i = 0; i < RowsPerTransaction; i++)
            {
                var k = firstKey + (t * RowsPerTransaction) + i;
                keyParameter.Value = k.ToString(CultureInfo.InvariantCulture);
                artist.Value = "Artist " + (k % 997).ToString(CultureInfo.InvariantCulture);
                title.Value = "Track " + k.ToString(CultureInfo.InvariantCulture);
                long id;
                if (withReturning)
                {
                    id = (long)(await command.ExecuteScalarAsync())!;
                }
                else
                {
                    await command.ExecuteNonQueryAsync();
                    id = SQLitePCL.raw.sqlite3_last_insert_rowid(connection.Handle);
                }

                if (id <= last)
                {
                    throw new InvalidOperationException($"Row ids out of order: {id} after {last}.");
                }

                last = id;
            }

            await transaction.CommitAsync();
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / RowsPerPass;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Us(double value) => Report.F(value, "0.0") + " µs";
}
