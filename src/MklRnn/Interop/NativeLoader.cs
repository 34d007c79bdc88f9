using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace MklRnn.Interop;

/// <summary>
/// Finds and loads MKL and MklRnn's C shim, once. The DllImport resolver never throws: it records
/// every path it tried, and <see cref="EnsureLoaded"/> turns a failure into one exception that shows
/// that trace and the fix. On a non-Intel x86 CPU it first loads the MKL CPU-vendor override
/// (see native/src/mkl_intel_cpu.c) unless MKLRNN_MKL_INTEL_CPU=0.
/// </summary>
internal static unsafe partial class NativeLoader
{
    private static readonly object s_gate = new();
    private static readonly StringBuilder s_trace = new();
    private static volatile bool s_loaded;
    private static volatile bool s_mklLoaded;
    private static nint s_mkl;
    private static nint s_shim;
    private static Exception? s_failure;
    private static Exception? s_mklFailure;

    /// <summary>The path MKL was loaded from (after <see cref="EnsureLoaded"/>).</summary>
    public static string MklPath { get; private set; } = "";

    /// <summary>The path the shim was loaded from.</summary>
    public static string ShimPath { get; private set; } = "";

    /// <summary>
    /// The instruction set of the shim's gate kernels: "avx512", "avx2" or "scalar" (see mklrnn_isa;
    /// MKLRNN_FORCE_AVX2=1 / MKLRNN_FORCE_SCALAR=1 cap it). Loads the libraries on first use.
    /// </summary>
    public static string KernelIsa
    {
        get
        {
            EnsureLoaded();
            return NativeShim.Isa() switch { 2 => "avx512", 1 => "avx2", _ => "scalar" };
        }
    }

    /// <summary>Whether the MKL Intel-CPU override is active in this process.</summary>
    public static bool IntelCpuOverrideActive { get; private set; }

    /// <summary>Why the override is or is not active (for benchmark and machine reports).</summary>
    public static string IntelCpuOverrideReason { get; private set; } = "not decided yet";

