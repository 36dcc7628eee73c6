using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace StarSync.Journal;

// The journal's part of the rating rules (issue 13), kept apart so the schema change is easy to find and to fold into
// versioned migrations: ONE nullable column, changes.rule TEXT (the rule that decided a change), added when missing.
public sealed partial class JournalStore
{
    /// <summary>
    /// For each of <paramref name="ratingKeys"/> that StarSync rated and nobody has undone: the value StarSync last wrote
    /// (the newest applied change of the track, when it belongs to a rating job that was not a dry run and has not been
    /// undone). A track whose Plex rating differs from this value was rated by a person since.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, double>> GetStarSyncValuesAsync(IReadOnlyCollection<string> ratingKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ratingKeys);
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (ratingKeys.Count == 0)
        {
            return result;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The newest applied change per track decides: an undo or a clear after StarSync's rating means it no longer holds.
        command.CommandText = """
            SELECT c.rating_key, c.new_value, j.mode, c.undone_by
            FROM changes c JOIN jobs j ON j.id = c.job_id
            WHERE c.rating_key IN (SELECT value FROM json_each($keys)) AND c.state = 'Applied' AND j.dry_run = 0
            ORDER BY c.rating_key, c.id;
            """;
        command.Parameters.AddWithValue("$keys", JsonSerializer.Serialize(ratingKeys));
        var newest = new Dictionary<string, (double? Value, string Mode, bool Undone)>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                newest[reader.GetString(0)] = (reader.IsDBNull(1) ? null : reader.GetDouble(1), reader.GetString(2), !reader.IsDBNull(3));
            }
        }

        foreach (var (key, change) in newest)
        {
            if (change.Value is { } value && !change.Undone && change.Mode is not ("Undo" or "UndoAll" or "Clear"))
            {
                result[key] = value;
            }
        }

        return result;
    }

}
