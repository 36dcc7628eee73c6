using StarSync;

// Everything is composed in StarSyncApp so tests, the CLI and --demo build the very same host.
return await StarSyncApp.RunAsync(args);

/// <summary>Entry point; declared partial so tests can name the assembly's program type.</summary>
public partial class Program;
