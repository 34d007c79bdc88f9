namespace MklRnn.Perf;

/// <summary>The suite's own switches (--quick, --artifacts); everything else is passed to BenchmarkDotNet.</summary>
public sealed record PerfOptions(bool Quick, string ArtifactsPath, string[] BenchmarkDotNetArgs)
{
    /// <summary>The options of this process; benchmark classes read Quick to pick their sizes (in-process toolchain).</summary>
    public static PerfOptions Current { get; set; } = new(false, DefaultArtifacts, []);

    public static string DefaultArtifacts => Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");

    public static PerfOptions Parse(string[] args)
    {
        bool quick = false;
        string artifacts = DefaultArtifacts;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick") quick = true;
            else if (args[i] is "--artifacts" or "-a" && i + 1 < args.Length) artifacts = Path.GetFullPath(args[++i]);
            else rest.Add(args[i]);
        }
        // Non-interactive by default: without a filter BenchmarkDotNet would ask which benchmarks to run.
        if (!rest.Contains("--filter") && !rest.Contains("-f") && !rest.Contains("--list")) rest.AddRange(["--filter", "*"]);
        return new PerfOptions(quick, artifacts, rest.ToArray());
    }
}
