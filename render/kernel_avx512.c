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
#define V_SUB _mm512_sub_pd
#define V_MUL _mm512_mul_pd
#define V_FMADD _mm512_fmadd_pd
#define V_FNMADD _mm512_fnmadd_pd
#define V_ESC_BITS(m, b2) ((unsigned)_mm512_cmp_pd_mask ((m), (b2), _CMP_NLE_UQ))
#define V_MASK_T __mmask8
#define V_CMP_GT(a, b) _mm512_cmp_pd_mask ((a), (b), _CMP_GT_OQ)
#define V_CMP_EQ(a, b) _mm512_cmp_pd_mask ((a), (b), _CMP_EQ_OQ)
#define V_MASK_AND(a, b) ((__mmask8)((a) & (b)))
#define V_BLEND(mask, if_clear, if_set) _mm512_mask_mov_pd ((if_clear), (mask), (if_set))
#ifndef K_CHAINS
#define K_CHAINS 8
#endif
#define K_FN rnd_kernel_avx512_rows
#define K_LIST_FN rnd_kernel_avx512_pixels
#define K_LANES_DECLARED RND_AVX512_LANES

#include "kernel_simd.h"

/* The perturbation kernel in the same lanes (kernel_perturb_simd.h). */
#define V_I_T __m256i
#define V_TO_I _mm512_cvtpd_epi32
#define V_GATHER(base, i) _mm512_i32gather_pd ((i), (base), 8)
#define V_MASK_GATHER(src, mask, base, i) _mm512_mask_i32gather_pd ((src), (mask), (i), (base), 8)
#define V_ABS _mm512_abs_pd
#define V_CMP(a, b, p) _mm512_cmp_pd_mask ((a), (b), (p))
#define V_MASK_OR(a, b) ((__mmask8)((a) | (b)))
#define V_MASK_ANDNOT(a, b) ((__mmask8)((a) & ~(b)))
#define V_MASK_NONE ((__mmask8)0)
#define V_MASK_BITS(m) ((unsigned)(m))
#ifndef P_CHAINS
#define P_CHAINS 4
#endif
#define KP_LIST_FN rnd_kernel_avx512_perturb_pixels

#include "kernel_perturb_simd.h"
