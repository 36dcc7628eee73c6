namespace StarSync.Configuration;

/// <summary>
/// The current run-time settings. Updates are validated, saved atomically to settings.json and applied at once:
/// readers always see one consistent snapshot, and subscribers (the scheduler) hear about the change.
/// </summary>
public sealed class SettingsStore(StarSyncSettings initial, StarSyncPaths paths) : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile StarSyncSettings _current = initial;

    /// <summary>The settings in force now.</summary>
    public StarSyncSettings Current => _current;

    /// <summary>Raised after a change has been saved and applied.</summary>
    public event Action<StarSyncSettings>? Changed;

    /// <summary>Applies <paramref name="update"/> to the current settings; returns validation errors (nothing is saved) or an empty map.</summary>
    public async Task<IReadOnlyDictionary<string, string[]>> UpdateAsync(
        Func<StarSyncSettings, StarSyncSettings> update, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var next = update(_current);
            var errors = next.Validate();
            if (errors.Count > 0)
            {
                return errors;
            }

            await SettingsLoader.SaveAsync(next, paths.SettingsFile, cancellationToken);
            _current = next;
        }
        finally
        {
            _writeLock.Release();
        }

        Changed?.Invoke(_current);
        return new Dictionary<string, string[]>();
    }

    /// <summary>Writes the current settings (first start, or generated secrets that must survive a restart).</summary>
    public Task SaveAsync(CancellationToken cancellationToken) =>
        SettingsLoader.SaveAsync(_current, paths.SettingsFile, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _writeLock.Dispose();
}
