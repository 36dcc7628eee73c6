using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StarSync.Jobs;
using StarSync.Plex;
using StarSync.Rules;

namespace StarSync.Tests.Rules;

/// <summary>The preview's signal cache on a fake clock: hits, misses, idle expiry, the size cap and every way it is dropped.</summary>
[Trait("Category", "Unit")]
public sealed class SignalCacheTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly PlexLibrary Music = new("1", "Music", "artist", "uuid-music");
    private static readonly PlexLibrary Jazz = new("2", "Jazz", "artist", "uuid-jazz");
    private static readonly string Connection = SignalCache.ConnectionId("http://plex:32400", "token-a");
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly SignalCache _cache;

    public SignalCacheTests() => _cache = new SignalCache(_clock, new SignalCacheOptions(), NullLogger<SignalCache>.Instance);

    public void Dispose() => _cache.Dispose();

    private static PlexTrack Track(int i, string? title = null) => new(
        (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), title ?? $"Song {i}", $"Album {i / 10}", $"Artist {i / 30}", null,
        1_700_000_000 + i, "1")
    {
        AlbumKey = $"a{i / 10}",
        ArtistKey = $"r{i / 30}",
        ViewCount = i % 7,
        SkipCount = i % 5,
        LastViewedAt = i % 3 == 0 ? null : 1_750_000_000 + i,
        DurationMs = i % 4 == 0 ? null : 60_000 + i,
    };

    private static SignalSnapshot Snapshot(PlexLibrary library, DateTimeOffset readAt, int tracks = 50)
    {
        var builder = new SignalSnapshotBuilder(library, Connection, readAt, tracks, long.MaxValue);
        for (var i = 0; i < tracks; i++)
        {
            Assert.True(builder.Add(Track(i)));
        }

        return builder.Build(null, null);
    }

    [Fact]
    public void A_snapshot_gives_back_every_signal_key_and_title_exactly_as_listed()
    {
        var tracks = Enumerable.Range(0, 300).Select(i => Track(i, i == 7 ? "Déjà vu – 東京 🎵" : null)).ToList();
        var builder = new SignalSnapshotBuilder(Music, Connection, Start, 100, long.MaxValue); // fewer expected than come: it grows

        Assert.All(tracks, t => Assert.True(builder.Add(t)));
        var snapshot = builder.Build(null, null);

        Assert.Equal(300, snapshot.Count);
        for (var i = 0; i < tracks.Count; i++)
        {
            Assert.Equal(TrackInput.From(tracks[i]), snapshot.Input(i));
            Assert.Equal(tracks[i].RatingKey, snapshot.RatingKey(i));
            Assert.Equal(tracks[i].Title, snapshot.Title(i));
        }

        // Album and artist names are shared between an album's tracks, not copied per track.
        Assert.Same(snapshot.Input(0).AlbumTitle, snapshot.Input(9).AlbumTitle);
        Assert.Same(snapshot.Input(0).ArtistTitle, snapshot.Input(29).ArtistTitle);
    }

    [Fact]
    public void The_builder_gives_up_over_its_budget_or_on_a_value_its_record_cannot_hold()
    {
        var small = new SignalSnapshotBuilder(Music, Connection, Start, 10, budgetBytes: 4096);
        var added = Enumerable.Range(0, 1000).TakeWhile(i => small.Add(Track(i))).Count();
        Assert.InRange(added, 0, 999);
        Assert.Equal("over budget", small.GaveUp);
        Assert.True(small.OverBudget);
        Assert.True(small.BytesWhenStopped > 4096);
        Assert.Throws<InvalidOperationException>(() => small.Build(null, null));

        var before1970 = new SignalSnapshotBuilder(Music, Connection, Start, 10, long.MaxValue);
        Assert.False(before1970.Add(Track(1) with { AddedAt = -5 }));
        Assert.Contains("does not fit", before1970.GaveUp, StringComparison.Ordinal);
        Assert.False(before1970.OverBudget);
    }

    [Fact]
    public void A_stored_library_is_a_hit_another_library_is_a_miss()
    {
        var snapshot = Snapshot(Music, Start);

        Assert.Null(_cache.Store(snapshot, _cache.Generation));

        Assert.Same(snapshot, _cache.TryGet(Music, Connection));
        Assert.Null(_cache.TryGet(Jazz, Connection));
        // Same section key on another server (another uuid) is another library; so is the same one read with another
        // account's token (plays and skips are per account).
        Assert.Null(_cache.TryGet(Music with { Uuid = "uuid-of-another-server" }, Connection));
        Assert.Null(_cache.TryGet(Music, SignalCache.ConnectionId("http://plex:32400", "token-b")));
        Assert.DoesNotContain("token-a", Connection, StringComparison.Ordinal);
    }

    [Fact]
    public void Signals_idle_for_ten_minutes_are_dropped_and_each_preview_restarts_the_wait()
    {
        Assert.Null(_cache.Store(Snapshot(Music, Start), _cache.Generation));

        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.NotNull(_cache.TryGet(Music, Connection)); // used: the ten minutes start again
        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.Equal(1, _cache.Count);

        // The timer armed by the last use frees the memory without waiting for another preview.
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(0, _cache.Count);
        Assert.Null(_cache.TryGet(Music, Connection));
    }

    [Fact]
    public void Signals_older_than_an_hour_are_read_again_even_while_in_use()
    {
        Assert.Null(_cache.Store(Snapshot(Music, Start), _cache.Generation));

        for (var i = 0; i < 11; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(5));
            Assert.NotNull(_cache.TryGet(Music, Connection));
        }

        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(_cache.TryGet(Music, Connection));
    }

    [Fact]
    public void A_snapshot_read_before_a_drop_is_not_stored()
    {
        var generation = _cache.Generation;
        var snapshot = Snapshot(Music, Start);

        _cache.Invalidate("a job ended while the preview was reading");

        Assert.Equal("the library changed while it was read", _cache.Store(snapshot, generation));
        Assert.Null(_cache.TryGet(Music, Connection));
    }

    [Fact]
    public void Signals_that_do_not_fit_beside_the_others_are_not_kept_and_the_reason_says_how_much_they_need()
    {
        var music = Snapshot(Music, Start, 2000);
        using var cache = new SignalCache(_clock, new SignalCacheOptions { MaxBytes = music.EstimatedBytes + 100 }, NullLogger<SignalCache>.Instance);
        Assert.Null(cache.Store(music, cache.Generation));

        var reason = cache.Store(Snapshot(Jazz, Start, 2000), cache.Generation);

        Assert.NotNull(reason);
        Assert.Contains("more than the", reason, StringComparison.Ordinal);
        Assert.Null(cache.TryGet(Jazz, Connection));
        Assert.NotNull(cache.TryGet(Music, Connection));
        Assert.True(cache.Room(Jazz, Connection) < music.EstimatedBytes);
        Assert.Equal(music.EstimatedBytes + 100, cache.Room(Music, Connection)); // its own entry would be replaced
    }

    [Fact]
    public void A_cap_of_zero_keeps_nothing()
    {
        using var off = new SignalCache(_clock, new SignalCacheOptions { MaxBytes = 0 }, NullLogger<SignalCache>.Instance);

        Assert.Equal("the preview cache is off", off.Store(Snapshot(Music, Start), off.Generation));
        Assert.Equal(0, off.Count);
    }

    public static TheoryData<JobStatus, JobTrigger, bool, bool> JobEvents => new()
    {
        { JobStatus.Succeeded, JobTrigger.Manual, false, true },
        { JobStatus.Failed, JobTrigger.Schedule, false, true },
        { JobStatus.Cancelled, JobTrigger.Api, false, true },
        { JobStatus.Succeeded, JobTrigger.Manual, true, false }, // a dry run wrote nothing
        { JobStatus.Running, JobTrigger.Manual, false, true }, // and nothing is kept until it ends
        { JobStatus.Running, JobTrigger.Manual, true, false },
        { JobStatus.Queued, JobTrigger.Manual, false, false },
        { JobStatus.Queued, JobTrigger.Webhook, false, true }, // new music announced
        { JobStatus.Queued, JobTrigger.Notification, false, true },
    };

    [Fact]
    public void While_a_job_writes_nothing_is_served_or_kept_and_after_it_ends_signals_are_kept_again()
    {
        var handler = (IJobEventHandler)_cache;
        JobRecord Job(JobStatus status) => new(8, JobTrigger.Schedule, JobMode.UnratedBatch, false, "Rate up to 500", ["Music"], status, Start, null, null,
            new JobCounts(), null, new JobRequest(JobTrigger.Schedule, JobMode.UnratedBatch, Count: 500));

        handler.OnJobChanged(Job(JobStatus.Running));
        Assert.Equal("a job is changing the library now", _cache.Store(Snapshot(Music, Start), _cache.Generation));
        Assert.Null(_cache.TryGet(Music, Connection));

        handler.OnJobChanged(Job(JobStatus.Succeeded));
        Assert.Null(_cache.Store(Snapshot(Music, Start), _cache.Generation));
        Assert.NotNull(_cache.TryGet(Music, Connection));
    }

    [Theory]
    [MemberData(nameof(JobEvents))]
    public void Ended_jobs_that_wrote_and_announced_new_music_drop_the_signals(JobStatus status, JobTrigger trigger, bool dryRun, bool dropped)
    {
        Assert.Null(_cache.Store(Snapshot(Music, Start), _cache.Generation));
        var job = new JobRecord(7, trigger, JobMode.All, dryRun, "Rate all tracks", ["Music"], status, Start, null, null, new JobCounts(), null,
            new JobRequest(trigger, JobMode.All, dryRun));

        ((IJobEventHandler)_cache).OnJobChanged(job);

        Assert.Equal(dropped, _cache.TryGet(Music, Connection) is null);
    }
}
