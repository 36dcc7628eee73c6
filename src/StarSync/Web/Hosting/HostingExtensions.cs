using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace StarSync.Web.Hosting;

/// <summary>Listen address, reverse-proxy headers, ProblemDetails and the error pipeline.</summary>
internal static class HostingExtensions
{
    /// <summary>The old tool's port.</summary>
    public const int DefaultPort = 5454;

    // Only a proxy on this host is trusted by default: X-Forwarded-For from anyone else is ignored, so nobody on the
    // LAN can choose the address login throttling counts. A proxy elsewhere (another container, another machine) is
    // named in TRUSTED_PROXIES.
    private static readonly string[] DefaultTrustedProxies = ["127.0.0.0/8", "::1/128"];

    /// <summary>Parses TRUSTED_PROXIES (comma-separated addresses or CIDR networks); null with an error when one is not.</summary>
    public static IReadOnlyList<System.Net.IPNetwork>? ParseTrustedProxies(string? value, out string? error)
    {
        error = null;
        var networks = new List<System.Net.IPNetwork>();
        foreach (var item in DefaultTrustedProxies.Concat((value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (System.Net.IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(item, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                error = $"TRUSTED_PROXIES entry '{item}' is not an IP address or network: use e.g. TRUSTED_PROXIES=172.18.0.0/16,192.168.1.5.";
                return null;
            }
        }

        return networks;
    }

    public static WebApplicationBuilder AddStarSyncHosting(this WebApplicationBuilder builder)
    {
        ConfigureListenAddress(builder);

        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var network in ParseTrustedProxies(builder.Configuration["TRUSTED_PROXIES"], out _) ?? [])
            {
                options.KnownIPNetworks.Add(network);
            }
        });

        // A body or parameter the API cannot bind throws (instead of an empty 400 outside Development), so the
        // exception handler can answer with the field and what was expected.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
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
