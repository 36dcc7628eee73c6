namespace StarSync.PlexEmulator;

/// <summary>A library section ("Music", "Movies", …) of the emulated server.</summary>
public sealed class EmulatedSection
{
    internal EmulatedSection(int id, string title, string type, string uuid, long createdAt)
    {
        Id = id;
        Key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Title = title;
        Type = type;
        Uuid = uuid;
        CreatedAt = createdAt;
    }

    /// <summary>The section id as PMS writes it ("1").</summary>
    public string Key { get; }

    public string Title { get; }

    /// <summary>"artist" for music, "movie" for the non-music section.</summary>
    public string Type { get; }

    public string Uuid { get; }

    public int TrackCount => Tracks.Count;

    public bool IsMusic => Type == "artist";

    internal int Id { get; }

    internal long CreatedAt { get; }

    /// <summary>Track indices (not ratingKeys), in ratingKey order.</summary>
    internal IntList Tracks { get; } = new(16);

    internal IntList Albums { get; } = new(16);

    internal IntList Artists { get; } = new(16);

    internal string LocationPath => IsMusic ? "/data/" + Title.ToLowerInvariant().Replace(' ', '-') : "/data/movies";
}

/// <summary>What <see cref="EmulatedLibrary.AddAlbum"/> created.</summary>
public sealed record NewAlbum(
    string SectionKey,
    string ArtistRatingKey,
    string AlbumRatingKey,
    IReadOnlyList<string> TrackRatingKeys,
    string AlbumTitle,
    string ArtistTitle);
