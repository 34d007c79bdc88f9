using MklRnn.Interop;

namespace MklRnn.IO;

/// <summary>
/// Refuses, by name and without opening it, a path that is not a regular file: opening a FIFO blocks until
/// a writer comes (forever), /dev/zero reads without end, a directory gives a misleading error. Every
/// loader calls this before it opens a file. A path that does not exist passes (the open then says so).
/// </summary>
public static class RegularFile
{
    /// <summary>Throws an IOException naming <paramref name="path"/> and what it is when it exists and is not a regular file.</summary>
    public static void Require(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new IOException($"{path}: is a directory, not a file");
        string? kind = Libc.FileType(path) switch
        {
            Libc.Fifo => "a FIFO (named pipe)",
            Libc.CharacterDevice => "a character device",
            Libc.BlockDevice => "a block device",
            Libc.Socket => "a socket",
            Libc.Directory => "a directory",
            _ => null,
        };
        if (kind != null) throw new IOException($"{path}: is {kind}, not a regular file; MklRnn reads only regular files");
    }
}
