using System.Globalization;

namespace StarSync.Rating;

/// <summary>How the user thinks of ratings; decides which target values are allowed and how they map to Plex's 0..10.</summary>
public enum RatingStyle
{
    /// <summary>Plexamp's single star: 1 = rated (10), 0 = Plexamp's empty star (0, a real rating).</summary>
    OneStar,

    /// <summary>1..5 whole stars (2, 4, 6, 8, 10).</summary>
    FiveStars,

    /// <summary>0.5..5 stars in half steps (1..10).</summary>
    FiveStarsHalf,
}

/// <summary>Rating style names as the old tool spelled them (RATING_STYLE), and the style + target -> Plex value mapping.</summary>
public static class RatingScale
{
    /// <summary>The accepted spellings, for messages.</summary>
    public const string AllowedStyles = "1star, 5stars, 5stars_half";

    /// <summary>Parses the old tool's style names; null when unknown.</summary>
    public static RatingStyle? ParseStyle(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "1star" => RatingStyle.OneStar,
        "5stars" => RatingStyle.FiveStars,
        "5stars_half" => RatingStyle.FiveStarsHalf,
        _ => null,
    };

    /// <summary>The old tool's name of a style.</summary>
    public static string ToName(this RatingStyle style) => style switch
    {
        RatingStyle.OneStar => "1star",
        RatingStyle.FiveStars => "5stars",
        RatingStyle.FiveStarsHalf => "5stars_half",
        _ => throw new ArgumentOutOfRangeException(nameof(style)),
    };

    /// <summary>What values a style accepts, in words.</summary>
    public static string AllowedTargets(RatingStyle style) => style switch
    {
        RatingStyle.OneStar => "0 or 1",
        RatingStyle.FiveStars => "a whole number of stars from 1 to 5",
        RatingStyle.FiveStarsHalf => "0.5 to 5 in steps of 0.5",
        _ => throw new ArgumentOutOfRangeException(nameof(style)),
    };

    /// <summary>
    /// Maps style + target to Plex's 0..10 value, or explains why the target does not fit the style.
    /// A misfit is never clamped: a user who typed 6 stars must hear about it, not get 5.
    /// </summary>
    public static bool TryToPlexValue(RatingStyle style, double target, out double plexValue, out string? error)
    {
        plexValue = 0;
        error = null;
        var ok = style switch
        {
            RatingStyle.OneStar => target is 0 or 1,
            RatingStyle.FiveStars => target is >= 1 and <= 5 && Math.Abs(target - Math.Round(target)) < 1e-9,
            RatingStyle.FiveStarsHalf => target is >= 0.5 and <= 5 && Math.Abs((target * 2) - Math.Round(target * 2)) < 1e-9,
            _ => false,
        };
        if (!ok || double.IsNaN(target))
        {
            error = string.Create(CultureInfo.InvariantCulture,
                $"{target} does not fit the rating style {style.ToName()}: use {AllowedTargets(style)}.");
            return false;
        }

        // 1star: 1 -> 10 (Plexamp's star), 0 -> 0 (Plexamp's empty star, a real rating distinct from unrated).
        plexValue = style == RatingStyle.OneStar ? target * 10 : Math.Round(target * 2);
        return true;
    }

    /// <summary>Renders a Plex 0..10 value as stars for logs ("3.5★"), or "unrated".</summary>
    public static string Describe(double? plexValue) => plexValue is { } v
        ? string.Create(CultureInfo.InvariantCulture, $"{v / 2:0.#}★")
        : "unrated";
}
