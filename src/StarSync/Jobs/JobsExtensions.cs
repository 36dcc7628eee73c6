namespace StarSync.Jobs;

/// <summary>Registers the job queue and runner.</summary>
public static class JobsExtensions
{
    /// <summary>Adds the job queue and its background runner.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddSingleton<JobQueue>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }
}
