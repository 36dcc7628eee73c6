namespace StarSync.Notifications;

/// <summary>Registers the Plex notification listener.</summary>
public static class NotificationsExtensions
{
    /// <summary>Adds the listener (a hosted service; it does nothing while PLEX_NOTIFICATIONS is false) and its status.</summary>
    public static IServiceCollection AddNotifications(this IServiceCollection services)
    {
        services.AddSingleton<NotificationStatus>();
        services.AddSingleton<NotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationListener>());
        return services;
    }
}
