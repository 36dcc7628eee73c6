namespace StarSync.Plex;

/// <summary>Why a library of type <c>artist</c> is left out unless chosen by name.</summary>
public enum LibraryExclusion
{
    /// <summary>A music library: offered, counted in coverage.</summary>
    None,

    /// <summary>The owner hid it in Plex (<c>hidden="1"</c>).</summary>
    Hidden,

    /// <summary>An <c>artist</c> library that holds audiobooks, not music (agent or title says so).</summary>
    Audiobooks,
}

/// <summary>
/// The one place that decides which Plex libraries StarSync works on. Coverage, "rate all", the schedule, new-music
/// webhooks and notifications, rule scopes, the dashboard and the demo all ask it.
/// </summary>
/// <remarks>
/// Plex has no audiobook library type: audiobook libraries are <c>type="artist"</c> like music. A library is treated as
/// audiobooks when its agent is an audiobook agent (<see cref="AudiobookAgentHints"/>: Audnexus, Audible, "audiobook")
/// or, whatever the agent, its title says so (<see cref="AudiobookTitleHints"/>). Hidden libraries (<c>hidden</c> not
/// 0) and audiobook libraries are not offered, not counted and not part of "every library"; naming one in
/// LIBRARY_NAME (or ticking it in Settings) selects it like any other.
/// </remarks>
public static class LibraryMatcher
{
    /// <summary>Substrings of an agent id that mark an audiobook agent (compared ignoring case).</summary>
    public static readonly IReadOnlyList<string> AudiobookAgentHints = ["audnexus", "audible", "audiobook"];

    /// <summary>Substrings of a library title that mark audiobooks (compared ignoring case).</summary>
    public static readonly IReadOnlyList<string> AudiobookTitleHints = ["audiobook", "audio book", "hörbuch", "hörbücher", "livres audio"];

    /// <summary>Why <paramref name="library"/> is left out unless selected by name; <see cref="LibraryExclusion.None"/> for music.</summary>
    public static LibraryExclusion ExclusionOf(PlexLibrary library)
    {
        ArgumentNullException.ThrowIfNull(library);
        if (library.Hidden)
        {
            return LibraryExclusion.Hidden;
        }

        return ContainsAny(library.Agent, AudiobookAgentHints) || ContainsAny(library.Title, AudiobookTitleHints)
            ? LibraryExclusion.Audiobooks
            : LibraryExclusion.None;
    }

    /// <summary>The reason in words, for the dashboard and Settings; null for a music library.</summary>
    public static string? Reason(PlexLibrary library) => ExclusionOf(library) switch
    {
        LibraryExclusion.Hidden => "hidden in Plex; tick it in Settings to rate it anyway",
        LibraryExclusion.Audiobooks => $"looks like audiobooks ({(ContainsAny(library.Agent, AudiobookAgentHints) ? "agent " + library.Agent : "title")}); tick it in Settings to rate it anyway",
        _ => null,
    };

    /// <summary>True when <paramref name="names"/> (LIBRARY_NAME, Settings, a rule's scope) include <paramref name="title"/>, ignoring case.</summary>
    public static bool NameMatches(string? title, IEnumerable<string> names) =>
        title is not null && names.Any(n => string.Equals(n, title, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <paramref name="names"/> (LIBRARY_NAME, Settings) names this <c>artist</c> library.</summary>
    public static bool IsNamed(PlexLibrary library, IEnumerable<string> names) =>
        library.IsMusic && NameMatches(library.Title, names);

    /// <summary>True for an <c>artist</c> library StarSync offers and counts: music, or any library chosen by name.</summary>
    public static bool IsOffered(PlexLibrary library, IEnumerable<string> names) =>
        library.IsMusic && (ExclusionOf(library) == LibraryExclusion.None || IsNamed(library, names));

    /// <summary>The libraries offered (see <see cref="IsOffered"/>), in Plex's order.</summary>
    public static IReadOnlyList<PlexLibrary> Offered(IEnumerable<PlexLibrary> libraries, IReadOnlyCollection<string> names) =>
        libraries.Where(l => IsOffered(l, names)).ToList();

    /// <summary><c>artist</c> libraries left out, each with its reason (not named in <paramref name="names"/>).</summary>
    public static IReadOnlyList<(PlexLibrary Library, string Reason)> Excluded(IEnumerable<PlexLibrary> libraries, IReadOnlyCollection<string> names) =>
        libraries.Where(l => l.IsMusic && !IsOffered(l, names)).Select(l => (l, Reason(l)!)).ToList();

    /// <summary>
    /// The libraries <paramref name="names"/> select, in the order named, once each; names Plex does not have (as an
    /// <c>artist</c> library) are returned in <paramref name="unknown"/>.
    /// </summary>
    public static IReadOnlyList<PlexLibrary> Select(IEnumerable<PlexLibrary> libraries, IEnumerable<string> names, out IReadOnlyList<string> unknown)
    {
        var music = libraries.Where(l => l.IsMusic).ToList();
        var selected = new List<PlexLibrary>();
        var missing = new List<string>();
        foreach (var name in names)
        {
            var match = music.FirstOrDefault(l => NameMatches(l.Title, [name]));
            if (match is null)
            {
                missing.Add(name);
            }
            else if (!selected.Any(l => l.Key == match.Key))
            {
                selected.Add(match);
            }
        }

        unknown = missing;
        return selected;
    }

    private static bool ContainsAny(string? text, IReadOnlyList<string> hints) =>
        text is not null && hints.Any(h => text.Contains(h, StringComparison.OrdinalIgnoreCase));
}
