using System.Runtime.InteropServices;

namespace MklRnn.Interop;

/// <summary>
/// Intel MKL imports (libmkl_rt, LP64: MKL_INT = int32). The raw imports are private; the internal
/// wrappers make sure the library is loaded first. BLAS reports bad arguments through xerbla, not a
/// return value, so callers (<see cref="Core.Gemm"/>) validate sizes before MKL sees them.
/// </summary>
internal static unsafe partial class Mkl
{
    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;
    public const int Packed = 151;
    public const int BMatrix = 162;

    public static void Sgemm(int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        NativeLoader.EnsureMklLoaded();
        cblas_sgemm(RowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    public static nuint PackGetSize(int identifier, int m, int n, int k)
    {
        NativeLoader.EnsureMklLoaded();
        return cblas_sgemm_pack_get_size(identifier, m, n, k);
    }

    public static void Pack(int identifier, int trans, int m, int n, int k, float alpha, float* src, int ld, float* dest)
    {
        NativeLoader.EnsureMklLoaded();
        cblas_sgemm_pack(RowMajor, identifier, trans, m, n, k, alpha, src, ld, dest);
    }

    public static void Compute(int transA, int transB, int m, int n, int k, float* a, int lda,
        float* b, int ldb, float beta, float* c, int ldc)
    {
        NativeLoader.EnsureMklLoaded();
        cblas_sgemm_compute(RowMajor, transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc);
    }

    public static void SetNumThreads(int threads)
    {
        NativeLoader.EnsureMklLoaded();
        MKL_Set_Num_Threads(threads);
    }

    /// <summary>Sets MKL's thread count for the calling thread only; returns the previous local value.</summary>
    public static int SetNumThreadsLocal(int threads)
    {
        NativeLoader.EnsureMklLoaded();
        return MKL_Set_Num_Threads_Local(threads);
    }

    public static int GetMaxThreads()
    {
        NativeLoader.EnsureMklLoaded();
        return MKL_Get_Max_Threads();
    }

    public static void SetDynamic(bool enabled)
    {
        NativeLoader.EnsureMklLoaded();
        MKL_Set_Dynamic(enabled ? 1 : 0);
    }

    /// <summary>Whether MKL may use fewer threads than asked (MklRuntime.SetThreads turns it off).</summary>
    public static bool GetDynamic()
    {
        NativeLoader.EnsureMklLoaded();
        return MKL_Get_Dynamic() != 0;
    }

    public static string GetVersionString()
    {
        NativeLoader.EnsureMklLoaded();
        byte* buffer = stackalloc byte[256];
        MKL_Get_Version_String(buffer, 256);
        return Marshal.PtrToStringUTF8((nint)buffer)?.Trim() ?? "";
    }

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_sgemm")]
    private static partial void cblas_sgemm(int layout, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_sgemm_pack_get_size")]
    private static partial nuint cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_sgemm_pack")]
    private static partial void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k,
        float alpha, float* src, int ld, float* dest);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_sgemm_compute")]
    private static partial void cblas_sgemm_compute(int layout, int transA, int transB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "MKL_Set_Num_Threads")]
    private static partial void MKL_Set_Num_Threads(int threads);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "MKL_Set_Num_Threads_Local")]
    private static partial int MKL_Set_Num_Threads_Local(int threads);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "MKL_Get_Max_Threads")]
    private static partial int MKL_Get_Max_Threads();

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "MKL_Set_Dynamic")]
    private static partial void MKL_Set_Dynamic(int enabled);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "MKL_Get_Dynamic")]
    private static partial int MKL_Get_Dynamic();

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "MKL_Get_Version_String")]
    private static partial void MKL_Get_Version_String(byte* buffer, int length);
}
