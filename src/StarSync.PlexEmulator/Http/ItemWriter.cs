using System.Globalization;

namespace StarSync.PlexEmulator;

/// <summary>Writes artists, albums and tracks with the attributes PMS sends (docs/plex-api.md §5).</summary>
internal static class ItemWriter
{
    private static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Guid(EmulatedLibrary lib, string type, int key) => "plex://" + type + "/" + Names.Hex(lib.Seed, key, 300, 24);

    private static string Thumb(int key, long updatedAt) => "/library/metadata/" + Inv(key) + "/thumb/" + Inv(updatedAt);

    public static void WriteItem(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, byte kind, int index, bool withSection)
    {
        switch (kind)
        {
            case EmulatedLibrary.KindTrack:
                WriteTrack(w, lib, user, index, withSection);
                break;
            case EmulatedLibrary.KindAlbum:
                WriteAlbum(w, lib, user, index, withSection);
                break;
            default:
                WriteArtist(w, lib, user, index, withSection);
                break;
        }
    }

    public static string XmlTag(byte kind) => kind == EmulatedLibrary.KindTrack ? "Track" : "Directory";

    public static void WriteSection(MediaWriter w, EmulatedSection section)
    {
        w.Attr("librarySectionTitle", section.Title);
        w.Attr("librarySectionID", section.Id);
        w.Attr("librarySectionKey", "/library/sections/" + section.Key);
    }

    public static void WriteTrack(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int t, bool withSection)
    {
        w.StartItem("Track");
        WriteTrackAttributes(w, lib, user, t, withSection);
        var key = lib.TrackKey(t);
        var album = lib.TrackAlbum(t);
        var artist = lib.AlbumArtist(album);
        var duration = lib.TrackDuration(t);
        var added = lib.TrackAddedAt(t);
        var index = lib.TrackIndex(t);
        w.StartList("Media");
        w.StartItem("Media");
        w.Attr("id", key);
        w.Attr("duration", duration);
        w.Attr("bitrate", 1011);
        w.Attr("audioChannels", 2);
        w.Attr("audioCodec", "flac");
        w.Attr("container", "flac");
        w.StartList("Part");
        w.StartItem("Part");
        w.Attr("id", key);
        w.Attr("key", "/library/parts/" + Inv(key) + "/" + Inv(added) + "/file.flac");
        w.Attr("duration", duration);
        w.Attr(
            "file",
            lib.SectionOf(key).LocationPath + "/" + lib.Title(lib.ArtistKey(artist)) + "/" + lib.Title(lib.AlbumKey(album)) + "/"
                + index.ToString("00", CultureInfo.InvariantCulture) + " " + lib.Title(key) + ".flac");
        w.Attr("size", (long)duration * 126);
        w.Attr("container", "flac");
        w.EndItem();
        w.EndList();
        w.EndItem();
        w.EndList();
        WriteLockedField(w, lib, key);
        w.EndItem();
    }

