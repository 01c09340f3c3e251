/* id.h: 128-bit overlay identifiers -- node ids and group keys -- and the
 * arithmetic Pastry routes by: hex digits (b = 4), shared prefixes, and
 * distance on the ring of 2^128 ids.
 *
 * An id is a plain value. Digit 0 is the most significant hex digit; the
 * printed form is 32 lowercase hex digits, the short form its first 6. */
#ifndef OVL_ID_H
#define OVL_ID_H

#include <stddef.h>
#include <stdint.h>

#define OVL_ID_DIGITS 32   /* hex digits in an id (b = 4) */
#define OVL_ID_HEX_LEN 32  /* characters of the printed form, without NUL */
#define OVL_ID_SHORT_LEN 6 /* characters of the short form, without NUL */

typedef struct {
    uint64_t hi; /* digits 0..15 */
    uint64_t lo; /* digits 16..31 */
} ovl_id_t;

/* Hex digit i (0 = most significant) of id, 0..15. */
static inline int
ovl_id_digit (ovl_id_t id, int i)
{
    return i < 16 ? (int)((id.hi >> (60 - 4 * i)) & 0xf)
                  : (int)((id.lo >> (60 - 4 * (i - 16))) & 0xf);
}

static inline int
ovl_id_eq (ovl_id_t a, ovl_id_t b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

/* -1, 0, 1 as unsigned 128-bit integers compare. */
int ovl_id_cmp (ovl_id_t a, ovl_id_t b);

/* Number of leading hex digits a and b share, 0..32. */
int ovl_id_shared_prefix (ovl_id_t a, ovl_id_t b);

/* (a - b) mod 2^128: how far a lies clockwise from b. */
ovl_id_t ovl_id_sub (ovl_id_t a, ovl_id_t b);

/* (a + b) mod 2^128. */
ovl_id_t ovl_id_add (ovl_id_t a, ovl_id_t b);

/* Distance on the ring: min(a - b, b - a). */
ovl_id_t ovl_id_ring_dist (ovl_id_t a, ovl_id_t b);

/* Which of a and b is numerically closer to key on the ring: < 0 if a, > 0
 * if b, 0 only if a == b. Equal distances (a and b opposite each other
 * around key) go to the one clockwise of key, so every node agrees on one
 * closest node for any key. */
int ovl_id_closer (ovl_id_t key, ovl_id_t a, ovl_id_t b);

/* 32 hex digits and a NUL into buf (at least OVL_ID_HEX_LEN + 1 bytes). */
void ovl_id_hex (ovl_id_t id, char *buf);

/* The first 6 hex digits and a NUL (buf at least OVL_ID_SHORT_LEN + 1). */
void ovl_id_short (ovl_id_t id, char *buf);

/* Parse exactly 32 hex digits (either case). 0, or -1 if s is not one. */
int ovl_id_from_hex (const char *s, ovl_id_t *out);

/* The key of a name: BLAKE2b (libsodium generichash) of its bytes,
 * truncated to 128 bits. Group keys are ovl_id_from_name("job/<id>"). */
ovl_id_t ovl_id_from_name (const char *name, size_t len);

/* 16 bytes, big-endian (digit 0 first), and back. */
void ovl_id_to_bytes (ovl_id_t id, uint8_t out[16]);
ovl_id_t ovl_id_from_bytes (const uint8_t in[16]);

/* A keyed node's id: BLAKE2b-128 of its 32-byte CURVE public key, under a
 * personalisation of our own (so it is no other protocol's hash of the
 * key). Nobody picks where such a node lands in the ring: they would have
 * to find a key pair whose hash falls there (docs/SECURITY.md). */
#define OVL_ID_PUBLIC_KEY_BYTES 32
ovl_id_t ovl_id_from_public_key (const uint8_t public_key[OVL_ID_PUBLIC_KEY_BYTES]);

#endif
