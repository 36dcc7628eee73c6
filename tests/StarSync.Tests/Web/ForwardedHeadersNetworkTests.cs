using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;

namespace StarSync.Tests.Web;

/// <summary>
/// <c>X-Forwarded-For</c> from a client on another machine. Loopback clients cannot show this (the app trusts its own
/// host), so the client runs in a network namespace of its own, joined to the test's namespace by a veth pair with
/// addresses from the benchmarking range 198.18.0.0/15 (RFC 2544): traffic never leaves this machine. Needs root and
/// iproute2, as CI has; <c>--filter "Category!=Network"</c> leaves these out elsewhere.
/// </summary>
[Trait("Category", "Network")]
[Trait("Category", "Integration")]
public sealed class ForwardedHeadersNetworkTests
{
    [Fact]
    public async Task Untrusted_client_cannot_pick_the_address_the_login_throttle_counts()
    {
        await using var lan = await LanClient.CreateAsync();
        await using var app = await TestHost.Create().Services(b => b.WebHost.UseUrls($"http://{lan.ServerAddress}:0")).StartAsync();

        // Every attempt claims a different origin; all of them must still count against the client's real address.
        var codes = new List<int>();
        for (var i = 1; i <= StarSync.Web.Auth.LoginThrottle.MaxFailures + 1; i++)
        {
            codes.Add(await lan.FailedLoginAsync(app.BaseAddress, $"203.0.113.{i}"));
        }

        // The failure that reaches the limit is already answered 429, and so is every attempt after it.
        var max = StarSync.Web.Auth.LoginThrottle.MaxFailures;
        Assert.Equal(Enumerable.Repeat(401, max - 1).Concat(Enumerable.Repeat(429, 2)), codes);
    }

    [Fact]
    public async Task Trusted_proxy_in_TRUSTED_PROXIES_has_its_forwarded_address_believed()
    {
        await using var lan = await LanClient.CreateAsync();
        await using var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["TRUSTED_PROXIES"] = lan.ClientAddress + "/32" })
            .Services(b => b.WebHost.UseUrls($"http://{lan.ServerAddress}:0")).StartAsync();

        // Through a trusted proxy each forwarded address is its own client: none of them reaches the limit.
        var codes = new List<int>();
        for (var i = 1; i <= StarSync.Web.Auth.LoginThrottle.MaxFailures + 1; i++)
        {
            codes.Add(await lan.FailedLoginAsync(app.BaseAddress, $"203.0.113.{i}"));
        }

        Assert.All(codes, c => Assert.Equal(401, c));

        // ...while one forwarded address failing too often is blocked as it would be without a proxy.
        var same = new List<int>();
        for (var i = 1; i <= StarSync.Web.Auth.LoginThrottle.MaxFailures + 1; i++)
        {
            same.Add(await lan.FailedLoginAsync(app.BaseAddress, "203.0.113.200"));
        }

        var max = StarSync.Web.Auth.LoginThrottle.MaxFailures;
        Assert.Equal(Enumerable.Repeat(401, max - 1).Concat(Enumerable.Repeat(429, 2)), same);
    }

    /// <summary>A network namespace with one veth link to this one; commands run inside it with <c>ip netns exec</c>.</summary>
    private sealed class LanClient : IAsyncDisposable
    {
        private readonly string _namespace;

        private LanClient(string name, int subnet)
        {
            _namespace = name;
            ServerAddress = $"198.18.{subnet}.1";
            ClientAddress = $"198.18.{subnet}.2";
        }

        /// <summary>This namespace's end of the link: the app listens here.</summary>
        public string ServerAddress { get; }

        /// <summary>The client's address, as the app sees it.</summary>
        public string ClientAddress { get; }

        public static async Task<LanClient> CreateAsync()
        {
            var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();
            var subnet = RandomNumberGenerator.GetInt32(1, 255);
            var lan = new LanClient("starsync-" + id, subnet);
            string outside = "ssa" + id, inside = "ssb" + id;
            try
            {
                await RunAsync("ip", "netns", "add", lan._namespace);
                await RunAsync("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
                await RunAsync("ip", "link", "set", inside, "netns", lan._namespace);
                await RunAsync("ip", "addr", "add", lan.ServerAddress + "/30", "dev", outside);
                await RunAsync("ip", "link", "set", outside, "up");
                await RunAsync("ip", "netns", "exec", lan._namespace, "ip", "addr", "add", lan.ClientAddress + "/30", "dev", inside);
                await RunAsync("ip", "netns", "exec", lan._namespace, "ip", "link", "set", inside, "up");
                await RunAsync("ip", "netns", "exec", lan._namespace, "ip", "link", "set", "lo", "up");
            }
            catch
            {
                await lan.DisposeAsync();
                throw;
            }

            return lan;
        }

        /// <summary>GETs the login form and posts a wrong password, claiming <paramref name="forwardedFor"/>; returns the POST's status.</summary>
        public async Task<int> FailedLoginAsync(Uri app, string forwardedFor)
        {
            const string Script = """
                set -eu
                jar=$(mktemp)
                form=$(curl -sS -c "$jar" -b "$jar" "$1login")
                token=$(printf '%s' "$form" | sed -n 's/.*name="__RequestVerificationToken" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)
                curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "X-Forwarded-For: $2" \
                  --data-urlencode "username=admin" --data-urlencode "password=not-the-password" \
                  --data-urlencode "__RequestVerificationToken=$token" "$1login"
                rm -f "$jar"
                """;
            var output = await RunAsync("ip", "netns", "exec", _namespace, "sh", "-c", Script, "login", app.ToString(), forwardedFor);
            return int.Parse(output.Trim(), CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            // Deleting the namespace removes its end of the veth pair, and with it the other end.
            try
            {
                await RunAsync("ip", "netns", "del", _namespace);
            }
            catch (InvalidOperationException)
            {
                // Never created (the set-up failed first); nothing to remove.
            }
        }

        private static async Task<string> RunAsync(string fileName, params string[] arguments)
        {
            var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr} (these tests need root and iproute2)");
            }

            return await stdout;
        }
    }
}
