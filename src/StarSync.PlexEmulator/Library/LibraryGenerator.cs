namespace StarSync.PlexEmulator;

/// <summary>Builds a realistic music library from a seed: same seed, same library.</summary>
internal static class LibraryGenerator
{
    private const long Day = 86_400;

    public static void Generate(EmulatedLibrary library, EmulatorOptions options)
    {
        var now = options.TimeProvider.GetUtcNow();
        var nowSeconds = now.ToUnixTimeSeconds();
        // The library grew over eight years; generated music is at least a day old so "new" albums
        // added later (AddAlbum) are always the newest.
        var createdAt = nowSeconds - (8 * 365 * Day);
        var remaining = options.Tracks;
        for (var s = 0; s < options.MusicLibraries; s++)
        {
            var title = s switch
            {
                0 => "Music",
                1 => "Live Music",
                _ => "Music " + (s + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            var section = library.AddSection(title, "artist", createdAt);
            var budget = s == options.MusicLibraries - 1 ? remaining : options.Tracks / options.MusicLibraries;
            remaining -= budget;
            FillSection(library, section, budget, options, createdAt, nowSeconds - Day, now.Year, liveShare: s == 1 ? 0.7 : 0.1);
        }

        library.AddSection("Movies", "movie", createdAt);

        // Optional sections come after Movies, so the keys of the default ones never move.
        if (options.HiddenMusicLibrary)
        {
            var hidden = library.AddSection("Hidden Music", "artist", createdAt);
            hidden.Hidden = true;
            FillSection(library, hidden, options.ExtraLibraryTracks, options, createdAt, nowSeconds - Day, now.Year, liveShare: 0.1);
        }

        if (options.AudiobookLibrary)
        {
            var books = library.AddSection("Audiobooks", "artist", createdAt);
            books.Agent = "com.plexapp.agents.audnexus";
            books.Scanner = "Plex Music Scanner";
            FillSection(library, books, options.ExtraLibraryTracks, options, createdAt, nowSeconds - Day, now.Year, liveShare: 0);
        }
    }

    private static void FillSection(
        EmulatedLibrary library, EmulatedSection section, int budget, EmulatorOptions options,
        long from, long to, int thisYear, double liveShare)
    {
        var random = new Random(HashCode.Combine(options.Seed, section.Id));
        var share = Math.Clamp(options.HandRatedShare, 0, 1);
        while (budget > 0)
        {
            var artistAdded = from + (long)(random.NextDouble() * (to - from));
            var artist = library.AppendArtist(section, artistAdded);
            // Most artists have a few albums, some have many.
            var albums = 1 + (int)(Math.Pow(random.NextDouble(), 2) * 8);
            var year = random.Next(1965, thisYear - 2);
            for (var a = 0; a < albums && budget > 0; a++)
            {
                year = Math.Min(thisYear, year + random.Next(1, 4));
                var live = random.NextDouble() < liveShare;
                var albumAdded = Math.Min(to, artistAdded + (long)(random.NextDouble() * (to - artistAdded)));
                var album = library.AppendAlbum(artist, (short)year, live, albumAdded);
                var tracks = Math.Min(budget, random.Next(8, 21));
                budget -= tracks;
                // Long albums are sometimes two discs; index restarts on each disc.
                var discSplit = tracks >= 16 && random.NextDouble() < 0.3 ? (tracks + 1) / 2 : int.MaxValue;
                for (var i = 0; i < tracks; i++)
                {
                    var disc = i < discSplit ? 1 : 2;
                    var index = i < discSplit ? i + 1 : i - discSplit + 1;
                    var addedAt = albumAdded + i;
                    var duration = random.Next(95_000, 480_000);
                    // About one track in fifteen is a short interlude or skit (15..90 s). Hashed, not drawn, so the
                    // random sequence (and every other generated value) stays what it was.
                    var shortness = Names.Hash(options.Seed, library.TotalTracks, 17);
                    if (shortness % 15 == 0)
                    {
                        duration = 15_000 + (int)((shortness >> 8) % 75_000);
                    }

                    var t = library.AppendTrack(album, (byte)index, (byte)disc, duration, addedAt);
                    if (random.NextDouble() < share)
                    {
                        var ratedAt = addedAt + (long)(random.NextDouble() * Math.Max(1, to - addedAt));
                        library.SeedRating(library.TrackKey(t), HandRating(random), ratedAt);
                    }
                }
            }
        }
    }

    /// <summary>People rate high more often than low; some use half stars (odd values) and some 0 (Plexamp's ☆).</summary>
    private static float HandRating(Random random)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 6 => 0,
            < 30 => (2 * random.Next(0, 5)) + 1, // 1,3,5,7,9: half stars
            < 40 => 2,
            < 55 => 4,
            < 75 => 6,
            < 90 => 8,
            _ => 10,
        };
    }
}
