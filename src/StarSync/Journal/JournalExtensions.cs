namespace StarSync.Journal;

/// <summary>Registers the SQLite journal.</summary>
public static class JournalExtensions
{
    /// <summary>Adds the journal store (its schema is created by the job runner on start).</summary>
    public static IServiceCollection AddJournal(this IServiceCollection services) => services.AddSingleton<JournalStore>();
}
