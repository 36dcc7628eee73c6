using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using StarSync.Configuration;

namespace StarSync.Web.Hosting;

/// <summary>Where and behind what StarSync listens: PORT, TRUSTED_PROXIES and URL_BASE, each parsed here and only here.</summary>
public sealed class HostingOptions
{
    /// <summary>The old tool's port.</summary>
    public const int DefaultPort = 5454;

    // Only a proxy on this host is trusted by default: X-Forwarded-For from anyone else is ignored, so nobody on the
    // LAN can choose the address login throttling counts. A proxy elsewhere (another container, another machine) is
    // named in TRUSTED_PROXIES.
    private static readonly string[] DefaultTrustedProxies = ["127.0.0.0/8", "::1/128"];

    /// <summary>PORT (1..65535, default 5454); ASPNETCORE_URLS / --urls win over it.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>This host, plus TRUSTED_PROXIES (comma-separated addresses or CIDR networks).</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; set; } = [];

    /// <summary>URL_BASE normalized ("/starsync"), or "" when StarSync is served at the root.</summary>
    public string UrlBase { get; set; } = "";

    /// <summary>Values that could not be read, each naming its variable; reported by start-up validation.</summary>
    internal List<string> Problems { get; } = [];

    /// <summary>Reads the three variables once; problems are kept for <see cref="HostingOptionsValidator"/>.</summary>
    public static HostingOptions Read(IConfiguration configuration)
    {
        var options = new HostingOptions();
        var port = configuration["PORT"]?.Trim();
        if (!string.IsNullOrEmpty(port))
        {
            if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= IPEndPoint.MaxPort)
            {
                options.Port = number;
            }
            else
            {
                options.Problems.Add($"PORT '{port}' is not a port number: use a number from 1 to 65535, e.g. PORT={DefaultPort} (or unset it for {DefaultPort}).");
            }
        }

        options.TrustedProxies = ParseTrustedProxies(configuration["TRUSTED_PROXIES"], options.Problems);
        if (Configuration.UrlBase.Parse(configuration["URL_BASE"], out var urlBaseError) is { } urlBase)
        {
            options.UrlBase = urlBase;
        }
        else
        {
            options.Problems.Add(urlBaseError!);
        }

        return options;
    }

    /// <summary>Copies what <see cref="Read"/> found (options are filled by the options system).</summary>
    internal void CopyFrom(HostingOptions source)
    {
        Port = source.Port;
        TrustedProxies = source.TrustedProxies;
        UrlBase = source.UrlBase;
        Problems.Clear();
        Problems.AddRange(source.Problems);
    }

    private static List<System.Net.IPNetwork> ParseTrustedProxies(string? value, List<string> problems)
    {
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
                problems.Add($"TRUSTED_PROXIES entry '{item}' is not an IP address or network: use e.g. TRUSTED_PROXIES=172.18.0.0/16,192.168.1.5.");
            }
        }

        return networks;
    }
}

/// <summary>Reports every unreadable hosting variable at start.</summary>
internal sealed class HostingOptionsValidator : IValidateOptions<HostingOptions>
{
    public ValidateOptionsResult Validate(string? name, HostingOptions options) =>
        options.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Problems);
}
