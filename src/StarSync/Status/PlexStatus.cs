using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Plex;

namespace StarSync.Status;

/// <summary>Plex connection state in words, for the dashboard.</summary>
public sealed record PlexConnection(bool Ok, string? ServerName, string? Version, string? Error);

/// <summary>
/// Rated vs unrated tracks of one music library. <paramref name="Excluded"/> says why a library Plex lists as music is
/// left out (hidden, audiobooks: see <see cref="LibraryMatcher"/>); such a library is not counted (all counts 0).
/// </summary>
public sealed record LibraryCoverage(string Key, string Title, int Total, int Rated, int Unrated, bool Selected, string? Excluded = null);

/// <summary>
/// Cached answers to "is Plex there?" and "how covered is each library?", so that dashboards polling in several tabs
/// cost Plex a few requests a minute, not a few per tab per refresh. A finished job drops the coverage cache.
/// </summary>
public sealed class PlexStatus : IJobEventHandler
{
    private static readonly TimeSpan ConnectionTtl = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CoverageTtl = TimeSpan.FromSeconds(30);
    private readonly IPlexClient _plex;
    private readonly SettingsStore _settings;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (PlexConnection Value, DateTimeOffset At)? _connection;
    private (IReadOnlyList<LibraryCoverage> Value, DateTimeOffset At)? _coverage;

    public PlexStatus(IPlexClient plex, SettingsStore settings, TimeProvider time)
    {
        _plex = plex;
        _settings = settings;
        _time = time;
        settings.Changed += _ => _coverage = null;
    }

    /// <summary>A finished job changed ratings: the coverage is stale.</summary>
    public void OnJobChanged(JobRecord job)
    {
        if (job.Status is not JobStatus.Queued and not JobStatus.Running)
        {
            _coverage = null;
        }
    }

    /// <summary>Server name and version, or the error in words.</summary>
    public async Task<PlexConnection> GetConnectionAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (!refresh && _connection is { } cached && _time.GetUtcNow() - cached.At < ConnectionTtl)
        {
            return cached.Value;
        }

        PlexConnection result;
        try
        {
            var info = await _plex.GetServerInfoAsync(cancellationToken);
            result = new PlexConnection(true, info.FriendlyName, info.Version, null);
        }
        catch (PlexException ex)
        {
            result = new PlexConnection(false, null, null, ex.Message);
        }

        _connection = (result, _time.GetUtcNow());
        return result;
    }

    /// <summary>Every music library with its coverage, selected ones flagged; then excluded libraries with their reason.</summary>
    public async Task<IReadOnlyList<LibraryCoverage>> GetCoverageAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_coverage is { } cached && _time.GetUtcNow() - cached.At < CoverageTtl)
            {
                return cached.Value;
            }

            var selected = _settings.Current.Libraries;
            var list = new List<LibraryCoverage>();
            var libraries = await _plex.GetLibrariesAsync(cancellationToken);
            foreach (var library in LibraryMatcher.Offered(libraries, selected))
            {
                var total = await _plex.CountTracksAsync(library.Key, new TrackQuery(), cancellationToken);
                var unrated = await _plex.CountTracksAsync(library.Key, new TrackQuery(TrackFilter.Unrated), cancellationToken);
                list.Add(new LibraryCoverage(library.Key, library.Title, total, total - unrated, unrated, LibraryMatcher.IsNamed(library, selected)));
            }

            // Left out unless chosen by name: listed with the reason, never counted.
            list.AddRange(LibraryMatcher.Excluded(libraries, selected).Select(e => new LibraryCoverage(e.Library.Key, e.Library.Title, 0, 0, 0, false, e.Reason)));

            _coverage = (list, _time.GetUtcNow());
            return list;
        }
        finally
        {
            _gate.Release();
        }
    }
}
