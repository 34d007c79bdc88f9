/* kernels_avx2.c -- AVX2+FMA versions of the gate kernels (placeholder until they land).
 * Compiled without global -m flags; each function carries target("avx2,fma") so the library
 * still loads on older CPUs, where dispatch.c never calls them. */
#include "kernels.h"
