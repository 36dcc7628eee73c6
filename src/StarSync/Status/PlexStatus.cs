using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Connection;
using StarSync.Jobs;
using StarSync.Plex;

namespace StarSync.Status;

/// <summary>Plex connection state in words, for the dashboard and the health banner.</summary>
public sealed record PlexConnection(bool Ok, string? ServerName, string? Version, string? Error)
{
    /// <summary>What is wrong, as a word the UI can act on: ok, not-configured, token-refused, unreachable, name-not-found, timeout, tls, not-plex, http-error.</summary>
    public string State { get; init; } = "ok";

    /// <summary>The circuit breaker has paused StarSync's requests after repeated failures (the cause is in <see cref="Error"/>).</summary>
    public bool Paused { get; init; }

    /// <summary>One line the health banner leads with ("Plex cannot be reached."); null when all is well.</summary>
    public string? Headline => State switch
    {
        "ok" => null,
        "not-configured" => "StarSync is not connected to Plex yet.",
        "token-refused" => "Plex refuses StarSync's token.",
        "unreachable" or "name-not-found" or "timeout" or "tls" => "Plex cannot be reached.",
        _ => "Plex is not answering as expected.",
    };

    /// <summary>The kebab-case name of <paramref name="problem"/> (<see cref="State"/>).</summary>
    public static string StateOf(PlexProblem problem) => problem switch
    {
        PlexProblem.None => "ok",
        PlexProblem.NotConfigured => "not-configured",
        PlexProblem.InvalidUrl => "invalid-url",
        PlexProblem.TokenRefused => "token-refused",
        PlexProblem.Unreachable => "unreachable",
        PlexProblem.NameNotFound => "name-not-found",
        PlexProblem.Timeout => "timeout",
        PlexProblem.Tls => "tls",
        PlexProblem.NotPlex => "not-plex",
        _ => "http-error",
    };
}

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
    // A failure is re-checked sooner than a success, so the health banner clears soon after Plex is back.
    private static readonly TimeSpan ConnectionTtl = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan FailedConnectionTtl = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CoverageTtl = TimeSpan.FromSeconds(30);
    private readonly IPlexClient _plex;
    private readonly SettingsStore _settings;
    private readonly TimeProvider _time;
    private readonly PlexProbe _probe;
    private readonly IOptionsMonitor<PlexOptions> _options;
    private readonly PlexCircuit _circuit;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (PlexConnection Value, DateTimeOffset At)? _connection;
    private (IReadOnlyList<LibraryCoverage> Value, DateTimeOffset At)? _coverage;

    public PlexStatus(IPlexClient plex, SettingsStore settings, TimeProvider time, PlexProbe probe, IOptionsMonitor<PlexOptions> options, PlexCircuit circuit)
    {
        _plex = plex;
        _settings = settings;
        _time = time;
        _probe = probe;
        _options = options;
        _circuit = circuit;
        settings.Changed += _ => _coverage = null;
        // A new URL or token: what was known about the old server says nothing about the new one.
        options.OnChange(_ =>
        {
            _connection = null;
            _coverage = null;
        });
    }

    /// <summary>The last known connection state without asking Plex (null before the first check); for pages rendered on the server.</summary>
    public PlexConnection? Peek() => _options.CurrentValue.IsConfigured ? _connection?.Value : NotConfigured;

    private static readonly PlexConnection NotConfigured = new(false, null, null, PlexNotConfiguredException.Explanation) { State = "not-configured" };

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
        var options = _options.CurrentValue;
        if (!options.IsConfigured)
        {
            return NotConfigured;
        }

        if (!refresh && _connection is { } cached && _time.GetUtcNow() - cached.At < (cached.Value.Ok ? ConnectionTtl : FailedConnectionTtl))
        {
            return cached.Value;
        }

        // Asked directly, past the circuit breaker: "paused" must never stand in for the cause.
        var probe = await _probe.ProbeAsync(options.Url, options.Token, options.ClientIdentifier, options.TimeoutSeconds, listLibraries: false, cancellationToken);
        var paused = _circuit.IsPaused;
        var result = probe.Ok
            ? new PlexConnection(true, probe.ServerName, probe.Version, null) { Paused = paused }
            : new PlexConnection(false, null, null, probe.Message + (paused ? " StarSync has paused its requests for a moment and retries by itself." : ""))
            {
                State = PlexConnection.StateOf(probe.Problem),
                Paused = paused,
            };
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
