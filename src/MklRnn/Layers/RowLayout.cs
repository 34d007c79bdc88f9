using MklRnn.Core;
using MklRnn.Threading;

namespace MklRnn.Layers;

/// <summary>
/// Layout conversions between the caller's tensors and the packed rows of a <see cref="SequencePlan"/>:
/// (T, N, F) or (N, T, F) sequences to and from packed (R, F) rows, and (S, N, F) states to and from
/// the running state's packed batch order. Plain time-major inference needs no sequence copy (it runs
/// in place); with lengths or batch-first the copies are pure memory traffic, so large ones are split
/// by steps between the two threads of the pair.
/// </summary>
internal sealed unsafe class RowLayout
{
    /// <summary>Below this many floats a copy stays on one thread (waking the side thread costs more).</summary>
    private const long SplitCopyMinFloats = 1 << 18;

    private readonly SequencePlan _plan;
    private readonly bool _batchFirst;
    private readonly ThreadPair _pair;
    private readonly Action<int, int> _copyOnPair;
    private CopyJob _copy;

    public RowLayout(SequencePlan plan, bool batchFirst, ThreadPair pair)
    {
        _plan = plan;
        _batchFirst = batchFirst;
        _pair = pair;
        _copyOnPair = CopyShare;
    }

    /// <summary>The copy in flight: steps [First, T) of it run on the pair's second thread.</summary>
    private struct CopyJob
    {
        public bool Gather;
        public float* From, To;
        public int Width, First;
    }

    /// <summary>Copies the running rows of a (T, N, F) or (N, T, F) tensor into packed (R, F) order.</summary>
    public void Gather(float* source, int width, float* packed, bool twoThreads) => Copy(gather: true, source, width, packed, twoThreads);

    /// <summary>Writes packed (R, F) rows back to (T, N, F) or (N, T, F), zeros at padded steps.</summary>
    public void Scatter(float* packed, int width, float* destination, bool twoThreads) => Copy(gather: false, packed, width, destination, twoThreads);

    /// <summary>state[j] = source[s, order[j]] (a (S, N, width) tensor), or zeros when source is null.</summary>
    public void LoadState(float* source, int s, int width, float* state)
    {
        int N = _plan.BatchSize;
        if (source == null)
        {
            new Span<float>(state, N * width).Clear();
            return;
        }
        ReadOnlySpan<int> order = _plan.Order;
        for (int j = 0; j < N; j++)
            new ReadOnlySpan<float>(source + ((long)s * N + order[j]) * width, width).CopyTo(new Span<float>(state + (long)j * width, width));
    }

    /// <summary>destination[s, order[j]] = state[j]; nothing when destination is null.</summary>
    public void StoreState(float* state, int s, int width, float* destination)
    {
        if (destination == null) return;
        int N = _plan.BatchSize;
        ReadOnlySpan<int> order = _plan.Order;
        for (int j = 0; j < N; j++)
            new ReadOnlySpan<float>(state + (long)j * width, width).CopyTo(new Span<float>(destination + ((long)s * N + order[j]) * width, width));
    }

    private void Copy(bool gather, float* from, int width, float* to, bool twoThreads)
    {
        int T = _plan.SeqLength, R = _plan.TotalRows;
        if (!twoThreads || T < 2 || (long)_plan.BatchSize * T * width < SplitCopyMinFloats)
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
            if (!_batchFirst && !_plan.HasLengths)
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

    private long SourceRow(int t, int b, int T, int N) => _batchFirst ? (long)b * T + t : (long)t * N + b;
}
