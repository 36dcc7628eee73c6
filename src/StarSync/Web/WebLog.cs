namespace StarSync.Web;

/// <summary>Log messages of the web shell.</summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "FLASK_SECRET_KEY is set but no longer needed: login sessions are signed with keys stored in {KeysDirectory}. You can remove it.")]
    public static partial void FlaskSecretKeyIgnored(ILogger logger, string keysDirectory);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "{Username} logged in from {Address}")]
    public static partial void LoggedIn(ILogger logger, string username, string address);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Failed login from {Address}")]
    public static partial void LoginFailed(ILogger logger, string address);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Login from {Address} refused: too many failed attempts, blocked for {Minutes} more minutes")]
    public static partial void LoginThrottled(ILogger logger, string address, int minutes);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Login from {Address} refused: too many failed logins from many addresses, every login paused for {Minutes} more minutes")]
    public static partial void LoginPausedForEveryone(ILogger logger, string address, int minutes);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "{Username} logged out")]
    public static partial void LoggedOut(ILogger logger, string username);
}
