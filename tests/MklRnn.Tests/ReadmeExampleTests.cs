using MklRnn.Layers;

namespace MklRnn.Tests;

/// <summary>README.md's usage example compiles and runs: its code is below, and the test checks the README still says the same.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void UsageExampleRuns()
    {
        // --- README example begin
        var config = new RnnConfig(CellKind.Lstm, inputSize: 32, hiddenSize: 64, numLayers: 2, bidirectional: true);
        using var lstm = new RecurrentStack(config, seed: 42);
        int T = 20, N = 8;
        var input = new float[T * N * 32];                    // (T, N, I), time-major (BatchFirst = true for (N, T, I))
        var output = new float[T * N * config.OutputSize];    // (T, N, 2 * 64)
        var hN = new float[2 * 2 * N * 64];                   // (layers * directions, N, H)
        lstm.Forward(input, T, N, output, hN: hN, lengths: [20, 17, 9, 20, 3, 11, 20, 5]);
        // --- README example end
        Assert.Contains(hN, v => v != 0);
        Assert.Equal(0f, output[(19 * N + 4) * 128]); // sequence 4 has 3 steps: step 19 is padding

        // --- README sessions begin
        RecurrentWeights weights = lstm.Weights;                       // or new RecurrentWeights(config, seed)
        Parallel.For(0, 4, _ =>
        {
            using RecurrentStack session = weights.CreateSession();   // inference: Forward, BeginSteps / Step
            session.Forward(input, T, N, new float[output.Length], lengths: [20, 17, 9, 20, 3, 11, 20, 5]);
        });
        // --- README sessions end
    }

    [Fact]
    public void ReadmeShowsThisExample()
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string source = File.ReadAllText(Path.Combine(root, "tests", "MklRnn.Tests", "ReadmeExampleTests.cs"));
        foreach (string example in new[] { "example", "sessions" })
        {
            int begin = source.IndexOf($"// --- README {example} begin", StringComparison.Ordinal);
            int end = source.IndexOf($"// --- README {example} end", StringComparison.Ordinal);
            foreach (string line in source[begin..end].Split('\n').Skip(1))
                if (line.Trim().Length > 0) Assert.Contains(line.Trim(), readme);
        }
        Assert.StartsWith("# MklRnn", readme);
        Assert.Contains("./build.sh demo", readme[..400]);
        Assert.Contains("./build.sh test", readme[..400]);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MklRnn.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("MklRnn.sln not found above " + AppContext.BaseDirectory);
    }
}
