using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using StarSync.Automation;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Automation;

/// <summary>Webhooks from the emulator's sender (formatted as PMS sends them) against the real, listening app.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookEndpointTests
{
    [Fact]
    public async Task New_album_webhook_rates_exactly_the_album_tracks()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();
        var before = hook.Ratings();
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 9);

        var codes = await hook.Plex.Webhooks.SendAlbumArrivedAsync(hook.WebhookUrl, album, perTrack: false, CancellationToken.None);

        Assert.Equal([HttpStatusCode.Accepted], codes);
        // The rest of the app requires a login: the webhook's secret is its own authentication.
        using (var http = new HttpClient())
        using (var api = await http.PostAsync(new Uri(hook.BaseAddress, "api/v1/jobs"), Json("""{"mode":"all"}"""), CancellationToken.None))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        var after = hook.Ratings();
        Assert.All(album.TrackRatingKeys, k => Assert.Equal(6.0, after[k]));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(9, hook.Plex.Counters.RatingWrites);
        var job = Assert.Single(await hook.WebhookJobsAsync());
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal([album.AlbumRatingKey], job.Request.ItemKeys);
        var receipt = hook.State.LastWebhook!;
        Assert.Equal("library.new", receipt.Event);
        Assert.Equal("queued 1 item for rating", receipt.Outcome);
        Assert.Contains(album.AlbumTitle, receipt.Item, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Burst_of_1000_events_for_50_albums_makes_at_most_two_jobs_and_rates_every_new_track()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks(debounceSeconds: 2).StartAsync();
        var before = hook.Ratings();
        var albums = Enumerable.Range(0, 50).Select(_ => hook.Plex.Library.AddAlbum(hook.MusicKey, 19)).ToArray();
        // Per album: one album-level event and one per track (PMS's granularity for music is unverified), shuffled.
        var events = albums.SelectMany(a => a.TrackRatingKeys.Prepend(a.AlbumRatingKey)).ToArray();
        new Random(42).Shuffle(events);
        Assert.Equal(1000, events.Length);
        var codes = new List<HttpStatusCode>();

        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = CancellationToken.None }, async (key, ct) =>
        {
            using var response = await hook.Plex.Webhooks.SendLibraryNewAsync(hook.WebhookUrl, key, ct);
            lock (codes)
            {
                codes.Add(response.StatusCode);
            }
        });

        Assert.All(codes, c => Assert.Equal(HttpStatusCode.Accepted, c));
        var newTracks = albums.SelectMany(a => a.TrackRatingKeys).ToArray();
        await hook.WaitUntilRatedAndIdleAsync(newTracks, seconds: 120);
        var jobs = await hook.WebhookJobsAsync();
        Assert.InRange(jobs.Count, 1, 2);
        Assert.All(jobs, j => Assert.Equal(JobStatus.Succeeded, j.Status));
        // Only announced items, each once; an album whose tracks came in the same burst (or an earlier one) is left
        // out, and tracks of an album already queued are too: the album covers them.
        var announced = events.ToHashSet();
        var queuedKeys = jobs.SelectMany(j => j.Request.ItemKeys!).ToArray();
        Assert.All(queuedKeys, k => Assert.Contains(k, announced));
        Assert.Equal(queuedKeys.Length, queuedKeys.Distinct().Count());
        var after = hook.Ratings();
        Assert.All(newTracks, k => Assert.Equal(6.0, after[k]));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(950, hook.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Wrong_or_missing_secret_is_refused_with_401_and_the_secret_is_never_logged()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 3);
        const string wrong = "not-the-secret-8d1e7b";
        var refused = new[]
        {
            new Uri(hook.BaseAddress, "plex-webhook/" + wrong),
            new Uri(hook.BaseAddress, "plex-webhook"),
            new Uri(hook.BaseAddress, "plex-webhook/"),
            new Uri(hook.BaseAddress, "plex-webhook?secret=" + wrong),
            new Uri(hook.BaseAddress, "plex-webhook?secret="),
            new Uri(hook.BaseAddress, "plex-webhook/" + TestHost.WebhookSecret.ToUpperInvariant()),
        };

        foreach (var url in refused)
        {
            using var response = await hook.Plex.Webhooks.SendLibraryNewAsync(url, album.AlbumRatingKey, CancellationToken.None);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(CancellationToken.None);
            Assert.Contains("Settings page", problem!.Detail, StringComparison.Ordinal);
        }

        Assert.Null(hook.State.LastWebhook); // refused senders cannot overwrite what the dashboard shows
        using (var viaQuery = await hook.Plex.Webhooks.SendLibraryNewAsync(new Uri(hook.BaseAddress, "plex-webhook?secret=" + TestHost.WebhookSecret), album.AlbumRatingKey, CancellationToken.None))
        {
            Assert.Equal(HttpStatusCode.Accepted, viaQuery.StatusCode);
        }

        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        Assert.Single(await hook.WebhookJobsAsync());
        Assert.Contains(hook.Logs.GetSnapshot(), r => r.Id.Id == 5114);
        Assert.DoesNotContain(hook.Logs.GetSnapshot(), r =>
            $"{r.Message} {r.Exception}".Contains(TestHost.WebhookSecret, StringComparison.OrdinalIgnoreCase) ||
            $"{r.Message} {r.Exception}".Contains(wrong, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unauthenticated_url_works_only_when_allowed_and_warns_at_start()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().Config(new Dictionary<string, string?> { ["ALLOW_UNAUTHENTICATED_WEBHOOK"] = "true" }).StartAsync();
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 4);

        using var open = await hook.Plex.Webhooks.SendLibraryNewAsync(new Uri(hook.BaseAddress, "plex-webhook"), album.AlbumRatingKey, CancellationToken.None);
        using var wrong = await hook.Plex.Webhooks.SendLibraryNewAsync(new Uri(hook.BaseAddress, "plex-webhook/wrong-secret-123"), album.AlbumRatingKey, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Accepted, open.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains(hook.Logs.GetSnapshot(), r => r.Id.Id == 5104 && r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
    }

    [Fact]
    public async Task Other_events_and_other_libraries_are_answered_200_and_queue_nothing()
    {
        await using var hook = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 600, Seed = 7, MusicLibraries = 2 }).Webhooks().StartAsync();
        var otherMusic = hook.Plex.Library.Sections.Where(s => s.Type == "artist").Skip(1).First();
        var unselected = hook.Plex.Library.AddAlbum(otherMusic.Key, 3);
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 3);
        var sender = hook.Plex.Webhooks;
        var ignored = new List<(HttpResponseMessage Response, string Why)>
        {
            (await sender.SendNonMusicEventAsync(hook.WebhookUrl, CancellationToken.None), "media.play is not a new-music event"),
            (await sender.SendMediaRateAsync(hook.WebhookUrl, album.TrackRatingKeys[0], CancellationToken.None), "media.rate is not a new-music event"),
            (await sender.SendRawAsync(hook.WebhookUrl, Json(sender.BuildPayload("media.play", album.TrackRatingKeys[0])), CancellationToken.None), "media.play is not a new-music event"),
            (await sender.SendRawAsync(hook.WebhookUrl, Json("""{"event":"admin.database.backup","user":true,"owner":true}"""), CancellationToken.None), "admin.database.backup is not a new-music event"),
            (await sender.SendLibraryNewAsync(hook.WebhookUrl, unselected.AlbumRatingKey, CancellationToken.None), $"library '{otherMusic.Title}' is not one of the selected libraries"),
            (await sender.SendRawAsync(hook.WebhookUrl, Json("""{"event":"library.new","Metadata":{"ratingKey":"900001","type":"movie","librarySectionType":"movie","librarySectionTitle":"Movies","librarySectionID":9}}"""), CancellationToken.None), "library.new in a movie library, not a music library"),
        };

        foreach (var (response, why) in ignored)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("ignored: " + why, (await response.Content.ReadFromJsonAsync<WebhookAnswer>(CancellationToken.None))!.Outcome);
            }
        }

        Assert.Equal("ignored: library.new in a movie library, not a music library", hook.State.LastWebhook!.Outcome);

        // Barrier: one valid webhook; its job must hold its key alone.
        using (var valid = await sender.SendLibraryNewAsync(hook.WebhookUrl, album.AlbumRatingKey, CancellationToken.None))
        {
            Assert.Equal(HttpStatusCode.Accepted, valid.StatusCode);
        }

        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        Assert.Equal([album.AlbumRatingKey], Assert.Single(await hook.WebhookJobsAsync()).Request.ItemKeys);
        Assert.All(unselected.TrackRatingKeys, k => Assert.Null(hook.Plex.Library.GetUserRating(k)));
        Assert.Equal(3, hook.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Payload_as_url_encoded_field_raw_json_or_file_part_is_accepted()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();
        var albums = Enumerable.Range(0, 3).Select(_ => hook.Plex.Library.AddAlbum(hook.MusicKey, 2)).ToArray();
        var sender = hook.Plex.Webhooks;
        var filePart = new MultipartFormDataContent();
        var part = new StringContent(sender.BuildPayload("library.new", albums[2].AlbumRatingKey), Encoding.UTF8, "application/json");
        filePart.Add(part, "payload", "payload.json");

        HttpContent[] contents =
        [
            new FormUrlEncodedContent([new("payload", sender.BuildPayload("library.new", albums[0].AlbumRatingKey))]),
            Json(sender.BuildPayload("library.new", albums[1].AlbumRatingKey)),
            filePart,
        ];

        foreach (var content in contents)
        {
            using var response = await sender.SendRawAsync(hook.WebhookUrl, content, CancellationToken.None);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await hook.WaitUntilRatedAndIdleAsync(albums.SelectMany(a => a.TrackRatingKeys));
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
