namespace MklRnn.Tooling.Bench;

/// <summary>
/// The anchors harness's standard GEMM-only FLOP count: per layer and direction 2 * rows * G * H * (I_l + H),
/// rows = T * N, G = 4 (LSTM), 3 (GRU), 1 (RNN), I_l = I for layer 0 and dirs * H above; train = 3 x forward.
/// Element-wise work is not counted. With variable lengths rows = the sum of the lengths (the work really done).
/// </summary>
public static class FlopCount
{
    public static double Standard(RnnConfig config, long rows, bool training)
    {
        double forward = 0;
        int G = config.GateCount, H = config.HiddenSize;
        for (int l = 0; l < config.NumLayers; l++)
            forward += config.Directions * 2.0 * rows * G * H * (config.LayerInputSize(l) + (double)H);
        return training ? 3 * forward : forward;
    }
}
