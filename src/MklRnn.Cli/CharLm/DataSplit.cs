using MklRnn.CharLm;


namespace MklRnn.Cli.CharLm;

/// <summary>
/// Training and validation streams from one encoded text: the text is cut into blocks (8192 characters,
/// or 1/20 of the text when it is shorter) and every 20th block is held out for validation, so both
/// splits sample the whole corpus rather than its first and last files.
/// </summary>
internal sealed record DataSplit(int[] Train, int[] Validation)
{
    public const int HeldOutEvery = 20;
    public const int MaxBlock = 8192;

    public static DataSplit Of(int[] ids)
    {
        int block = Math.Clamp(ids.Length / HeldOutEvery, 1, MaxBlock);
        var train = new List<int>(ids.Length);
        var validation = new List<int>(ids.Length / HeldOutEvery + block);
        for (int start = 0, index = 0; start < ids.Length; start += block, index++)
        {
            var part = ids.AsSpan(start, Math.Min(block, ids.Length - start));
            (index % HeldOutEvery == HeldOutEvery - 1 ? validation : train).AddRange(part);
        }
        if (train.Count < 2 || validation.Count < 2)
            throw new CharLmException($"the text is too short ({ids.Length} characters) to split into training and validation; give at least {2 * HeldOutEvery} characters");
        return new DataSplit(train.ToArray(), validation.ToArray());
    }
}
