using System.Globalization;
using System.Text;

namespace StarSync.PlexEmulator;

/// <summary>
/// Titles made on demand from (seed, ratingKey), so a million tracks cost no strings until they are served.
/// </summary>
internal static class Names
{
    private static readonly string[] s_adjectives =
    [
        "Blue", "Broken", "Silver", "Electric", "Golden", "Quiet", "Wild", "Velvet", "Midnight", "Burning", "Hollow",
        "Crystal", "Lonely", "Northern", "Paper", "Restless", "Scarlet", "Secret", "Shining", "Silent", "Sweet",
        "Wandering", "Frozen", "Distant", "Bright", "Crimson", "Lost", "Neon", "Open", "Last", "First", "Little",
    ];

    private static readonly string[] s_nouns =
    [
        "River", "Heart", "Road", "Sky", "Fire", "Rain", "Night", "Morning", "Ocean", "Garden", "Highway", "Mirror",
        "Shadow", "Window", "Summer", "Winter", "Thunder", "Station", "Harbor", "Island", "Letter", "Machine",
        "Mountain", "Signal", "Stranger", "Tide", "Valley", "Wire", "Echo", "Horizon", "Lantern", "Radio", "Dream",
        "Feather", "Engine", "Canyon", "Sparrow", "Satellite", "Forest", "Ghost", "Compass", "Avenue", "Daylight",
    ];

    private static readonly string[] s_phrases =
    [
        "Under the", "Across the", "Into the", "Beyond the", "Dancing in the", "Waiting for the", "Back to the",
        "Falling from the", "Lights of the", "Song for the", "Running down the", "Home by the",
    ];

    private static readonly string[] s_firstNames =
    [
        "Ada", "Ben", "Clara", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Iris", "Jonas", "Kira", "Leon", "Maya",
        "Nils", "Olga", "Pablo", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wes", "Yuki", "Zoe", "Émile", "Søren",
    ];

    private static readonly string[] s_lastNames =
    [
        "Adler", "Brooks", "Castillo", "Dahl", "Eriksen", "Fontaine", "Garcia", "Holm", "Ivanova", "Jensen", "Kowalski",
        "Lindqvist", "Moreau", "Nakamura", "O'Neill", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Urban",
        "Vasquez", "Weber", "Young", "Zimmermann", "Müller", "Åberg",
    ];

    private static readonly string[] s_venues =
    [
        "Red Rocks", "the Royal Albert Hall", "Budokan", "the Fillmore", "Montreux", "the Paradiso", "Wembley",
        "the Olympia", "Roskilde", "the Hollywood Bowl", "Glastonbury", "the Apollo", "Carnegie Hall", "the Ryman",
    ];

    private static readonly string[] s_bandPlurals =
    [
        "Wolves", "Foxes", "Ravens", "Strangers", "Machines", "Lanterns", "Satellites", "Sparrows", "Ghosts", "Rivers",
        "Pilots", "Giants", "Tigers", "Echoes", "Horses", "Kings", "Saints", "Sailors",
    ];

    /// <summary>SplitMix64: cheap, well mixed, no state.</summary>
    public static ulong Hash(int seed, int key, int salt)
    {
        var z = ((ulong)(uint)seed << 32) ^ (uint)key ^ ((ulong)(uint)salt * 0x9E3779B97F4A7C15UL);
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static string Pick(string[] words, ulong h, int shift) => words[(int)((h >> shift) % (ulong)words.Length)];

    public static string Artist(int seed, int key)
    {
        var h = Hash(seed, key, 1);
        return (h % 4) switch
        {
            0 => Pick(s_firstNames, h, 8) + " " + Pick(s_lastNames, h, 20),
            1 => "The " + Pick(s_adjectives, h, 8) + " " + Pick(s_bandPlurals, h, 20),
            2 => Pick(s_adjectives, h, 8) + " " + Pick(s_nouns, h, 20),
            _ => Pick(s_firstNames, h, 8) + " " + Pick(s_lastNames, h, 20) + " & the " + Pick(s_bandPlurals, h, 32),
        };
    }

    private static readonly string[] s_compilations =
    [
        "Greatest Hits", "The Best Of", "Anthology", "The Essential Collection", "Hits & Rarities", "Singles 1",
    ];

    public static string Album(int seed, int key, bool live, int year, bool compilation = false)
    {
        var h = Hash(seed, key, 2);
        if (live)
        {
            return "Live at " + Pick(s_venues, h, 8) + " " + year.ToString(CultureInfo.InvariantCulture);
        }

        if (compilation)
        {
            return Pick(s_compilations, h, 8);
        }

        return (h % 3) switch
        {
            0 => Pick(s_adjectives, h, 8) + " " + Pick(s_nouns, h, 20),
            1 => "The " + Pick(s_nouns, h, 8) + " Sessions",
            _ => Pick(s_phrases, h, 8) + " " + Pick(s_nouns, h, 20),
        };
    }

    public static string Track(int seed, int key)
    {
        var h = Hash(seed, key, 3);
        return (h % 5) switch
        {
            0 => Pick(s_adjectives, h, 8) + " " + Pick(s_nouns, h, 20),
            1 => Pick(s_phrases, h, 8) + " " + Pick(s_nouns, h, 20),
            2 => Pick(s_nouns, h, 8),
            3 => "The " + Pick(s_adjectives, h, 8) + " " + Pick(s_nouns, h, 20),
            _ => Pick(s_nouns, h, 8) + " (" + Pick(s_adjectives, h, 20) + " " + Pick(s_nouns, h, 32) + ")",
        };
    }

    /// <summary>PMS's titleSort drops a leading article.</summary>
    public static string SortTitle(string title)
    {
        foreach (var article in (ReadOnlySpan<string>)["The ", "A ", "An "])
        {
            if (title.StartsWith(article, StringComparison.OrdinalIgnoreCase) && title.Length > article.Length)
            {
                return title[article.Length..];
            }
        }

        return title;
    }

    /// <summary>A hex id like PMS's plex:// guids and machine identifiers.</summary>
    public static string Hex(int seed, int key, int salt, int length) =>
        // Written in place: the emulator writes a guid for every item of every response.
        string.Create(length, (seed, key, salt), static (chars, s) =>
        {
            Span<char> block = stackalloc char[16];
            for (int written = 0, i = 0; written < chars.Length; written += 16, i++)
            {
                Hash(s.seed, s.key, s.salt + i).TryFormat(block, out _, "x16", CultureInfo.InvariantCulture);
                block[..Math.Min(16, chars.Length - written)].CopyTo(chars[written..]);
            }
        });

    public static string Uuid(int seed, int key, int salt)
    {
        var h = Hex(seed, key, salt, 32);
        return $"{h[..8]}-{h[8..12]}-{h[12..16]}-{h[16..20]}-{h[20..]}";
    }
}
