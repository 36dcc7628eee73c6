namespace StarSync.PlexEmulator;

/// <summary>
/// The &lt;Meta&gt; block PMS returns with includeMeta=1: the sorts, filters and fields of each type, and the
/// operators of each field type. python-plexapi validates search sorts and filters against it.
/// </summary>
internal static class MetaWriter
{
    private static readonly (string Key, string Title, string DefaultDirection)[] s_trackSorts =
    [
        ("titleSort", "Title", "asc"), ("userRating", "Rating", "desc"), ("addedAt", "Date Added", "desc"),
        ("lastViewedAt", "Last Played", "desc"), ("viewCount", "Plays", "desc"), ("lastRatedAt", "Last Rated", "desc"),
        ("duration", "Duration", "asc"), ("ratingCount", "Popularity", "desc"), ("updatedAt", "Date Updated", "desc"),
        ("random", "Randomly", "asc"),
    ];

    private static readonly (string Key, string Title, string DefaultDirection)[] s_albumSorts =
    [
        ("titleSort", "Title", "asc"), ("year", "Year", "desc"), ("originallyAvailableAt", "Release Date", "desc"),
        ("userRating", "Rating", "desc"), ("addedAt", "Date Added", "desc"), ("lastViewedAt", "Last Played", "desc"),
        ("viewCount", "Plays", "desc"), ("lastRatedAt", "Last Rated", "desc"), ("updatedAt", "Date Updated", "desc"),
        ("random", "Randomly", "asc"),
    ];

    private static readonly (string Key, string Title, string DefaultDirection)[] s_artistSorts =
    [
        ("titleSort", "Title", "asc"), ("userRating", "Rating", "desc"), ("addedAt", "Date Added", "desc"),
        ("lastViewedAt", "Last Played", "desc"), ("viewCount", "Plays", "desc"), ("lastRatedAt", "Last Rated", "desc"),
        ("updatedAt", "Date Updated", "desc"), ("random", "Randomly", "asc"),
    ];

    private static readonly (string Type, (string Key, string Title)[] Operators)[] s_fieldTypes =
    [
        ("tag", [("=", "is"), ("!=", "is not")]),
        ("integer", [("=", "is"), ("!=", "is not"), (">>=", "is greater than"), ("<<=", "is less than")]),
        ("string", [("=", "contains"), ("!=", "does not contain"), ("==", "is"), ("!==", "is not"), ("<=", "begins with"), (">=", "ends with")]),
        ("boolean", [("=", "is true"), ("!=", "is false")]),
        ("date", [("<<=", "is before"), (">>=", "is after"), (">>=", "in the last"), ("<<=", "not in the last")]),
    ];

    public static void Write(MediaWriter w, EmulatedSection section)
    {
        w.StartObject("Meta");
        w.StartList("Type");
        if (section.IsMusic)
        {
            WriteType(w, section, "artist", 8, "Artists", s_artistSorts);
            WriteType(w, section, "album", 9, "Albums", s_albumSorts);
            WriteType(w, section, "track", 10, "Tracks", s_trackSorts);
        }

        w.EndList();
        w.StartList("FieldType");
        foreach (var (type, operators) in s_fieldTypes)
        {
            w.StartItem("FieldType");
            w.Attr("type", type);
            w.StartList("Operator");
            foreach (var (key, title) in operators)
            {
                w.StartItem("Operator");
                w.Attr("key", key);
                w.Attr("title", title);
                w.EndItem();
            }

            w.EndList();
            w.EndItem();
        }

        w.EndList();
        w.EndObject();
    }

    private static void WriteType(
        MediaWriter w, EmulatedSection section, string type, int number, string title,
        (string Key, string Title, string DefaultDirection)[] sorts)
    {
        var typeKey = "/library/sections/" + section.Key + "/all?type=" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        w.StartItem("Type");
        w.Attr("key", typeKey);
        w.Attr("type", type);
        w.Attr("title", title);
        w.Bool("active", type == "artist");
        w.StartList("Filter");
        foreach (var (filter, filterTitle) in new[] { ("genre", "Genre"), ("userRating", "Rating"), ("unwatched", "Unplayed") })
        {
            w.StartItem("Filter");
            w.Attr("filter", filter);
            w.Attr("filterType", filter == "genre" ? "string" : filter == "userRating" ? "integer" : "boolean");
            w.Attr("key", "/library/sections/" + section.Key + "/" + filter + "?type=" + number.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.Attr("title", filterTitle);
            w.Attr("type", "filter");
            w.EndItem();
        }

        w.EndList();
        w.StartList("Sort");
        foreach (var (key, sortTitle, direction) in sorts)
        {
            w.StartItem("Sort");
            if (key == "titleSort")
            {
                w.Attr("default", "asc");
            }

            w.Attr("active", key == "titleSort" ? "1" : null);
            w.Attr("defaultDirection", direction);
            w.Attr("descKey", key + ":desc");
            w.Attr("firstCharacterKey", key == "titleSort" ? "/library/sections/" + section.Key + "/firstCharacter" : null);
            w.Attr("key", key);
            w.Attr("title", sortTitle);
            w.EndItem();
        }

        w.EndList();
        w.StartList("Field");
        foreach (var (key, fieldTitle, fieldType) in new[]
        {
            ("title", "Title", "string"), ("userRating", "Rating", "integer"), ("viewCount", "Plays", "integer"),
            ("lastViewedAt", "Last Played", "date"), ("lastRatedAt", "Last Rated", "date"), ("addedAt", "Date Added", "date"),
            ("updatedAt", "Date Updated", "date"), ("id", "Id", "integer"),
        })
        {
            w.StartItem("Field");
            w.Attr("key", type + "." + key);
            w.Attr("title", fieldTitle);
            w.Attr("type", fieldType);
            w.EndItem();
        }

        w.EndList();
        w.EndItem();
    }
}
