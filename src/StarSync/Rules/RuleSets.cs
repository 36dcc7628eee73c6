namespace StarSync.Rules;

/// <summary>Rule sets StarSync ships.</summary>
public static class RuleSets
{
    /// <summary>
    /// Today's behaviour as rules: one rule without conditions giving the target to every track. With it, override keeps
    /// the old meaning of OVERRIDE_RATING (re-rate any track whose rating differs from the target).
    /// </summary>
    public static IReadOnlyList<RatingRule> Default(double target) =>
    [
        new RatingRule { Name = RuleNames.Default, Then = new RuleOutcome { Kind = OutcomeKind.Fixed, Value = target } },
    ];

    /// <summary>An example set for demo mode and the editor's "load example" (5stars values).</summary>
    public static IReadOnlyList<RatingRule> Example(double target) =>
    [
        new RatingRule { Name = "Interludes and skits", When = new RuleConditions { DurationUnderSeconds = 90 }, Then = new RuleOutcome { Kind = OutcomeKind.Unrated } },
        new RatingRule { Name = "Often skipped", When = new RuleConditions { SkipsAtLeast = 5, PlaysAtMost = 3 }, Then = new RuleOutcome { Kind = OutcomeKind.Fixed, Value = 2 } },
        new RatingRule { Name = "Played a lot", When = new RuleConditions { PlaysAtLeast = 20 }, Then = new RuleOutcome { Kind = OutcomeKind.Fixed, Value = 4 } },
        new RatingRule { Name = "Like the rest of the album", Then = new RuleOutcome { Kind = OutcomeKind.Inherit } },
        new RatingRule { Name = "Live albums", When = new RuleConditions { Live = true }, Then = new RuleOutcome { Kind = OutcomeKind.Fixed, Value = 2 } },
        new RatingRule { Name = "Everything else", Then = new RuleOutcome { Kind = OutcomeKind.Fixed, Value = target } },
    ];
}
