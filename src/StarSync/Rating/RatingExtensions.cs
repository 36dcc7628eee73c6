namespace StarSync.Rating;

/// <summary>Registers the rating engine.</summary>
public static class RatingExtensions
{
    /// <summary>Adds the rating job and its change writer.</summary>
    public static IServiceCollection AddRating(this IServiceCollection services) =>
        services.AddSingleton<ChangeWriter>().AddSingleton<RatingJob>()
            .AddSingleton<WriteVerdictStore>().AddSingleton<WritePathState>();
}
