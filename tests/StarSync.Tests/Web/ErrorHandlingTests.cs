using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using StarSync.Plex;

namespace StarSync.Tests.Web;

[Trait("Category", "Integration")]
public sealed class ErrorHandlingTests
{
    [Fact]
    public async Task Api_exception_becomes_problem_details_in_words_without_a_stack_trace()
    {
        await using var app = await TestHost.Create().Map(MapThrowing).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();

        using var plex = await client.GetAsync("/api/v1/test/plex-down");
        using var bug = await client.GetAsync("/api/v1/test/bug");

        Assert.Equal(HttpStatusCode.BadGateway, plex.StatusCode);
        Assert.Equal("application/problem+json", plex.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await plex.Content.ReadAsStringAsync());
        Assert.Equal("Plex could not be reached", problem.RootElement.GetProperty("title").GetString());
        Assert.Equal("Connection refused by 192.0.2.1:32400.", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.InternalServerError, bug.StatusCode);
        var bugText = await bug.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret internal detail", bugText, StringComparison.Ordinal);
        Assert.DoesNotContain("at StarSync", bugText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_exception_and_unknown_page_render_the_error_page()
    {
        await using var app = await TestHost.Create().Map(MapThrowing).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();

        using var bug = await client.GetAsync("/test/bug");
        using var missing = await client.GetAsync("/no-such-page");
        using var missingApi = await client.GetAsync("/api/v1/no-such-thing");

        Assert.Equal(HttpStatusCode.InternalServerError, bug.StatusCode);
        var bugHtml = await bug.Content.ReadAsStringAsync();
        Assert.Contains("Unexpected error", bugHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("secret internal detail", bugHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Page not found", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missingApi.StatusCode);
        Assert.Equal("application/problem+json", missingApi.Content.Headers.ContentType?.MediaType);
    }

    private static void MapThrowing(WebApplication app)
    {
        app.MapGet("/api/v1/test/plex-down", IResult () => throw new PlexException("Connection refused by 192.0.2.1:32400."));
        app.MapGet("/api/v1/test/bug", IResult () => throw new InvalidOperationException("secret internal detail"));
        app.MapGet("/test/bug", IResult () => throw new InvalidOperationException("secret internal detail"));
    }
}
