using System.Globalization;
using MklRnn.IO;

namespace MklRnn.Cli;

/// <summary>
/// Task settings a worked example's checkpoint records (eval size, seed, lengths), read back bounded: a crafted
/// file must not size a held-out set that hangs or exhausts memory. A missing or out-of-range value is bad input.
/// </summary>
internal static class CheckpointMetadata
{
    /// <param name="needs">what needs the value, e.g. "--eval needs a checkpoint written by `seq2seq train`".</param>
    public static int Int(SafeTensorsFile file, string key, int min, int max, string needs)
    {
        if (!file.Metadata.TryGetValue(key, out string? v))
            throw new InvalidDataException($"{file.SourceName}: metadata '{key}' is missing; {needs}");
        return int.TryParse(v, CultureInfo.InvariantCulture, out int i) && i >= min && i <= max ? i
            : throw new InvalidDataException($"{file.SourceName}: metadata '{key}' = '{v}' is not an integer in [{min}, {max}]");
    }
}
