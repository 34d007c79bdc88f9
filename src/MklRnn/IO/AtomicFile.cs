using System.Security.Cryptography;

namespace MklRnn.IO;

/// <summary>
/// Crash-safe file replacement: write a temp file in the same directory, flush it to disk, then
/// rename it over the target. Readers see either the old file or the complete new one, never a
/// half-written file; a failure leaves the old file untouched and removes the temp file.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> atomically. <paramref name="write"/> receives the temp file's stream;
    /// it must write everything and must not dispose the stream. Any exception it throws propagates
    /// after the temp file is deleted.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);

        string fullPath = Path.GetFullPath(path);
        RemoveStaleTemps(fullPath);
        // Same directory as the target, so the final rename stays within one file system (atomic).
        string temp = fullPath + ".tmp-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        bool created = false;
        try
        {
            // CreateNew: never clobber a file we did not create (e.g. another writer's temp).
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                created = true;
                write(stream);
                // Flush(true) fsyncs: the data must be on disk before the rename makes it visible,
                // otherwise a crash could leave a renamed but empty/partial file.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            if (created)
            {
                try { File.Delete(temp); }
                catch (IOException) { /* best effort; the original exception matters more */ }
                catch (UnauthorizedAccessException) { }
            }
            throw;
        }
    }

    /// <summary>A temp file untouched this long was left by a killed writer: a live one writes continuously.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Deletes this target's temp files (`NAME.tmp-` + 12 hex digits) that a killed process left behind,
    /// once they are older than <see cref="StaleAfter"/> (a concurrent writer's temp is younger). Best effort.
    /// </summary>
    private static void RemoveStaleTemps(string fullPath)
    {
        string? directory = Path.GetDirectoryName(fullPath);
        if (directory == null || !Directory.Exists(directory)) return;
        string prefix = Path.GetFileName(fullPath) + ".tmp-";
        try
        {
            foreach (string temp in Directory.EnumerateFiles(directory, prefix + "*"))
            {
                string suffix = Path.GetFileName(temp)[prefix.Length..];
                if (suffix.Length != 12 || !suffix.All(char.IsAsciiHexDigitLower)) continue;
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(temp) < StaleAfter) continue;
                File.Delete(temp);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleaning is a courtesy; the save itself must not fail for it.
        }
    }
}
