/* test_id.c: id arithmetic -- digits, shared prefixes, ring distance with
 * wrap-around, the closest-node tie-break, hex forms, group keys -- and the
 * seeded PRNG's determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "id.h"
#include "rng.h"
#include "test_util.h"

static void
test_hex_round_trip_and_digits (void **state)
{
    (void)state;
    ovl_id_t id = tu_id ("2d2c33aabbccddeeff00112233445566");
    char hex[OVL_ID_HEX_LEN + 1], shrt[OVL_ID_SHORT_LEN + 1];
    ovl_id_hex (id, hex);
    assert_string_equal (hex, "2d2c33aabbccddeeff00112233445566");
    ovl_id_short (id, shrt);
    assert_string_equal (shrt, "2d2c33");
    assert_int_equal (ovl_id_digit (id, 0), 0x2);
    assert_int_equal (ovl_id_digit (id, 1), 0xd);
    assert_int_equal (ovl_id_digit (id, 15), 0xe);
    assert_int_equal (ovl_id_digit (id, 16), 0xf);
    assert_int_equal (ovl_id_digit (id, 31), 0x6);
    ovl_id_t up;
    assert_int_equal (ovl_id_from_hex ("2D2C33AABBCCDDEEFF00112233445566", &up), 0);
    assert_true (ovl_id_eq (id, up));
    assert_int_equal (ovl_id_from_hex ("2d2c33", &up), -1);                            /* short */
    assert_int_equal (ovl_id_from_hex ("2d2c33aabbccddeeff001122334455667", &up), -1); /* long */
    assert_int_equal (ovl_id_from_hex ("2d2c33aabbccddeeff0011223344556g", &up), -1);  /* not hex */
    uint8_t bytes[16];
    ovl_id_to_bytes (id, bytes);
    assert_int_equal (bytes[0], 0x2d);
    assert_int_equal (bytes[15], 0x66);
    assert_true (ovl_id_eq (ovl_id_from_bytes (bytes), id));
}

static void
test_shared_prefix (void **state)
{
    (void)state;
    ovl_id_t a = tu_id ("0123456789abcdef0123456789abcdef");
    assert_int_equal (ovl_id_shared_prefix (a, a), 32);
    assert_int_equal (ovl_id_shared_prefix (a, tu_id ("1123456789abcdef0123456789abcdef")), 0);
    assert_int_equal (ovl_id_shared_prefix (a, tu_id ("0133456789abcdef0123456789abcdef")), 2);
    assert_int_equal (ovl_id_shared_prefix (a, tu_id ("0123456789abcdee0123456789abcdef")), 15);
    assert_int_equal (ovl_id_shared_prefix (a, tu_id ("0123456789abcdef1123456789abcdef")), 16);
    assert_int_equal (ovl_id_shared_prefix (a, tu_id ("0123456789abcdef0123456789abcdee")), 31);
}

static void
test_ring_distance_wraps (void **state)
{
    (void)state;
    ovl_id_t zero = tu_id ("00000000000000000000000000000000");
    ovl_id_t one = tu_id ("00000000000000000000000000000001");
    ovl_id_t max = tu_id ("ffffffffffffffffffffffffffffffff");
    ovl_id_t two = tu_id ("00000000000000000000000000000002");
    /* max and 1 are 2 apart across zero */
    assert_true (ovl_id_eq (ovl_id_ring_dist (max, one), two));
    assert_true (ovl_id_eq (ovl_id_ring_dist (one, max), two));
    assert_true (ovl_id_eq (ovl_id_sub (zero, one), max));
    assert_true (ovl_id_eq (ovl_id_add (max, one), zero));
    /* borrow across the 64-bit halves */
    ovl_id_t lo_edge = tu_id ("00000000000000010000000000000000");
    ovl_id_t below = tu_id ("0000000000000000ffffffffffffffff");
    assert_true (ovl_id_eq (ovl_id_sub (lo_edge, below), one));
    assert_true (ovl_id_eq (ovl_id_add (below, one), lo_edge));
    assert_int_equal (ovl_id_cmp (below, lo_edge), -1);
    assert_int_equal (ovl_id_cmp (max, zero), 1);
    assert_int_equal (ovl_id_cmp (two, two), 0);
}

static void
test_closer_and_tie_break (void **state)
{
    (void)state;
    ovl_id_t key = tu_id ("80000000000000000000000000000000");
    ovl_id_t near = tu_id ("80000000000000000000000000000010");
    ovl_id_t far = tu_id ("7fffffffffffffffffffffffffffff00");
    assert_true (ovl_id_closer (key, near, far) < 0);
    assert_true (ovl_id_closer (key, far, near) > 0);
    assert_int_equal (ovl_id_closer (key, near, near), 0);
    /* wrap: key near zero, candidates either side of zero */
    ovl_id_t k0 = tu_id ("00000000000000000000000000000003");
    ovl_id_t below0 = tu_id ("fffffffffffffffffffffffffffffffe"); /* 5 away */
    ovl_id_t above = tu_id ("00000000000000000000000000000009");  /* 6 away */
    assert_true (ovl_id_closer (k0, below0, above) < 0);
    /* equidistant: the clockwise one wins, whichever order they come in */
    ovl_id_t cw = tu_id ("80000000000000000000000000000005");
    ovl_id_t ccw = tu_id ("7ffffffffffffffffffffffffffffffb");
    assert_true (ovl_id_closer (key, cw, ccw) < 0);
    assert_true (ovl_id_closer (key, ccw, cw) > 0);
}

static void
test_group_key_is_blake2b (void **state)
{
    (void)state;
    /* BLAKE2b with a 16-byte output of "abc" (RFC 7693 parameters, outlen
     * 16), as libsodium computes it. */
    ovl_id_t k = ovl_id_from_name ("abc", 3);
    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (k, hex);
    assert_string_equal (hex, "cf4ab791c62b8d2b2109c90275287816");
    ovl_id_t j1 = ovl_id_from_name ("job/1", 5), j2 = ovl_id_from_name ("job/2", 5);
    assert_false (ovl_id_eq (j1, j2));
    assert_true (ovl_id_eq (j1, ovl_id_from_name ("job/1", 5)));
}

static void
test_rng_is_seeded_and_uniform_enough (void **state)
{
    (void)state;
    ovl_rng_t a, b;
    ovl_rng_seed (&a, 42);
    ovl_rng_seed (&b, 42);
    for (int i = 0; i < 1000; i++)
        assert_int_equal (ovl_rng_next (&a), ovl_rng_next (&b));
    ovl_rng_seed (&b, 43);
    assert_int_not_equal (ovl_rng_next (&a), ovl_rng_next (&b));
    /* first digits of random ids spread over all 16 values */
    int seen[16] = { 0 };
    for (int i = 0; i < 1600; i++) {
        ovl_id_t id = ovl_rng_id (&a);
        seen[ovl_id_digit (id, 0)]++;
        uint64_t r = ovl_rng_below (&a, 10);
        assert_true (r < 10);
        double u = ovl_rng_unit (&a);
        assert_true (u >= 0.0 && u < 1.0);
    }
    for (int d = 0; d < 16; d++)
        assert_true (seen[d] > 50 && seen[d] < 150);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hex_round_trip_and_digits),
        cmocka_unit_test (test_shared_prefix),
        cmocka_unit_test (test_ring_distance_wraps),
        cmocka_unit_test (test_closer_and_tie_break),
        cmocka_unit_test (test_group_key_is_blake2b),
        cmocka_unit_test (test_rng_is_seeded_and_uniform_enough),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
