/* kernel_avx512.c: the SIMD kernel on AVX-512F, 8 doubles per vector.
 * Compiled with -mavx512f -mfma; called only after CPUID said yes. */
#include <immintrin.h>

#include "kernel_common.h"

#define V_T __m512d
#define V_W 8
#define V_SET1 _mm512_set1_pd
#define V_LOAD _mm512_load_pd
#define V_STORE _mm512_store_pd
#define V_ADD _mm512_add_pd
#define V_MUL _mm512_mul_pd
#define V_FMADD _mm512_fmadd_pd
#define V_FNMADD _mm512_fnmadd_pd
#define V_ESC_BITS(m, b2) ((unsigned)_mm512_cmp_pd_mask ((m), (b2), _CMP_NLE_UQ))
#define V_GT_BITS(m, b2) ((unsigned)_mm512_cmp_pd_mask ((m), (b2), _CMP_GT_OQ))
#ifndef K_CHAINS
#define K_CHAINS 8
#endif
#define K_FN rnd_kernel_avx512_rows

#include "kernel_simd.h"
