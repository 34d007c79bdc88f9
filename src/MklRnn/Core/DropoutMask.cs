namespace MklRnn.Core;

/// <summary>
/// Inverted-dropout masks, drawn one way for every user (the stack's dropout between layers and
/// <see cref="Modules.Dropout"/>): in order, each entry 0 with probability p, else 1 / (1 - p).
/// </summary>
internal static unsafe class DropoutMask
{
    /// <summary>Draws count mask entries from random and writes output = input * mask (output may be input).</summary>
    public static void DrawAndApply(Random random, float p, float* input, float* mask, float* output, long count)
    {
        float keep = 1f / (1f - p);
        for (long i = 0; i < count; i++)
        {
            mask[i] = random.NextSingle() < p ? 0f : keep;
            output[i] = input[i] * mask[i];
        }
    }
}
