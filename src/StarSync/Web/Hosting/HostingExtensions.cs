using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace StarSync.Web.Hosting;

/// <summary>Listen address, reverse-proxy headers, ProblemDetails and the error pipeline.</summary>
internal static class HostingExtensions
{
    /// <summary>The old tool's port.</summary>
    public const int DefaultPort = 5454;

    // Reverse proxies normally sit on the same host, in a Docker network or on the LAN. Forwarded headers from
    // anywhere else are ignored, so a client on the internet cannot choose the address login throttling counts.
    private static readonly string[] TrustedProxyNetworks =
        ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7", "fe80::/10"];

    public static WebApplicationBuilder AddStarSyncHosting(this WebApplicationBuilder builder)
    {
        ConfigureListenAddress(builder);

        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var network in TrustedProxyNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        return builder;
    }

    public static WebApplication UseStarSyncErrorHandling(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = WebPaths.Error,
            StatusCodeSelector = exception => ExceptionMap.Describe(exception).Status,
        });
        // Empty error responses become ProblemDetails on the API and a readable page everywhere else.
        app.UseWhen(context => WebPaths.IsApi(context.Request.Path), api => api.UseStatusCodePages());
        app.UseWhen(context => !WebPaths.IsApi(context.Request.Path), pages => pages.UseStatusCodePagesWithReExecute(WebPaths.Error, "?code={0}"));
        return app;
    }

    /// <summary>ASPNETCORE_URLS / --urls win; otherwise http on PORT (default 5454) on every interface.</summary>
    private static void ConfigureListenAddress(WebApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            return;
        }

        var port = DefaultPort;
        var configured = builder.Configuration["PORT"];
        if (!string.IsNullOrWhiteSpace(configured)
            && (!int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > IPEndPoint.MaxPort))
        {
            throw new InvalidOperationException($"PORT must be a number between 1 and 65535 (it is '{configured}'). Unset it to use {DefaultPort}.");
        }

        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://+:{port}"));
        // The official ASP.NET container images set ASPNETCORE_HTTP_PORTS=8080; StarSync keeps the old tool's port instead.
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, "");
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, "");
    }
}
