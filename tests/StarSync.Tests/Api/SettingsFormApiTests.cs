using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace StarSync.Tests.Api;

/// <summary>
/// PUT /api/v1/settings checks the whole form in one pass: every field's problem at once, keyed by field, in the
/// words of the page's labels; an emptied (null) field is an error; nothing is saved while anything is wrong.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SettingsFormApiTests : IAsyncLifetime
{
    private const string Key = "settings-form-key-0123456789abcdef";
    private TestHost _app = null!;
    private HttpClient _client = null!;

    private string SettingsFile => Path.Combine(_app.ConfigDirectory, "settings.json");

    public async Task InitializeAsync()
    {
        _app = await TestHost.Create().Config("API_KEY", Key).Config("BATCH_SIZE", "200").StartAsync();
        _client = _app.CreateApiClient(Key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Put_with_several_bad_fields_names_each_in_label_words_and_saves_nothing()
    {
        var before = await File.ReadAllBytesAsync(SettingsFile);

        using var response = await _client.PutAsync("/api/v1/settings", Json("""
            {"batchSize": null, "batchIntervalMinutes": 2.5, "writeConcurrency": 99, "ratingStyle": "5stars", "targetRating": 7,
             "writeBatchSize": 1e12, "libraries": [], "writeMode": "sideways"}
            """));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal("Batch size is required.", Message(errors, "batchSize"));
        Assert.Equal("Minutes between scheduled runs must be a whole number from 0 (off) to 525,600 (a year).", Message(errors, "batchIntervalMinutes"));
        Assert.StartsWith("Parallel writes to Plex must be auto or a whole number from 1 to 32", Message(errors, "writeConcurrency"), StringComparison.Ordinal);
        Assert.Equal("Rating to give must be a whole number of stars from 1 to 5 with this rating style.", Message(errors, "targetRating"));
        Assert.StartsWith("Tracks per bulk edit must be a whole number from 1 to 500", Message(errors, "writeBatchSize"), StringComparison.Ordinal);
        Assert.Equal("Choose at least one music library.", Message(errors, "libraries"));
        Assert.StartsWith("Write mode 'sideways' is unknown", Message(errors, "writeMode"), StringComparison.Ordinal);
        Assert.Equal(7, errors.EnumerateObject().Count());
        Assert.DoesNotContain(errors.EnumerateObject().SelectMany(e => e.Value.EnumerateArray()), m => m.GetString()!.Contains('_', StringComparison.Ordinal));
        Assert.Equal(before, await File.ReadAllBytesAsync(SettingsFile));
    }

    [Fact]
    public async Task Put_leaves_out_absent_fields_and_any_letter_case_of_a_known_field_still_counts()
    {
        using var emptied = await _client.PutAsync("/api/v1/settings", Json("""{"BatchSize": null}"""));
        Assert.Equal("Batch size is required.", Message((await emptied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors"), "batchSize"));

        using var saved = await _client.PutAsync("/api/v1/settings", Json("""{"writeConcurrency": 2}"""));

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var shown = await saved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, shown.GetProperty("writeConcurrency").GetInt32());
        Assert.Equal(200, shown.GetProperty("batchSize").GetInt32());
    }

    [Fact]
    public async Task Get_says_where_each_value_comes_from_and_that_settings_json_wins()
    {
        var shown = await _client.GetFromJsonAsync<JsonElement>("/api/v1/settings");

        var sources = shown.GetProperty("sources");
        // BATCH_SIZE=200 went into settings.json at the first start; from then on settings.json wins over it.
        var batch = sources.GetProperty("batchSize");
        Assert.Equal("settings.json", batch.GetProperty("source").GetString());
        Assert.True(batch.GetProperty("setInEnvironment").GetBoolean());
        Assert.Equal("From settings.json, which wins over BATCH_SIZE in the environment.", batch.GetProperty("text").GetString());
        Assert.Equal("From settings.json.", sources.GetProperty("writeMode").GetProperty("text").GetString());
        // Only the environment sets the Plex timeout: shown, never editable here.
        var timeout = sources.GetProperty("plexTimeoutSeconds");
        Assert.Equal("default", timeout.GetProperty("source").GetString());
        Assert.False(timeout.GetProperty("editable").GetBoolean());
        Assert.Equal(30, shown.GetProperty("plexTimeoutSeconds").GetInt32());
    }

    [Fact]
    public async Task Put_with_an_environment_only_or_unknown_field_is_refused_naming_it()
    {
        using var response = await _client.PutAsync("/api/v1/settings", Json("""{"plexPageSize": 10}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("'plexPageSize' is not a field of this request", Message(errors, "plexPageSize"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"libraries": null}""", "libraries")]
    [InlineData("""{"libraries": [null, " "]}""", "libraries")]
    [InlineData("""{"targetRating": 1e308}""", "targetRating")]
    [InlineData("""{"ratingStyle": ""}""", "ratingStyle")]
    [InlineData("""{"ratingStyle": null, "writeMode": null}""", "writeMode")]
    [InlineData("""{"overrideRating": null}""", "overrideRating")]
    [InlineData("""{"batchSize": -0.0}""", "batchSize")]
    [InlineData("""{"batchSize": 1e400}""", "batchSize")]
    [InlineData("""{"overrideRating": "yes"}""", "overrideRating")]
    [InlineData("""[]""", "body")]
    [InlineData("\"batchSize\"", "body")]
    public async Task Put_with_odd_input_is_a_400_naming_the_field_never_a_500(string body, string field)
    {
        var before = await File.ReadAllBytesAsync(SettingsFile);

        using var response = await _client.PutAsync("/api/v1/settings", Json(body));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body} gave {(int)response.StatusCode}: {text}");
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{body}: no error for '{field}' in {text}");
        Assert.Equal(before, await File.ReadAllBytesAsync(SettingsFile));
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private static string Message(JsonElement errors, string field) =>
        errors.TryGetProperty(field, out var messages) ? messages[0].GetString()! : $"(no error for {field} in {errors})";
}
