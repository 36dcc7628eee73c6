using StarSync.Rating;

namespace StarSync.Tests.Rating;

[Trait("Category", "Unit")]
public sealed class RatingScaleTests
{
    [Theory]
    [InlineData("1star", 1, 10)]
    [InlineData("1star", 0, 0)]
    [InlineData("5stars", 1, 2)]
    [InlineData("5stars", 3, 6)]
    [InlineData("5stars", 5, 10)]
    [InlineData("5stars_half", 0.5, 1)]
    [InlineData("5stars_half", 3.5, 7)]
    [InlineData("5stars_half", 5, 10)]
    public void TryToPlexValue_valid_target_maps_to_plex_scale(string style, double target, double expected)
    {
        Assert.True(RatingScale.TryToPlexValue(RatingScale.ParseStyle(style)!.Value, target, out var value, out var error));
        Assert.Null(error);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1star", 0.5, "0 or 1")]
    [InlineData("1star", 2, "0 or 1")]
    [InlineData("5stars", 0, "whole number of stars from 1 to 5")]
    [InlineData("5stars", 3.5, "whole number of stars from 1 to 5")]
    [InlineData("5stars", 6, "whole number of stars from 1 to 5")]
    [InlineData("5stars_half", 0, "0.5 to 5 in steps of 0.5")]
    [InlineData("5stars_half", 3.3, "0.5 to 5 in steps of 0.5")]
    [InlineData("5stars_half", 5.5, "0.5 to 5 in steps of 0.5")]
    [InlineData("5stars_half", -1, "0.5 to 5 in steps of 0.5")]
    public void TryToPlexValue_target_outside_style_is_rejected_with_the_allowed_values_never_clamped(string style, double target, string allowed)
    {
        Assert.False(RatingScale.TryToPlexValue(RatingScale.ParseStyle(style)!.Value, target, out _, out var error));
        Assert.Contains(allowed, error);
        Assert.Contains(style, error);
    }

    [Theory]
    [InlineData("7stars")]
    [InlineData("")]
    [InlineData("five")]
    public void ParseStyle_unknown_name_is_null(string name) => Assert.Null(RatingScale.ParseStyle(name));

    [Fact]
    public void ParseStyle_accepts_old_tool_names_case_insensitively() =>
        Assert.Equal(RatingStyle.FiveStarsHalf, RatingScale.ParseStyle(" 5Stars_Half "));
}

[Trait("Category", "Unit")]
public sealed class RatingPolicyTests
{
    // current: null = unrated. Target 6 (3 stars).
    [Theory]
    [InlineData(null, false, RatingDecision.Rate)]
    [InlineData(null, true, RatingDecision.Rate)]
    [InlineData(6.0, false, RatingDecision.Skip)]
    [InlineData(6.0, true, RatingDecision.Skip)]
    [InlineData(7.0, false, RatingDecision.Skip)]
    [InlineData(7.0, true, RatingDecision.ReRate)]
    [InlineData(0.0, false, RatingDecision.Skip)]
    [InlineData(0.0, true, RatingDecision.ReRate)]
    [InlineData(10.0, true, RatingDecision.ReRate)]
    [InlineData(6.001, true, RatingDecision.Skip)]
    public void Decide_follows_override_and_never_rewrites_the_target(double? current, bool overrideRating, RatingDecision expected) =>
        Assert.Equal(expected, new RatingPolicy(6, overrideRating).Decide(current));

    [Fact]
    public void Decide_override_off_leaves_every_hand_rating_alone()
    {
        var policy = new RatingPolicy(10, Override: false);
        for (var value = 0.0; value <= 10; value += 1)
        {
            Assert.Equal(RatingDecision.Skip, policy.Decide(value));
        }
    }

    [Fact]
    public void Decide_one_star_zero_is_a_real_rating_distinct_from_unrated()
    {
        var policy = new RatingPolicy(0, Override: false);
        Assert.Equal(RatingDecision.Rate, policy.Decide(null));
        Assert.Equal(RatingDecision.Skip, policy.Decide(0));
    }
}
