/* kernel_perturb_fma.c: the perturbation kernel built with -mfma (see
 * kernel_perturb.c): fma() becomes one instruction instead of a call into
 * libm; the results are the same bits. Called only when the CPU has FMA. */
#define K_PERTURB_FN rnd_k_perturb_pixel_fma
#include "kernel_perturb.c"
