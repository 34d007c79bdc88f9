using System.Runtime.InteropServices;

namespace MklRnn.Interop;

/// <summary>
/// Imports of MklRnn's C shim; the contract (shapes, leading dimensions, aliasing) is
/// native/include/mklrnn/mklrnn.h. Every function returns a status that callers pass to
/// <see cref="Status.ThrowIfFailed"/>; the shim validates its arguments before touching memory.
/// </summary>
internal static unsafe partial class NativeShim
{
    /// <summary>Must equal the library's MKLRNN_ABI_VERSION.</summary>
    public const int AbiVersion = 7;

    public const int ActTanh = 0;
    public const int ActRelu = 1;

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_abi_version")]
    public static partial int AbiVersionOfLibrary();

    /// <summary>The row kernels' instruction set: 0 scalar, 1 AVX2+FMA, 2 AVX-512 (mklrnn_isa).</summary>
    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_isa")]
    public static partial int Isa();

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_rnn_forward")]
    public static partial int RnnForward(int act, int n, int h, float* g, int ldG, float* bIh, float* bHh,
        float* hOut, int ldH, float* y, int ldY);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_rnn_backward")]
    public static partial int RnnBackward(int act, int n, int h, float* hOut, int ldH, float* dh, int ldDh,
        float* dy, int ldDy, float* dg, int ldDg);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_lstm_forward")]
    public static partial int LstmForward(int n, int h, float* gates, int ldG, float* bIh, float* bHh, float* peep,
        float* cPrev, int ldCp, float* c, int ldC, float* hOut, int ldH, float* y, int ldY);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_lstm_backward")]
    public static partial int LstmBackward(int n, int h, float* gates, int ldG, float* peep,
        float* cPrev, int ldCp, float* c, int ldC, float* dh, int ldDh, float* dy, int ldDy,
        float* dc, int ldDc, float* dGates, int ldDg, float* dPeep);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru_forward")]
    public static partial int GruForward(int n, int h, float* gx, int ldGx, float* gh, int ldGh,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* hOut, int ldH, float* y, int ldY);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru_backward")]
    public static partial int GruBackward(int n, int h, float* gx, int ldGx, float* gh, int ldGh,
        float* hPrev, int ldHp, float* dh, int ldDh, float* dy, int ldDy,
        float* dgx, int ldDgx, float* dgh, int ldDgh, float* dhPrev, int ldDhp);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru0_forward_gates")]
    public static partial int Gru0ForwardGates(int n, int h, float* gx, int ldGx, float* ghrz, int ldGhrz,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* rh, int ldRh);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru0_forward_state")]
    public static partial int Gru0ForwardState(int n, int h, float* gx, int ldGx, float* ghn, int ldGhn,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* hOut, int ldH, float* y, int ldY);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru0_backward_state")]
    public static partial int Gru0BackwardState(int n, int h, float* gx, int ldGx, float* hPrev, int ldHp,
        float* dh, int ldDh, float* dy, int ldDy, float* dgx, int ldDgx, float* dhPrev, int ldDhp);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru0_backward_gates")]
    public static partial int Gru0BackwardGates(int n, int h, float* gx, int ldGx, float* hPrev, int ldHp,
        float* drh, int ldDrh, float* dgx, int ldDgx, float* dhPrev, int ldDhp);

    /// <summary>Sets the calling thread's kernel thread count (row split of large blocks); returns the previous one.</summary>
    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_set_kernel_threads")]
    public static partial int SetKernelThreads(int threads);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_get_kernel_threads")]
    public static partial int GetKernelThreads();

    /// <summary>
    /// Runs job(thread, threads, state) on each thread of an OpenMP team of up to `threads` (MKL's pool;
    /// the caller is thread 0); returns the team size granted, 0 for bad arguments. job must not throw
    /// (an exception cannot cross the native frames): ThreadPair catches inside and rethrows after.
    /// </summary>
    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_run_team")]
    public static partial int RunTeam(int threads, delegate* unmanaged<int, int, void*, void> job, void* state);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_sum_rows")]
    public static partial int SumRows(int n, int k, float* a, int ldA, float* output);

