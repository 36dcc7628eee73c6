using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StarSync.Jobs;

namespace StarSync.Tests.Engine;

/// <summary>One job at a time also across processes: the web app and a CLI run from cron share one journal.</summary>
[Trait("Category", "Integration")]
public sealed class RunnerLeaseTests
{
    [Fact]
    public async Task A_second_runner_waits_while_another_holds_the_lease_then_runs()
    {
        await using var web = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cli = await TestHost.Create().Plex(web.Plex).InDirectory(web.RootDirectory).Services(b =>
            b.Logging.AddProvider(new SignalOnEvent(2006, waiting))).EngineOnly().StartAsync();
        Assert.True(await web.Lease.TryAcquireAsync(CancellationToken.None)); // the web app is "running a job"

        var run = cli.RunAsync(JobMode.All);
        await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(run.IsCompleted);
        Assert.Equal(0, web.Plex.Counters.RatingWrites);
        await web.Lease.ReleaseAsync(CancellationToken.None);
        var job = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.True(web.Plex.Counters.RatingWrites > 0);
    }

    [Fact]
    public async Task Recovery_leaves_a_job_alone_while_another_process_runs_it()
    {
        await using var cli = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        await using var web = await TestHost.Create().Plex(cli.Plex).InDirectory(cli.RootDirectory).EngineOnly().StartAsync();
        var job = await cli.Journal.CreateJobAsync(new JobRequest(JobTrigger.Cli, JobMode.All), ["Music"], CancellationToken.None);
        await cli.Journal.UpdateJobAsync(job with { Status = JobStatus.Running }, CancellationToken.None);
        Assert.True(await cli.Lease.TryAcquireAsync(CancellationToken.None));

        await web.Executor.RecoverAsync(includeQueued: true, CancellationToken.None);

        Assert.Equal(JobStatus.Running, (await web.Journal.GetJobAsync(job.Id, CancellationToken.None))!.Status);
        await cli.Lease.ReleaseAsync(CancellationToken.None);
        await web.Executor.RecoverAsync(includeQueued: true, CancellationToken.None);
        Assert.Equal(JobStatus.Failed, (await web.Journal.GetJobAsync(job.Id, CancellationToken.None))!.Status);
    }

    private sealed class SignalOnEvent(int eventId, TaskCompletionSource signal) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(eventId, signal);

        public void Dispose()
        {
        }

        private sealed class Logger(int eventId, TaskCompletionSource signal) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (id.Id == eventId)
                {
                    signal.TrySetResult();
                }
            }
        }
    }
}
