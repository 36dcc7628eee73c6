using System.Globalization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using StarSync.Journal;

namespace StarSync.Pages;

/// <summary>History: every job, or one job's changes. An address naming no job answers 404 with a page that says so.</summary>
public sealed class HistoryModel(JournalStore journal) : PageModel
{
    /// <summary>The job the address names, when it names one that exists.</summary>
    public long? JobId { get; private set; }

    /// <summary>What the address named when no such job exists (shown back to the user).</summary>
    public string? MissingJob { get; private set; }

    public async Task OnGetAsync(string? id, CancellationToken cancellationToken)
    {
        if (id is null)
        {
            return;
        }

        if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var jobId) && await journal.GetJobAsync(jobId, cancellationToken) is not null)
        {
            JobId = jobId;
            return;
        }

        MissingJob = id;
        Response.StatusCode = StatusCodes.Status404NotFound;
    }
}
