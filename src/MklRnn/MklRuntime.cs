using System.Runtime.InteropServices;
using MklRnn.Interop;

namespace MklRnn;

/// <summary>
/// MKL's process-wide settings and the facts a benchmark result needs to be interpreted: the thread count
/// MKL uses, its version, which threading layer it really loaded, and the machine it runs on.
/// </summary>
public static unsafe class MklRuntime
{
    private static int s_warned;

    /// <summary>
    /// Raised (once per process, when MKL is first loaded) with a one-line warning about this
    /// machine's set-up, e.g. the MKL vendor override that should be active but is not (MKL then runs up to
    /// 3.5x slower on AMD). Without a handler the line goes to stderr. Subscribe before the first engine call.
    /// </summary>
    public static event Action<string>? Warning;

    internal static void RaiseWarning(string message)
    {
        if (Interlocked.Exchange(ref s_warned, 1) != 0) return;
        Action<string>? handler = Warning;
        if (handler != null) handler(message);
        else Console.Error.WriteLine(message);
    }

    /// <summary>
    /// Sets MKL's thread count for the process (dynamic adjustment off, so MKL uses exactly this many). Loads MKL.
    /// </summary>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        NativeLoader.EnsureLoaded();
        Mkl.SetDynamic(false);
        Mkl.SetNumThreads(threads);
    }

    /// <summary>Full path of the loaded shim library (loads MKL and the shim first).</summary>
    public static string ShimPath => Loaded(() => NativeLoader.ShimPath);

    /// <summary>The ABI version the loaded shim reports (equals the one this assembly was built against once loaded).</summary>
    public static int ShimAbiVersion => Loaded(NativeShim.AbiVersionOfLibrary);

    /// <summary>Whether MKL was told to take its Intel code paths on a non-Intel CPU, and why (or why not).</summary>
    public static bool IntelCpuOverrideActive => Loaded(() => NativeLoader.IntelCpuOverrideActive);

    /// <inheritdoc cref="IntelCpuOverrideActive"/>
    public static string IntelCpuOverrideReason => Loaded(() => NativeLoader.IntelCpuOverrideReason);

    private static T Loaded<T>(Func<T> read)
    {
        NativeLoader.EnsureLoaded();
        return read();
    }

    /// <summary>The number of threads MKL uses for a call from this thread.</summary>
    public static int MaxThreads => Mkl.GetMaxThreads();

    /// <summary>MKL's own version text, e.g. "Intel(R) Math Kernel Library Version 2020.0.4 Product Build ...".</summary>
    public static string VersionString => Mkl.GetVersionString();

    /// <summary>The short MKL version ("2020.0.4"), or the full string when it has no "Version" word.</summary>
    public static string Version
    {
        get
        {
            string full = VersionString;
            string[] words = full.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int at = Array.IndexOf(words, "Version");
            return at >= 0 && at + 1 < words.Length ? words[at + 1] : full;
        }
    }

    /// <summary>
    /// The threading layer MKL loaded: "intel", "gnu", "tbb" or "sequential" (from the libraries mapped into the
    /// process; libmkl_rt picks it at its first threaded call, which this makes first), or "unknown".
    /// </summary>
    public static string ThreadingLayer
    {
        get
        {
            RunTinyGemm();
            string maps = ReadOrEmpty("/proc/self/maps");
            (string library, string layer)[] layers =
            [
                ("libmkl_intel_thread", "intel"), ("libmkl_gnu_thread", "gnu"),
                ("libmkl_tbb_thread", "tbb"), ("libmkl_sequential", "sequential"),
            ];
            foreach (var (library, layer) in layers)
                if (maps.Contains(library, StringComparison.Ordinal)) return layer;
            return "unknown";
        }
    }

    /// <summary>The CPU model name (/proc/cpuinfo), or the vendor string when there is none.</summary>
    public static string CpuModel
    {
        get
        {
            foreach (string line in ReadOrEmpty("/proc/cpuinfo").Split('\n'))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                    return line[(colon + 1)..].Trim();
            return NativeLoader.CpuVendor();
        }
    }

    /// <summary>
    /// Facts about this machine and MKL, keyed as perf-compare's machine.json expects (cpu, cores, os,
    /// dotnet_version, mkl_version, mkl_threading_layer, mkl_threads, ...). Loads MKL.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MachineFacts()
    {
        NativeLoader.EnsureLoaded();
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["cpu"] = CpuModel,
            ["cpu_vendor"] = NativeLoader.CpuVendor(),
            ["cores"] = Environment.ProcessorCount.ToString(),
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet_version"] = Environment.Version.ToString(),
            ["mkl_version"] = Version,
            ["mkl_version_string"] = VersionString,
            ["mkl_threading_layer"] = ThreadingLayer,
            ["mkl_threads"] = MaxThreads.ToString(),
            ["mkl_path"] = NativeLoader.MklPath,
            ["mkl_intel_cpu_override"] = NativeLoader.IntelCpuOverrideReason,
            ["isa"] = NativeLoader.KernelIsa,
        };
    }

    private static void RunTinyGemm()
    {
        float* a = stackalloc float[4];
        float* c = stackalloc float[4];
        for (int i = 0; i < 4; i++) a[i] = 1;
        Mkl.Sgemm(Mkl.NoTrans, Mkl.NoTrans, 2, 2, 2, 1f, a, 2, a, 2, 0f, c, 2);
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
