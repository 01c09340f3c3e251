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
/* Rows t[i .. i + 2] of ref->lanes (reference.h) for the 8 offsets i = 4 m
 * in iv, transposed into a vector of each column: 8 row loads and 11
 * shuffles, where gathers would cost 24 (vgatherdpd is slow on AMD Zen 4). */
#define V_GATHER3(t, iv, a, b, c)                                                                  \
    do {                                                                                           \
        _Alignas(32) int32_t k_[8];                                                                \
        _mm256_store_si256 ((__m256i *)k_, (iv));                                                  \
        __m512d p0_ = _mm512_insertf64x4 (_mm512_castpd256_pd512 (_mm256_loadu_pd ((t) + k_[0])),  \
                                          _mm256_loadu_pd ((t) + k_[4]), 1);                       \
        __m512d p1_ = _mm512_insertf64x4 (_mm512_castpd256_pd512 (_mm256_loadu_pd ((t) + k_[1])),  \
                                          _mm256_loadu_pd ((t) + k_[5]), 1);                       \
        __m512d p2_ = _mm512_insertf64x4 (_mm512_castpd256_pd512 (_mm256_loadu_pd ((t) + k_[2])),  \
                                          _mm256_loadu_pd ((t) + k_[6]), 1);                       \
        __m512d p3_ = _mm512_insertf64x4 (_mm512_castpd256_pd512 (_mm256_loadu_pd ((t) + k_[3])),  \
                                          _mm256_loadu_pd ((t) + k_[7]), 1);                       \
        __m512d u0_ = _mm512_unpacklo_pd (p0_, p1_), u1_ = _mm512_unpackhi_pd (p0_, p1_);          \
        __m512d u2_ = _mm512_unpacklo_pd (p2_, p3_), u3_ = _mm512_unpackhi_pd (p2_, p3_);          \
        const __m512i lo_ = _mm512_set_epi64 (13, 12, 5, 4, 9, 8, 1, 0);                           \
        const __m512i hi_ = _mm512_set_epi64 (15, 14, 7, 6, 11, 10, 3, 2);                         \
        (a) = _mm512_permutex2var_pd (u0_, lo_, u2_);                                              \
        (b) = _mm512_permutex2var_pd (u1_, lo_, u3_);                                              \
        (c) = _mm512_permutex2var_pd (u0_, hi_, u2_);                                              \
    } while (0)
#define V_I_T __m256i
#define V_TO_I _mm512_cvtpd_epi32
#define V_ABS _mm512_abs_pd
#define V_CMP(a, b, p) _mm512_cmp_pd_mask ((a), (b), (p))
#define V_MASK_OR(a, b) ((__mmask8)((a) | (b)))
#define V_MASK_ANDNOT(a, b) ((__mmask8)((a) & ~(b)))
#define V_MASK_NONE ((__mmask8)0)
#define V_MASK_BITS(m) ((unsigned)(m))
#define V_MIN _mm512_min_pd
#define V_MASK_STORE(p, mask, v) _mm512_mask_store_pd ((p), (mask), (v))
#ifndef P_CHAINS
#define P_CHAINS 4
#endif
#define KP_LIST_FN rnd_kernel_avx512_perturb_pixels

#include "kernel_perturb_simd.h"
