/* id.c: 128-bit id arithmetic and formatting. */
#include "id.h"

#include <sodium.h>
#include <string.h>

int
ovl_id_cmp (ovl_id_t a, ovl_id_t b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

int
ovl_id_shared_prefix (ovl_id_t a, ovl_id_t b)
{
    uint64_t x = a.hi ^ b.hi;
    if (x)
        return __builtin_clzll (x) / 4;
    x = a.lo ^ b.lo;
    if (x)
        return 16 + __builtin_clzll (x) / 4;
    return OVL_ID_DIGITS;
}

ovl_id_t
ovl_id_sub (ovl_id_t a, ovl_id_t b)
{
    ovl_id_t r;
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo);
    return r;
}

ovl_id_t
ovl_id_add (ovl_id_t a, ovl_id_t b)
{
    ovl_id_t r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo);
    return r;
}

ovl_id_t
ovl_id_ring_dist (ovl_id_t a, ovl_id_t b)
{
    ovl_id_t cw = ovl_id_sub (a, b), ccw = ovl_id_sub (b, a);
    return ovl_id_cmp (cw, ccw) <= 0 ? cw : ccw;
}

int
ovl_id_closer (ovl_id_t key, ovl_id_t a, ovl_id_t b)
{
    if (ovl_id_eq (a, b))
        return 0;
    int c = ovl_id_cmp (ovl_id_ring_dist (key, a), ovl_id_ring_dist (key, b));
    if (c)
        return c;
    /* Same distance: a and b sit either side of key. The one clockwise of
     * key (a - key is the short way round) wins. */
    ovl_id_t da = ovl_id_sub (a, key), db = ovl_id_sub (b, key);
    return ovl_id_cmp (da, db) <= 0 ? -1 : 1;
}

void
ovl_id_hex (ovl_id_t id, char *buf)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < OVL_ID_DIGITS; i++)
        buf[i] = digits[ovl_id_digit (id, i)];
    buf[OVL_ID_DIGITS] = '\0';
}

void
ovl_id_short (ovl_id_t id, char *buf)
{
    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (id, hex);
    memcpy (buf, hex, OVL_ID_SHORT_LEN);
    buf[OVL_ID_SHORT_LEN] = '\0';
}

int
ovl_id_from_hex (const char *s, ovl_id_t *out)
{
    ovl_id_t id = { 0, 0 };
    for (int i = 0; i < OVL_ID_DIGITS; i++) {
        char c = s[i];
        int v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1; /* includes a NUL before 32 digits */
        if (i < 16)
            id.hi |= (uint64_t)v << (60 - 4 * i);
        else
            id.lo |= (uint64_t)v << (60 - 4 * (i - 16));
    }
    if (s[OVL_ID_DIGITS] != '\0')
        return -1;
    *out = id;
    return 0;
}

void
ovl_id_to_bytes (ovl_id_t id, uint8_t out[16])
{
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(id.hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(id.lo >> (56 - 8 * i));
    }
}

ovl_id_t
ovl_id_from_bytes (const uint8_t in[16])
{
    ovl_id_t id = { 0, 0 };
    for (int i = 0; i < 8; i++) {
        id.hi = (id.hi << 8) | in[i];
        id.lo = (id.lo << 8) | in[8 + i];
    }
    return id;
}

ovl_id_t
ovl_id_from_name (const char *name, size_t len)
{
    /* generichash's minimum output is 16 bytes: exactly our 128 bits.
     * It needs no sodium_init (no randomness involved). */
    uint8_t digest[16];
    crypto_generichash (digest, sizeof digest, (const unsigned char *)name, len, NULL, 0);
    return ovl_id_from_bytes (digest);
}

ovl_id_t
ovl_id_from_public_key (const uint8_t public_key[OVL_ID_PUBLIC_KEY_BYTES])
{
    static const uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = "p2pfractal-id-1";
    uint8_t digest[16];
    crypto_generichash_blake2b_salt_personal (digest, sizeof digest, public_key,
                                              OVL_ID_PUBLIC_KEY_BYTES, NULL, 0, NULL, personal);
    return ovl_id_from_bytes (digest);
}
