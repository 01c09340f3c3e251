/* rng.h: the seeded PRNG every protocol core and the simulator use
 * (splitmix64: tiny state, fast, good enough for ids, jitter and fault
 * injection). Cores never call rand(); their caller owns and seeds this. */
#ifndef OVL_RNG_H
#define OVL_RNG_H

#include <stdint.h>

#include "id.h"

typedef struct {
    uint64_t state; /* advances by a constant each draw */
} ovl_rng_t;

static inline void
ovl_rng_seed (ovl_rng_t *rng, uint64_t seed)
{
    rng->state = seed;
}

static inline uint64_t
ovl_rng_next (ovl_rng_t *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is below
 * 2^-32 for the n we use). */
static inline uint64_t
ovl_rng_below (ovl_rng_t *rng, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)ovl_rng_next (rng) * n) >> 64);
}

/* Uniform in [0, 1). */
static inline double
ovl_rng_unit (ovl_rng_t *rng)
{
    return (double)(ovl_rng_next (rng) >> 11) * 0x1p-53;
}

/* A uniformly random id. */
static inline ovl_id_t
ovl_rng_id (ovl_rng_t *rng)
{
    ovl_id_t id;
    id.hi = ovl_rng_next (rng);
    id.lo = ovl_rng_next (rng);
    return id;
}

#endif
