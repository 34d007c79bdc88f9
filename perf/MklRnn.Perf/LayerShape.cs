namespace MklRnn.Perf;

/// <summary>A full-layer benchmark shape: the anchors harness's S1-S7 (same T, N, I, H, layers, directions, mode).</summary>
public sealed record LayerShape(string Id, CellKind Cell, bool Training, int T, int N, int I, int H, int Layers = 1, bool Bidirectional = false)
{
    /// <summary>The harness's standard set (/work/shared/anchors/README.md), plus S1 at an awkward H = 6*64+7.</summary>
    public static readonly LayerShape[] All =
    [
        new("S1", CellKind.Lstm, false, 50, 64, 512, 512),
        new("S2", CellKind.Lstm, false, 25, 1, 256, 256),
        new("S3", CellKind.Lstm, true, 50, 32, 512, 512),
        new("S4i", CellKind.Gru, false, 50, 64, 512, 512),
        new("S4t", CellKind.Gru, true, 50, 32, 512, 512),
        new("S5", CellKind.RnnTanh, false, 50, 64, 512, 512),
        new("S6i", CellKind.Lstm, false, 100, 32, 256, 256, 2, true),
        new("S6t", CellKind.Lstm, true, 100, 32, 256, 256, 2, true),
        new("S7", CellKind.Lstm, false, 100, 128, 64, 128),
        new("S1-H391", CellKind.Lstm, false, 50, 64, 512, 6 * 64 + 7),
    ];

    /// <summary>--quick's subset: throughput, latency, training, small H and the awkward size.</summary>
    public static readonly LayerShape[] Quick = All.Where(s => s.Id is "S1" or "S2" or "S3" or "S7" or "S1-H391").ToArray();

    public RnnConfig Config => new(Cell, I, H, Layers, Bidirectional);

    // BenchmarkDotNet shows (and names results by) ToString.
    public override string ToString() => Id;
}
