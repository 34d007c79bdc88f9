using MklRnn.CharLm;


namespace MklRnn.Cli.CharLm;

/// <summary>
/// Training and validation streams from one encoded text: the text is cut into blocks (8192 characters,
/// or fraction x the text when that is shorter) and a fraction of the blocks, spread evenly (with the default 0.05:
/// every 20th), is held out for validation, so both splits sample the whole corpus rather than its first and last files.
/// </summary>
internal sealed record DataSplit(int[] Train, int[] Validation)
{
    public const double DefaultFraction = 0.05, MaxFraction = 0.5;
    public const int MaxBlock = 8192;

    public static DataSplit Of(int[] ids, double fraction = DefaultFraction)
    {
        int block = (int)Math.Clamp(Math.Floor(ids.Length * fraction + 1e-9), 1, MaxBlock);
        var train = new List<int>(ids.Length);
        var validation = new List<int>((int)(ids.Length * fraction) + block);
        // Block i is held out when it carries the running count floor(i x fraction) over the next integer
        // (the epsilon absorbs rounding: 20 x 0.05 must count as 1).
        long HeldOutBefore(long i) => (long)Math.Floor(i * fraction + 1e-9);
        for (int start = 0, index = 0; start < ids.Length; start += block, index++)
        {
            var part = ids.AsSpan(start, Math.Min(block, ids.Length - start));
            (HeldOutBefore(index + 1) > HeldOutBefore(index) ? validation : train).AddRange(part);
        }
        if (train.Count < 2 || validation.Count < 2)
            throw new CharLmException($"the text is too short ({ids.Length} characters) to split into training and validation with --val-fraction {fraction}; give a longer text or --val-text");
        return new DataSplit(train.ToArray(), validation.ToArray());
    }
}