    /// <summary>Track attributes only, also used for webhook Metadata.</summary>
    public static void WriteTrackAttributes(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int t, bool withSection)
    {
        var key = lib.TrackKey(t);
        var album = lib.TrackAlbum(t);
        var artist = lib.AlbumArtist(album);
        var albumKey = lib.AlbumKey(album);
        var artistKey = lib.ArtistKey(artist);
        var added = lib.TrackAddedAt(t);
        var updated = lib.UpdatedAt(key, added);
        var title = lib.Title(key);
        w.Attr("ratingKey", Inv(key));
        w.Attr("key", "/library/metadata/" + Inv(key));
        w.Attr("parentRatingKey", Inv(albumKey));
        w.Attr("grandparentRatingKey", Inv(artistKey));
        w.Attr("guid", Guid(lib, "track", key));
        w.Attr("parentGuid", Guid(lib, "album", albumKey));
        w.Attr("grandparentGuid", Guid(lib, "artist", artistKey));
        w.Attr("type", "track");
        w.Attr("title", title);
        WriteTitleSort(w, title);
        w.Attr("grandparentKey", "/library/metadata/" + Inv(artistKey));
        w.Attr("parentKey", "/library/metadata/" + Inv(albumKey));
        if (withSection)
        {
            WriteSection(w, lib.SectionOf(key));
        }

        w.Attr("grandparentTitle", lib.Title(artistKey));
        w.Attr("parentTitle", lib.Title(albumKey));
        w.Attr("summary", "");
        w.Attr("index", lib.TrackIndex(t));
        w.Attr("parentIndex", lib.TrackDisc(t));
        w.Attr("ratingCount", (long)(Names.Hash(lib.Seed, key, 11) % 1_000_000));
        WriteRating(w, lib, user, key);
        WriteViews(w, lib, key, added);
        w.Attr("parentYear", lib.AlbumYear(album));
        // A track shows its album's cover; image URLs carry the owner's updatedAt as a cache buster.
        var albumUpdated = lib.UpdatedAt(albumKey, lib.AlbumAddedAt(album));
        w.Attr("thumb", Thumb(albumKey, albumUpdated));
        w.Attr("parentThumb", Thumb(albumKey, albumUpdated));
        w.Attr("grandparentThumb", Thumb(artistKey, lib.UpdatedAt(artistKey, lib.ArtistAddedAt(artist))));
        w.Attr("duration", lib.TrackDuration(t));
        w.Attr("addedAt", added);
        w.Attr("updatedAt", updated);
        w.Attr("musicAnalysisVersion", "1");
    }

    public static void WriteAlbum(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int a, bool withSection)
    {
        w.StartItem("Directory");
        WriteAlbumAttributes(w, lib, user, a, withSection);
        WriteAlbumTags(w, lib.TagsOf(a));
        WriteLockedField(w, lib, lib.AlbumKey(a));
        w.EndItem();
    }

    public static void WriteAlbumAttributes(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int a, bool withSection)
    {
        var key = lib.AlbumKey(a);
        var artistKey = lib.ArtistKey(lib.AlbumArtist(a));
        var added = lib.AlbumAddedAt(a);
        var updated = lib.UpdatedAt(key, added);
        var title = lib.Title(key);
        var year = lib.AlbumYear(a);
        w.Attr("ratingKey", Inv(key));
        w.Attr("key", "/library/metadata/" + Inv(key) + "/children");
        w.Attr("parentRatingKey", Inv(artistKey));
        w.Attr("guid", Guid(lib, "album", key));
        w.Attr("parentGuid", Guid(lib, "artist", artistKey));
        w.Attr("type", "album");
        w.Attr("title", title);
        WriteTitleSort(w, title);
        w.Attr("parentKey", "/library/metadata/" + Inv(artistKey));
        if (withSection)
        {
            WriteSection(w, lib.SectionOf(key));
        }

        w.Attr("parentTitle", lib.Title(artistKey));
        w.Attr("summary", "");
        w.Attr("index", 1);
        WriteRating(w, lib, user, key);
        w.Attr("year", year);
        w.Attr("thumb", Thumb(key, updated));
        var artist = lib.AlbumArtist(a);
        w.Attr("parentThumb", Thumb(artistKey, lib.UpdatedAt(artistKey, lib.ArtistAddedAt(artist))));
        w.Attr("originallyAvailableAt", year.ToString("0000", CultureInfo.InvariantCulture) + "-01-01");
        w.Attr("leafCount", lib.AlbumTrackCount(a));
        w.Attr("viewedLeafCount", 0);
        w.Attr("addedAt", added);
        w.Attr("updatedAt", updated);
        w.Attr("loudnessAnalysisVersion", "2");
    }

    public static void WriteArtist(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int r, bool withSection)
    {
        w.StartItem("Directory");
        WriteArtistAttributes(w, lib, user, r, withSection);
        WriteLockedField(w, lib, lib.ArtistKey(r));
        w.EndItem();
    }

