namespace StarSync.Jobs;

/// <summary>Registers the job queue, executor, runner and the job event sink.</summary>
public static class JobsExtensions
{
    /// <summary>Adds the job queue, the executor (lease, recovery, status, progress), its background runner and the event sink.</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.AddSingleton<IJobEvents, JobEvents>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<RunnerLease>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }

    /// <summary>Registers <typeparamref name="T"/> (a singleton) as a receiver of job events.</summary>
    public static IServiceCollection AddJobEventHandler<T>(this IServiceCollection services)
        where T : class, IJobEventHandler
    {
        services.AddSingleton<T>();
        services.AddSingleton<IJobEventHandler>(sp => sp.GetRequiredService<T>());
        return services;
    }
}
