namespace StarSync.PlexEmulator;

/// <summary>How the emulated Plex Media Server is built and how it behaves.</summary>
public sealed class EmulatorOptions
{
    /// <summary>Seed for the generated library; the same seed gives the same library.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Total tracks across the music libraries.</summary>
    public int Tracks { get; set; } = 1000;

    /// <summary>Music libraries, named "Music", "Live Music", "Music 3"…; one "Movies" section is always added.</summary>
    public int MusicLibraries { get; set; } = 1;

    /// <summary>
    /// Adds a music library that is hidden in Plex (<c>hidden="1"</c> on its section, as PMS reports a library excluded
    /// from Home and search), named "Hidden Music", with <see cref="ExtraLibraryTracks"/> tracks. Off by default.
    /// </summary>
    public bool HiddenMusicLibrary { get; set; }

    /// <summary>
    /// Adds an "Audiobooks" library as audiobook setups have one: <c>type="artist"</c> (Plex has no audiobook type) with
    /// the Audnexus agent (<c>com.plexapp.agents.audnexus</c>), <see cref="ExtraLibraryTracks"/> chapters. Off by default.
    /// </summary>
    public bool AudiobookLibrary { get; set; }

    /// <summary>Tracks in each library <see cref="HiddenMusicLibrary"/> and <see cref="AudiobookLibrary"/> add (on top of <see cref="Tracks"/>).</summary>
    public int ExtraLibraryTracks { get; set; } = 40;

    /// <summary>Share of tracks already rated by hand (values 0..10, half stars and 0 included).</summary>
    public double HandRatedShare { get; set; } = 0.1;

    /// <summary>The owner's token; its ratings are what <see cref="EmulatedLibrary.GetUserRating(string)"/> reads.</summary>
    public string Token { get; set; } = "emulator-token";

    /// <summary>Tokens of shared users: accepted, each with its own ratings (PMS keeps user state per account).</summary>
    public IList<string> UserTokens { get; } = new List<string>();

    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 lets the OS pick a free port.</summary>
    public int Port { get; set; }

    public string FriendlyName { get; set; } = "Emulated Plex";

    /// <summary>The PMS version /identity and / report; may be changed while the server runs (an upgrade).</summary>
    public string Version { get; set; } = EmulatorState.PmsVersion;

    /// <summary>Clock for addedAt/lastRatedAt and for injected delays.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Latency model; may be changed while the server runs.</summary>
    public LatencyOptions Latency { get; } = new();

    /// <summary>Fault injection; may be changed while the server runs.</summary>
    public FaultOptions Faults { get; } = new();

    /// <summary>Standalone program only: add a new album to the first music library this often (zero = never), so clients of the notification websocket see scans.</summary>
    public TimeSpan NewAlbumEvery { get; set; }

    /// <summary>The notification websocket; may be changed while the server runs.</summary>
    public NotificationOptions Notifications { get; } = new();

    /// <summary>0 = unlimited; otherwise a larger (or missing) X-Plex-Container-Size is clamped to it, i.e. forced paging.</summary>
    public int MaxPageSize { get; set; }

    /// <summary>
    /// Called as each rating write arrives, before it is applied (the write is applied afterwards, as a real server
    /// would that received it). Crash tests use it to kill a client at an exact write; may be changed while running.
    /// </summary>
    public Func<CancellationToken, Task>? BeforeRatingWrite { get; set; }

    /// <summary>
    /// 0 = unlimited (Kestrel's own 8 KB request-line limit still answers 414); otherwise a request whose path and query
    /// is longer than this many characters gets <see cref="UrlTooLong"/>. Very long bulk-edit id lists fail on real
    /// servers and proxies (plex-api.md §7, Kometa issue 2284); this lets tests pick the bound.
    /// </summary>
    public int MaxUrlLength { get; set; }

    /// <summary>What a request over <see cref="MaxUrlLength"/> gets (default 414).</summary>
    public UrlTooLongAnswer UrlTooLong { get; set; } = UrlTooLongAnswer.Status414;

    /// <summary>How the bulk edit behaves; may be changed while the server runs.</summary>
    public BulkEditOptions BulkEdit { get; } = new();
}

/// <summary>The answer to a request line longer than <see cref="EmulatorOptions.MaxUrlLength"/>.</summary>
public enum UrlTooLongAnswer
{
    /// <summary>414 URI Too Long, as Kestrel and most proxies answer.</summary>
    Status414,

    /// <summary>400 Bad Request, as some servers answer.</summary>
    Status400,

    /// <summary>The connection is dropped without an answer.</summary>
    Drop,
}

