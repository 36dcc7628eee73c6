namespace StarSync.LiveLog;

/// <summary>One rendered, redacted log line as the live log and the SSE stream carry it.</summary>
/// <param name="Id">Monotonic id; becomes the SSE <c>id:</c> so a reconnecting browser resumes after it.</param>
/// <param name="Time">When it was logged.</param>
/// <param name="Level">Log level name (Information, Warning, ...).</param>
/// <param name="Category">Logger category, e.g. StarSync.Jobs.JobRunner.</param>
/// <param name="Message">The rendered message, secrets masked.</param>
/// <param name="Exception">The exception's type and message (no stack trace), secrets masked.</param>
public sealed record LiveLogEntry(long Id, DateTimeOffset Time, string Level, string Category, string Message, string? Exception);
