using StarSync.Plex;

namespace StarSync.Tests.Plex;

[Trait("Category", "Unit")]
public sealed class PlexRedactionTests
{
    [Theory]
    [InlineData("http://plex:32400/library?X-Plex-Token=abcDEF123&type=10", "http://plex:32400/library?X-Plex-Token=[redacted]&type=10")]
    [InlineData("http://plex:32400/?x-plex-token=abcDEF123", "http://plex:32400/?x-plex-token=[redacted]")]
    [InlineData("GET /a?type=10&X-Plex-Token=abcDEF123 HTTP/1.1", "GET /a?type=10&X-Plex-Token=[redacted] HTTP/1.1")]
    [InlineData("http://plex:32400/?X-Plex-Token%3DabcDEF123", "http://plex:32400/?X-Plex-Token%3D[redacted]")]
    public void Query_parameter_token_is_redacted(string input, string expected) =>
        Assert.Equal(expected, PlexRedaction.Redact(input));

    [Theory]
    [InlineData("X-Plex-Token: abcDEF123", "X-Plex-Token: [redacted]")]
    [InlineData("headers: X-Plex-Token:abcDEF123, Accept: application/json", "headers: X-Plex-Token:[redacted], Accept: application/json")]
    public void Header_token_is_redacted(string input, string expected) =>
        Assert.Equal(expected, PlexRedaction.Redact(input));

    [Fact]
    public void Json_token_property_is_redacted() =>
        Assert.Equal("{\"X-Plex-Token\": \"[redacted]\",\"a\":1}", PlexRedaction.Redact("{\"X-Plex-Token\": \"abcDEF123\",\"a\":1}"));

    [Theory]
    [InlineData("<Device accessToken=\"abcDEF123\" name=\"x\"/>", "<Device accessToken=\"[redacted]\" name=\"x\"/>")]
    [InlineData("{\"authToken\":\"abcDEF123\"}", "{\"authToken\":\"[redacted]\"}")]
    [InlineData("<user authenticationToken=\"abcDEF123\"/>", "<user authenticationToken=\"[redacted]\"/>")]
    public void Plex_tv_token_attributes_are_redacted(string input, string expected) =>
        Assert.Equal(expected, PlexRedaction.Redact(input));

    [Fact]
    public void Known_token_is_redacted_wherever_it_appears() =>
        Assert.Equal("token [redacted] leaked; encoded [redacted]", PlexRedaction.Redact("token ab+c/DEF123 leaked; encoded ab%2Bc%2FDEF123", "ab+c/DEF123"));

    [Fact]
    public void Text_without_a_token_is_unchanged() =>
        Assert.Equal("http://plex:32400/library/sections/1/all?type=10", PlexRedaction.Redact("http://plex:32400/library/sections/1/all?type=10"));

    [Fact]
    public void Null_becomes_empty() => Assert.Equal("", PlexRedaction.Redact(null));
}