    public static void WriteArtistAttributes(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int r, bool withSection)
    {
        var key = lib.ArtistKey(r);
        var added = lib.ArtistAddedAt(r);
        var updated = lib.UpdatedAt(key, added);
        var title = lib.Title(key);
        w.Attr("ratingKey", Inv(key));
        // PPA "FIX_BUG_50": in listings an artist's key points at its children.
        w.Attr("key", "/library/metadata/" + Inv(key) + "/children");
        w.Attr("guid", Guid(lib, "artist", key));
        w.Attr("type", "artist");
        w.Attr("title", title);
        WriteTitleSort(w, title);
        if (withSection)
        {
            WriteSection(w, lib.SectionOf(key));
        }

        w.Attr("summary", "");
        w.Attr("index", 1);
        WriteRating(w, lib, user, key);
        w.Attr("thumb", Thumb(key, updated));
        w.Attr("art", "/library/metadata/" + Inv(key) + "/art/" + Inv(updated));
        w.Attr("childCount", lib.ArtistAlbums(r).Length);
        w.Attr("addedAt", added);
        w.Attr("updatedAt", updated);
    }

    /// <summary>PMS omits titleSort when it equals the title.</summary>
    private static void WriteTitleSort(MediaWriter w, string title)
    {
        var sort = Names.SortTitle(title);
        if (!ReferenceEquals(sort, title))
        {
            w.Attr("titleSort", sort);
        }
    }

    /// <summary>Unrated means no userRating attribute at all; 0 is a real rating.</summary>
    private static void WriteRating(MediaWriter w, EmulatedLibrary lib, EmulatedLibrary.UserState? user, int key)
    {
        var rating = lib.RatingOf(key, user);
        if (!float.IsNaN(rating))
        {
            w.Float("userRating", rating);
            var ratedAt = lib.RatedAtOf(key, user);
            if (ratedAt != 0)
            {
                w.Attr("lastRatedAt", ratedAt);
            }
        }
    }

    private static void WriteViews(MediaWriter w, EmulatedLibrary lib, int key, long added)
    {
        var views = lib.ViewCount(key);
        if (views > 0)
        {
            w.Attr("viewCount", views);
            w.Attr("lastViewedAt", lib.LastViewedAt(key, added));
        }

        // Like viewCount, PMS omits skipCount when there are none (plex-api.md §5).
        var skips = lib.SkipCount(key);
        if (skips > 0)
        {
            w.Attr("skipCount", skips);
        }
    }

    /// <summary>
    /// Album tag children as PMS lists them: XML <c>&lt;Genre tag="Rock"/&gt;</c>, JSON <c>"Genre":[{"tag":"Rock"}]</c>
    /// (plex-api.md §5; PPA <c>Album.genres/moods/styles/formats/subformats</c>). An empty kind is left out.
    /// </summary>
    private static void WriteAlbumTags(MediaWriter w, AlbumTags tags)
    {
        WriteTags(w, "Genre", tags.Genres);
        WriteTags(w, "Mood", tags.Moods);
        WriteTags(w, "Style", tags.Styles);
        WriteTags(w, "Format", tags.Formats);
        WriteTags(w, "Subformat", tags.Subformats);
    }

    private static void WriteTags(MediaWriter w, string kind, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        w.StartList(kind);
        foreach (var value in values)
        {
            w.StartItem(kind);
            w.Attr("tag", value);
            w.EndItem();
        }

        w.EndList();
    }

    /// <summary>A bulk edit locks the field, which PMS shows as a Field child.</summary>
    private static void WriteLockedField(MediaWriter w, EmulatedLibrary lib, int key)
    {
        if (lib.IsRatingLocked(key))
        {
            w.StartList("Field");
            w.StartItem("Field");
            w.Bool("locked", true);
            w.Attr("name", "userRating");
            w.EndItem();
            w.EndList();
        }
    }
}
