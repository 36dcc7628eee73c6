using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StarSync.Tests.Configuration;

/// <summary>WEBHOOK_SECRET and API_KEY rotate: the environment wins over the stored value, the UI regenerates what the environment does not pin.</summary>
[Trait("Category", "Integration")]
public sealed class SecretRotationTests : IDisposable
{
    private const string EnvSecret = "rotated-webhook-secret-42";
    private const string EnvKey = "rotated-api-key-0123456789";
    private readonly string _root = Directory.CreateTempSubdirectory("starsync-secrets-").FullName;

    private string SettingsFile => Path.Combine(_root, "config", "settings.json");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JsonObject Stored() => JsonNode.Parse(File.ReadAllText(SettingsFile))!.AsObject();

    [Fact]
    public async Task Secrets_set_in_the_environment_replace_the_stored_ones_and_the_log_names_the_source_not_the_value()
    {
        await using (await TestHost.Create().InDirectory(_root).StartAsync())
        {
        }

        var storedSecret = Stored()["webhook_secret"]!.GetValue<string>();
        var storedKey = Stored()["api_key"]!.GetValue<string>();

        await using (var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["WEBHOOK_SECRET"] = EnvSecret, ["API_KEY"] = EnvKey }).InDirectory(_root).StartAsync())
        {
            using var client = app.CreateClient();
            client.DefaultRequestHeaders.Add("X-Api-Key", EnvKey);
            var settings = await client.GetFromJsonAsync<JsonElement>("/api/v1/settings");
            using var oldKey = app.CreateClient();
            oldKey.DefaultRequestHeaders.Add("X-Api-Key", storedKey);
            using var refused = await oldKey.GetAsync("/api/v1/status");

            Assert.EndsWith("/plex-webhook/" + EnvSecret, settings.GetProperty("webhookUrl").GetString(), StringComparison.Ordinal);
            Assert.Equal("environment", settings.GetProperty("webhookSecretSource").GetString());
            Assert.Equal("environment", settings.GetProperty("apiKeySource").GetString());
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            // The stored values are replaced, so unsetting the variables later does not bring a leaked secret back.
            Assert.Equal(EnvSecret, Stored()["webhook_secret"]!.GetValue<string>());
            Assert.Equal(EnvKey, Stored()["api_key"]!.GetValue<string>());
            Assert.NotEqual(EnvSecret, storedSecret);
        }

        var log = string.Concat(Directory.GetFiles(Path.Combine(_root, "logs")).Select(ReadShared));
        Assert.Contains("Webhook secret in force comes from environment", log, StringComparison.Ordinal);
        Assert.Contains("API key in force comes from environment", log, StringComparison.Ordinal);
        Assert.Contains("Webhook secret in force comes from generated", log, StringComparison.Ordinal);
        Assert.DoesNotContain(EnvSecret, log, StringComparison.Ordinal);
        Assert.DoesNotContain(EnvKey, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_secret_regenerated_in_the_ui_replaces_the_old_url_and_needs_an_antiforgery_token()
    {
        await using var app = await TestHost.Create().InDirectory(_root).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        var before = (await client.GetFromJsonAsync<JsonElement>("/api/v1/settings")).GetProperty("webhookUrl").GetString()!;

        using var withoutToken = await client.PostAsync("/api/v1/settings/webhook-secret", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/settings/webhook-secret");
        request.Headers.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client, "/settings"));
        using var response = await client.SendAsync(request);
        var after = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("webhookUrl").GetString()!;
        var shown = await client.GetFromJsonAsync<JsonElement>("/api/v1/settings");

        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(before, after);
        Assert.Equal(after, shown.GetProperty("webhookUrl").GetString());
        Assert.EndsWith("/plex-webhook/" + Stored()["webhook_secret"]!.GetValue<string>(), after, StringComparison.Ordinal);
        using var webhooks = app.CreateClient();
        using var old = await webhooks.PostAsync(new Uri(before).AbsolutePath, new StringContent(""));
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task Regenerated_api_key_replaces_the_old_one()
    {
        await using var app = await TestHost.Create().InDirectory(_root).StartAsync();
        var key = Stored()["api_key"]!.GetValue<string>();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        using var response = await client.PostAsync("/api/v1/settings/api-key", null);
        var fresh = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apiKey").GetString()!;
        using var old = await client.GetAsync("/api/v1/status");
        using var withFresh = app.CreateClient();
        withFresh.DefaultRequestHeaders.Add("X-Api-Key", fresh);
        using var ok = await withFresh.GetAsync("/api/v1/status");

        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("settings.json", (await withFresh.GetFromJsonAsync<JsonElement>("/api/v1/settings")).GetProperty("apiKeySource").GetString());
    }

    [Fact]
    public async Task Webhook_secret_pinned_by_the_environment_is_not_regenerated_and_the_reason_names_the_variable()
    {
        await using var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["WEBHOOK_SECRET"] = EnvSecret }).InDirectory(_root).StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/settings/webhook-secret");
        request.Headers.Add("RequestVerificationToken", await TestHost.GetAntiforgeryTokenAsync(client, "/settings"));

        using var response = await client.SendAsync(request);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("WEBHOOK_SECRET", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(EnvSecret, Stored()["webhook_secret"]!.GetValue<string>());
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
