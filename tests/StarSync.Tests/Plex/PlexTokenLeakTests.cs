using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Plex;

/// <summary>The token must never show up in a log line (ours, HttpClient's or the resilience pipeline's) or an exception.</summary>
[Trait("Category", "Integration")]
public sealed class PlexTokenLeakTests
{
    private const string Token = "leak-check-token-9Qz7";

    [Fact]
    public async Task A_whole_run_with_successes_and_every_kind_of_failure_never_logs_or_throws_the_token()
    {
        var ct = CancellationToken.None;
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 300, Seed = 3, MusicLibraries = 1, Token = Token });
        await using var sp = PlexTestServices.Build(plex.BaseUri.ToString(), Token, o => o.PageSize = 100, retries: 8);
        var client = sp.GetRequiredService<IPlexClient>();
        var section = plex.Library.Sections.First(s => s.IsMusic).Key;
        var keys = plex.Library.TrackKeys(section);
        var errors = new List<Exception>();

        await client.GetServerInfoAsync(ct);
        await client.GetLibrariesAsync(ct);
        await client.GetTracksAsync(section, new TrackQuery(TrackFilter.Unrated), ct).ToListAsync(ct);
        await client.CountTracksAsync(section, new TrackQuery(TrackFilter.Rated), ct);
        await client.GetItemTracksAsync(plex.Library.GetParentKey(keys[0])!, ct).ToListAsync(ct);
        await client.GetTracksByKeysAsync(keys.Take(120).ToList(), ct);
        await client.SetRatingAsync(keys[0], 8, ct);
        await client.ClearRatingAsync(keys[0], ct);
        errors.Add(await Assert.ThrowsAsync<PlexNotFoundException>(() => client.SetRatingAsync("987654321", 8, ct)));

        plex.Options.Faults.ServerErrorRate = 0.15;
        plex.Options.Faults.DropConnectionRate = 0.15;
        await client.GetTracksAsync(section, new TrackQuery(), ct).ToListAsync(ct);
        plex.Options.Faults.ServerErrorRate = 1;
        errors.Add(await Assert.ThrowsAsync<PlexException>(() => client.SetRatingAsync(keys[1], 8, ct)));
        plex.Options.Faults.ServerErrorRate = 0;
        plex.Options.Faults.DropConnectionRate = 1;
        errors.Add(await Assert.ThrowsAsync<PlexException>(() => client.GetLibrariesAsync(ct)));
        plex.Options.Faults.DropConnectionRate = 0;
        plex.Options.Faults.RevokeToken = true;
        errors.Add(await Assert.ThrowsAsync<PlexAuthenticationException>(() => client.GetLibrariesAsync(ct)));

        var records = sp.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(records, r => r.Category == typeof(PlexHttpLogger).FullName);
        Assert.Contains(records, r => r.Category != null && r.Category.StartsWith("Polly", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Category == typeof(PlexClient).FullName);
        foreach (var record in records)
        {
            // The structured state and scopes too: structured sinks (JSON console, Serilog) write them out.
            var state = string.Join(";", record.StructuredState?.Select(kv => $"{kv.Key}={kv.Value}") ?? []);
            var scopes = string.Join(";", record.Scopes.Select(Describe));
            var text = $"{record.Message} {record.Exception} {state} {scopes}";
            Assert.False(text.Contains(Token, StringComparison.Ordinal), $"{record.Category} logged the token: {text}");
        }

        Assert.All(errors, e => Assert.DoesNotContain(Token, e.ToString(), StringComparison.Ordinal));
    }

    private static string Describe(object? scope) => scope switch
    {
        IEnumerable<KeyValuePair<string, object?>> pairs => string.Join(",", pairs.Select(p => $"{p.Key}={Describe(p.Value)}")),
        System.Collections.IEnumerable list and not string => string.Join(",", list.Cast<object?>().Select(Describe)),
        _ => scope?.ToString() ?? "",
    };
}
