using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using MklRnn.CharLm;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// The training text: a file given by the user, or the default corpus -- the plain-text fortune files
/// that Debian's `fortunes` package installs (build.sh installs it), concatenated in name order.
/// </summary>
internal static class Corpus
{
    public const string DefaultFolder = "/usr/share/games/fortunes";

    /// <summary>What --text shows when it is not given.</summary>
    public const string DefaultName = "default (fortune files in " + DefaultFolder + ")";

    /// <summary>The largest text file read (a .NET string holds at most ~1G characters; one byte is at most one character).</summary>
    public const long MaxTextBytes = 1L << 30;

    /// <summary>The text of <paramref name="path"/>, or of the default corpus when it is null.</summary>
    public static string Load(string? path, bool allowInvalidUtf8 = false) => path == null ? LoadDefault(allowInvalidUtf8) : LoadFile(path, allowInvalidUtf8);

    /// <summary>
    /// A text file's characters. Only a non-empty regular file of at most <see cref="MaxTextBytes"/> is read (its size
    /// is checked first, so a FIFO, /dev/zero or a device -- size 0 -- is refused without blocking or reading forever).
    /// Invalid UTF-8 is an error naming the first bad byte's offset unless allowed (then each bad sequence reads as U+FFFD).
    /// </summary>
    public static string LoadFile(string path, bool allowInvalidUtf8 = false)
    {
        if (Directory.Exists(path)) throw new CharLmException($"text file {path} is a directory");
        if (!File.Exists(path)) throw new CharLmException($"text file not found: {path}");
        byte[] bytes;
        try
        {
            long size = new FileInfo(path).Length;
            if (size == 0) throw new CharLmException($"text file is empty (or not a regular file: a FIFO or device): {path}");
            if (size > MaxTextBytes) throw new CharLmException($"text file {path} has {size:N0} bytes; at most {MaxTextBytes:N0} are read");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CharLmException($"cannot read text file {path}: {e.Message}", e);
        }
        string text = Decode(bytes, path, allowInvalidUtf8);
        if (text.Length == 0) throw new CharLmException($"text file is empty: {path}");
        return text;
    }

    /// <summary>UTF-8 bytes (a leading byte-order mark skipped) as a string; invalid UTF-8 is refused unless allowed.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string what, bool allowInvalidUtf8)
    {
        if (bytes.StartsWith(Encoding.UTF8.Preamble)) bytes = bytes[Encoding.UTF8.Preamble.Length..];
        if (!allowInvalidUtf8)
        {
            int bad = FirstInvalidUtf8(bytes);
            if (bad >= 0)
                throw new CharLmException($"{what} is not valid UTF-8: the first bad byte (0x{bytes[bad]:X2}) is at byte offset {bad}; "
                    + "a binary file? Convert it to UTF-8 (iconv), or pass --allow-invalid-utf8 to read bad bytes as U+FFFD");
        }
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Byte offset of the first invalid UTF-8 sequence, or -1.</summary>
    public static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return -1; // the fast path: vectorised, the whole text at once
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return -1;
    }

    /// <summary>The files of the default corpus: regular files (not the .dat indexes, not the .u8 symlinks), ordinal name order.</summary>
    public static IReadOnlyList<string> DefaultFiles()
    {
        if (!Directory.Exists(DefaultFolder))
            throw new CharLmException($"the default corpus is missing ({DefaultFolder}); run ./build.sh (it installs Debian's fortunes package) or pass --text PATH");
        var files = Directory.GetFiles(DefaultFolder)
            .Where(f => !f.EndsWith(".dat", StringComparison.Ordinal))
            .Where(f => new FileInfo(f).LinkTarget == null)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0) throw new CharLmException($"the default corpus folder {DefaultFolder} holds no text files");
        return files;
    }

    private static string LoadDefault(bool allowInvalidUtf8)
    {
        var text = new StringBuilder();
        foreach (string file in DefaultFiles()) text.Append(Decode(File.ReadAllBytes(file), file, allowInvalidUtf8));
        return text.ToString();
    }

    /// <summary>A fingerprint of the text, stored in checkpoints so a resume on other text is caught.</summary>
    public static string Fingerprint(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
}
