using System.Security.Cryptography;
using System.Text;
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

    /// <summary>The text of <paramref name="path"/>, or of the default corpus when it is null.</summary>
    public static string Load(string? path) => path == null ? LoadDefault() : LoadFile(path);

    public static string LoadFile(string path)
    {
        if (!File.Exists(path)) throw new CharLmException($"text file not found: {path}");
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CharLmException($"cannot read text file {path}: {e.Message}", e);
        }
        if (text.Length == 0) throw new CharLmException($"text file is empty: {path}");
        return text;
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

    private static string LoadDefault()
    {
        var text = new StringBuilder();
        foreach (string file in DefaultFiles()) text.Append(File.ReadAllText(file, Encoding.UTF8));
        return text.ToString();
    }

    /// <summary>A fingerprint of the text, stored in checkpoints so a resume on other text is caught.</summary>
    public static string Fingerprint(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
}
