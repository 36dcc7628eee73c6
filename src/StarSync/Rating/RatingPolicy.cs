namespace StarSync.Rating;

/// <summary>What to do with one track.</summary>
public enum RatingDecision
{
    /// <summary>Leave the track alone.</summary>
    Skip,

    /// <summary>The track is unrated: give it the target.</summary>
    Rate,

    /// <summary>Override is on and the track has another rating: replace it with the target.</summary>
    ReRate,
}

/// <summary>
/// The rule that protects hand-set ratings: by default only unrated tracks are touched; with override, tracks whose
/// rating differs from the target are re-rated. A track already at the target is never rewritten.
/// </summary>
/// <param name="Target">The Plex 0..10 value to give.</param>
/// <param name="Override">Re-rate tracks that already have another rating.</param>
public sealed record RatingPolicy(double Target, bool Override)
{
    /// <summary>Decides for a track whose current rating is <paramref name="current"/> (null = unrated).</summary>
    public RatingDecision Decide(double? current) => current switch
    {
        null => RatingDecision.Rate,
        { } value when SameRating(value, Target) => RatingDecision.Skip,
        _ when Override => RatingDecision.ReRate,
        _ => RatingDecision.Skip,
    };

    /// <summary>Plex stores floats; compare with a tolerance well below half a star.</summary>
    public static bool SameRating(double? a, double? b) =>
        a is null ? b is null : b is not null && Math.Abs(a.Value - b.Value) < 0.01;
}
