using System.Text.Json;
using MklRnn.Tooling.Bench;

namespace MklRnn.Tests.Tooling.Bench;

public class BenchVerbTests
{
    private static JsonElement ResultJson(string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string line = Assert.Single(lines, l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        return JsonDocument.Parse(line["RESULT ".Length..]).RootElement;
    }

    [Theory]
    [InlineData("lstm", "infer", 1, 1)]
    [InlineData("gru", "train", 2, 2)]
    [InlineData("rnn_tanh", "train", 1, 2)]
    [InlineData("gru_rbl", "infer", 2, 1)]
    public void ResultLineCarriesTheProtocolKeysAndTheStandardFlopCount(string cell, string mode, int layers, int dirs)
    {
        var (code, output, error) = BenchVerbRunner.Run(BenchVerbRunner.Tiny(
            "--cell", cell, "--mode", mode, "--layers", layers.ToString(), "--dirs", dirs.ToString()));
        Assert.True(code == 0, error);
        JsonElement r = ResultJson(output);
        foreach (string key in new[] { "engine", "cell", "mode", "T", "N", "I", "H", "layers", "dirs", "threads", "median_ms", "min_ms", "gflops", "gemm_only_ms" })
            Assert.True(r.TryGetProperty(key, out _), $"RESULT lacks {key}");
        Assert.Equal("mklrnn", r.GetProperty("engine").GetString());
        Assert.Equal(cell, r.GetProperty("cell").GetString());
        Assert.Equal(mode, r.GetProperty("mode").GetString());
        Assert.Equal("tiny", r.GetProperty("shape").GetString());
        Assert.Equal(layers, r.GetProperty("layers").GetInt32());
        Assert.Equal(dirs, r.GetProperty("dirs").GetInt32());
        Assert.True(r.GetProperty("iters").GetInt32() >= 3);
        Assert.Equal(MklRnn.Interop.NativeLoader.IntelCpuOverrideReason, r.GetProperty("mkl_intel_cpu_override").GetString());
        Assert.Matches("^(on|off) \\(", r.GetProperty("mkl_intel_cpu_override").GetString());

        // The harness's count, written out: per layer and direction 2*T*N*G*H*(I_l + H), train = 3x.
        int G = cell == "lstm" ? 4 : cell.StartsWith("gru") ? 3 : 1;
        double flops = 0;
        for (int l = 0; l < layers; l++) flops += dirs * 2.0 * 5 * 3 * G * 6 * ((l == 0 ? 4 : dirs * 6) + 6);
        if (mode == "train") flops *= 3;
        Assert.Equal(Math.Round(flops * 1e-9, 4), r.GetProperty("gflop_per_iter").GetDouble(), 6);
        double median = r.GetProperty("median_ms").GetDouble();
        Assert.True(median > 0 && r.GetProperty("min_ms").GetDouble() <= median);
        Assert.Equal(flops / (median * 1e-3) * 1e-9, r.GetProperty("gflops").GetDouble(), 0.01 + 0.001 * flops / (median * 1e-3) * 1e-9);
        Assert.True(r.GetProperty("gemm_only_ms").GetDouble() > 0);
    }

    /// <summary>gflop_per_iter of oneDNN's RESULT lines in the harness's saved run (/work/shared/anchors/results.json).</summary>
    [Theory]
    [InlineData("S1", CellKind.Lstm, false, 50, 64, 512, 512, 1, false, 13.4218)]
    [InlineData("S2", CellKind.Lstm, false, 25, 1, 256, 256, 1, false, 0.0262)]
    [InlineData("S3", CellKind.Lstm, true, 50, 32, 512, 512, 1, false, 20.1327)]
    [InlineData("S4i", CellKind.Gru, false, 50, 64, 512, 512, 1, false, 10.0663)]
    [InlineData("S4t", CellKind.Gru, true, 50, 32, 512, 512, 1, false, 15.0995)]
    [InlineData("S5", CellKind.RnnTanh, false, 50, 64, 512, 512, 1, false, 3.3554)]
    [InlineData("S6i", CellKind.Lstm, false, 100, 32, 256, 256, 2, true, 16.7772)]
    [InlineData("S6t", CellKind.Lstm, true, 100, 32, 256, 256, 2, true, 50.3316)]
    [InlineData("S7", CellKind.Lstm, false, 100, 128, 64, 128, 1, false, 2.5166)]
    public void FlopCountMatchesTheHarness(string shape, CellKind cell, bool training, int T, int N, int I, int H, int layers, bool bidirectional, double gflop)
    {
        var config = new RnnConfig(cell, I, H, layers, bidirectional);
        Assert.True(Math.Abs(gflop - FlopCount.Standard(config, (long)T * N, training) * 1e-9) < 1e-4, shape);
    }

    [Fact]
    public void UniformLengthsCountTheRowsReallyRun()
    {
        var (code, output, error) = BenchVerbRunner.Run(BenchVerbRunner.Tiny("--T", "8", "--N", "5", "--lengths", "uniform"));
        Assert.True(code == 0, error);
        JsonElement r = ResultJson(output);
        int[] lengths = BenchInputs.UniformLengths(8, 5, BenchInputs.Seed);
        Assert.All(lengths, l => Assert.InRange(l, 2, 8));
        Assert.Equal(lengths.Sum(), r.GetProperty("rows").GetInt32());
        Assert.Equal("uniform", r.GetProperty("lengths").GetString());
        Assert.Equal(Math.Round(2.0 * lengths.Sum() * 4 * 6 * (4 + 6) * 1e-9, 4), r.GetProperty("gflop_per_iter").GetDouble(), 6);
    }

    [Theory]
    [InlineData("--dirs", "3", "--dirs")]
    [InlineData("--mode", "fit", "--mode")]
    [InlineData("--T", "0", "--T")]
    [InlineData("--threads", "0", "--threads")]
    [InlineData("--iters", "0", "--iters")]
    [InlineData("--min-time", "-1.5", "--min-time")]
    [InlineData("--lengths", "random", "--lengths")]
    [InlineData("--precision", "fp16", "--precision")]
    public void InvalidValuesExit2WithOneLineNamingTheOption(string option, string value, string named)
    {
        var (code, output, error) = BenchVerbRunner.Run(BenchVerbRunner.Tiny(option, value));
        Assert.Equal(2, code);
        Assert.DoesNotContain("RESULT {\"", output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(named, line);
        Assert.DoesNotContain("   at ", error);
    }

    [Theory]
    [InlineData("--bogus", "1")]
    [InlineData("--T", "five")]
    public void UnknownOptionsAndMalformedNumbersExit2(string option, string value)
    {
        var (code, output, _) = BenchVerbRunner.Run(["--cell", "lstm", option, value, "--iters", "1", "--min-time", "0", "--json"]);
        Assert.Equal(2, code);
        Assert.DoesNotContain("RESULT {\"", output); // (the help printed with the error mentions "RESULT {json}")
    }

    [Fact]
    public void UnsupportedCellExits4AsTheProtocolSays()
    {
        var (code, output, error) = BenchVerbRunner.Run(BenchVerbRunner.Tiny("--cell", "peephole_lstm"));
        Assert.Equal(4, code);
        Assert.DoesNotContain("RESULT {\"", output);
        Assert.Contains("not supported", error);
    }

    [Fact]
    public void WithoutJsonOnlyTheHumanLineIsPrinted()
    {
        string[] args = BenchVerbRunner.Tiny("--no-gemm-only").Where(a => a != "--json").ToArray();
        Assert.Contains("--no-gemm-only", args);
        var (code, output, error) = BenchVerbRunner.Run(args);
        Assert.True(code == 0, error);
        Assert.DoesNotContain("RESULT {\"", output);
        Assert.StartsWith("mklrnn lstm", output.Trim());
        Assert.DoesNotContain("gemm-only", output);
    }

    [Theory]
    [InlineData("bf16")]
    [InlineData("int8")]
    public void ReducedPrecisionIsRunAndReported(string precision)
    {
        var (code, output, error) = BenchVerbRunner.Run(BenchVerbRunner.Tiny("--precision", precision));
        Assert.True(code == 0, error);
        Assert.Contains($"precision={precision}", output);
        Assert.Contains($"\"precision\":\"{precision}\"", output);
        Assert.Contains($"\"step_path\":\"mkl-{precision}\"", output);
        Assert.Contains($"\"engine\":\"mklrnn-{precision}\"", output); // its own rows in the harness, beside mklrnn's f32 ones
        Assert.DoesNotContain("gemm_only_ms", output); // f32 GEMMs would mislead beside a reduced engine
        // the error against the same stack's float32 forward, as the harness's oneDNN bf16/int8 engines report it
        JsonElement result = ResultJson(output);
        double max = result.GetProperty("max_abs_err_vs_f32").GetDouble();
        double mean = result.GetProperty("mean_abs_err_vs_f32").GetDouble();
        Assert.True(max > 0 && max < 0.05 && mean > 0 && mean <= max, $"max {max}, mean {mean}");
        Assert.Contains("max|y-y_f32|", output);
    }

    [Fact]
    public void ReducedPrecisionTrainingIsTheProtocolsUnsupported()
    {
        var (code, _, error) = BenchVerbRunner.Run(BenchVerbRunner.Tiny("--precision", "int8", "--mode", "train"));
        Assert.Equal(4, code);
        Assert.Contains("--precision int8 is for --mode infer", error);
    }
}
