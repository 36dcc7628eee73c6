namespace StarSync.Automation;

/// <summary>The last webhook StarSync received and what it led to.</summary>
public sealed record WebhookReceipt(string Event, string? Item, DateTimeOffset ReceivedAt, string Outcome);

/// <summary>What the schedule and the webhook did last, for the dashboard and the API.</summary>
public sealed class AutomationState
{
    private volatile WebhookReceipt? _lastWebhook;
    private DateTimeOffset? _nextRunAt;
    private readonly Lock _lock = new();

    /// <summary>When the schedule runs next; null when it is off.</summary>
    public DateTimeOffset? NextRunAt
    {
        get { lock (_lock) { return _nextRunAt; } }
        set { lock (_lock) { _nextRunAt = value; } }
    }

    /// <summary>The last webhook received.</summary>
    public WebhookReceipt? LastWebhook
    {
        get => _lastWebhook;
        set => _lastWebhook = value;
    }
}
