using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// Luong attention in float64 with plain loops, written from the paper, not from the engine: for each decoder
/// step t and sequence n, the positions scored (all valid ones, or the local window), the scores, the softmax,
/// local-p's Gaussian factor, the context and h̃ = tanh(W_c [c; h]). Parameters are taken by name from the
/// engine's module so both run the same weights.
/// </summary>
internal sealed class AttentionReference(AttentionScore score, AttentionKind kind, int window, int H, IReadOnlyList<Parameter> parameters)
{
    private readonly Dictionary<string, double[]> _p = parameters.ToDictionary(p => p.Name, p => p.Values.ToArray().Select(v => (double)v).ToArray());

    /// <summary>keys (S, N, H), queries (T, N, H); returns h̃ (T, N, H) and the weights (T, N, S), 0 outside the window.</summary>
    public (double[] Outputs, double[] Weights) Run(double[] keys, double[] queries, int S, int N, int T, int[] lengths)
    {
        var outputs = new double[T * N * H];
        var weights = new double[T * N * S];
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++)
            {
                double[] q = Slice(queries, (t * N + n) * H, H);
                double[] Key(int s) => Slice(keys, (s * N + n) * H, H);
                int len = lengths[n];
                double p = Center(t, len, q);
                var positions = Enumerable.Range(0, len).Where(s => kind == AttentionKind.Global || Math.Abs(s - p) <= window).ToArray();
                double[] scores = positions.Select(s => Score(q, Key(s))).ToArray();
                double max = scores.Max();
                double[] e = scores.Select(x => Math.Exp(x - max)).ToArray();
                double sum = e.Sum();
                var c = new double[H];
                for (int j = 0; j < positions.Length; j++)
                {
                    double a = e[j] / sum;
                    if (kind == AttentionKind.LocalPredictive)
                    {
                        double sigma = window / 2.0;
                        a *= Math.Exp(-(positions[j] - p) * (positions[j] - p) / (2 * sigma * sigma));
                    }
                    weights[(t * N + n) * S + positions[j]] = a;
                    double[] k = Key(positions[j]);
                    for (int i = 0; i < H; i++) c[i] += a * k[i];
                }
                double[] wc = _p["W_c"];
                for (int i = 0; i < H; i++)
                {
                    double pre = 0;
                    for (int k = 0; k < H; k++) pre += wc[i * 2 * H + k] * c[k] + wc[i * 2 * H + H + k] * q[k];
                    outputs[(t * N + n) * H + i] = Math.Tanh(pre);
                }
            }
        return (outputs, weights);
    }

    /// <summary>Σ over steps of h̃ · upstream: a scalar whose gradient is the upstream-weighted backward.</summary>
    public double Loss(double[] keys, double[] queries, int S, int N, int T, int[] lengths, double[] upstream)
    {
        double[] outputs = Run(keys, queries, S, N, T, lengths).Outputs;
        double loss = 0;
        for (int i = 0; i < outputs.Length; i++) loss += outputs[i] * upstream[i];
        return loss;
    }

    /// <summary>The parameter named name (without prefix), to perturb in place.</summary>
    public double[] this[string name] => _p[name];

    private double Center(int t, int len, double[] q)
    {
        if (kind == AttentionKind.LocalMonotonic) return Math.Min(t, len - 1);
        if (kind != AttentionKind.LocalPredictive) return 0;
        double[] wp = _p["W_p"], vp = _p["v_p"];
        double z = 0;
        for (int i = 0; i < H; i++)
        {
            double pre = 0;
            for (int k = 0; k < H; k++) pre += wp[i * H + k] * q[k];
            z += vp[i] * Math.Tanh(pre);
        }
        return len / (1 + Math.Exp(-z));
    }

    private double Score(double[] q, double[] h)
    {
        double total = 0;
        switch (score)
        {
            case AttentionScore.Dot:
                for (int i = 0; i < H; i++) total += q[i] * h[i];
                break;
            case AttentionScore.General: // h_tᵀ W_a h_s
                double[] wa = _p["W_a"];
                for (int i = 0; i < H; i++)
                    for (int k = 0; k < H; k++) total += q[i] * wa[i * H + k] * h[k];
                break;
            default: // v_aᵀ tanh(W_a [h_t; h_s])
                double[] w = _p["W_a"], v = _p["v_a"];
                for (int i = 0; i < H; i++)
                {
                    double pre = 0;
                    for (int k = 0; k < H; k++) pre += w[i * 2 * H + k] * q[k] + w[i * 2 * H + H + k] * h[k];
                    total += v[i] * Math.Tanh(pre);
                }
                break;
        }
        return total;
    }

    private static double[] Slice(double[] x, int start, int length) => x.AsSpan(start, length).ToArray();
}