/// <summary>
/// The bulk edit <c>PUT /library/sections/{id}/all?type=10&amp;id=a,b&amp;userRating.value=X</c> (plex-api.md §7). By
/// default it behaves as the evidence says (sets the token user's rating, no lock unless asked, 403 for a shared
/// user's token); the switches model servers where it does not, so clients can test their verification.
/// </summary>
public sealed class BulkEditOptions
{
    /// <summary>Answer 200 and change nothing (a server that ignores the parameters).</summary>
    public bool Ignore { get; set; }

    /// <summary>Lock the field even when <c>userRating.locked</c> was not sent.</summary>
    public bool AlwaysLock { get; set; }

    /// <summary>Answer 403 to every token, the owner's included (as to a non-admin token).</summary>
    public bool Refuse { get; set; }

    /// <summary>0 = no limit; otherwise a bulk edit listing more ids gets <see cref="EmulatorOptions.UrlTooLong"/> (long id lists fail, Kometa issue 2284).</summary>
    public int MaxIds { get; set; }
}

/// <summary>Delays that model a real server's speed.</summary>
public sealed class LatencyOptions
{
    /// <summary>Added to every request before it is handled.</summary>
    public TimeSpan PerRequest { get; set; }

    /// <summary>
    /// Fixed cost of one write request (a /:/rate, or a bulk edit whatever its size): one database transaction.
    /// </summary>
    public TimeSpan PerRatingWrite { get; set; }

    /// <summary>Added cost per item written by a request (a bulk edit of n items costs PerRatingWrite + n x this).</summary>
    public TimeSpan PerRatedItem { get; set; }

    /// <summary>
    /// Models PMS's single database writer: each write request holds one global lock for its whole cost
    /// (<see cref="PerRatingWrite"/> + items x <see cref="PerRatedItem"/>), so writes never overlap.
    /// </summary>
    public bool SerializeWrites { get; set; }
}

/// <summary>Seeded fault injection.</summary>
public sealed class FaultOptions
{
    /// <summary>Share of requests answered 500.</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>Share of requests whose connection is aborted without a response.</summary>
    public double DropConnectionRate { get; set; }

    /// <summary>Share of requests delayed by <see cref="SlowResponseDelay"/>.</summary>
    public double SlowResponseRate { get; set; }

    public TimeSpan SlowResponseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Seed of the fault dice; changing it restarts the sequence.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>null = all routes; else only paths starting with one of these (e.g. "/:/rate") get faults.</summary>
    public string[]? Routes { get; set; }

    /// <summary>Every request (even /identity) gets 401, as after the owner signs the device out.</summary>
    public bool RevokeToken { get; set; }

    private readonly Lock _scriptGate = new();
    private readonly List<ScriptedFaults> _script = [];

    /// <summary>
    /// Deterministic faults for tests: the next <paramref name="count"/> requests with this HTTP method whose path starts
    /// with <paramref name="pathPrefix"/> get <paramref name="fault"/> (before the dice, which they do not consume). E.g.
    /// <c>FailNext("PUT", "/library/sections/", 3, ScriptedFault.ServerError)</c> fails the next three bulk edits, and
    /// <c>FailNext("GET", "/library/metadata/", 5, ScriptedFault.DropConnection)</c> drops the next five item reads.
    /// </summary>
    public void FailNext(string method, string pathPrefix, int count, ScriptedFault fault)
    {
        lock (_scriptGate)
        {
            _script.Add(new ScriptedFaults(method, pathPrefix, fault) { Left = count });
        }
    }

    /// <summary>Scripted faults not yet used.</summary>
    public int ScriptedFaultsLeft
    {
        get
        {
            lock (_scriptGate)
            {
                return _script.Sum(s => s.Left);
            }
        }
    }

    internal ScriptedFault? TakeScripted(string method, string path)
    {
        lock (_scriptGate)
        {
            foreach (var entry in _script)
            {
                if (entry.Left > 0 && string.Equals(entry.Method, method, StringComparison.OrdinalIgnoreCase) && path.StartsWith(entry.PathPrefix, StringComparison.Ordinal))
                {
                    entry.Left--;
                    return entry.Fault;
                }
            }

            return null;
        }
    }

    private sealed record ScriptedFaults(string Method, string PathPrefix, ScriptedFault Fault)
    {
        public int Left { get; set; }
    }
}

/// <summary>A fault <see cref="FaultOptions.FailNext"/> injects.</summary>
public enum ScriptedFault
{
    /// <summary>HTTP 500, nothing done.</summary>
    ServerError,

    /// <summary>The connection is aborted without an answer, nothing done.</summary>
    DropConnection,
}
