using System.Runtime.InteropServices;

namespace MklRnn.Interop;

/// <summary>
/// The one libc call .NET has no managed form for: the file type (FIFO, device, socket) of a path.
/// statx (glibc >= 2.28) rather than stat, because struct statx has one layout on every architecture.
/// </summary>
internal static unsafe partial class Libc
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;   // sizeof(struct statx)
    private const int StatxModeOffset = 28; // u16 stx_mode after stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid

    /// <summary>The S_IFMT bits of <paramref name="path"/>'s mode (symbolic links followed), or null when it cannot be examined.</summary>
    public static int? FileType(string path)
    {
        byte* buffer = stackalloc byte[StatxSize];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // not glibc: fall back to the managed checks only
        }
        return *(ushort*)(buffer + StatxModeOffset) & 0xF000;
    }

    public const int RegularFile = 0x8000, Directory = 0x4000, Fifo = 0x1000, CharacterDevice = 0x2000, BlockDevice = 0x6000, Socket = 0xC000;

    [LibraryImport("libc.so.6", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
