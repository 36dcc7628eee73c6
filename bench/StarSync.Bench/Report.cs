using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace StarSync.Bench;

/// <summary>Collects the run's results as Markdown, echoed to the console as they arrive.</summary>
internal sealed class Report
{
    private readonly StringBuilder _text = new();

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Secs(TimeSpan t) => t.TotalSeconds >= 10 ? F(t.TotalSeconds, "0.0") + " s"
        : t.TotalSeconds >= 1 ? F(t.TotalSeconds, "0.00") + " s"
        : F(t.TotalMilliseconds, "0.0") + " ms";

    public static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Mb(long bytes) => F(bytes / 1024.0 / 1024.0, "0") + " MB";

    public void Line(string line = "")
    {
        _text.AppendLine(line);
        Console.WriteLine(line);
    }

    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        Line("| " + string.Join(" | ", header) + " |");
        Line("|" + string.Concat(header.Select(_ => "---|")));
        foreach (var row in rows)
        {
            Line("| " + string.Join(" | ", row) + " |");
        }

        Line();
    }

    public override string ToString() => _text.ToString();

    public static IEnumerable<string> MachineInfo()
    {
        var cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        yield return $"- Date (UTC): {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm}";
        yield return $"- Machine: {Environment.ProcessorCount} logical cores ({cpu}), {Mb(memory)} RAM visible to .NET; shared with other engineers' builds, so timings are noisy";
        yield return $"- OS: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})";
        yield return $"- .NET: {RuntimeInformation.FrameworkDescription}; bench process GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}";
    }
}
