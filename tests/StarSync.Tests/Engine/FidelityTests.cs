using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Jobs;

namespace StarSync.Tests.Engine;

/// <summary>What StarSync says and costs stays true on servers that differ from the emulator's defaults.</summary>
[Trait("Category", "Integration")]
public sealed class FidelityTests
{
    [Fact]
    public async Task Override_total_counts_each_track_once_when_the_server_not_equal_filter_lets_unrated_tracks_through()
    {
        // userRating!=6 answered as "everything": unrated tracks (and tracks at the target) come back in that pass too.
        await using var engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?> { ["OVERRIDE_RATING"] = "true" })
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new NotEqualIncludesEverything()))).EngineOnly().StartAsync();
        var before = engine.Ratings();
        var toChange = before.Count(kv => kv.Value != 6.0);

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(toChange, job.Counts.Total);
        Assert.Equal(job.Counts.Total, job.Counts.Done);
        Assert.Equal(toChange, job.Counts.Rated + job.Counts.Updated);
    }

    [Fact]
    public async Task Webhook_items_are_read_with_one_comma_list_request_not_one_request_each()
    {
        // One write per track: batched writes read their batches back with the same comma-list request.
        await using var engine = await TestHost.Create().Emulator().SingleWrites().EngineOnly().StartAsync();
        var album = engine.Plex.Library.AddAlbum(engine.MusicKey, 5);
        var loose = Enumerable.Range(0, 30).Select(_ => engine.Plex.Library.AddAlbum(engine.MusicKey, 1).TrackRatingKeys[0]).ToArray();
        engine.Plex.Counters.Reset();

        var job = await engine.RunAsync(JobMode.Items, items: [.. loose, album.AlbumRatingKey, "999999999"]);

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(35, job.Counts.Rated);
        Assert.Equal(1, engine.Plex.Counters.RequestsFor("/library/metadata/{ids}"));
        Assert.Equal(1, engine.Plex.Counters.RequestsFor("/library/metadata/{id}/children"));
    }

    [Fact]
    public async Task A_webhook_with_a_non_numeric_rating_key_is_accepted_and_its_key_reaches_plex_escaped()
    {
        await using var hook = await TestHost.Create().Emulator().Webhooks().StartAsync();

        var library = hook.Plex.Library.Sections.First(s => s.Type == "artist").Title;
        using var http = new HttpClient();
        using var body = new StringContent(
            $$$"""{"event":"library.new","Metadata":{"ratingKey":"a1b2/c3?x=y","type":"album","title":"X","librarySectionType":"artist","librarySectionTitle":"{{{library}}}"}}""",
            System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(hook.WebhookUrl, body, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(async () => (await hook.WebhookJobsAsync()).Any(j => j.Status == JobStatus.Succeeded), "the webhook job");
        var job = Assert.Single(await hook.WebhookJobsAsync());
        Assert.Equal(["a1b2/c3?x=y"], job.Request.ItemKeys);
        Assert.Equal(0, hook.Plex.Counters.RatingWrites); // Plex does not know the item: nothing to rate
    }

    /// <summary>A server whose <c>userRating!=X</c> matches every track, unrated ones included.</summary>
    private sealed class NotEqualIncludesEverything : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!.ToString();
            var at = uri.IndexOf("&userRating!=", StringComparison.Ordinal);
            if (at >= 0 && !uri.Contains("&userRating!=-1", StringComparison.Ordinal))
            {
                var end = uri.IndexOf('&', at + 1);
                request.RequestUri = new Uri(uri[..at] + (end < 0 ? "" : uri[end..]));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
