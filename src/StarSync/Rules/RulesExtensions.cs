using Microsoft.Extensions.DependencyInjection.Extensions;
using StarSync.Jobs;

namespace StarSync.Rules;

/// <summary>Registers the rating rules.</summary>
public static class RulesExtensions
{
    /// <summary>Adds the rule engine (used by the rating job), the preview with its signal cache, and the CLI verbs.</summary>
    public static IServiceCollection AddRules(this IServiceCollection services)
    {
        services.TryAddSingleton(new SignalCacheOptions());
        // Jobs and new music drop the kept signals through the job event sink.
        services.AddJobEventHandler<SignalCache>();
        return services.AddSingleton<RuleEngine>().AddSingleton<RulesPreview>().AddSingleton<RulesCli>();
    }
}
