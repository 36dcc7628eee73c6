using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Api;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Api;

/// <summary>The history API over real HTTP against a real app and the emulated Plex: outcomes in words, undo links and 409, previews, paging, filters, search, track pages, CSV.</summary>
[Trait("Category", "Integration")]
public sealed class HistoryApiTests : IAsyncLifetime
{
    private const string Key = "history-tests-key-0123456789abcdef";
    private TestHost _app = null!;

    public async Task InitializeAsync()
    {
        // LIBRARY_NAME: the emulator's first music library (Section), as the builder sets it.
        _app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 400, Seed = 33, HandRatedShare = 0.2 }).Config("API_KEY", Key).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
    }

    private EmulatedSection Section => _app.Plex.Library.Sections.First(s => s.IsMusic);

    private JournalStore Journal => _app.App.Services.GetRequiredService<JournalStore>();

    private HttpClient Client()
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", Key);
        return client;
    }

    private static async Task<JsonElement> WaitForJobAsync(HttpClient client, long id)
    {
        JsonElement job = default;
        await Eventually.TrueAsync(async () =>
        {
            job = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}");
            return job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled";
        }, $"job {id} to finish", seconds: 90);
        return job;
    }

    private static async Task<long> StartAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await WaitForJobAsync(client, id);
        return id;
    }

    private static Task<JsonElement> DetailAsync(HttpClient client, long id) => client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{id}");

    [Fact]
    public async Task A_dry_run_says_would_and_applying_it_runs_the_same_request_for_real_and_compares()
    {
        using var client = Client();
        var unrated = _app.Plex.Library.CountUnrated(Section.Key);

        var preview = await StartAsync(client, "/api/v1/jobs", new { mode = "all", dryRun = true });
        var detail = await DetailAsync(client, preview);
        Assert.Equal("dry run", detail.GetProperty("outcome").GetProperty("label").GetString());
        Assert.StartsWith($"Would rate {unrated:N0}", detail.GetProperty("outcome").GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.False(detail.GetProperty("undo").GetProperty("canUndo").GetBoolean());
        Assert.Equal(unrated, _app.Plex.Library.CountUnrated(Section.Key)); // a preview writes nothing

        using var apply = await client.PostAsJsonAsync($"/api/v1/jobs/{preview}/apply", new { });
        Assert.Equal(HttpStatusCode.Accepted, apply.StatusCode);
        var real = (await apply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await WaitForJobAsync(client, real);
        Assert.Equal(0, _app.Plex.Library.CountUnrated(Section.Key));

        var realDetail = await DetailAsync(client, real);
        Assert.Equal("succeeded", realDetail.GetProperty("outcome").GetProperty("label").GetString());
        Assert.StartsWith($"Rated {unrated:N0}", realDetail.GetProperty("outcome").GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(preview, realDetail.GetProperty("preview").GetProperty("previewJobId").GetInt64());
        Assert.StartsWith("As previewed", realDetail.GetProperty("preview").GetProperty("comparison").GetString(), StringComparison.Ordinal);
        var appliedBy = (await DetailAsync(client, preview)).GetProperty("preview").GetProperty("appliedBy");
        Assert.Equal(new long[] { real }, appliedBy.EnumerateArray().Select(e => e.GetInt64()));

        // A real run is not a preview; applying it again is refused with the reason.
        using var again = await client.PostAsJsonAsync($"/api/v1/jobs/{real}/apply", new { });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("not a dry run", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_preview_made_before_the_library_changed_says_so_when_applied()
    {
        using var client = Client();
        var preview = await StartAsync(client, "/api/v1/jobs", new { mode = "all", dryRun = true });
        _app.Plex.Library.AddAlbum(Section.Key, 7, "Arrived After The Preview");
        using var apply = await client.PostAsJsonAsync($"/api/v1/jobs/{preview}/apply", new { });
        var real = (await apply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await WaitForJobAsync(client, real);

        var comparison = (await DetailAsync(client, real)).GetProperty("preview").GetProperty("comparison").GetString();
        Assert.StartsWith("The library changed since the preview", comparison, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_undone_job_links_both_ways_and_a_second_undo_is_refused_with_409_naming_the_undo()
    {
        using var client = Client();
        var rated = await StartAsync(client, "/api/v1/jobs", new { mode = "all" });
        var undo = await StartAsync(client, $"/api/v1/jobs/{rated}/undo", new { });

        var detail = await DetailAsync(client, rated);
        var state = detail.GetProperty("undo");
        Assert.Equal("undone", state.GetProperty("status").GetString());
        Assert.Equal(new long[] { undo }, state.GetProperty("undoneBy").EnumerateArray().Select(e => e.GetInt64()));
        Assert.False(state.GetProperty("canUndo").GetBoolean());
        Assert.Equal($"Already undone by #{undo}.", state.GetProperty("reason").GetString());
        Assert.Equal(rated, (await DetailAsync(client, undo)).GetProperty("undo").GetProperty("reverts").GetInt64());
        var undoOutcome = (await DetailAsync(client, undo)).GetProperty("outcome").GetProperty("summary").GetString();
        Assert.StartsWith("Restored ", undoOutcome, StringComparison.Ordinal);

        using var second = await client.PostAsJsonAsync($"/api/v1/jobs/{rated}/undo", new { });
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains($"#{undo}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The jobs list shows the same marks without opening the job.
        var page = await client.GetFromJsonAsync<JsonElement>("/api/v1/history/jobs?pageSize=10");
        var row = page.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("job").GetProperty("id").GetInt64() == rated);
        Assert.Equal("undone", row.GetProperty("undo").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_partly_undone_job_shows_as_such_and_can_undo_the_rest()
    {
        using var client = Client();
        var rated = await StartAsync(client, "/api/v1/jobs", new { mode = "all" });
        // Someone re-rates one track by hand: the undo must leave it, so the job is only partly undone.
        var changes = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{rated}/changes?state=applied&pageSize=10");
        var handKey = changes.GetProperty("items")[0].GetProperty("ratingKey").GetString()!;
        using (var plexClient = new HttpClient { BaseAddress = _app.Plex.BaseUri })
        {
            plexClient.DefaultRequestHeaders.Add("X-Plex-Token", _app.Plex.Token);
            using var put = await plexClient.PutAsync($"/:/rate?key={handKey}&identifier=com.plexapp.plugins.library&rating=10", null);
            Assert.True(put.IsSuccessStatusCode);
        }

        var undo = await StartAsync(client, $"/api/v1/jobs/{rated}/undo", new { });
        var state = (await DetailAsync(client, rated)).GetProperty("undo");
        Assert.Equal("partly-undone", state.GetProperty("status").GetString());
        Assert.Equal(new long[] { undo }, state.GetProperty("undoneBy").EnumerateArray().Select(e => e.GetInt64()));
        Assert.True(state.GetProperty("canUndo").GetBoolean());

        var skipped = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{undo}/changes?state=skipped");
        Assert.Equal(1, skipped.GetProperty("total").GetInt32());
        Assert.StartsWith("Skipped: rating changed since StarSync set it", skipped.GetProperty("items")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_job_says_cancelled_with_what_was_done_and_what_was_not_sent()
    {
        _app.Plex.Options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(40);
        using var client = Client();
        using (var put = await client.PutAsJsonAsync("/api/v1/settings", new { writeConcurrency = 1, writeMode = "single" }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var start = await client.PostAsJsonAsync("/api/v1/jobs", new { mode = "all" });
        var id = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        await Eventually.TrueAsync(async () =>
        {
            var job = await client.GetFromJsonAsync<JsonElement>($"/api/v1/jobs/{id}");
            return job.GetProperty("counts").GetProperty("rated").GetInt32() >= 3;
        }, "a few writes before cancelling");
        using (var cancel = await client.PostAsync("/api/v1/jobs/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        await WaitForJobAsync(client, id);
        var outcome = (await DetailAsync(client, id)).GetProperty("outcome");
        Assert.Equal("cancelled", outcome.GetProperty("kind").GetString());
        Assert.Equal("cancelled", outcome.GetProperty("label").GetString());
        var summary = outcome.GetProperty("summary").GetString()!;
        Assert.StartsWith("Rated ", summary, StringComparison.Ordinal);
        Assert.Matches(@"[\d,]+ not sent", summary);
        Assert.DoesNotContain("failed", summary, StringComparison.Ordinal);

        var notSent = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{id}/changes?state=not-sent&pageSize=10");
        Assert.True(notSent.GetProperty("total").GetInt32() > 0);
        foreach (var change in notSent.GetProperty("items").EnumerateArray())
        {
            Assert.Equal("not-sent", change.GetProperty("state").GetString());
            Assert.StartsWith("Not sent:", change.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        var failed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{id}/changes?state=failed");
        Assert.Equal(0, failed.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_job_with_failed_writes_is_completed_with_failures_not_succeeded()
    {
        // The journal as the change writer leaves it when Plex refuses two writes of an otherwise finished job.
        var job = await Journal.CreateJobAsync(new JobRequest(JobTrigger.Manual, JobMode.All), [Section.Title], CancellationToken.None);
        // Finished first: the running app's executor settles other processes' unfinished jobs and pending rows.
        await Journal.UpdateJobAsync(job with { Status = JobStatus.Succeeded, Counts = new JobCounts(5, 5, Rated: 3, Failed: 2) }, CancellationToken.None);
        var ids = await Journal.AddChangesAsync(job.Id, Enumerable.Range(0, 5).Select(i => new ChangeDraft($"k{i}", Section.Title, "A", "B", $"T{i}", null, 6)).ToArray(),
            ChangeState.Applied, null, null, CancellationToken.None);
        await Journal.MarkAsync(ids.Take(2).Select(id => new ChangeOutcome(id, ChangeState.Failed, "Plex answered 404 Not Found")).ToArray(),
            CancellationToken.None);

        using var client = Client();
        var outcome = (await DetailAsync(client, job.Id)).GetProperty("outcome");
        Assert.Equal("completed-with-failures", outcome.GetProperty("kind").GetString());
        Assert.Equal("completed with 2 failures", outcome.GetProperty("label").GetString());
        Assert.Equal("Rated 3 · 2 failed", outcome.GetProperty("summary").GetString());
        var failed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{job.Id}/changes?state=failed");
        Assert.Equal(2, failed.GetProperty("total").GetInt32());
        Assert.Equal("Failed: Plex answered 404 Not Found", failed.GetProperty("items")[0].GetProperty("reason").GetString());
        var listed = await client.GetFromJsonAsync<JsonElement>("/api/v1/history/jobs?status=completed-with-failures");
        Assert.Equal(new[] { job.Id }, listed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("job").GetProperty("id").GetInt64()));
        var succeeded = await client.GetFromJsonAsync<JsonElement>("/api/v1/history/jobs?status=succeeded");
        Assert.DoesNotContain(job.Id, succeeded.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("job").GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task Jobs_page_filters_sorts_and_refuses_unknown_parameters_naming_them()
    {
        using var client = Client();
        var preview = await StartAsync(client, "/api/v1/jobs", new { mode = "recent", count = 20, dryRun = true });
        var rated = await StartAsync(client, "/api/v1/jobs", new { mode = "recent", count = 20 });
        var undo = await StartAsync(client, $"/api/v1/jobs/{rated}/undo", new { });

        async Task<long[]> Ids(string query) => (await client.GetFromJsonAsync<JsonElement>("/api/v1/history/jobs?" + query))
            .GetProperty("items").EnumerateArray().Select(i => i.GetProperty("job").GetProperty("id").GetInt64()).ToArray();

        Assert.Equal(new long[] { undo, rated, preview }, await Ids(""));
        Assert.Equal(new long[] { preview, rated, undo }, await Ids("sort=oldest"));
        Assert.Equal(new long[] { preview }, await Ids("dryRun=true"));
        Assert.Equal(new long[] { undo }, await Ids("mode=undo"));
        Assert.Equal(new long[] { undo, rated, preview }, await Ids("trigger=api"));
        Assert.Empty(await Ids("trigger=schedule"));
        Assert.Empty(await Ids("from=2999-01-01"));
        Assert.Equal(new long[] { undo, rated, preview }, await Ids("from=2000-01-01&to=2999-01-01"));

        var second = await client.GetFromJsonAsync<JsonElement>("/api/v1/history/jobs?page=2&pageSize=10");
        Assert.Equal(3, second.GetProperty("total").GetInt32());
        Assert.Empty(second.GetProperty("items").EnumerateArray());

        foreach (var (query, field) in new[] { ("colour=red", "colour"), ("status=bogus", "status"), ("pageSize=5000", "pageSize"), ("from=yesterday", "from"), ("dryRun=maybe", "dryRun") })
        {
            using var bad = await client.GetAsync("/api/v1/history/jobs?" + query);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.True(errors.TryGetProperty(field, out _), $"{query}: {errors}");
        }

        // The journal records the rule that decided each change: filtering by a rule no change came from finds none.
        var rule = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{rated}/changes?rule=night");
        Assert.Equal(0, rule.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Search_matches_several_words_across_artist_album_and_title_and_the_track_page_lists_every_change()
    {
        using var client = Client();
        var rated = await StartAsync(client, "/api/v1/jobs", new { mode = "all" });
        // The web app's indexer adds a job's changes to the word index once the job has ended.
        await Eventually.TrueAsync(async () => await Journal.WordIndexBacklogAsync(CancellationToken.None) == 0, "the word index to take in the job's changes", seconds: 30);
        var first = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{rated}/changes?pageSize=10")).GetProperty("items")[0];
        // Each field's longest word: a short common one ("The") could match more rows than the page of 500 holds.
        var artistWord = first.GetProperty("artist").GetString()!.Split(' ').MaxBy(w => w.Length)!;
        var titleWord = first.GetProperty("title").GetString()!.Split(' ').MaxBy(w => w.Length)!;

        var found = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/search?q={Uri.EscapeDataString(artistWord + " " + titleWord)}&pageSize=500");
        var items = found.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(found.GetProperty("total").GetInt32(), items.Count);
        Assert.Contains(items, i => i.GetProperty("id").GetInt64() == first.GetProperty("id").GetInt64());
        foreach (var item in items)
        {
            var text = string.Join(" ", item.GetProperty("artist").GetString(), item.GetProperty("album").GetString(), item.GetProperty("title").GetString());
            Assert.Contains(artistWord, text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(titleWord, text, StringComparison.OrdinalIgnoreCase);
        }

        using (var empty = await client.GetAsync("/api/v1/history/search?q=%20"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        }

        var undo = await StartAsync(client, $"/api/v1/jobs/{rated}/undo", new { });
        var key = first.GetProperty("ratingKey").GetString()!;
        var track = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/tracks/{key}");
        var story = track.GetProperty("changes").EnumerateArray().ToList();
        Assert.Equal(new long[] { rated, undo }, story.Select(c => c.GetProperty("jobId").GetInt64()));
        Assert.StartsWith("Rated 3★", story[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.EndsWith($"undone by job #{undo}", story[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.StartsWith($"Put back the rating from before job #{rated}", story[1].GetProperty("reason").GetString(), StringComparison.Ordinal);

        using var missing = await client.GetAsync("/api/v1/history/tracks/no-such-key");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Csv_export_streams_every_change_as_a_download_with_formulas_neutralised()
    {
        _app.Plex.Library.AddAlbum(Section.Key, 3, "=HYPERLINK(\"http://evil\",\"x\")");
        using var client = Client();
        var rated = await StartAsync(client, "/api/v1/jobs", new { mode = "all" });
        var total = (await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{rated}/changes?pageSize=10")).GetProperty("total").GetInt32();

        using var response = await client.GetAsync($"/api/v1/history/jobs/{rated}/changes.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"starsync-job-{rated}-changes.csv", response.Content.Headers.ContentDisposition.FileNameStar ?? response.Content.Headers.ContentDisposition.FileName);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ChangeCsv.Header, lines[0].TrimEnd('\r'));
        Assert.Equal(total + 1, lines.Length);
        var evil = lines.Where(l => l.Contains("HYPERLINK", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, evil.Count);
        Assert.All(evil, l => Assert.Contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",", l, StringComparison.Ordinal));

        using var missing = await client.GetAsync("/api/v1/history/jobs/9999/changes.csv");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+44 20", "'+44 20")]
    [InlineData("-3", "'-3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("Plain, with comma", "\"Plain, with comma\"")]
    [InlineData("Say \"hi\"", "\"Say \"\"hi\"\"\"")]
    [InlineData("Björk", "Björk")]
    public void Csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe(string value, string expected) =>
        Assert.Equal(expected, ChangeCsv.Cell(value));

    [Fact]
    public async Task A_job_of_100k_changes_pages_jumps_and_filters_by_state_and_words()
    {
        var job = await Journal.CreateJobAsync(new JobRequest(JobTrigger.Manual, JobMode.All), [Section.Title], CancellationToken.None);
        // Finished before its rows are written: the running app's executor closes queued or running jobs it does not
        // own (a killed process's leftovers) before each job it runs, and would race this set-up.
        await Journal.UpdateJobAsync(job with { Status = JobStatus.Succeeded, Counts = new JobCounts(100_000, 100_000, Rated: 99_000, Failed: 1_000) }, CancellationToken.None);
        for (var batch = 0; batch < 10; batch++)
        {
            var drafts = Enumerable.Range(batch * 10_000, 10_000)
                .Select(i => new ChangeDraft($"big{i}", Section.Title, $"Artist {i % 97}", $"Album {i % 1000}", $"Song {i}", null, 6)).ToArray();
            // Written as applied, never pending: the running app's executor settles pending rows of interrupted runs
            // before each job, and would race this set-up.
            var ids = await Journal.AddChangesAsync(job.Id, drafts, ChangeState.Applied, null, null, CancellationToken.None);
            await Journal.MarkAsync(ids.Where((_, i) => (batch * 10_000 + i) % 100 == 0)
                .Select(id => new ChangeOutcome(id, ChangeState.Failed, "Plex answered 500")).ToArray(), CancellationToken.None);
        }

        using var client = Client();

        var page = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{job.Id}/changes?page=800&pageSize=100");
        Assert.Equal(100_000, page.GetProperty("total").GetInt32());
        Assert.Equal("Song 79900", page.GetProperty("items")[0].GetProperty("title").GetString());

        var failed = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{job.Id}/changes?state=failed&page=3&pageSize=10");
        Assert.Equal(1_000, failed.GetProperty("total").GetInt32());
        Assert.Equal("Song 2000", failed.GetProperty("items")[0].GetProperty("title").GetString());

        var words = await client.GetFromJsonAsync<JsonElement>($"/api/v1/history/jobs/{job.Id}/changes?q={Uri.EscapeDataString("89 99999")}");
        Assert.Equal(new[] { "Song 99999" }, words.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("title").GetString()));

        var detail = await DetailAsync(client, job.Id);
        Assert.Equal("completed with 1,000 failures", detail.GetProperty("outcome").GetProperty("label").GetString());
    }
}
