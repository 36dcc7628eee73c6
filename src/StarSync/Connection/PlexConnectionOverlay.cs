using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using StarSync.Configuration;
using StarSync.Plex;

namespace StarSync.Connection;

/// <summary>
/// Fills the Plex URL and token that the environment leaves unset with those saved from Settings (settings.json).
/// PLEX_URL / PLEX_TOKEN, when set, win.
/// </summary>
internal sealed class PlexConnectionOverlay(SettingsStore store) : IPostConfigureOptions<PlexOptions>
{
    public void PostConfigure(string? name, PlexOptions options)
    {
        StarSyncSettings saved;
        try
        {
            saved = store.Current;
        }
        catch (OptionsValidationException)
        {
            // settings.json is unusable: its own validation reports that at start, in the same round.
            return;
        }

        if (options.UrlSource != PlexValueSource.Environment && saved.PlexUrl.Length > 0)
        {
            options.Url = saved.PlexUrl;
            options.UrlSource = PlexValueSource.SettingsFile;
        }

        if (options.TokenSource != PlexValueSource.Environment && saved.PlexToken.Length > 0)
        {
            options.Token = saved.PlexToken;
            options.TokenSource = PlexValueSource.SettingsFile;
        }
    }
}

/// <summary>
/// Tells <see cref="IOptionsMonitor{PlexOptions}"/> that the URL or token saved in Settings changed, so the Plex client,
/// the notification listener, the circuit breaker and the status cache (all <c>OnChange</c> listeners) take the new
/// values without a restart.
/// </summary>
internal sealed class PlexConnectionChangeTokenSource : IOptionsChangeTokenSource<PlexOptions>
{
    private readonly SettingsStore _store;
    private readonly Lock _lock = new();
    private CancellationTokenSource _changed = new();
    private (string Url, string Token)? _last;

    public PlexConnectionChangeTokenSource(SettingsStore store)
    {
        _store = store;
        store.Changed += OnSettingsChanged;
    }

    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken()
    {
        lock (_lock)
        {
            if (_last is null)
            {
                try
                {
                    _last = (_store.Current.PlexUrl, _store.Current.PlexToken);
                }
                catch (OptionsValidationException)
                {
                    // Start-up reports it; nothing to compare against yet.
                }
            }

            return new CancellationChangeToken(_changed.Token);
        }
    }

    private void OnSettingsChanged(StarSyncSettings settings)
    {
        CancellationTokenSource fired;
        lock (_lock)
        {
            var now = (settings.PlexUrl, settings.PlexToken);
            if (_last == now)
            {
                return; // another setting changed
            }

            _last = now;
            fired = _changed;
            _changed = new CancellationTokenSource();
        }

        fired.Cancel();
    }
}
