using Microsoft.Extensions.Configuration;
using StarSync.Web.Logging;

namespace StarSync.Tests.Web;

[Trait("Category", "Unit")]
public sealed class SecretRedactorTests
{
    private readonly SecretRedactor _redactor = new(["my-plex-token-123", "hunter2hunter2"]);

    [Theory]
    [InlineData("GET http://plex:32400/library?X-Plex-Token=abc123&type=10", "GET http://plex:32400/library?X-Plex-Token=[redacted]&type=10")]
    [InlineData("http://plex/?x-plex-token=abc123", "http://plex/?x-plex-token=[redacted]")]
    [InlineData("X-Plex-Token: abc123", "X-Plex-Token: [redacted]")]
    [InlineData("""{"X-Plex-Token":"abc123"}""", """{"X-Plex-Token":"[redacted]"}""")]
    [InlineData("url=http%3A%2F%2Fplex%2F%3FX-Plex-Token%3Dabc123", "url=http%3A%2F%2Fplex%2F%3FX-Plex-Token%3D[redacted]")]
    [InlineData("X-Api-Key: key-value", "X-Api-Key: [redacted]")]
    public void Redact_masks_token_parameters(string input, string expected) => Assert.Equal(expected, _redactor.Redact(input));

    [Theory]
    [InlineData("token my-plex-token-123 used", "token [redacted] used")]
    [InlineData("password was hunter2hunter2!", "password was [redacted]!")]
    [InlineData("http://plex/?X-Plex-Token=my-plex-token-123", "http://plex/?X-Plex-Token=[redacted]")]
    public void Redact_masks_configured_secrets_anywhere(string input, string expected) => Assert.Equal(expected, _redactor.Redact(input));

    [Fact]
    public void Redact_leaves_ordinary_text_and_ignores_very_short_secrets()
    {
        var redactor = new SecretRedactor(["x", "", null]);

        Assert.Equal("Rated 12 tracks in Music (x of y)", redactor.Redact("Rated 12 tracks in Music (x of y)"));
        Assert.Null(redactor.Redact(null));
    }

    [Fact]
    public void AddSecret_masks_a_secret_known_only_at_run_time()
    {
        _redactor.AddSecret("generated-api-key-42");

        Assert.Equal("key [redacted]", _redactor.Redact("key generated-api-key-42"));
    }

    [Fact]
    public void FromConfiguration_reads_PLEX_TOKEN_and_APP_PASSWORD_and_follows_reloads()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["PLEX_TOKEN"] = "token-from-env", ["APP_PASSWORD"] = "password-from-env" })
            .Build();
        var redactor = SecretRedactor.FromConfiguration(configuration);

        Assert.Equal("[redacted] / [redacted]", redactor.Redact("token-from-env / password-from-env"));

        configuration["PLEX_TOKEN"] = "a-new-token";
        configuration.Reload();
        Assert.Equal("[redacted]", redactor.Redact("a-new-token"));
    }
}
