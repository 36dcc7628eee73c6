using System.Net;
using Microsoft.Extensions.Time.Testing;
using StarSync.Web.Auth;

namespace StarSync.Tests.Web;

[Trait("Category", "Unit")]
public sealed class LoginThrottleTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private readonly FakeTimeProvider _time = new();
    private readonly LoginThrottle _throttle;

    public LoginThrottleTests() => _throttle = new LoginThrottle(_time);

    [Fact]
    public void Fifth_failure_within_five_minutes_blocks_until_the_first_leaves_the_window()
    {
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            Assert.Null(_throttle.RetryAfter(Client));
            _throttle.RecordFailure(Client);
            _time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(TimeSpan.FromSeconds(150), _throttle.RetryAfter(Client));
        Assert.Null(_throttle.RetryAfter(IPAddress.Parse("192.0.2.11")));
        _time.Advance(TimeSpan.FromSeconds(150));
        Assert.Null(_throttle.RetryAfter(Client));
    }

    [Fact]
    public void Failures_spread_over_more_than_five_minutes_do_not_block()
    {
        for (var i = 0; i < 10; i++)
        {
            _throttle.RecordFailure(Client);
            _time.Advance(TimeSpan.FromMinutes(1.5));
        }

        Assert.Null(_throttle.RetryAfter(Client));
    }

    [Fact]
    public void Success_forgets_earlier_failures_and_mapped_ipv6_counts_as_ipv4()
    {
        for (var i = 0; i < LoginThrottle.MaxFailures - 1; i++)
        {
            _throttle.RecordFailure(Client.MapToIPv6());
        }

        _throttle.RecordFailure(Client);
        Assert.NotNull(_throttle.RetryAfter(Client));

        _throttle.Reset(Client);
        Assert.Null(_throttle.RetryAfter(Client));
    }

    [Fact]
    public void Check_names_the_limit_hit_the_address_or_everyone()
    {
        for (var i = 0; i < LoginThrottle.MaxFailures; i++)
        {
            _throttle.RecordFailure(Client);
        }

        Assert.Equal(LoginBlockScope.Address, _throttle.Check(Client)?.Scope);
        Assert.Null(_throttle.Check(IPAddress.Parse("192.0.2.99")));

        for (var i = 0; i < LoginThrottle.MaxGlobalFailures - LoginThrottle.MaxFailures; i++)
        {
            _throttle.RecordFailure(IPAddress.Parse($"198.51.100.{i + 1}"));
        }

        Assert.Equal(new LoginBlock(LoginBlockScope.Everyone, LoginThrottle.Window), _throttle.Check(IPAddress.Parse("192.0.2.99")));
        Assert.Equal(LoginBlockScope.Everyone, _throttle.Check(Client)?.Scope);
        _time.Advance(LoginThrottle.Window);
        Assert.Null(_throttle.Check(Client));
    }
}
