using System.Security.Cryptography;

namespace MklRnn.Cli;

/// <summary>
/// Checks an output file location before any work starts, so a long run never dies at its first save: the path is
/// not empty, names no directory, its folder exists (created here when missing) and a file can be
/// created in it (probed with a temp file, the way AtomicFile writes). Every verb that writes calls it first.
/// </summary>
internal static class OutputPath
{
    /// <summary>Throws an <see cref="OutputPathException"/> naming the flag when <paramref name="path"/> cannot be written.</summary>
    public static void Check(string? path, string flag)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new OutputPathException($"{flag} must name a file, got an empty path");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputPathException($"{flag} '{path}' is not a valid path: {e.Message}");
        }
        if (Directory.Exists(full)) throw new OutputPathException($"{flag} '{path}' is a directory; give a file name");
        CheckFolder(Path.GetDirectoryName(full)!, flag, path);
    }

    /// <summary>
    /// <see cref="Check"/> for the checkpoint of a new training run: an existing file is someone's earlier run and is
    /// replaced only with --force (a verb that can resume says so too).
    /// </summary>
    public static void CheckNewRun(string? path, string flag, bool force, bool canResume)
    {
        Check(path, flag);
        if (!force && File.Exists(path))
            throw new OutputPathException($"{flag} '{path}' exists: {(canResume ? "--resume continues that run, " : "")}--force replaces it");
    }

    /// <summary>Creates the output folder when missing and probes that a file can be created in it.</summary>
    public static void CheckFolder(string folder, string flag, string? shownAs = null)
    {
        shownAs ??= folder;
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, ".mklrnn-write-probe-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new OutputPathException($"{flag} '{shownAs}': cannot write in folder {folder}: {e.Message}");
        }
    }
}

/// <summary>An output location that cannot be written (a usage error: exit 2, before any work).</summary>
internal sealed class OutputPathException(string message) : ArgumentException(message);
