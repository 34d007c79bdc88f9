namespace MklRnn.Interop;

/// <summary>The native libraries MklRnn binds, by the logical names its imports use.</summary>
internal static class LibraryNames
{
    /// <summary>Intel MKL's single dynamic library; resolved by <see cref="NativeLoader"/>.</summary>
    public const string Mkl = "mkl_rt";

    /// <summary>MklRnn's C shim (native/): fused element-wise gate kernels.</summary>
    public const string Shim = "mklrnn_native";

    /// <summary>The opt-in override of MKL's CPU-vendor check (native/src/mkl_intel_cpu.c).</summary>
    public const string IntelCpuOverride = "mklrnn_intel_cpu";

    /// <summary>File names tried for MKL, in order, after the MKLRNN_MKL_PATH override.</summary>
    public static readonly string[] MklCandidates = ["libmkl_rt.so.2", "libmkl_rt.so", "libmkl_rt.so.1"];

    /// <summary>Environment variable: full path of libmkl_rt to use.</summary>
    public const string MklPathVariable = "MKLRNN_MKL_PATH";

    /// <summary>Environment variable: full path of libmklrnn_native.so to use.</summary>
    public const string ShimPathVariable = "MKLRNN_NATIVE_PATH";

    /// <summary>Environment variable: 0 turns the MKL Intel-CPU override off on non-Intel CPUs; 1 forces it on (testing).</summary>
    public const string IntelCpuVariable = "MKLRNN_MKL_INTEL_CPU";
}