    // ---------------------------------------------------------------- small-batch latency path

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_panel_size")]
    public static partial long PanelSize(int g, int h, int k);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_pack_panels")]
    public static partial int PackPanels(int g, int h, int k, float* w, int ldW, float* panels);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_lstm_step_panels")]
    public static partial int LstmStepPanels(int n, int h, int k, int j0, int j1, float* panels, float* gx, int ldGx,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* c, int ldC, float* hOut, int ldH, float* y, int ldY);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru_step_panels")]
    public static partial int GruStepPanels(int n, int h, int k, int j0, int j1, float* panels, float* gx, int ldGx,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* hOut, int ldH, float* y, int ldY);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_rnn_step_panels")]
    public static partial int RnnStepPanels(int act, int n, int h, int k, int j0, int j1, float* panels, float* gx, int ldGx,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* hOut, int ldH, float* y, int ldY);

    // ---------------------------------------------------------------- reduced precision (bf16, int8)

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_f32_to_bf16")]
    public static partial int F32ToBf16(int n, int k, float* src, int ldSrc, ushort* dst, int ldDst);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_min_max")]
    public static partial int MinMax(int n, int k, float* src, int ldSrc, float* minMax);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_quantize_u8")]
    public static partial int QuantizeU8(int n, int k, float* src, int ldSrc, float invScale, int zeroPoint, int qmax,
        byte* dst, int ldDst);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_dequantize_s32")]
    public static partial int DequantizeS32(int n, int k, int* acc, int ldAcc, float aScale, int aZero, float* wScale,
        int* wColSum, int accumulate, float* output, int ldOut);

    // The *_forward_s32 steps: the recurrent int32 block (acc ... wColSum), then the input projection's int32 block
    // (accX ... wxColSum; accX = null when gates / g / gx already hold the fp32 input projection); last, the optional
    // u8 copy of the new h (hq = null: none), the next step's GEMM operand. The gate rows are scratch afterwards.
    // The bf16 path's LSTM step: input projection gx and recurrent product gh apart, no gates kept, h's bf16 copy (hb, or null).
    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_lstm_forward_infer")]
    public static partial int LstmForwardInfer(int n, int h, float* gx, int ldGx, float* gh, int ldGh, float* bIh, float* bHh,
        float* peep, float* cPrev, int ldCp, float* c, int ldC, float* hOut, int ldH, float* y, int ldY, ushort* hb, int ldHb);

    // The bf16 path's RNN and GRU steps: mklrnn_rnn_forward / mklrnn_gru_forward, and h's bf16 copy (hb, or null).
    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_rnn_forward_infer")]
    public static partial int RnnForwardInfer(int act, int n, int h, float* g, int ldG, float* bIh, float* bHh,
        float* hOut, int ldH, float* y, int ldY, ushort* hb, int ldHb);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru_forward_infer")]
    public static partial int GruForwardInfer(int n, int h, float* gx, int ldGx, float* gh, int ldGh,
        float* bIh, float* bHh, float* hPrev, int ldHp, float* hOut, int ldH, float* y, int ldY, ushort* hb, int ldHb);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_lstm_forward_s32")]
    public static partial int LstmForwardS32(int n, int h, int* acc, int ldAcc, float aScale, int aZero, float* wScale,
        int* wColSum, int* accX, int ldAccX, float xScale, int xZero, float* wxScale, int* wxColSum, float* gates, int ldG,
        float* bIh, float* bHh, float* peep, float* cPrev, int ldCp, float* c, int ldC, float* hOut, int ldH, float* y, int ldY,
        byte* hq, int ldHq, float hqInvScale, int hqZero, int hqMax);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_rnn_forward_s32")]
    public static partial int RnnForwardS32(int act, int n, int h, int* acc, int ldAcc, float aScale, int aZero,
        float* wScale, int* wColSum, int* accX, int ldAccX, float xScale, int xZero, float* wxScale, int* wxColSum,
        float* g, int ldG, float* bIh, float* bHh, float* hOut, int ldH, float* y, int ldY, byte* hq, int ldHq, float hqInvScale,
        int hqZero, int hqMax);

    [LibraryImport(LibraryNames.Shim, EntryPoint = "mklrnn_gru_forward_s32")]
    public static partial int GruForwardS32(int n, int h, int* acc, int ldAcc, float aScale, int aZero, float* wScale,
        int* wColSum, int* accX, int ldAccX, float xScale, int xZero, float* wxScale, int* wxColSum, float* gx, int ldGx,
        float* gh, int ldGh, float* bIh, float* bHh, float* hPrev, int ldHp, float* hOut, int ldH, float* y, int ldY,
        byte* hq, int ldHq, float hqInvScale, int hqZero, int hqMax);
}
