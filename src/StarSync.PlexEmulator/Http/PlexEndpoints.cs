using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace StarSync.PlexEmulator;

/// <summary>The PMS endpoints StarSync and common clients (python-plexapi) use; see docs in plex-api.md.</summary>
internal static class PlexEndpoints
{
    internal const string LibraryIdentifier = "com.plexapp.plugins.library";

    public static void MapPlexEndpoints(this IEndpointRouteBuilder app)
    {
        var state = app.ServiceProvider.GetRequiredService<EmulatorState>();
        app.MapGet("/identity", ctx => IdentityAsync(ctx, state));
        app.MapGet("/", ctx => RootAsync(ctx, state));
        app.MapGet("/library", ctx => LibraryRootAsync(ctx));
        app.MapGet("/library/sections", ctx => SectionsAsync(ctx, state));
        app.MapGet("/library/sections/all", ctx => SectionsAsync(ctx, state));
        app.MapGet("/library/sections/{id}/all", ctx => SectionListingAsync(ctx, state, fixedKind: null));
        app.MapMethods("/library/sections/{id}/all", ["PUT"], ctx => RatingEndpoints.BulkEditAsync(ctx, state));
        app.MapGet("/library/sections/{id}/allLeaves", ctx => SectionListingAsync(ctx, state, EmulatedLibrary.KindTrack));
        app.MapGet("/library/sections/{id}/albums", ctx => SectionListingAsync(ctx, state, EmulatedLibrary.KindAlbum));
        app.MapGet("/library/sections/{id}/collections", ctx => EmptySectionListAsync(ctx, state));
        app.MapGet("/library/metadata/{ids}", ctx => MetadataAsync(ctx, state));
        app.MapGet("/library/metadata/{id}/children", ctx => ChildrenAsync(ctx, state, allLeaves: false));
        app.MapGet("/library/metadata/{id}/allLeaves", ctx => ChildrenAsync(ctx, state, allLeaves: true));
        app.MapMethods("/:/rate", ["PUT", "GET"], ctx => RatingEndpoints.RateAsync(ctx, state));
    }

