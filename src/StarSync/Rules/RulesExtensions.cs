namespace StarSync.Rules;

/// <summary>Registers the rating rules.</summary>
public static class RulesExtensions
{
    /// <summary>Adds the rule engine (used by the rating job), the preview and the CLI verbs.</summary>
    public static IServiceCollection AddRules(this IServiceCollection services) =>
        services.AddSingleton<RuleEngine>().AddSingleton<RulesPreview>().AddSingleton<RulesCli>();
}
