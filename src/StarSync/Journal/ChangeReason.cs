using System.Globalization;
using StarSync.Jobs;
using StarSync.Rating;

namespace StarSync.Journal;

/// <summary>
/// The state and reason of a journaled change in the words the history shows: every row says why it was made, skipped
/// or not made. One place, used by the pages, the CSV export and the API.
/// </summary>
public static class ChangeReason
{
    /// <summary>The state as the user sees it: a failure that was never sent is "not sent", not "failed".</summary>
    public static ChangeView ViewOf(ChangeRecord change) => change.State switch
    {
        ChangeState.Applied => ChangeView.Applied,
        ChangeState.Skipped => ChangeView.Skipped,
        ChangeState.Planned => ChangeView.Planned,
        ChangeState.Pending => ChangeView.Pending,
        _ when JournalStore.IsNotSent(change.State, change.Error) => ChangeView.NotSent,
        _ => ChangeView.Failed,
    };

    /// <summary>Why the change was made (or would be, or was not).</summary>
    public static string Of(HistoryChange row)
    {
        var c = row.Change;
        switch (ViewOf(c))
        {
            case ChangeView.NotSent:
                return "Not sent: " + Strip(c.Error!, "not sent").TrimStart(':', ' ') switch
                {
                    "" => "the job stopped before this write",
                    var rest => rest,
                };
            case ChangeView.Failed:
                return "Failed: " + (c.Error ?? "Plex did not take the new rating");
            case ChangeView.Skipped:
                return "Skipped: " + (c.Error ?? "left as it was");
            case ChangeView.Pending:
                return "Sent, answer not known yet; checked against Plex at the next start if StarSync stops";
        }

        var planned = c.State == ChangeState.Planned;
        var what = row.JobMode switch
        {
            JobMode.Undo or JobMode.UndoAll => (planned ? "Would put back" : "Put back") + " the rating from before " +
                (row.RevertsJob is > 0 and var job ? $"job #{job.ToString(CultureInfo.InvariantCulture)}" : "StarSync's changes") +
                $" ({RatingScale.Describe(c.NewValue)})",
            JobMode.Clear => (planned ? "Would clear" : "Cleared") + $" the rating ({RatingScale.Describe(c.OldValue)}): Clear ratings",
            _ when c.OldValue is null => (planned ? "Would rate" : "Rated") + $" {RatingScale.Describe(c.NewValue)}: the track was unrated",
            _ => (planned ? "Would re-rate" : "Re-rated") + $" {RatingScale.Describe(c.OldValue)} to {RatingScale.Describe(c.NewValue)}: override is on",
        };
        if (c.Error is { Length: > 0 } note)
        {
            what += " (" + note + ")";
        }

        if (row.UndoneBy is { } undone)
        {
            what += $"; undone by job #{undone.ToString(CultureInfo.InvariantCulture)}";
        }

        return what;
    }

    private static string Strip(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? text[prefix.Length..] : text;
}
