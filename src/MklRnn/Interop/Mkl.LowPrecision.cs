using System.Runtime.InteropServices;

namespace MklRnn.Interop;

/// <summary>
/// MKL's low-precision GEMMs (MKL 2020.4, LP64), row-major, as used by the bf16 and int8 inference paths:
/// cblas_gemm_bf16bf16f32 (bf16 inputs as uint16 bit patterns, float32 accumulation and output) and
/// cblas_gemm_s8u8s32 (row-major: A unsigned 8-bit, B signed 8-bit, int32 output), each with
/// pack_get_size / pack / compute. Signatures from /usr/include/mkl/mkl_cblas.h; the raw imports are
/// private and the callers (<see cref="Core.Bf16Weights"/>, <see cref="Core.Int8Weights"/>) validate
/// every size first (MKL reports bad arguments only through xerbla).
/// </summary>
internal static unsafe partial class Mkl
{
    /// <summary>CBLAS_OFFSET: one fixed offset added to all of C (we pass 0).</summary>
    public const int FixOffset = 173;

    public static nuint Bf16PackGetSize(int identifier, int m, int n, int k)
    {
        NativeLoader.EnsureMklLoaded();
        return cblas_gemm_bf16bf16f32_pack_get_size(identifier, m, n, k);
    }

    public static void Bf16Pack(int identifier, int trans, int m, int n, int k, ushort* src, int ld, ushort* dest)
    {
        NativeLoader.EnsureMklLoaded();
        cblas_gemm_bf16bf16f32_pack(RowMajor, identifier, trans, m, n, k, src, ld, dest);
    }

    public static void Bf16Compute(int transA, int transB, int m, int n, int k, float alpha, ushort* a, int lda,
        ushort* b, int ldb, float beta, float* c, int ldc)
    {
        NativeLoader.EnsureMklLoaded();
        cblas_gemm_bf16bf16f32_compute(RowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    public static nuint S8U8PackGetSize(int identifier, int m, int n, int k)
    {
        NativeLoader.EnsureMklLoaded();
        return cblas_gemm_s8u8s32_pack_get_size(identifier, m, n, k);
    }

    public static void S8U8Pack(int identifier, int trans, int m, int n, int k, void* src, int ld, void* dest)
    {
        NativeLoader.EnsureMklLoaded();
        cblas_gemm_s8u8s32_pack(RowMajor, identifier, trans, m, n, k, src, ld, dest);
    }

    /// <summary>C (int32) = A (u8) op(B) (s8), no offsets, beta = 0; B may be packed (transB = Packed).</summary>
    public static void S8U8Compute(int transA, int transB, int m, int n, int k, byte* a, int lda, void* b, int ldb,
        int* c, int ldc)
    {
        NativeLoader.EnsureMklLoaded();
        int zero = 0;
        cblas_gemm_s8u8s32_compute(RowMajor, transA, transB, FixOffset, m, n, k, 1f, a, lda, 0, b, ldb, 0, 0f, c, ldc, &zero);
    }

    /// <summary>The unpacked form of <see cref="S8U8Compute"/>.</summary>
    public static void S8U8Gemm(int transA, int transB, int m, int n, int k, byte* a, int lda, sbyte* b, int ldb,
        int* c, int ldc)
    {
        NativeLoader.EnsureMklLoaded();
        int zero = 0;
        cblas_gemm_s8u8s32(RowMajor, transA, transB, FixOffset, m, n, k, 1f, a, lda, 0, b, ldb, 0, 0f, c, ldc, &zero);
    }

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_bf16bf16f32_pack_get_size")]
    private static partial nuint cblas_gemm_bf16bf16f32_pack_get_size(int identifier, int m, int n, int k);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_bf16bf16f32_pack")]
    private static partial void cblas_gemm_bf16bf16f32_pack(int layout, int identifier, int trans, int m, int n, int k,
        ushort* src, int ld, ushort* dest);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_bf16bf16f32_compute")]
    private static partial void cblas_gemm_bf16bf16f32_compute(int layout, int transA, int transB, int m, int n, int k,
        float alpha, ushort* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_s8u8s32")]
    private static partial void cblas_gemm_s8u8s32(int layout, int transA, int transB, int offsetC, int m, int n, int k,
        float alpha, void* a, int lda, sbyte ao, void* b, int ldb, sbyte bo, float beta, int* c, int ldc, int* co);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_s8u8s32_pack_get_size")]
    private static partial nuint cblas_gemm_s8u8s32_pack_get_size(int identifier, int m, int n, int k);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_s8u8s32_pack")]
    private static partial void cblas_gemm_s8u8s32_pack(int layout, int identifier, int trans, int m, int n, int k,
        void* src, int ld, void* dest);

    [LibraryImport(LibraryNames.Mkl, EntryPoint = "cblas_gemm_s8u8s32_compute")]
    private static partial void cblas_gemm_s8u8s32_compute(int layout, int transA, int transB, int offsetC, int m, int n,
        int k, float alpha, void* a, int lda, sbyte ao, void* b, int ldb, sbyte bo, float beta, int* c, int ldc, int* co);
}
