namespace StarSync.Web.Auth;

/// <summary>The API key accepted in the <c>X-Api-Key</c> header on /api/v1. Back it with the settings file.</summary>
public interface IApiKeyProvider
{
    /// <summary>The current key; null or empty turns API-key access off.</summary>
    string? CurrentKey { get; }
}

/// <summary>Default until settings provide a key: API-key access is off.</summary>
internal sealed class NoApiKeyProvider : IApiKeyProvider
{
    public string? CurrentKey => null;
}
