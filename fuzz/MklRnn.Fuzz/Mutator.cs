using System.Buffers.Binary;
using System.Text;

namespace MklRnn.Fuzz;

/// <summary>
/// Turns one input into a nearby one, libFuzzer-style: byte flips and sets, inserts, deletes, truncation,
/// splices with another corpus entry, and safetensors-aware moves (the JSON header's numbers replaced by
/// boundary values, its 8-byte length prefix kept consistent after edits) so most mutants reach the code
/// past the first length check.
/// </summary>
internal sealed class Mutator(Random random)
{
    private static readonly string[] Boundary =
    [
        "0", "-1", "1", "2", "3", "4", "255", "65535", "2147483647", "2147483648", "-2147483648", "4294967296",
        "100000", "2000000000", "9223372036854775807", "18446744073709551616", "1e9", "1e400", "0.5", "-0", "null", "\"\"", "[]", "{}",
    ];

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        byte[] result = input;
        int moves = 1 + random.Next(4);
        for (int i = 0; i < moves; i++) result = MutateOnce(result, corpus);
        return result;
    }

    private byte[] MutateOnce(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        switch (random.Next(9))
        {
            case 0 when input.Length > 0:
            {
                byte[] b = (byte[])input.Clone();
                b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                return b;
            }
            case 1 when input.Length > 0:
            {
                byte[] b = (byte[])input.Clone();
                b[random.Next(b.Length)] = (byte)(random.Next(4) switch { 0 => 0, 1 => 0xFF, 2 => 0x7F, _ => random.Next(256) });
                return b;
            }
            case 2:
            {
                int at = random.Next(input.Length + 1), count = 1 + random.Next(16);
                byte[] inserted = new byte[count];
                random.NextBytes(inserted);
                return FixHeaderLength([.. input[..at], .. inserted, .. input[at..]], input, count);
            }
            case 3 when input.Length > 1:
            {
                int at = random.Next(input.Length - 1), count = Math.Min(1 + random.Next(16), input.Length - at);
                return FixHeaderLength([.. input[..at], .. input[(at + count)..]], input, -count);
            }
            case 4:
                return input[..random.Next(input.Length + 1)];
            case 5 when corpus.Count > 0:
            {
                byte[] other = corpus[random.Next(corpus.Count)];
                int cut = random.Next(input.Length + 1), from = random.Next(other.Length + 1);
                return [.. input[..cut], .. other[from..]];
            }
            default:
                return ReplaceHeaderNumber(input);
        }
    }

    /// <summary>Replaces one number (or literal) of the JSON header by a boundary value, keeping the length prefix right.</summary>
    private byte[] ReplaceHeaderNumber(byte[] input)
    {
        if (!TryHeader(input, out int headerLength)) return input;
        string header = Encoding.UTF8.GetString(input, 8, headerLength);
        var numbers = new List<(int Start, int Length)>();
        for (int i = 0; i < header.Length; i++)
        {
            if (!char.IsAsciiDigit(header[i])) continue;
            int start = i;
            while (i < header.Length && (char.IsAsciiDigit(header[i]) || header[i] is '.' or 'e' or '-')) i++;
            numbers.Add((start, i - start));
        }
        if (numbers.Count == 0) return input;
        var (at, length) = numbers[random.Next(numbers.Count)];
        string replaced = header[..at] + Boundary[random.Next(Boundary.Length)] + header[(at + length)..];
        byte[] bytes = Encoding.UTF8.GetBytes(replaced);
        byte[] result = new byte[8 + bytes.Length + input.Length - 8 - headerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)bytes.Length);
        bytes.CopyTo(result, 8);
        input.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + bytes.Length));
        return result;
    }

    /// <summary>After an edit inside the header, usually (not always: broken prefixes are inputs too) adjusts the prefix.</summary>
    private byte[] FixHeaderLength(byte[] edited, byte[] original, int delta)
    {
        if (random.Next(4) == 0 || !TryHeader(original, out int headerLength) || edited.Length < 8) return edited;
        BinaryPrimitives.WriteUInt64LittleEndian(edited, (ulong)Math.Max(0, headerLength + delta));
        return edited;
    }

    private static bool TryHeader(byte[] input, out int headerLength)
    {
        headerLength = 0;
        if (input.Length < 8) return false;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(input);
        if (n == 0 || n > (ulong)(input.Length - 8)) return false;
        headerLength = (int)n;
        return true;
    }
}
