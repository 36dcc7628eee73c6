namespace StarSync.Journal;

/// <summary>Registers the SQLite journal.</summary>
public static class JournalExtensions
{
    /// <summary>Adds the journal store.</summary>
    public static IServiceCollection AddJournal(this IServiceCollection services) => services;
}
