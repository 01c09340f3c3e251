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
#define K_FN rnd_kernel_avx512_rect
#define K_LIST_FN rnd_kernel_avx512_pixels
#define K_LANES_DECLARED RND_AVX512_LANES

#include "kernel_simd.h"

/* The perturbation kernel in the same lanes (kernel_perturb_simd.h). */
/* Two consecutive rows (8 doubles from t + i) of ref->lanes (reference.h)
 * for the 8 offsets i = 4 idx in iv, transposed into a vector of each
 * column by loads and shuffles: on AMD Zen 4 they beat vgatherdpd, which
 * the first version of this kernel used (0.87 against 0.65 G iterations/s,
 * AVX-512, plain perturbation at 1e-113). */
#define V_GATHER6(t, k_, a, b, c, d, e, f)                                                         \
    do {                                                                                           \
        __m512d r0_ = _mm512_loadu_pd ((t) + (k_)[0]), r1_ = _mm512_loadu_pd ((t) + (k_)[1]);      \
        __m512d r2_ = _mm512_loadu_pd ((t) + (k_)[2]), r3_ = _mm512_loadu_pd ((t) + (k_)[3]);      \
        __m512d r4_ = _mm512_loadu_pd ((t) + (k_)[4]), r5_ = _mm512_loadu_pd ((t) + (k_)[5]);      \
        __m512d r6_ = _mm512_loadu_pd ((t) + (k_)[6]), r7_ = _mm512_loadu_pd ((t) + (k_)[7]);      \
        /* (re im r 0) of rows A and B; lo: re, r of two lanes, hi: im */                          \
        __m512d l01_ = _mm512_unpacklo_pd (r0_, r1_), h01_ = _mm512_unpackhi_pd (r0_, r1_);        \
        __m512d l23_ = _mm512_unpacklo_pd (r2_, r3_), h23_ = _mm512_unpackhi_pd (r2_, r3_);        \
        __m512d l45_ = _mm512_unpacklo_pd (r4_, r5_), h45_ = _mm512_unpackhi_pd (r4_, r5_);        \
        __m512d l67_ = _mm512_unpacklo_pd (r6_, r7_), h67_ = _mm512_unpackhi_pd (r6_, r7_);        \
        const __m512i pa_ = _mm512_set_epi64 (11, 10, 3, 2, 9, 8, 1, 0);                           \
        const __m512i pb_ = _mm512_set_epi64 (15, 14, 7, 6, 13, 12, 5, 4);                         \
        const __m512i pi_ = _mm512_set_epi64 (13, 12, 5, 4, 9, 8, 1, 0);                           \
        __m512d v0_ = _mm512_permutex2var_pd (l01_, pa_, l23_); /* A re 0-3, A r 0-3 */            \
        __m512d v1_ = _mm512_permutex2var_pd (l01_, pb_, l23_); /* B re 0-3, B r 0-3 */            \
        __m512d w0_ = _mm512_permutex2var_pd (l45_, pa_, l67_);                                    \
        __m512d w1_ = _mm512_permutex2var_pd (l45_, pb_, l67_);                                    \
        __m512d x_ = _mm512_permutex2var_pd (h01_, pi_, h23_); /* A im 0-3, B im 0-3 */            \
        __m512d y_ = _mm512_permutex2var_pd (h45_, pi_, h67_);                                     \
        (a) = _mm512_shuffle_f64x2 (v0_, w0_, 0x44);                                               \
        (c) = _mm512_shuffle_f64x2 (v0_, w0_, 0xee);                                               \
        (d) = _mm512_shuffle_f64x2 (v1_, w1_, 0x44);                                               \
        (f) = _mm512_shuffle_f64x2 (v1_, w1_, 0xee);                                               \
        (b) = _mm512_shuffle_f64x2 (x_, y_, 0x44);                                                 \
        (e) = _mm512_shuffle_f64x2 (x_, y_, 0xee);                                                 \
    } while (0)
#define V_GO_T __m512i
#define V_GO_LOAD(p) _mm512_load_si512 ((const void *)(p))
#define V_GO_SET1 _mm512_set1_epi64
#define V_GO_ADD _mm512_add_epi64
#define V_GO_CMP_GE_M(mask, a, b) _mm512_mask_cmp_epi64_mask ((mask), (a), (b), _MM_CMPINT_NLT)
#define V_GO_MASK_STORE(p, mask, v) _mm512_mask_store_epi64 ((p), (mask), (v))
#define V_ABS _mm512_abs_pd
#define V_CMP_M(mask, a, b, p) _mm512_mask_cmp_pd_mask ((mask), (a), (b), (p))
#define V_MASK_ANDNOT(a, b) ((__mmask8)((a) & ~(b)))
#define V_MASK_BITS(m) ((unsigned)(m))
#define V_MASK_STORE(p, mask, v) _mm512_mask_store_pd ((p), (mask), (v))
#ifndef P_CHAINS
#define P_CHAINS 4
#endif
#ifndef P_STEPS
#define P_STEPS 4
#endif
#define KP_LIST_FN rnd_kernel_avx512_perturb_pixels

#include "kernel_perturb_simd.h"
