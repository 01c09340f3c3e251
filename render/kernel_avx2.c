/* kernel_avx2.c: the SIMD kernel on AVX2 + FMA, 4 doubles per vector.
 * Compiled with -mavx2 -mfma; called only after CPUID said yes. */
#include <immintrin.h>

#include "kernel_common.h"

#define V_T __m256d
#define V_W 4
#define V_SET1 _mm256_set1_pd
#define V_LOAD _mm256_load_pd
#define V_STORE _mm256_store_pd
#define V_ADD _mm256_add_pd
#define V_SUB _mm256_sub_pd
#define V_MUL _mm256_mul_pd
#define V_FMADD _mm256_fmadd_pd
#define V_FNMADD _mm256_fnmadd_pd
#define V_ESC_BITS(m, b2) ((unsigned)_mm256_movemask_pd (_mm256_cmp_pd ((m), (b2), _CMP_NLE_UQ)))
#define V_MASK_T __m256d
#define V_CMP_GT(a, b) _mm256_cmp_pd ((a), (b), _CMP_GT_OQ)
#define V_CMP_EQ(a, b) _mm256_cmp_pd ((a), (b), _CMP_EQ_OQ)
#define V_MASK_AND(a, b) _mm256_and_pd ((a), (b))
#define V_BLEND(mask, if_clear, if_set) _mm256_blendv_pd ((if_clear), (if_set), (mask))
#ifndef K_CHAINS
#define K_CHAINS 6
#endif
#define K_FN rnd_kernel_avx2_rect
#define K_LIST_FN rnd_kernel_avx2_pixels
#define K_LANES_DECLARED RND_AVX2_LANES

#include "kernel_simd.h"

/* The perturbation kernel in the same lanes (kernel_perturb_simd.h). */
/* Two consecutive rows (8 doubles from t + i) of ref->lanes (reference.h)
 * for the 4 offsets i = 4 idx in iv, transposed into a vector of each
 * column by loads and shuffles: on AMD Zen 4 they beat vgatherdpd, which
 * the first version of this kernel used (0.87 against 0.65 G iterations/s,
 * AVX-512, plain perturbation at 1e-113). */
#define S_TRANSPOSE3(l0, l1, l2, l3, a, b, c)                                                      \
    do {                                                                                           \
        __m256d u0_ = _mm256_unpacklo_pd ((l0), (l1)), u1_ = _mm256_unpackhi_pd ((l0), (l1));      \
        __m256d u2_ = _mm256_unpacklo_pd ((l2), (l3)), u3_ = _mm256_unpackhi_pd ((l2), (l3));      \
        (a) = _mm256_permute2f128_pd (u0_, u2_, 0x20);                                             \
        (b) = _mm256_permute2f128_pd (u1_, u3_, 0x20);                                             \
        (c) = _mm256_permute2f128_pd (u0_, u2_, 0x31);                                             \
    } while (0)
#define V_GATHER6(t, k_, a, b, c, d, e, f)                                                         \
    do {                                                                                           \
        const double *p0_ = (t) + (k_)[0], *p1_ = (t) + (k_)[1], *p2_ = (t) + (k_)[2],             \
                     *p3_ = (t) + (k_)[3];                                                         \
        S_TRANSPOSE3 (_mm256_loadu_pd (p0_), _mm256_loadu_pd (p1_), _mm256_loadu_pd (p2_),         \
                      _mm256_loadu_pd (p3_), a, b, c);                                             \
        S_TRANSPOSE3 (_mm256_loadu_pd (p0_ + 4), _mm256_loadu_pd (p1_ + 4),                        \
                      _mm256_loadu_pd (p2_ + 4), _mm256_loadu_pd (p3_ + 4), d, e, f);              \
    } while (0)
#define V_GO_T __m256i
#define V_GO_LOAD(p) _mm256_load_si256 ((const __m256i *)(p))
#define V_GO_SET1 _mm256_set1_epi64x
#define V_GO_ADD _mm256_add_epi64
/* a >= b: not b > a */
#define V_GO_CMP_GE_M(mask, a, b)                                                                  \
    _mm256_andnot_pd (_mm256_castsi256_pd (_mm256_cmpgt_epi64 ((b), (a))), (mask))
#define V_GO_MASK_STORE(p, mask, v)                                                                \
    _mm256_maskstore_epi64 ((long long *)(p), _mm256_castpd_si256 (mask), (v))
#define V_ABS(v) _mm256_andnot_pd (_mm256_set1_pd (-0.0), (v))
#define V_CMP_M(mask, a, b, p) _mm256_and_pd ((mask), _mm256_cmp_pd ((a), (b), (p)))
#define V_MASK_ANDNOT(a, b) _mm256_andnot_pd ((b), (a))
#define V_MASK_BITS(m) ((unsigned)_mm256_movemask_pd (m))
#define V_MASK_STORE(p, mask, v)                                                                   \
    _mm256_store_pd ((p), _mm256_blendv_pd (_mm256_load_pd (p), (v), (mask)))
#ifndef P_CHAINS
#define P_CHAINS 4
#endif
#define KP_LIST_FN rnd_kernel_avx2_perturb_pixels

#include "kernel_perturb_simd.h"
