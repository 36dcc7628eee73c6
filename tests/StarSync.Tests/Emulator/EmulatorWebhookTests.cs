using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StarSync.Tests.Emulator;

/// <summary>The webhook sender posts what PMS posts (plex-api.md §9); a tiny Kestrel receiver records it.</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorWebhookTests
{
    private sealed record Received(string ContentType, string? Payload, long ThumbLength, string? ThumbType);

    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private readonly ConcurrentQueue<Received> _hooks;

        private Receiver(WebApplication app, Uri uri, ConcurrentQueue<Received> hooks)
        {
            _app = app;
            Uri = uri;
            _hooks = hooks;
        }

        public Uri Uri { get; }

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var hooks = new ConcurrentQueue<Received>();
            app.MapPost("/hook", async (HttpContext ctx) =>
            {
                var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
                var thumb = form.Files.GetFile("thumb");
                hooks.Enqueue(new Received(ctx.Request.ContentType ?? "", form["payload"].FirstOrDefault(), thumb?.Length ?? 0, thumb?.ContentType));
                return Results.Ok();
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Receiver(app, new Uri(new Uri(address), "/hook"), hooks);
        }

        public Received[] All => _hooks.ToArray();

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Library_new_for_a_track_is_multipart_with_payload_json_and_thumb()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var track = server.Library.TrackKeys("1")[10];

        using var response = await server.Webhooks.SendLibraryNewAsync(receiver.Uri, track, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hook = Assert.Single(receiver.All);
        Assert.StartsWith("multipart/form-data; boundary=", hook.ContentType, StringComparison.Ordinal);
        Assert.True(hook.ThumbLength > 0);
        Assert.Equal("image/jpeg", hook.ThumbType);
        using var payload = JsonDocument.Parse(hook.Payload!);
        var root = payload.RootElement;
        Assert.Equal("library.new", root.GetProperty("event").GetString());
        Assert.True(root.GetProperty("owner").GetBoolean());
        Assert.Equal(server.MachineIdentifier, root.GetProperty("Server").GetProperty("uuid").GetString());
        var metadata = root.GetProperty("Metadata");
        Assert.Equal("artist", metadata.GetProperty("librarySectionType").GetString());
        Assert.Equal("track", metadata.GetProperty("type").GetString());
        Assert.Equal(track, metadata.GetProperty("ratingKey").GetString());
        Assert.Equal(1, metadata.GetProperty("librarySectionID").GetInt32());
        Assert.Equal("Music", metadata.GetProperty("librarySectionTitle").GetString());
        Assert.Equal(server.Library.GetParentKey(track), metadata.GetProperty("parentRatingKey").GetString());
    }

    [Fact]
    public async Task Album_arrival_sends_one_event_per_album_or_one_per_track()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var album = server.Library.AddAlbum("1", 4, "Brand New Band");

        var perAlbum = await server.Webhooks.SendAlbumArrivedAsync(receiver.Uri, album, perTrack: false, CancellationToken.None);
        var perTrack = await server.Webhooks.SendAlbumArrivedAsync(receiver.Uri, album, perTrack: true, CancellationToken.None);

        Assert.Single(perAlbum);
        Assert.Equal(4, perTrack.Count);
        var payloads = receiver.All.Select(h => JsonDocument.Parse(h.Payload!).RootElement.GetProperty("Metadata")).ToList();
        Assert.Equal("album", payloads[0].GetProperty("type").GetString());
        Assert.Equal(album.AlbumRatingKey, payloads[0].GetProperty("ratingKey").GetString());
        Assert.Equal("Brand New Band", payloads[0].GetProperty("parentTitle").GetString());
        Assert.Equal(album.TrackRatingKeys, payloads.Skip(1).Select(p => p.GetProperty("ratingKey").GetString()));
    }

    [Fact]
    public async Task Media_rate_carries_the_new_rating_and_a_movie_event_is_not_music()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var track = server.Library.TrackKeys("1")[0];
        server.Library.SetUserRating(track, 9);

        using var rate = await server.Webhooks.SendMediaRateAsync(receiver.Uri, track, CancellationToken.None);
        using var movie = await server.Webhooks.SendNonMusicEventAsync(receiver.Uri, CancellationToken.None);

        var hooks = receiver.All.Select(h => JsonDocument.Parse(h.Payload!).RootElement).ToList();
        Assert.Equal("media.rate", hooks[0].GetProperty("event").GetString());
        Assert.Equal(9.0, hooks[0].GetProperty("Metadata").GetProperty("userRating").GetDouble());
        Assert.True(hooks[0].TryGetProperty("Player", out _));
        Assert.Equal("media.play", hooks[1].GetProperty("event").GetString());
        Assert.Equal("movie", hooks[1].GetProperty("Metadata").GetProperty("librarySectionType").GetString());
    }
}
