using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace StarSync.Tests.Web;

/// <summary>Pages as the server renders them, before any script runs.</summary>
[Trait("Category", "Integration")]
public sealed class PagesTests
{
    [Theory]
    [InlineData("/history/999")]
    [InlineData("/history/abc")]
    public async Task A_job_page_for_a_job_that_does_not_exist_answers_404_and_says_so(string path)
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync();

        using var response = await client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<h1 id=\"missing-title\">Job not found</h1>", html, StringComparison.Ordinal);
        Assert.Contains($"There is no job #{path[9..]} in the history.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"changes-body\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_version_is_in_the_footer_when_signed_in_and_in_the_status_API_but_not_on_the_login_page()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var anonymous = app.CreateClient();
        using var client = await app.CreateLoggedInClientAsync();

        var login = await anonymous.GetStringAsync("/login");
        var dashboard = await client.GetStringAsync("/");
        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/status");

        var version = StarSync.Web.AppVersion.Current;
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.Contains($"<span id=\"app-version\">StarSync {version}</span>", dashboard, StringComparison.Ordinal);
        Assert.DoesNotContain("app-version", login, StringComparison.Ordinal);
        Assert.Equal(version, status.GetProperty("version").GetString());
    }

    [Theory]
    [InlineData("1.1.0+6d76cd5f0a1b2c3d", "1.1.0 (6d76cd5)")]
    [InlineData("1.1.0", "1.1.0")]
    [InlineData(null, "unknown")]
    public void Version_shows_the_short_commit(string? informational, string expected) =>
        Assert.Equal(expected, StarSync.Web.AppVersion.Describe(informational));
}
