using System.Text.RegularExpressions;
using StarSync.Plex;

namespace StarSync.Rules;

/// <summary>
/// What rules need to know about an album: its tags, and whether it is live or a compilation. Plex's agent supplies a
/// <c>Subformat</c> tag ("Live", "Compilation") for many albums but not all (plex-api.md §5); when an album has no
/// Subformat at all, the title decides:
/// <list type="bullet">
/// <item>live: the word "live" (<c>Live at Budokan</c>, <c>Songs (Live)</c>), "unplugged" or "in concert";</item>
/// <item>compilation: "greatest hits", "best of", "anthology", "collection", "essential(s)", "rarities", "singles" or "hits".</item>
/// </list>
/// An album whose agent supplied a Subformat is taken at its word (a "Remix" subformat is neither).
/// </summary>
/// <remarks>
/// Only what the rules read is kept (tags and the two flags, not titles or formats), and equal tag lists are shared
/// through a <see cref="TagPool"/>, so a library of 80k albums costs a few megabytes while a preview runs.
/// </remarks>
public sealed partial class AlbumFacts
{
    private AlbumFacts(IReadOnlyList<string> genres, IReadOnlyList<string> moods, IReadOnlyList<string> styles, bool live, bool compilation, bool fromTitle)
    {
        Genres = genres;
        Moods = moods;
        Styles = styles;
        Live = live;
        Compilation = compilation;
        FromTitle = fromTitle;
    }

    /// <summary>The album's genres as Plex listed them.</summary>
    public IReadOnlyList<string> Genres { get; }

    /// <summary>The album's moods.</summary>
    public IReadOnlyList<string> Moods { get; }

    /// <summary>The album's styles.</summary>
    public IReadOnlyList<string> Styles { get; }

    /// <summary>A live album (by Subformat, else by title).</summary>
    public bool Live { get; }

    /// <summary>A compilation (by Subformat, else by title).</summary>
    public bool Compilation { get; }

    /// <summary>True when <see cref="Live"/>/<see cref="Compilation"/> came from the title heuristic.</summary>
    public bool FromTitle { get; }

    /// <summary>Classifies one album; <paramref name="pool"/> shares equal tag lists between the albums of one listing.</summary>
    public static AlbumFacts From(PlexAlbum album, TagPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(album);
        pool ??= new TagPool();
        var (genres, moods, styles) = (pool.Share(album.Genres), pool.Share(album.Moods), pool.Share(album.Styles));
        if (album.Subformats.Count > 0)
        {
            return new AlbumFacts(genres, moods, styles,
                album.Subformats.Any(s => s.Contains("live", StringComparison.OrdinalIgnoreCase)),
                album.Subformats.Any(s => s.Contains("compilation", StringComparison.OrdinalIgnoreCase)),
                fromTitle: false);
        }

        return new AlbumFacts(genres, moods, styles, LiveTitle().IsMatch(album.Title), CompilationTitle().IsMatch(album.Title), fromTitle: true);
    }

    [GeneratedRegex(@"\b(live|unplugged|in concert)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LiveTitle();

    [GeneratedRegex(@"\b(greatest hits|best of|anthology|collection|essentials?|rarities|singles|hits)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CompilationTitle();
}

/// <summary>Shares equal tag lists (and so their strings) between albums: a library has few distinct genre/mood/style sets.</summary>
public sealed class TagPool
{
    private readonly Dictionary<string, string[]> _lists = new(StringComparer.Ordinal);

    /// <summary>The shared list equal to <paramref name="tags"/>.</summary>
    public IReadOnlyList<string> Share(IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Count == 0)
        {
            return [];
        }

        var key = string.Join('\u001f', tags);
        if (!_lists.TryGetValue(key, out var shared))
        {
            shared = [.. tags];
            _lists[key] = shared;
        }

        return shared;
    }
}
