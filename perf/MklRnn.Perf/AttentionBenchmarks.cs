using BenchmarkDotNet.Attributes;
using MklRnn.Tooling.Bench;
using MklRnn.Seq2Seq;

namespace MklRnn.Perf;

/// <summary>
/// One decoder step of Luong attention (general score, inference) over a long source, S = 400, N = 32 rows,
/// H = 128: global attention scores all 400 positions, local-m and local-p (D = 10) only the 21 around p_t.
/// The W_c GEMM (N x 2H x H) is common to all three; the difference is the O(S) vs O(D) alignment.
/// local-m's rows sit at decoder step 200 (mid-source), local-p predicts its centres.
/// </summary>
[BenchmarkCategory("Attention")]
public class AttentionBenchmarks
{
    private const int S = 400, N = 32, H = 128, D = 10;
    private LuongAttention _attention = null!;
    private float[] _query = [], _output = [];
    private int[] _steps = [];

    [Params(AttentionKind.Global, AttentionKind.LocalMonotonic, AttentionKind.LocalPredictive)]
    public AttentionKind Kind { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        PerfSetup.UseAllCores();
        _attention = new LuongAttention(H, AttentionScore.General, seed: BenchInputs.Seed, kind: Kind, window: Kind == AttentionKind.Global ? 0 : D);
        _query = BenchInputs.Uniform((long)N * H, BenchInputs.Seed + 1);
        _output = new float[N * H];
        _steps = Enumerable.Repeat(S / 2, N).ToArray();
        _attention.Begin(BenchInputs.Uniform((long)S * N * H, BenchInputs.Seed + 2), S, N, []);
    }

    [Benchmark(Description = "decoder step S=400 D=10")]
    public void Step() => _attention.Step(_query, _output, _steps);

    [GlobalCleanup]
    public void Cleanup() => _attention.Dispose();
}