    static NativeLoader()
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);
    }

    /// <summary>Loads both libraries on first call; later calls are a flag check.</summary>
    public static void EnsureLoaded()
    {
        if (s_loaded) return;
        LoadOnce();
    }

    /// <summary>
    /// Loads MKL only (and the Intel-CPU override before it), not the shim: enough for code that needs
    /// nothing but BLAS (the <see cref="Mkl"/> wrappers, the training heads and optimizers).
    /// </summary>
    internal static void EnsureMklLoaded()
    {
        if (s_mklLoaded) return;
        LoadMklOnce();
    }

    private static void LoadMklOnce()
    {
        lock (s_gate)
        {
            if (s_mklLoaded) return;
            if (s_mklFailure != null) throw s_mklFailure;
            try
            {
                MaybeLoadIntelCpuOverride();
                s_mkl = LoadMkl();
                s_mklLoaded = true;
            }
            catch (MklRnnNativeException e)
            {
                s_mklFailure = e;
                throw;
            }
        }
    }

    private static void LoadOnce()
    {
        lock (s_gate)
        {
            if (s_loaded) return;
            if (s_failure != null) throw s_failure;
            try
            {
                LoadMklOnce();
                s_shim = LoadShim();
                int abi = NativeShim.AbiVersionOfLibrary();
                if (abi != NativeShim.AbiVersion)
                    throw new MklRnnNativeException(
                        $"{ShimPath} has ABI version {abi}, this MklRnn needs {NativeShim.AbiVersion}: rebuild it with ./build.sh");
                s_loaded = true;
            }
            catch (MklRnnNativeException e)
            {
                s_failure = e;
                throw;
            }
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        // Called by the runtime for our imports; never throws (a zero means "not found here").
        if (name == LibraryNames.Mkl && s_mkl != 0) return s_mkl;
        if (name == LibraryNames.Shim && s_shim != 0) return s_shim;
        return 0;
    }

    private static nint LoadMkl()
    {
        var candidates = new List<string>();
        string? overridePath = Environment.GetEnvironmentVariable(LibraryNames.MklPathVariable);
        if (!string.IsNullOrWhiteSpace(overridePath)) candidates.Add(overridePath);
        candidates.AddRange(LibraryNames.MklCandidates);
        foreach (string candidate in candidates)
        {
            if (TryLoad(candidate, out nint handle))
            {
                MklPath = candidate;
                return handle;
            }
        }
        throw new MklRnnNativeException(
            "Intel MKL could not be loaded. Tried:\n" + s_trace +
            "Install it (Debian: enable the non-free component, then `apt-get install libmkl-rt libomp-dev`; " +
            "./build.sh does this), or point " + LibraryNames.MklPathVariable + " at libmkl_rt.so of an oneAPI install.");
    }

    private static nint LoadShim()
    {
        foreach (string candidate in ShimCandidates(LibraryNames.Shim, LibraryNames.ShimPathVariable))
        {
            if (TryLoad(candidate, out nint handle))
            {
                ShimPath = candidate;
                return handle;
            }
        }
        throw new MklRnnNativeException(
            "MklRnn's native shim (libmklrnn_native.so) could not be loaded. Tried:\n" + s_trace +
            "Build it with ./build.sh (CMake puts it in build/native/ and the .NET build copies it next to MklRnn.dll), " +
            "or point " + LibraryNames.ShimPathVariable + " at it.");
    }

    /// <summary>
    /// Env override; next to MklRnn.Engine.dll; the app folder; runtimes/&lt;rid&gt;/native under either (where a
    /// plain `dotnet build` of a NuGet consumer puts them); the host's native search directories (the NuGet
    /// cache under `dotnet test`/`run`, the extraction folder of a single-file app); then build/native of a
    /// source tree above the app. Duplicates are skipped.
    /// </summary>
    private static IEnumerable<string> ShimCandidates(string name, string? variable)
    {
        string file = "lib" + name + ".so";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (variable != null)
        {
            string? overridePath = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(overridePath)) yield return overridePath;
        }
        // Assembly.Location is empty in a single-file app; AppContext.BaseDirectory is the executable's folder.
        string? assemblyDir = Path.GetDirectoryName(typeof(NativeLoader).Assembly.Location);
        foreach (string? dir in new[] { assemblyDir, AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            foreach (string candidate in new[]
                     {
                         Path.Combine(dir, file),
                         Path.Combine(dir, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", file),
                         Path.Combine(dir, "runtimes", PortableRid, "native", file),
                     })
                if (seen.Add(candidate)) yield return candidate;
        }
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirs)
            foreach (string dir in searchDirs.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                if (Path.Combine(dir, file) is var candidate && File.Exists(candidate) && seen.Add(candidate))
                    yield return candidate;
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "build", "native", file);
            if (File.Exists(candidate)) { yield return candidate; break; }
        }
    }

    /// <summary>The runtime identifier the package's native assets are filed under (only linux-x64 ships).</summary>
    private static string PortableRid => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "linux-x64" : "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private static bool TryLoad(string path, out nint handle)
    {
        if (NativeLibrary.TryLoad(path, out handle))
        {
            s_trace.Append("  ").Append(path).Append(": loaded\n");
            return true;
        }
        s_trace.Append("  ").Append(path).Append(": ").Append(DlError(path)).Append('\n');
        return false;
    }

    private static string DlError(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return "not found";
        }
        catch (DllNotFoundException e)
        {
            // The runtime's message carries dlerror(): "cannot open shared object file", "undefined symbol", ...
            string message = e.Message.Replace('\n', ' ');
            return message.Length > 300 ? message[..300] + "..." : message;
        }
    }

    /// <summary>
    /// MKL 2020 picks slower GEMM kernels when the CPU vendor is not Intel. On such a CPU with AVX2 and
    /// FMA, a tiny library defining mkl_serv_intel_cpu_true() is loaded with RTLD_GLOBAL before MKL so
    /// that MKL's own lookup finds it first. Intel CPUs never load it; MKLRNN_MKL_INTEL_CPU=0 turns it off.
    /// </summary>
    private static void MaybeLoadIntelCpuOverride()
    {
        string? setting = Environment.GetEnvironmentVariable(LibraryNames.IntelCpuVariable);
        if (setting == "0")
        {
            IntelCpuOverrideReason = $"off ({LibraryNames.IntelCpuVariable}=0)";
            return;
        }
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported)
        {
            IntelCpuOverrideReason = "off (not Linux x86-64)";
            return;
        }
        string vendor = CpuVendor();
        // "1" forces the override on any AVX2 CPU: on an Intel CPU it changes nothing MKL does (the
        // check already says Intel), which makes the loading mechanism itself testable there.
        bool forced = setting == "1";
        if (vendor == "GenuineIntel" && !forced)
        {
            IntelCpuOverrideReason = "off (Intel CPU: MKL already takes its Intel paths)";
            return;
        }
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            IntelCpuOverrideReason = $"off ({vendor} CPU without AVX2/FMA)";
            return;
        }
        foreach (string candidate in ShimCandidates(LibraryNames.IntelCpuOverride, null))
        {
            if (!File.Exists(candidate)) continue;
            nint handle = DlOpenGlobal(candidate);
            if (handle != 0)
            {
                IntelCpuOverrideActive = true;
                IntelCpuOverrideReason = forced
                    ? $"on (forced by {LibraryNames.IntelCpuVariable}=1; {vendor} CPU)"
                    : $"on ({vendor} CPU with AVX2/FMA; {LibraryNames.IntelCpuVariable}=0 turns it off)";
                return;
            }
        }
        IntelCpuOverrideReason = "off (libmklrnn_intel_cpu.so not found next to MklRnn.Engine.dll nor under runtimes/<rid>/native)";
        MklRuntime.RaiseWarning(
            $"MklRnn: warning: MKL runs its slower non-Intel code paths on this {vendor} CPU: {IntelCpuOverrideReason}. " +
            $"Ship libmklrnn_intel_cpu.so with the app (the MklRnn package does), or set {LibraryNames.IntelCpuVariable}=0 to silence this.");
    }

    /// <summary>The CPUID vendor string, e.g. GenuineIntel or AuthenticAMD.</summary>
    public static string CpuVendor()
    {
        if (!X86Base.IsSupported) return "unknown";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> bytes = stackalloc byte[12];
        BitConverter.TryWriteBytes(bytes, ebx);
        BitConverter.TryWriteBytes(bytes[4..], edx);
        BitConverter.TryWriteBytes(bytes[8..], ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    private const int RtldNow = 0x2;
    private const int RtldGlobal = 0x100;

    private static nint DlOpenGlobal(string path)
    {
        try
        {
            return dlopen(path, RtldNow | RtldGlobal);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string path, int flags);
}
