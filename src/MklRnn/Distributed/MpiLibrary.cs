using System.Runtime.InteropServices;
using System.Text;

namespace MklRnn.Distributed;

/// <summary>
/// The few MPI calls data-parallel training needs, bound at run time to an MPI library of the MPICH ABI
/// (MPICH 3.1+, Intel MPI, MVAPICH, Cray MPT: libmpi.so.12 / libmpich.so.12). Why hand-written rather than
/// the MPI.NET package: MPI.NET 1.4.0 imports Windows' msmpi.dll and ships that DLL, so on Linux it needs a
/// DllImport resolver, and its array API copies managed arrays, while the gradients live in native memory;
/// what is needed here is nine functions and six constants of a stable ABI (docs/distributed.md has the
/// measured comparison). Open MPI has another ABI (handles are pointers to its globals) and is refused by
/// name at <see cref="Load"/>.
/// Function pointers from <see cref="NativeLibrary"/> rather than [LibraryImport]: the library's file name
/// differs between MPI implementations, and MklRnn's own resolver (NativeLoader) stays about MKL and the shim.
/// </summary>
internal static unsafe class MpiLibrary
{
    // MPICH ABI handles (mpi.h of MPICH; the same values in Intel MPI): handles are 32-bit integers.
    public const int CommWorld = 0x44000000;
    public const int Float = 0x4c00040a;
    public const int Double = 0x4c00080b;
    public const int LongLong = 0x4c000809;
    public const int OpMax = 0x58000001;
    public const int OpSum = 0x58000003;
    public static readonly void* InPlace = (void*)-1;
    private const int Success = 0;

    /// <summary>File names tried in order: the MPICH ABI name (Intel MPI, MPICH), then Debian's MPICH.</summary>
    public static readonly string[] Candidates = ["libmpi.so.12", "libmpich.so.12"];

    private static delegate* unmanaged<int*, byte***, int> _init;
    private static delegate* unmanaged<int*, int> _initialized;
    private static delegate* unmanaged<int> _finalize;
    private static delegate* unmanaged<int*, int> _finalized;
    private static delegate* unmanaged<int, int*, int> _commRank;
    private static delegate* unmanaged<int, int*, int> _commSize;
    private static delegate* unmanaged<void*, void*, int, int, int, int, int> _allreduce;
    private static delegate* unmanaged<int, int, int> _abort;
    private static delegate* unmanaged<byte*, int*, int> _libraryVersion;
    private static readonly Lock Gate = new();
    private static string? _loadedFrom;

    /// <summary>Loads the MPI library once; throws <see cref="DistributedException"/> naming every file tried and why.</summary>
    public static void Load()
    {
        lock (Gate)
        {
            if (_loadedFrom != null) return;
            var tried = new StringBuilder();
            foreach (string name in Candidates)
            {
                if (!NativeLibrary.TryLoad(name, out IntPtr handle))
                {
                    tried.Append($"\n  {name}: not found or not loadable");
                    continue;
                }
                _init = (delegate* unmanaged<int*, byte***, int>)NativeLibrary.GetExport(handle, "MPI_Init");
                _initialized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "MPI_Initialized");
                _finalize = (delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "MPI_Finalize");
                _finalized = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "MPI_Finalized");
                _commRank = (delegate* unmanaged<int, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_rank");
                _commSize = (delegate* unmanaged<int, int*, int>)NativeLibrary.GetExport(handle, "MPI_Comm_size");
                _allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)NativeLibrary.GetExport(handle, "MPI_Allreduce");
                _abort = (delegate* unmanaged<int, int, int>)NativeLibrary.GetExport(handle, "MPI_Abort");
                _libraryVersion = (delegate* unmanaged<byte*, int*, int>)NativeLibrary.GetExport(handle, "MPI_Get_library_version");
                string version = LibraryVersion();
                if (version.Contains("Open MPI", StringComparison.OrdinalIgnoreCase))
                    throw new DistributedException($"{name} is Open MPI ({FirstLine(version)}), whose ABI MklRnn does not bind; install MPICH (Debian: apt-get install mpich) or use Intel MPI");
                _loadedFrom = name;
                return;
            }
            throw new DistributedException("no MPI library of the MPICH ABI could be loaded; tried:" + tried
                + "\n  install MPICH (Debian: apt-get install mpich) or Intel MPI");
        }
    }

    /// <summary>MPI_Get_library_version's text, e.g. "MPICH Version: 4.0.2 ...".</summary>
    public static string LibraryVersion()
    {
        // MPI_MAX_LIBRARY_VERSION_STRING is 8192 in MPICH and Intel MPI.
        byte* text = stackalloc byte[8192];
        int length;
        Check(_libraryVersion(text, &length), "MPI_Get_library_version");
        return Encoding.UTF8.GetString(text, Math.Clamp(length, 0, 8192)).TrimEnd('\0', '\n', ' ');
    }

    public static void Init()
    {
        int flag;
        Check(_initialized(&flag), "MPI_Initialized");
        if (flag == 0) Check(_init(null, null), "MPI_Init");
    }

    public static void FinalizeMpi() // not "Finalize": that name is the GC finalizer's (CS0465)
    {
        int flag;
        Check(_finalized(&flag), "MPI_Finalized");
        if (flag == 0) Check(_finalize(), "MPI_Finalize");
    }

    public static int Rank()
    {
        int rank;
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        return rank;
    }

    public static int Size()
    {
        int size;
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return size;
    }

    /// <summary>In-place all-reduce of <paramref name="count"/> elements of <paramref name="datatype"/>.</summary>
    public static void AllreduceInPlace(void* buffer, int count, int datatype, int op)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be >= 0");
        if (count == 0) return;
        Check(_allreduce(InPlace, buffer, count, datatype, op, CommWorld), "MPI_Allreduce");
    }

    /// <summary>Ends every process of the job (MPI_Abort on MPI_COMM_WORLD); does not return when MPI works.</summary>
    public static void Abort(int code) => _abort(CommWorld, code);

    private static void Check(int status, string call)
    {
        // MPI's default error handler aborts the job on error; a non-zero status reaches here only under
        // MPI_ERRORS_RETURN, set by someone else in the process.
        if (status != Success) throw new DistributedException($"{call} failed with MPI error code {status}");
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
