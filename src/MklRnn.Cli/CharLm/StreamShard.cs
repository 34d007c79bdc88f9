using MklRnn.CharLm;
using MklRnn.Distributed;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// One process's share of a data-parallel run: of the global batch's N streams it takes the contiguous block
/// [First, First + Count), N / Size streams each (N must divide evenly, so every process holds the same number of
/// tokens and the mean of the per-process mean gradients is the gradient of the global mean loss). Also moves
/// the carried recurrent state between its global form, (L, N, H) for h then c as checkpoints store it, and the
/// process's own columns.
/// </summary>
internal sealed class StreamShard
{
    private StreamShard(ProcessGroup group, int globalStreams)
    {
        Group = group;
        GlobalStreams = globalStreams;
        Count = globalStreams / group.Size;
        First = group.Rank * Count;
    }

    public ProcessGroup Group { get; }
    public int GlobalStreams { get; }
    public int First { get; }
    public int Count { get; }

    /// <summary>The shard of <paramref name="globalStreams"/> for this process; an uneven split is an error naming the flag.</summary>
    public static StreamShard Of(ProcessGroup group, int globalStreams, string what = "--batch-size")
    {
        if (globalStreams % group.Size != 0)
            throw new CharLmException($"{what} {globalStreams} is the global batch and must be a multiple of the number of ranks ({group.Size})");
        return new StreamShard(group, globalStreams);
    }

    /// <summary>The validation shard: the largest multiple of Size streams the validation text allows (at most <paramref name="wanted"/>).</summary>
    public static StreamShard ForValidation(ProcessGroup group, int wanted, int validationLength)
    {
        int streams = Math.Min(wanted, validationLength - 1) / group.Size * group.Size;
        if (streams < 1)
            throw new CharLmException($"the validation split ({validationLength} characters) is too short for {group.Size} ranks");
        return new StreamShard(group, streams);
    }

    /// <summary>This process's columns of a global state, (L, N, H) per tensor, into a local one, (L, Count, H) per tensor.</summary>
    public float[] Slice(ReadOnlySpan<float> global, int layers, int hidden)
    {
        int tensors = CheckState(global.Length, GlobalStreams, layers, hidden);
        var local = new float[tensors * layers * Count * hidden];
        for (int tensor = 0; tensor < tensors; tensor++)
            for (int l = 0; l < layers; l++)
                global.Slice(((tensor * layers + l) * GlobalStreams + First) * hidden, Count * hidden)
                    .CopyTo(local.AsSpan(((tensor * layers + l) * Count) * hidden, Count * hidden));
        return local;
    }

    /// <summary>The global state from every process's local state: a collective (every process calls it).</summary>
    public float[] Gather(ReadOnlySpan<float> local, int layers, int hidden)
    {
        int tensors = CheckState(local.Length, Count, layers, hidden);
        var global = new float[tensors * layers * GlobalStreams * hidden];
        for (int tensor = 0; tensor < tensors; tensor++)
            for (int l = 0; l < layers; l++)
                local.Slice(((tensor * layers + l) * Count) * hidden, Count * hidden)
                    .CopyTo(global.AsSpan(((tensor * layers + l) * GlobalStreams + First) * hidden, Count * hidden));
        Group.Sum(global); // every other process contributes zeros to these columns: the sum is an exact gather
        return global;
    }

    private static int CheckState(int length, int streams, int layers, int hidden)
    {
        int one = layers * streams * hidden;
        if (length != one && length != 2 * one)
            throw new CharLmException($"a recurrent state of {length} values does not fit {layers} layers x {streams} streams x {hidden} (h, and c for LSTM)");
        return length / one;
    }
}
