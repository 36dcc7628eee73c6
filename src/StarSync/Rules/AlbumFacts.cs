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
public sealed partial class AlbumFacts
{
    private AlbumFacts(PlexAlbum album, bool live, bool compilation, bool fromTitle)
    {
        Album = album;
        Live = live;
        Compilation = compilation;
        FromTitle = fromTitle;
    }

    /// <summary>The album as Plex listed it.</summary>
    public PlexAlbum Album { get; }

    /// <summary>A live album (by Subformat, else by title).</summary>
    public bool Live { get; }

    /// <summary>A compilation (by Subformat, else by title).</summary>
    public bool Compilation { get; }

    /// <summary>True when <see cref="Live"/>/<see cref="Compilation"/> came from the title heuristic.</summary>
    public bool FromTitle { get; }

    /// <summary>Classifies one album.</summary>
    public static AlbumFacts From(PlexAlbum album)
    {
        ArgumentNullException.ThrowIfNull(album);
        if (album.Subformats.Count > 0)
        {
            return new AlbumFacts(album,
                album.Subformats.Any(s => s.Contains("live", StringComparison.OrdinalIgnoreCase)),
                album.Subformats.Any(s => s.Contains("compilation", StringComparison.OrdinalIgnoreCase)),
                fromTitle: false);
        }

        return new AlbumFacts(album, LiveTitle().IsMatch(album.Title), CompilationTitle().IsMatch(album.Title), fromTitle: true);
    }

    [GeneratedRegex(@"\b(live|unplugged|in concert)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LiveTitle();

    [GeneratedRegex(@"\b(greatest hits|best of|anthology|collection|essentials?|rarities|singles|hits)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CompilationTitle();
}