    internal static bool WantsJson(HttpRequest request)
    {
        foreach (var accept in request.Headers.Accept)
        {
            if (accept is not null && accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    internal static MediaWriter StartResponse(HttpContext ctx)
    {
        var json = WantsJson(ctx.Request);
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = json ? "application/json" : "text/xml;charset=utf-8";
        ctx.Response.Headers["X-Plex-Protocol"] = "1.0";
        ctx.Response.Headers.CacheControl = "no-cache";
        var writer = MediaWriter.Create(json, ctx.Response);
        writer.StartContainer();
        return writer;
    }

    internal static async Task FinishAsync(MediaWriter w, HttpContext ctx)
    {
        w.EndContainer();
        await w.FlushAsync(ctx.RequestAborted);
        await w.DisposeAsync();
    }

    internal static EmulatedLibrary.UserState? UserOf(HttpContext ctx) =>
        ctx.Items.TryGetValue(EmulatorMiddleware.UserItemKey, out var u) ? u as EmulatedLibrary.UserState : null;

    private static async Task IdentityAsync(HttpContext ctx, EmulatorState state)
    {
        var w = StartResponse(ctx);
        w.Attr("size", 0);
        w.Bool("claimed", true);
        w.Attr("machineIdentifier", state.MachineIdentifier);
        w.Attr("version", state.Version);
        await FinishAsync(w, ctx);
    }

    private static async Task RootAsync(HttpContext ctx, EmulatorState state)
    {
        var o = state.Options;
        var w = StartResponse(ctx);
        w.Attr("size", 3);
        w.Bool("allowCameraUpload", false);
        w.Bool("allowChannelAccess", true);
        w.Bool("allowMediaDeletion", true);
        w.Bool("allowSharing", true);
        w.Bool("allowSync", false);
        w.Bool("allowTuners", false);
        w.Bool("backgroundProcessing", true);
        w.Bool("certificate", false);
        w.Bool("companionProxy", true);
        w.Attr("countryCode", "usa");
        w.Attr("diagnostics", "logs,databases,streaminglogs");
        w.Bool("eventStream", true);
        w.Attr("friendlyName", o.FriendlyName);
        w.Bool("livetv", false);
        w.Attr("machineIdentifier", state.MachineIdentifier);
        w.Bool("musicAnalysis", true);
        w.Bool("myPlex", true);
        w.Attr("myPlexMappingState", "mapped");
        w.Attr("myPlexSigninState", "ok");
        w.Bool("myPlexSubscription", true);
        w.Attr("myPlexUsername", "emulator@example.invalid");
        w.Attr("offlineTranscode", 1);
        w.Attr("ownerFeatures", "webhooks,music_videos,lyrics");
        w.Attr("platform", "Linux");
        w.Attr("platformVersion", "6.1");
        w.Bool("pluginHost", true);
        w.Bool("pushNotifications", true);
        w.Bool("readOnlyLibraries", false);
        w.Attr("streamingBrainABRVersion", 3);
        w.Attr("streamingBrainVersion", 2);
        w.Bool("sync", true);
        w.Attr("transcoderActiveVideoSessions", 0);
        w.Bool("transcoderAudio", true);
        w.Bool("transcoderLyrics", true);
        w.Bool("transcoderSubtitles", true);
        w.Bool("transcoderVideo", true);
        w.Attr("updatedAt", state.Library.Time.GetUtcNow().ToUnixTimeSeconds());
        w.Bool("updater", true);
        w.Attr("version", state.Version);
        w.Bool("voiceSearch", true);
        w.StartList("Directory");
        foreach (var (key, title) in new[] { ("library", "library"), ("playlists", "playlists"), ("search", "search") })
        {
            w.StartItem("Directory");
            w.Attr("count", 1);
            w.Attr("key", key);
            w.Attr("title", title);
            w.EndItem();
        }

        w.EndList();
        await FinishAsync(w, ctx);
    }

    private static async Task LibraryRootAsync(HttpContext ctx)
    {
        var w = StartResponse(ctx);
        w.Attr("size", 3);
        w.Bool("allowSync", false);
        w.Attr("art", "/:/resources/library-art.jpg");
        w.Attr("content", "");
        w.Attr("identifier", LibraryIdentifier);
        w.Attr("mediaTagPrefix", "/system/bundle/media/flags/");
        w.Attr("mediaTagVersion", 1_700_000_000);
        w.Attr("title1", "Plex Library");
        w.Attr("title2", "");
        w.StartList("Directory");
        foreach (var (key, title) in new[] { ("sections", "Library Sections"), ("recentlyAdded", "Recently Added Content"), ("onDeck", "On Deck Content") })
        {
            w.StartItem("Directory");
            w.Attr("key", key);
            w.Attr("title", title);
            w.EndItem();
        }

        w.EndList();
        await FinishAsync(w, ctx);
    }

    private static async Task SectionsAsync(HttpContext ctx, EmulatorState state)
    {
        var sections = state.Library.Sections;
        var now = state.Library.Time.GetUtcNow().ToUnixTimeSeconds();
        var w = StartResponse(ctx);
        w.Attr("size", sections.Count);
        w.Bool("allowSync", false);
        w.Attr("identifier", LibraryIdentifier);
        w.Attr("mediaTagPrefix", "/system/bundle/media/flags/");
        w.Attr("mediaTagVersion", 1_700_000_000);
        w.Attr("title1", "Plex Library");
        w.StartList("Directory");
        foreach (var s in sections)
        {
            w.StartItem("Directory");
            w.Bool("allowSync", true);
            w.Attr("art", s.IsMusic ? "/:/resources/artist-fanart.jpg" : "/:/resources/movie-fanart.jpg");
            w.Attr("composite", "/library/sections/" + s.Key + "/composite/" + now.ToString(CultureInfo.InvariantCulture));
            w.Bool("filters", true);
            w.Bool("refreshing", false);
            w.Attr("thumb", s.IsMusic ? "/:/resources/artist.png" : "/:/resources/movie.png");
            w.Attr("key", s.Key);
            w.Attr("type", s.Type);
            w.Attr("title", s.Title);
            w.Attr("agent", s.AgentFor(state.Options.Notifications));
            w.Attr("scanner", s.Scanner ?? (s.IsMusic ? "Plex Music" : "Plex Movie"));
            w.Attr("language", "en-US");
            w.Attr("uuid", s.Uuid);
            w.Attr("updatedAt", now);
            w.Attr("createdAt", s.CreatedAt);
            w.Attr("scannedAt", now);
            w.Bool("content", true);
            w.Bool("directory", true);
            w.Attr("contentChangedAt", now);
            w.Bool("hidden", s.Hidden);
            w.StartList("Location");
            w.StartItem("Location");
            w.Attr("id", s.Id);
            w.Attr("path", s.LocationPath);
            w.EndItem();
            w.EndList();
            w.EndItem();
        }

        w.EndList();
        await FinishAsync(w, ctx);
    }

    private static async Task EmptySectionListAsync(HttpContext ctx, EmulatorState state)
    {
        var section = state.Library.FindSection((string)ctx.GetRouteValue("id")!);
        if (section is null)
        {
            await PlexResults.NotFound(ctx);
            return;
        }

        ctx.Response.Headers["X-Plex-Container-Start"] = "0";
        ctx.Response.Headers["X-Plex-Container-Total-Size"] = "0";
        var w = StartResponse(ctx);
        w.Attr("size", 0);
        w.Attr("totalSize", 0);
        w.Attr("offset", 0);
        WriteSectionHoist(w, section);
        await FinishAsync(w, ctx);
    }

    private static void WriteSectionHoist(MediaWriter w, EmulatedSection section)
    {
        w.Bool("allowSync", true);
        w.Attr("art", "/:/resources/artist-fanart.jpg");
        w.Attr("identifier", LibraryIdentifier);
        w.Attr("librarySectionID", section.Id);
        w.Attr("librarySectionTitle", section.Title);
        w.Attr("librarySectionUUID", section.Uuid);
        w.Attr("mediaTagPrefix", "/system/bundle/media/flags/");
        w.Attr("mediaTagVersion", 1_700_000_000);
        w.Bool("nocache", true);
        w.Attr("thumb", "/:/resources/artist.png");
        w.Attr("title1", section.Title);
    }

    private static async Task SectionListingAsync(HttpContext ctx, EmulatorState state, byte? fixedKind)
    {
        var lib = state.Library;
        var section = lib.FindSection((string)ctx.GetRouteValue("id")!);
        if (section is null)
        {
            await PlexResults.NotFound(ctx);
            return;
        }

        var query = PlexQuery.Parse(ctx.Request);
        byte kind;
        if (fixedKind is { } k)
        {
            kind = k;
        }
        else
        {
            var type = query.Get("type");
            kind = type switch
            {
                null or "" => section.IsMusic ? EmulatedLibrary.KindArtist : EmulatedLibrary.KindNone,
                "8" => EmulatedLibrary.KindArtist,
                "9" => EmulatedLibrary.KindAlbum,
                "10" => EmulatedLibrary.KindTrack,
                _ => EmulatedLibrary.KindNone, // movies, shows…: this emulator has none
            };
            if (type is not (null or "" or "1" or "2" or "3" or "4" or "8" or "9" or "10"))
            {
                await PlexResults.BadRequest(ctx);
                return;
            }
        }

        if (!section.IsMusic)
        {
            kind = EmulatedLibrary.KindNone;
        }

        var listing = new Listing(lib, UserOf(ctx));
        if (kind != EmulatedLibrary.KindNone && !listing.TryParse(query, kind))
        {
            await PlexResults.BadRequest(ctx);
            return;
        }

        ReadOnlySpan<int> all = kind switch
        {
            EmulatedLibrary.KindTrack => section.Tracks.Snapshot(),
            EmulatedLibrary.KindAlbum => section.Albums.Snapshot(),
            EmulatedLibrary.KindArtist => section.Artists.Snapshot(),
            _ => [],
        };
        int[]? sorted = null;
        if (listing.Sort.Count > 0)
        {
            sorted = SortItems(state, listing, section, kind, all);
            all = sorted;
        }

        var paging = Paging.Read(ctx.Request, query, state.Options.MaxPageSize);
        var page = new List<int>(Math.Min(paging.Size, 4096));
        var matched = 0;
        var filter = listing.Filter;
        var filterKey = filter is null || listing.SortIsRandom ? null : FilterKey(section, kind, listing, query);
        int[]? cached = null;
        if (filterKey is not null && (cached = state.FilterCache.Get(filterKey, lib, out var build, out var versions)) is null && build && paging.Size > 0)
        {
            var list = new List<int>();
            foreach (var index in all)
            {
                if (filter!.Match(listing, kind, index))
                {
                    list.Add(index);
                }
            }

            cached = [.. list];
            state.FilterCache.Store(filterKey, versions, cached);
        }

        if (cached is not null)
        {
            matched = Math.Min(cached.Length, paging.Limit);
            for (var i = paging.Start; i < matched && page.Count < paging.Size; i++)
            {
                page.Add(cached[i]);
            }
        }
        else
        {
            foreach (var index in all)
            {
                if (matched >= paging.Limit)
                {
                    break;
                }

                if (filter is null || filter.Match(listing, kind, index))
                {
                    if (matched >= paging.Start && page.Count < paging.Size)
                    {
                        page.Add(index);
                    }

                    matched++;
                }
            }
        }

        ctx.Response.Headers["X-Plex-Container-Start"] = paging.Start.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Plex-Container-Total-Size"] = matched.ToString(CultureInfo.InvariantCulture);
        var w = StartResponse(ctx);
        w.Attr("size", page.Count);
        w.Attr("totalSize", matched);
        w.Attr("offset", paging.Start);
        WriteSectionHoist(w, section);
        w.Attr("viewGroup", kind == EmulatedLibrary.KindNone ? section.Type : EmulatedLibrary.TypeName(kind));
        w.Attr("viewMode", 65_592);
        if (query.Get("includeMeta") == "1")
        {
            MetaWriter.Write(w, section);
        }

        await WriteItemsAsync(w, ctx, lib, listing.User, kind, page, withSection: false);
        await FinishAsync(w, ctx);
    }

    // What makes two requests the same listing: section, type, user and every parameter but paging and Plex's own headers.
    private static string FilterKey(EmulatedSection section, byte kind, Listing listing, PlexQuery query)
    {
        var key = new System.Text.StringBuilder(section.Key).Append('|').Append(kind).Append('|')
            .Append(listing.User is null ? "" : listing.User.GetHashCode().ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in query.Pairs)
        {
            if (name.StartsWith("X-Plex-", StringComparison.OrdinalIgnoreCase) || name is "limit")
            {
                continue;
            }

            key.Append('&').Append(name).Append('=').Append(value);
        }

        return key.ToString();
    }

    private static int[] SortItems(EmulatorState state, Listing listing, EmulatedSection section, byte kind, ReadOnlySpan<int> items)
    {
        var lib = state.Library;
        var cache = state.SortCache;
        var salt = listing.SortIsRandom ? (ulong)Random.Shared.NextInt64() : 0UL;
        var copy = items.ToArray();
        int[] Sort()
        {
            var sorts = listing.Sort;
            var values = new double[sorts.Count][];
            for (var s = 0; s < sorts.Count; s++)
            {
                var column = new double[copy.Length];
                for (var i = 0; i < copy.Length; i++)
                {
                    column[i] = listing.SortValue(sorts[s], kind, copy[i], salt, cache);
                }

                values[s] = column;
            }

            var positions = new int[copy.Length];
            for (var i = 0; i < positions.Length; i++)
            {
                positions[i] = i;
            }

            // Stable: ties fall back to position, which is ratingKey order.
            Array.Sort(positions, (x, y) =>
            {
                for (var s = 0; s < sorts.Count; s++)
                {
                    var c = CompareNullable(values[s][x], values[s][y], sorts[s]);
                    if (c != 0)
                    {
                        return c;
                    }
                }

                return x.CompareTo(y);
            });
            var order = new int[copy.Length];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = copy[positions[i]];
            }

            return order;
        }

        if (listing.SortIsRandom)
        {
            return Sort();
        }

        var cacheKey = section.Key + "|" + kind.ToString(CultureInfo.InvariantCulture) + "|" + listing.SortText + "|" + (listing.User is null ? "" : "u" + listing.User.GetHashCode().ToString(CultureInfo.InvariantCulture)) + "|" + copy.Length.ToString(CultureInfo.InvariantCulture);
        return cache.GetOrAdd(cacheKey, lib, listing.SortUsesRatings, Sort);
    }

    /// <summary>NULLs sort first ascending and last descending (SQLite), or last with :nullsLast.</summary>
    private static int CompareNullable(double a, double b, SortKey sort)
    {
        var an = double.IsNaN(a);
        var bn = double.IsNaN(b);
        if (an || bn)
        {
            if (an && bn)
            {
                return 0;
            }

            var nullFirst = !sort.Descending && !sort.NullsLast;
            return an == nullFirst ? -1 : 1;
        }

        var c = a.CompareTo(b);
        return sort.Descending ? -c : c;
    }

    internal static async Task WriteItemsAsync(
        MediaWriter w, HttpContext ctx, EmulatedLibrary lib, EmulatedLibrary.UserState? user, byte kind, List<int> items, bool withSection)
    {
        if (items.Count == 0 || kind == EmulatedLibrary.KindNone)
        {
            return;
        }

        // Every metadata item goes in a JSON "Metadata" array whatever its type (plex-api.md §2).
        w.StartList("Metadata");
        foreach (var index in items)
        {
            ItemWriter.WriteItem(w, lib, user, kind, index, withSection);
            await w.FlushIfNeededAsync(ctx.RequestAborted);
        }

        w.EndList();
    }

    private static async Task MetadataAsync(HttpContext ctx, EmulatorState state)
    {
        var lib = state.Library;
        var ids = ((string)ctx.GetRouteValue("ids")!).Split(',', StringSplitOptions.RemoveEmptyEntries);
        var found = new List<(byte Kind, int Index)>();
        foreach (var id in ids)
        {
            if (lib.TryParseKey(id, out var key))
            {
                found.Add((lib.KindOf(key), lib.IndexOf(key)));
            }
        }

        if (found.Count == 0)
        {
            await PlexResults.NotFound(ctx);
            return;
        }

        var user = UserOf(ctx);
        var w = StartResponse(ctx);
        w.Attr("size", found.Count);
        w.Bool("allowSync", true);
        w.Attr("identifier", LibraryIdentifier);
        var first = lib.SectionOf(found[0].Kind switch
        {
            EmulatedLibrary.KindTrack => lib.TrackKey(found[0].Index),
            EmulatedLibrary.KindAlbum => lib.AlbumKey(found[0].Index),
            _ => lib.ArtistKey(found[0].Index),
        });
        w.Attr("librarySectionID", first.Id);
        w.Attr("librarySectionTitle", first.Title);
        w.Attr("librarySectionUUID", first.Uuid);
        w.Attr("mediaTagPrefix", "/system/bundle/media/flags/");
        w.Attr("mediaTagVersion", 1_700_000_000);
        w.StartList("Metadata");
        foreach (var (kind, index) in found)
        {
            ItemWriter.WriteItem(w, lib, user, kind, index, withSection: true);
        }

        w.EndList();
        await FinishAsync(w, ctx);
    }

    private static async Task ChildrenAsync(HttpContext ctx, EmulatorState state, bool allLeaves)
    {
        var lib = state.Library;
        if (!lib.TryParseKey((string?)ctx.GetRouteValue("id"), out var key))
        {
            await PlexResults.NotFound(ctx);
            return;
        }

        var kind = lib.KindOf(key);
        var index = lib.IndexOf(key);
        var items = new List<int>();
        byte childKind;
        if (kind == EmulatedLibrary.KindAlbum)
        {
            childKind = EmulatedLibrary.KindTrack;
            var first = lib.AlbumFirstTrack(index);
            for (var t = first; t < first + lib.AlbumTrackCount(index); t++)
            {
                items.Add(t);
            }
        }
        else if (kind == EmulatedLibrary.KindArtist)
        {
            childKind = allLeaves ? EmulatedLibrary.KindTrack : EmulatedLibrary.KindAlbum;
            foreach (var a in lib.ArtistAlbums(index))
            {
                if (!allLeaves)
                {
                    items.Add(a);
                    continue;
                }

                var first = lib.AlbumFirstTrack(a);
                for (var t = first; t < first + lib.AlbumTrackCount(a); t++)
                {
                    items.Add(t);
                }
            }
        }
        else
        {
            // A track has no children: PMS answers an empty container.
            childKind = EmulatedLibrary.KindNone;
        }

        var query = PlexQuery.Parse(ctx.Request);
        var paging = Paging.Read(ctx.Request, query, state.Options.MaxPageSize);
        var total = Math.Min(items.Count, paging.Limit);
        var page = items.Skip(paging.Start).Take(Math.Min(paging.Size, Math.Max(0, total - paging.Start))).ToList();
        var section = lib.SectionOf(key);
        ctx.Response.Headers["X-Plex-Container-Start"] = paging.Start.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Plex-Container-Total-Size"] = total.ToString(CultureInfo.InvariantCulture);
        var user = UserOf(ctx);
        var w = StartResponse(ctx);
        w.Attr("size", page.Count);
        w.Attr("totalSize", total);
        w.Attr("offset", paging.Start);
        w.Bool("allowSync", true);
        w.Attr("identifier", LibraryIdentifier);
        w.Attr("key", key.ToString(CultureInfo.InvariantCulture));
        w.Attr("librarySectionID", section.Id);
        w.Attr("librarySectionTitle", section.Title);
        w.Attr("librarySectionUUID", section.Uuid);
        w.Attr("mediaTagPrefix", "/system/bundle/media/flags/");
        w.Attr("mediaTagVersion", 1_700_000_000);
        w.Bool("nocache", true);
        if (kind == EmulatedLibrary.KindAlbum)
        {
            // An album's tracks share its data; PMS hoists it onto the container.
            var artist = lib.AlbumArtist(index);
            w.Attr("grandparentRatingKey", lib.ArtistKey(artist).ToString(CultureInfo.InvariantCulture));
            w.Attr("grandparentTitle", lib.Title(lib.ArtistKey(artist)));
            w.Attr("parentIndex", 1);
            w.Attr("parentTitle", lib.Title(key));
            w.Attr("parentYear", lib.AlbumYear(index));
            w.Attr("title1", lib.Title(lib.ArtistKey(artist)));
            w.Attr("title2", lib.Title(key));
            w.Attr("viewGroup", "track");
        }
        else if (kind == EmulatedLibrary.KindArtist)
        {
            w.Attr("parentRatingKey", key.ToString(CultureInfo.InvariantCulture));
            w.Attr("parentTitle", lib.Title(key));
            w.Attr("title1", section.Title);
            w.Attr("title2", lib.Title(key));
            w.Attr("viewGroup", allLeaves ? "track" : "album");
        }

        await WriteItemsAsync(w, ctx, lib, user, childKind, page, withSection: false);
        await FinishAsync(w, ctx);
    }
}

/// <summary>X-Plex-Container-Start/Size (header or query) and limit, as PMS reads them.</summary>
internal readonly record struct Paging(int Start, int Size, int Limit)
{
    public static Paging Read(HttpRequest request, PlexQuery query, int maxPageSize)
    {
        var start = Math.Max(0, PlexQuery.HeaderOrQuery(request, query, "X-Plex-Container-Start") ?? 0);
        var size = PlexQuery.HeaderOrQuery(request, query, "X-Plex-Container-Size") ?? int.MaxValue;
        size = Math.Max(0, size);
        if (maxPageSize > 0 && size > maxPageSize)
        {
            size = maxPageSize;
        }

        var limitText = query.Get("limit");
        var limit = int.TryParse(limitText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l >= 0 ? l : int.MaxValue;
        return new Paging(start, size, limit);
    }
}
