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

    /// <summary>The section's <c>hidden</c> attribute: a library the owner hid in Plex.</summary>
    public bool Hidden { get; internal set; }

    /// <summary>The metadata agent PMS reports; null = the default for the type (music or movie agent).</summary>
    public string? Agent { get; internal set; }

    /// <summary>The scanner PMS reports; null = the default for the type.</summary>
    public string? Scanner { get; internal set; }

    internal int Id { get; }

    internal long CreatedAt { get; }

    /// <summary>Track indices (not ratingKeys), in ratingKey order.</summary>
    internal IntList Tracks { get; } = new(16);

    internal IntList Albums { get; } = new(16);

    internal IntList Artists { get; } = new(16);

    internal string LocationPath => IsMusic ? "/data/" + Title.ToLowerInvariant().Replace(' ', '-') : "/data/movies";

    /// <summary>The agent this section is listed with.</summary>
    internal string AgentFor(NotificationOptions notifications) =>
        Agent ?? (!IsMusic ? "tv.plex.agents.movie" : notifications.SectionsWithoutAgent.Contains(Key) ? NotificationHub.NoAgent : "tv.plex.agents.music");
}

/// <summary>What <see cref="EmulatedLibrary.AddAlbum"/> created.</summary>
public sealed record NewAlbum(
    string SectionKey,
    string ArtistRatingKey,
    string AlbumRatingKey,
    IReadOnlyList<string> TrackRatingKeys,
    string AlbumTitle,
    string ArtistTitle);
