using MklRnn.Core;
using MklRnn.Threading;

namespace MklRnn.Layers;

/// <summary>
/// Layout conversions between the caller's (T, N, F) or (N, T, F) tensors and the packed (R, F) rows
/// of the <see cref="SequencePlan"/>. Plain time-major inference needs none (it runs in place); with
/// lengths or batch-first they are pure memory traffic, so large ones are split by steps between this
/// thread and the side thread.
/// </summary>
public sealed unsafe partial class RecurrentStack
{
    /// <summary>Below this many floats a copy stays on one thread (waking the side thread costs more).</summary>
    private const long SplitCopyMinFloats = 1 << 18;

    private readonly Action<int, int> _copyOnPair;
    private CopyJob _copy;

    /// <summary>The copy in flight: steps [First, T) of it run on the side thread.</summary>
    private struct CopyJob
    {
        public bool Gather;
        public float* From, To;
        public int Width, First;
    }

    /// <summary>Copies the running rows of a (T, N, F) or (N, T, F) tensor into packed (R, F) order.</summary>
    private void Gather(float* source, int width, float* packed) => Copy(gather: true, source, width, packed);

    /// <summary>Writes packed (R, F) rows back to (T, N, F) or (N, T, F), zeros at padded steps.</summary>
    private void Scatter(float* packed, int width, float* destination) => Copy(gather: false, packed, width, destination);

    private void Copy(bool gather, float* from, int width, float* to)
    {
        int T = _plan.SeqLength, R = _plan.TotalRows;
        if (!UseSideThread || T < 2 || (long)_plan.BatchSize * T * width < SplitCopyMinFloats)
        {
            CopySteps(gather, from, width, to, 0, T);
            return;
        }
        // Split where about half of the packed rows lie before (the padded zeros follow the steps too).
        int middle = 1;
        while (middle < T - 1 && _plan.OffsetOf(middle) < R / 2) middle++;
        _copy = new CopyJob { Gather = gather, From = from, To = to, Width = width, First = middle };
        _pair.Run(_copyOnPair);
    }

    /// <summary>Thread 0 of the pair copies steps [0, First), thread 1 the rest (a team of one: all).</summary>
    private void CopyShare(int thread, int threads)
    {
        CopyJob job = _copy;
        int first = threads == 1 || thread == 0 ? 0 : job.First, last = threads > 1 && thread == 0 ? job.First : _plan.SeqLength;
        CopySteps(job.Gather, job.From, job.Width, job.To, first, last);
    }

    /// <summary>Gather or scatter of steps [t0, t1).</summary>
    private void CopySteps(bool gather, float* from, int width, float* to, int t0, int t1)
    {
        int T = _plan.SeqLength, N = _plan.BatchSize;
        ReadOnlySpan<int> order = _plan.Order;
        for (int t = t0; t < t1; t++)
        {
            int rows = _plan.RowsAt(t), offset = _plan.OffsetOf(t);
            float* packed = (gather ? to : from) + (long)offset * width;
            float* outside = gather ? from : to; // the caller's tensor
            if (!Config.BatchFirst && !_plan.HasLengths)
            {
                float* step = outside + (long)t * N * width;
                if (gather) Rows.Copy(step, width, packed, width, rows, width);
                else Rows.Copy(packed, width, step, width, rows, width);
                continue;
            }
            for (int j = 0; j < rows; j++)
            {
                var caller = new Span<float>(outside + SourceRow(t, order[j], T, N) * width, width);
                var inside = new Span<float>(packed + (long)j * width, width);
                if (gather) caller.CopyTo(inside);
                else inside.CopyTo(caller);
            }
            // Scatter: the padded steps of the sequences that ended (packed rows j >= rows) become zeros.
            if (!gather)
                for (int j = rows; j < N; j++)
                    new Span<float>(outside + SourceRow(t, order[j], T, N) * width, width).Clear();
        }
    }

    private long SourceRow(int t, int b, int T, int N) => Config.BatchFirst ? (long)b * T + t : (long)t * N + b;
}
