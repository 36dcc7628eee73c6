using StarSync.Jobs;

namespace StarSync.Journal;

/// <summary>Registers the SQLite journal.</summary>
public static class JournalExtensions
{
    /// <summary>
    /// Adds the journal store (its schema is created by the job runner on start) and the indexer that keeps history
    /// search's word index in step after jobs (it runs in the web host; the CLI leaves it to the web app).
    /// </summary>
    public static IServiceCollection AddJournal(this IServiceCollection services)
    {
        services.AddSingleton<JournalStore>();
        services.AddJobEventHandler<WordIndexer>();
        services.AddHostedService(sp => sp.GetRequiredService<WordIndexer>());
        return services;
    }
}
