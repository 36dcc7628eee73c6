using System.Globalization;
using Microsoft.Data.Sqlite;

namespace StarSync.Journal;

/// <summary>
/// The word index's write side. Changes are journaled without touching the index (a trigger on every insert was most
/// of the journal's cost while Plex's writer waited); <see cref="WordIndexer"/> adds them afterwards, in short
/// transactions, when no job is running. Until then a search finds them by LIKE (see <see cref="SearchChangesAsync"/>).
/// </summary>
public sealed partial class JournalStore
{
    /// <summary>
    /// Adds up to <paramref name="maxRows"/> changes after the index's watermark to the word index, in one
    /// transaction, and moves the watermark past them. Returns how many it added (0: the index is complete).
    /// </summary>
    public async Task<int> IndexWordsAsync(int maxRows, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        using var turn = await WriteTurnAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        // IMMEDIATE (Microsoft.Data.Sqlite's default): the watermark read and its move are one step, so two indexers
        // (the web app and a second instance on the same journal) never index a row twice.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT COUNT(*), MAX(id) FROM (SELECT id FROM changes WHERE id > (SELECT indexed_to FROM word_index) ORDER BY id LIMIT $max);
            """;
        command.Parameters.AddWithValue("$max", maxRows);
        long count, last;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            count = reader.GetInt64(0);
            last = count == 0 ? 0 : reader.GetInt64(1);
        }

        if (count > 0)
        {
            command.CommandText = """
                INSERT INTO changes_words(rowid, artist, album, title)
                    SELECT id, artist, album, title FROM changes WHERE id > (SELECT indexed_to FROM word_index) AND id <= $last ORDER BY id;
                UPDATE word_index SET indexed_to = $last WHERE id = 1;
                """;
            command.Parameters.AddWithValue("$last", last);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (int)count;
    }

    /// <summary>How many changes are not in the word index yet.</summary>
    public async Task<long> WordIndexBacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM changes WHERE id > (SELECT indexed_to FROM word_index);";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The last change id in the word index.</summary>
    private static async Task<long> IndexedToAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT indexed_to FROM word_index WHERE id = 1;";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
