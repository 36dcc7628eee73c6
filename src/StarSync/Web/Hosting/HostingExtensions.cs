using System.Globalization;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.HttpOverrides;

namespace StarSync.Web.Hosting;

/// <summary>Listen address, reverse-proxy headers, ProblemDetails and the error pipeline.</summary>
internal static class HostingExtensions
{
    public static WebApplicationBuilder AddStarSyncHosting(this WebApplicationBuilder builder)
    {
        // Parsed once, here: the listen address needs the port before the host exists; the rest reads the options.
        var hosting = HostingOptions.Read(builder.Configuration);
        builder.Services.AddOptions<HostingOptions>().Configure(o => o.CopyFrom(hosting)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HostingOptions>, HostingOptionsValidator>();
        ConfigureListenAddress(builder, hosting);

        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<HostingOptions>>((options, hostingOptions) =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var network in hostingOptions.Value.TrustedProxies)
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

    /// <summary>
    /// ASPNETCORE_URLS / --urls win; otherwise http on PORT (default 5454) on every interface. A wrong PORT is reported
    /// by start-up validation, before anything listens.
    /// </summary>
    private static void ConfigureListenAddress(WebApplicationBuilder builder, HostingOptions hosting)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            return;
        }

        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://+:{hosting.Port}"));
        // The official ASP.NET container images set ASPNETCORE_HTTP_PORTS=8080; StarSync keeps the old tool's port instead.
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, "");
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, "");
    }
}
