namespace StarSync.Configuration;

/// <summary>Start-up stopped because configuration is wrong; each error names the variable and the fix.</summary>
public sealed class StartupConfigurationException : Exception
{
    public StartupConfigurationException() { }

    public StartupConfigurationException(string message) : base(message) => Errors = [message];

    public StartupConfigurationException(string message, Exception innerException) : base(message, innerException) => Errors = [message];

    public StartupConfigurationException(IReadOnlyList<string> errors)
        : base("StarSync cannot start: " + string.Join(" ", errors)) => Errors = errors;

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; } = [];
}
