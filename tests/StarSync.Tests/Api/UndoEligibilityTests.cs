using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Api;

/// <summary>Undo eligibility is decided once, on the server: the DTO carries it, the API and the undo itself follow it.</summary>
[Trait("Category", "Integration")]
public sealed class UndoEligibilityTests : IAsyncLifetime
{
    private const string Key = "undo-eligibility-key-0123456789abcdef";
    private TestHost _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 60, Seed = 8, HandRatedShare = 0.3 }).Config(new Dictionary<string, string?>
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

    [Fact]
    public async Task Dto_says_which_jobs_can_be_undone_and_the_api_agrees_clear_included()
    {
        var dry = await RunAsync("/api/v1/jobs", new { mode = "all", dryRun = true });
        var rate = await RunAsync("/api/v1/jobs", new { mode = "all" });
        var clear = await RunAsync("/api/v1/clear", new { confirm = "CLEAR" });
        var undoClear = await RunAsync($"/api/v1/jobs/{Id(clear)}/undo", new { dryRun = false });

        Assert.False(dry.GetProperty("canUndo").GetBoolean());
        Assert.Contains("dry run", dry.GetProperty("undoBlockedReason").GetString(), StringComparison.Ordinal);
        Assert.True(rate.GetProperty("canUndo").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rate.GetProperty("undoBlockedReason").ValueKind);
        Assert.True(clear.GetProperty("canUndo").GetBoolean());          // the UI used to refuse this one
        Assert.Equal("succeeded", undoClear.GetProperty("status").GetString());
        Assert.False(undoClear.GetProperty("canUndo").GetBoolean());
        Assert.Contains("an undo", undoClear.GetProperty("undoBlockedReason").GetString(), StringComparison.Ordinal);

        // The API refuses exactly what the DTO says cannot be undone, with the same reason.
        foreach (var job in new[] { dry, undoClear })
        {
            using var refused = await _client.PostAsJsonAsync($"/api/v1/jobs/{Id(job)}/undo", new { dryRun = true });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(job.GetProperty("undoBlockedReason").GetString(), problem.GetProperty("errors").GetProperty("id")[0].GetString());
        }

        // The page takes the decision from the server (the history API's undo block, UndoEligibility.Evaluate) instead of deriving its own.
        var script = await File.ReadAllTextAsync(Path.Combine(TestHost.ContentRoot, "wwwroot", "js", "history.js"));
        Assert.Contains("!undo.canUndo", script, StringComparison.Ordinal);
        Assert.DoesNotContain("\"clear\"].includes(job.mode)", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JobStatus.Queued, JobMode.All, false, "has not finished")]
    [InlineData(JobStatus.Running, JobMode.Clear, false, "has not finished")]
    [InlineData(JobStatus.Failed, JobMode.Recent, false, null)]
    [InlineData(JobStatus.Cancelled, JobMode.Clear, false, null)]
    [InlineData(JobStatus.Succeeded, JobMode.All, true, "dry run")]
    [InlineData(JobStatus.Succeeded, JobMode.UndoAll, false, "an undo")]
    public void WhyNot_names_the_reason_or_allows(JobStatus status, JobMode mode, bool dryRun, string? reason)
    {
        var job = new JobRecord(7, JobTrigger.Manual, mode, dryRun, "d", [], status, DateTimeOffset.UnixEpoch, null, null, new JobCounts(), null,
            new JobRequest(JobTrigger.Manual, mode, dryRun));

        var why = UndoEligibility.WhyNot(job);

        if (reason is null)
        {
            Assert.Null(why);
        }
        else
        {
            Assert.Contains(reason, why, StringComparison.Ordinal);
        }
    }

    private static long Id(JsonElement job) => job.GetProperty("id").GetInt64();

    private async Task<JsonElement> RunAsync(string path, object body)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Id(await response.Content.ReadFromJsonAsync<JsonElement>());
        return await TestHost.FinishedJobAsync(_client, id);
    }
}
