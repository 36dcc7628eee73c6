using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Api;

/// <summary>
/// Every API route that takes a JSON body refuses unknown fields, a missing body and wrong types with a 400 naming the
/// field, and runs nothing (a typo such as dry_run must never start the real thing).
/// </summary>
[Trait("Category", "Integration")]
public sealed class StrictInputTests : IAsyncLifetime
{
    private const string Key = "strict-input-key-0123456789abcdef";
    private TestHost _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 50, Seed = 3 }).Config(new Dictionary<string, string?>
        {
            ["API_KEY"] = Key,
        }).StartAsync();
        _client = _app.CreateClient();
        _client.DefaultRequestHeaders.Add("X-Api-Key", Key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    public static TheoryData<string, string, string?, string, string> Refused => new()
    {
        // method, path, body (null = no body at all), field named in the errors, text the message contains
        { "POST", "/api/v1/jobs", """{"mode":"all","dry_run":true}""", "dry_run", "dryRun" },
        { "POST", "/api/v1/jobs", """{"mode":"all","dryRun":"yes"}""", "dryRun", "wrong type" },
        { "POST", "/api/v1/jobs", """{"mode":"recent","count":"many"}""", "count", "wrong type" },
        { "POST", "/api/v1/jobs", "", "body", "needs a JSON body" },
        { "POST", "/api/v1/jobs", null, "body", "needs a JSON body" },
        { "POST", "/api/v1/jobs", "null", "body", "needs a JSON body" },
        { "POST", "/api/v1/jobs", "{\"mode\":", "body", "not valid JSON" },
        { "POST", "/api/v1/undo-all", """{"dry_run":true}""", "dry_run", "dryRun" },
        { "POST", "/api/v1/undo-all", "", "body", "needs a JSON body" },
        { "POST", "/api/v1/undo-all", null, "body", "dryRun" },
        { "POST", "/api/v1/jobs/1/undo", """{"dry_run":true}""", "dry_run", "dryRun" },
        { "POST", "/api/v1/jobs/1/undo", "", "body", "needs a JSON body" },
        { "POST", "/api/v1/jobs/1/undo", """{"dryRun":1}""", "dryRun", "wrong type" },
        { "POST", "/api/v1/clear", """{"confirm":"CLEAR","dry_run":true}""", "dry_run", "confirm" },
        { "POST", "/api/v1/clear", "", "body", "confirm" },
        { "PUT", "/api/v1/settings", """{"batch_size":5}""", "batch_size", "batchSize" },
        { "PUT", "/api/v1/settings", """{"libraries":[1]}""", "libraries[0]", "wrong type" },
        { "PUT", "/api/v1/settings", "", "body", "needs a JSON body" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Body_route_refuses_with_400_naming_the_field_and_runs_nothing(string method, string path, string? body, string field, string says)
    {
        await SeedJobAsync();   // so /jobs/1/undo exists and only the body can be the reason
        var jobsBefore = (await _client.GetFromJsonAsync<JsonElement>("/api/v1/jobs")).GetArrayLength();
        var writesBefore = _app.Plex.Counters.RatingWrites;
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await _client.SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} {body} gave {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(JsonDocument.Parse(text).RootElement.TryGetProperty("errors", out var errors), text);
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {text}");
        Assert.Contains(says, messages[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(jobsBefore, (await _client.GetFromJsonAsync<JsonElement>("/api/v1/jobs")).GetArrayLength());
        Assert.Equal(writesBefore, _app.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Known_fields_in_any_case_are_still_accepted()
    {
        using var response = await _client.PostAsync("/api/v1/jobs", new StringContent("""{"Mode":"all","DryRun":true}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task SeedJobAsync()
    {
        if ((await _client.GetFromJsonAsync<JsonElement>("/api/v1/jobs")).GetArrayLength() > 0)
        {
            return;
        }

        using var response = await _client.PostAsJsonAsync("/api/v1/jobs", new { mode = "all", dryRun = true });
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await TestHost.FinishedJobAsync(_client, id);
    }
}
