/* mkl_intel_cpu.c -- makes MKL 2020 take its Intel code paths on a non-Intel x86 CPU.
 *
 * MKL asks its internal mkl_serv_intel_cpu_true() whether the CPU is an Intel one and, on AMD,
 * falls back to slower GEMM kernels. Loaded with RTLD_GLOBAL before MKL (by MklRnn's loader, only
 * when the CPU is not Intel and MKLRNN_MKL_INTEL_CPU is not 0), this definition comes first in the
 * global symbol scope and so answers for MKL. The kernels MKL then picks use only AVX2/FMA, which
 * the CPU has (the loader checks that too). Intel CPUs never load this. */
__attribute__((visibility("default"))) int mkl_serv_intel_cpu_true(void) { return 1; }
