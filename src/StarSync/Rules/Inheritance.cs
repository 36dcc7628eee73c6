using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>
/// The inherit outcome. Anchored on plex-rating-utils' Bayesian estimate (a weighted mean pulled toward a prior):
/// <code>
///   value = (w · μ + Σ rᵢ) / (w + n)
/// </code>
/// where rᵢ are the n hand ratings (Plex 0..10) on the track's album (or, when the album has fewer than K, on the same
/// album artist), μ is the mean of every hand rating in the library, and w (<see cref="RuleOutcome.PriorWeight"/>) is
/// how many ratings' worth the library mean weighs. With n &lt; K on both album and artist the rule falls through to the
/// next one. The result is rounded to the nearest value the rating style can express (half up): whole stars for
/// 5stars (2,4,…,10, at least 1★), half stars for 5stars_half (1..10), and for 1star 10 from 5 up, else 0.
/// Worked example: album rated 8, 10, 6 (n = 3, K = 3), library mean 6, w = 2: (2·6 + 24) / 5 = 7.2 → 5stars 8 (4★),
/// 5stars_half 7 (3.5★).
/// </summary>
public static class Inheritance
{
    /// <summary>The shrunk mean, or null when <paramref name="count"/> &lt; <paramref name="minRated"/>.</summary>
    public static double? Estimate(double sum, int count, double libraryMean, double priorWeight, int minRated) =>
        count < Math.Max(1, minRated) ? null : ((priorWeight * libraryMean) + sum) / (priorWeight + count);

    /// <summary>Rounds a 0..10 estimate to the nearest value <paramref name="style"/> can express.</summary>
    public static double RoundToStyle(double plexValue, RatingStyle style) => style switch
    {
        RatingStyle.OneStar => plexValue >= 5 ? 10 : 0,
        RatingStyle.FiveStars => Math.Clamp(2 * Math.Floor((plexValue / 2) + 0.5), 2, 10),
        _ => Math.Clamp(Math.Floor(plexValue + 0.5), 1, 10),
    };
}

/// <summary>Running sum and count of hand ratings (album, artist or library).</summary>
public struct RatingTally
{
    /// <summary>Σ of the 0..10 values.</summary>
    public double Sum { get; private set; }

    /// <summary>How many.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one rating.</summary>
    public void Add(double value)
    {
        Sum += value;
        Count++;
    }

    /// <summary>The mean, 0 when empty.</summary>
    public readonly double Mean => Count == 0 ? 0 : Sum / Count;
}
