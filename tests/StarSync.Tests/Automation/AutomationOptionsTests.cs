using Microsoft.Extensions.Options;

namespace StarSync.Tests.Automation;

[Trait("Category", "Integration")]
public sealed class AutomationOptionsTests
{
    [Fact]
    public async Task Unreadable_automation_variables_stop_start_up_naming_each_variable()
    {
        await using var engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?>
        {
            ["WEBHOOK_DEBOUNCE_SECONDS"] = "soon",
            ["ALLOW_UNAUTHENTICATED_WEBHOOK"] = "maybe",
        }).EngineOnly().StartAsync();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => engine.App.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("WEBHOOK_DEBOUNCE_SECONDS 'soon'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ALLOW_UNAUTHENTICATED_WEBHOOK 'maybe'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Debounce_out_of_range_is_refused()
    {
        await using var engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?> { ["WEBHOOK_DEBOUNCE_SECONDS"] = "301" }).EngineOnly().StartAsync();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => engine.App.StartAsync());

        Assert.Contains("from 0 to 300", Assert.Single(error.Failures), StringComparison.Ordinal);
    }
}
