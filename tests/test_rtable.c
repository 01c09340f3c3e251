/* test_rtable.c: the Pastry routing table -- where entries land (row =
 * shared prefix with self, column = the next digit), the rules for taken
 * slots, lookups for keys sharing 0..31 digits with self, rows allocated
 * only while used, and a long random run against a brute-force model.
 * Random runs print their seed; P2PF_SEED=<seed> replays one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"
#include "test_util.h"
#include "rtable.h"

/* Allocation failure on demand: this test links with -Wl,--wrap= for
 * malloc, calloc and realloc (tests/CMakeLists.txt), so the table's
 * allocations come here. malloc too, because the compiler turns
 * realloc(NULL, n) into malloc(n) where it can see the NULL. Test-only
 * state; the library itself keeps none. */
static int s_fail_alloc;

void *__real_malloc (size_t size);
void *__real_realloc (void *p, size_t size);
void *__real_calloc (size_t n, size_t size);
void *__wrap_malloc (size_t size);
void *__wrap_realloc (void *p, size_t size);
void *__wrap_calloc (size_t n, size_t size);

void *
__wrap_malloc (size_t size)
{
    return s_fail_alloc ? NULL : __real_malloc (size);
}

void *
__wrap_realloc (void *p, size_t size)
{
    return s_fail_alloc ? NULL : __real_realloc (p, size);
}

void *
__wrap_calloc (size_t n, size_t size)
{
    return s_fail_alloc ? NULL : __real_calloc (n, size);
}

/* id with digit i set to v. */
static ovl_id_t
s_set_digit (ovl_id_t id, int i, int v)
{
    uint64_t *word = i < 16 ? &id.hi : &id.lo;
    int shift = 60 - 4 * (i % 16);
    *word = (*word & ~(0xfull << shift)) | ((uint64_t)v << shift);
    return id;
}

static ovl_handle_t
s_handle (ovl_id_t id, const char *addr)
{
    ovl_handle_t h;
    memset (&h, 0, sizeof h);
    h.id = id;
    snprintf (h.addr, sizeof h.addr, "%s", addr);
    return h;
}

#define SELF_HEX "0123456789abcdef0123456789abcdef"

static void
test_placement_and_own_column (void **state)
{
    (void)state;
    ovl_id_t self = tu_id (SELF_HEX);
    ovl_rtable_t *t = ovl_rtable_new (self);
    assert_non_null (t);
    assert_true (ovl_id_eq (ovl_rtable_self (t), self));

    /* digit 0 differs: row 0, column of its digit 0 */
    ovl_handle_t a = s_handle (tu_id ("5fffffffffffffffffffffffffffffff"), "a");
    assert_int_equal (ovl_rtable_insert (t, &a), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 0, 5), &a));
    /* shares "012", then f: row 3, column 15 */
    ovl_handle_t b = s_handle (tu_id ("012f0000000000000000000000000000"), "b");
    assert_int_equal (ovl_rtable_insert (t, &b), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 3, 15), &b));
    /* shares 31 digits: the last row */
    ovl_handle_t c = s_handle (tu_id ("0123456789abcdef0123456789abcde0"), "c");
    assert_int_equal (ovl_rtable_insert (t, &c), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 31, 0), &c));
    /* shares 16 digits: across the 64-bit halves */
    ovl_handle_t d = s_handle (tu_id ("0123456789abcdefa123456789abcdef"), "d");
    assert_int_equal (ovl_rtable_insert (t, &d), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 16, 10), &d));
    assert_int_equal (ovl_rtable_count (t), 4);

    /* self is never stored */
    ovl_handle_t me = s_handle (self, "me");
    assert_int_equal (ovl_rtable_insert (t, &me), 0);
    assert_int_equal (ovl_rtable_replace (t, &me), 0);
    assert_false (ovl_rtable_contains (t, self));
    assert_int_equal (ovl_rtable_remove (t, self), 0);
    assert_int_equal (ovl_rtable_count (t), 4);

    /* Fill every slot a node can reach: one id per (row, col) other than
     * self's own digit. Self's column stays empty in every row. */
    for (int r = 0; r < OVL_RTABLE_ROWS; r++)
        for (int col = 0; col < OVL_RTABLE_COLS; col++) {
            if (col == ovl_id_digit (self, r))
                continue;
            ovl_handle_t h = s_handle (s_set_digit (self, r, col), "x");
            int rc = ovl_rtable_insert (t, &h);
            assert_true (rc == 0 || rc == 1);
        }
    assert_int_equal (ovl_rtable_count (t), OVL_RTABLE_ROWS * (OVL_RTABLE_COLS - 1));
    assert_int_equal (ovl_rtable_rows_used (t), OVL_RTABLE_ROWS);
    for (int r = 0; r < OVL_RTABLE_ROWS; r++) {
        assert_null (ovl_rtable_get (t, r, ovl_id_digit (self, r)));
        for (int col = 0; col < OVL_RTABLE_COLS; col++) {
            const ovl_handle_t *h = ovl_rtable_get (t, r, col);
            if (col == ovl_id_digit (self, r))
                continue;
            assert_non_null (h);
            assert_int_equal (ovl_id_shared_prefix (h->id, self), r);
            assert_int_equal (ovl_id_digit (h->id, r), col);
        }
    }
    /* out of range */
    assert_null (ovl_rtable_get (t, -1, 0));
    assert_null (ovl_rtable_get (t, OVL_RTABLE_ROWS, 0));
    assert_null (ovl_rtable_get (t, 0, -1));
    assert_null (ovl_rtable_get (t, 0, OVL_RTABLE_COLS));

    ovl_rtable_destroy (&t);
    assert_null (t);
    ovl_rtable_destroy (&t); /* idempotent */
    ovl_rtable_destroy (NULL);
}

static void
test_taken_slot_keeps_first_replace_overwrites (void **state)
{
    (void)state;
    ovl_id_t self = tu_id (SELF_HEX);
    ovl_rtable_t *t = ovl_rtable_new (self);
    assert_non_null (t);
    ovl_handle_t first = s_handle (tu_id ("5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "first");
    ovl_handle_t second = s_handle (tu_id ("5bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), "second");
    assert_int_equal (ovl_rtable_insert (t, &first), 1);
    assert_int_equal (ovl_rtable_insert (t, &first), 0); /* already there */
    assert_int_equal (ovl_rtable_insert (t, &second), 0);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 0, 5), &first));
    assert_true (ovl_rtable_contains (t, first.id));
    assert_false (ovl_rtable_contains (t, second.id));
    assert_int_equal (ovl_rtable_remove (t, second.id), 0); /* its slot holds another */
    assert_int_equal (ovl_rtable_count (t), 1);

    /* same id, new address: insert keeps the old one, replace takes it */
    ovl_handle_t moved = s_handle (first.id, "moved");
    assert_int_equal (ovl_rtable_insert (t, &moved), 0);
    assert_string_equal (ovl_rtable_get (t, 0, 5)->addr, "first");
    assert_int_equal (ovl_rtable_replace (t, &moved), 1);
    assert_string_equal (ovl_rtable_get (t, 0, 5)->addr, "moved");
    assert_int_equal (ovl_rtable_replace (t, &moved), 0); /* no change */

    assert_int_equal (ovl_rtable_replace (t, &second), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 0, 5), &second));
    assert_false (ovl_rtable_contains (t, first.id));
    assert_true (ovl_rtable_contains (t, second.id));
    assert_int_equal (ovl_rtable_count (t), 1);

    /* replace into an empty slot stores it */
    ovl_handle_t other = s_handle (tu_id ("f0000000000000000000000000000000"), "other");
    assert_int_equal (ovl_rtable_replace (t, &other), 1);
    assert_int_equal (ovl_rtable_count (t), 2);

    /* remove, then the slot takes a newcomer again */
    assert_int_equal (ovl_rtable_remove (t, second.id), 1);
    assert_int_equal (ovl_rtable_remove (t, second.id), 0);
    assert_null (ovl_rtable_get (t, 0, 5));
    assert_int_equal (ovl_rtable_count (t), 1);
    assert_int_equal (ovl_rtable_insert (t, &first), 1);
    assert_true (ovl_handle_eq (ovl_rtable_find (t, first.id), &first));
    assert_null (ovl_rtable_find (t, second.id));
    ovl_rtable_destroy (&t);
}

static void
test_next_hop_every_prefix_length (void **state)
{
    (void)state;
    ovl_id_t self = tu_id (SELF_HEX);
    ovl_rtable_t *t = ovl_rtable_new (self);
    assert_non_null (t);
    assert_null (ovl_rtable_next_hop (t, self));
    ovl_handle_t entry[OVL_ID_DIGITS];
    for (int k = 0; k < OVL_ID_DIGITS; k++) {
        /* shares exactly k digits with self; the digits after k are
         * scrambled so that only digit k ties it to the keys below */
        ovl_id_t id = s_set_digit (self, k, (ovl_id_digit (self, k) + 1) & 15);
        for (int j = k + 1; j < OVL_ID_DIGITS; j++)
            id = s_set_digit (id, j, (ovl_id_digit (self, j) + 7) & 15);
        char addr[16];
        snprintf (addr, sizeof addr, "row%d", k);
        entry[k] = s_handle (id, addr);
        /* before it is known the slot is empty */
        assert_null (ovl_rtable_next_hop (t, id));
        assert_int_equal (ovl_rtable_insert (t, &entry[k]), 1);
    }
    for (int k = 0; k < OVL_ID_DIGITS; k++) {
        int d = ovl_id_digit (self, k);
        /* a key sharing k digits with self and digit k with entry k, but
         * none of entry k's later digits */
        ovl_id_t key = s_set_digit (self, k, (d + 1) & 15);
        for (int j = k + 1; j < OVL_ID_DIGITS; j++)
            key = s_set_digit (key, j, (ovl_id_digit (self, j) + 3) & 15);
        const ovl_handle_t *h = ovl_rtable_next_hop (t, key);
        assert_non_null (h);
        assert_true (ovl_handle_eq (h, &entry[k]));
        assert_true (ovl_id_shared_prefix (h->id, key) > ovl_id_shared_prefix (self, key));
        /* the entry's own id routes to it too */
        assert_true (ovl_handle_eq (ovl_rtable_next_hop (t, entry[k].id), &entry[k]));
        /* a key whose digit k no entry has: nothing */
        ovl_id_t miss = s_set_digit (self, k, (d + 2) & 15);
        assert_null (ovl_rtable_next_hop (t, miss));
    }
    assert_null (ovl_rtable_next_hop (t, self));
    ovl_rtable_destroy (&t);
}

static int
s_collect (const ovl_handle_t *h, int row, int col, void *arg)
{
    int *seen = arg; /* seen[0] = count, then (row, col) pairs */
    int n = seen[0]++;
    seen[1 + 2 * n] = row;
    seen[2 + 2 * n] = col;
    (void)h;
    return 0;
}

static int
s_stop_at_third (const ovl_handle_t *h, int row, int col, void *arg)
{
    (void)h;
    (void)row;
    (void)col;
    int *calls = arg;
    return ++*calls == 3 ? 42 : 0;
}

static void
test_rows_lazy_row_copy_and_visit (void **state)
{
    (void)state;
    ovl_id_t self = tu_id (SELF_HEX);
    ovl_rtable_t *t = ovl_rtable_new (self);
    assert_non_null (t);
    size_t empty = ovl_rtable_bytes (t);
    assert_int_equal (ovl_rtable_rows_used (t), 0);
    assert_int_equal (ovl_rtable_row_end (t), 0);
    assert_int_equal (ovl_rtable_count (t), 0);

    /* one entry in row 7: one row, holding one handle */
    ovl_handle_t r7a = s_handle (s_set_digit (self, 7, 0), "r7a");
    ovl_handle_t r7b = s_handle (s_set_digit (self, 7, 12), "r7b");
    ovl_handle_t r7c = s_handle (s_set_digit (self, 7, 3), "r7c");
    ovl_handle_t r2 = s_handle (s_set_digit (self, 2, 9), "r2");
    assert_int_equal (ovl_rtable_insert (t, &r7b), 1);
    assert_int_equal (ovl_rtable_rows_used (t), 1);
    assert_int_equal (ovl_rtable_row_end (t), 8);
    size_t one = ovl_rtable_bytes (t);
    assert_true (one > empty);
    /* A whole 16-slot row would be 16 handles; a lazily packed one grows by
     * exactly one handle per entry. */
    assert_true (one - empty < 2 * sizeof (ovl_handle_t));
    assert_int_equal (ovl_rtable_insert (t, &r7a), 1);
    assert_int_equal (ovl_rtable_insert (t, &r7c), 1);
    assert_int_equal (ovl_rtable_bytes (t), one + 2 * sizeof (ovl_handle_t));
    assert_int_equal (ovl_rtable_rows_used (t), 1);
    for (int r = 0; r < OVL_RTABLE_ROWS; r++)
        if (r != 7)
            for (int c = 0; c < OVL_RTABLE_COLS; c++)
                assert_null (ovl_rtable_get (t, r, c));
    assert_int_equal (ovl_rtable_insert (t, &r2), 1);
    assert_int_equal (ovl_rtable_rows_used (t), 2);
    assert_int_equal (ovl_rtable_row_end (t), 8);

    /* row copies come in column order whatever the insertion order */
    ovl_handle_t out[OVL_RTABLE_COLS];
    assert_int_equal (ovl_rtable_row (t, 7, out, OVL_RTABLE_COLS), 3);
    assert_true (ovl_handle_eq (&out[0], &r7a));
    assert_true (ovl_handle_eq (&out[1], &r7c));
    assert_true (ovl_handle_eq (&out[2], &r7b));
    assert_int_equal (ovl_rtable_row (t, 7, out, 2), 2);
    assert_true (ovl_handle_eq (&out[1], &r7c));
    assert_int_equal (ovl_rtable_row (t, 7, out, 0), 0);
    assert_int_equal (ovl_rtable_row (t, 3, out, OVL_RTABLE_COLS), 0);
    assert_int_equal (ovl_rtable_row (t, -1, out, OVL_RTABLE_COLS), 0);
    assert_int_equal (ovl_rtable_row (t, OVL_RTABLE_ROWS, out, OVL_RTABLE_COLS), 0);

    /* visit walks rows then columns in order, and stops when asked */
    int seen[1 + 2 * 8] = { 0 };
    assert_int_equal (ovl_rtable_visit (t, s_collect, seen), 0);
    assert_int_equal (seen[0], 4);
    int expect[] = { 2, 9, 7, 0, 7, 3, 7, 12 };
    assert_memory_equal (&seen[1], expect, sizeof expect);
    int calls = 0;
    assert_int_equal (ovl_rtable_visit (t, s_stop_at_third, &calls), 42);
    assert_int_equal (calls, 3);

    /* emptied rows are freed again */
    assert_int_equal (ovl_rtable_remove (t, r7a.id), 1);
    assert_int_equal (ovl_rtable_remove (t, r7b.id), 1);
    assert_int_equal (ovl_rtable_remove (t, r7c.id), 1);
    assert_int_equal (ovl_rtable_rows_used (t), 1);
    assert_int_equal (ovl_rtable_row_end (t), 3);
    assert_int_equal (ovl_rtable_remove (t, r2.id), 1);
    assert_int_equal (ovl_rtable_rows_used (t), 0);
    assert_int_equal (ovl_rtable_row_end (t), 0);
    assert_int_equal (ovl_rtable_bytes (t), empty);

    /* A thousand random nodes reach only the first few rows: the others
     * cost nothing. */
    ovl_rng_t rng;
    ovl_rng_seed (&rng, 7);
    for (int i = 0; i < 1000; i++) {
        ovl_handle_t h = s_handle (ovl_rng_id (&rng), "r");
        assert_true (ovl_rtable_insert (t, &h) >= 0);
    }
    int rows = ovl_rtable_rows_used (t);
    assert_true (rows >= 2 && rows <= 5);
    assert_true (ovl_rtable_count (t) >= 2 * (OVL_RTABLE_COLS - 1) - 2);
    /* and the sparse deeper rows cost less than full 16-slot rows would */
    assert_true (ovl_rtable_bytes (t) <
                 empty + (size_t)rows * OVL_RTABLE_COLS * sizeof (ovl_handle_t));
    ovl_rtable_destroy (&t);
}

/* Teardown: a failed assertion must not leave allocations failing for the
 * tests after it. */
static int
s_alloc_restore (void **state)
{
    (void)state;
    s_fail_alloc = 0;
    return 0;
}

static void
test_allocation_failure_leaves_the_table_intact (void **state)
{
    (void)state;
    ovl_id_t self = tu_id (SELF_HEX);
    s_fail_alloc = 1;
    assert_null (ovl_rtable_new (self));
    s_fail_alloc = 0;
    ovl_rtable_t *t = ovl_rtable_new (self);
    assert_non_null (t);
    ovl_handle_t a = s_handle (s_set_digit (self, 4, 1), "a");
    ovl_handle_t b = s_handle (s_set_digit (self, 4, 9), "b");
    ovl_handle_t c = s_handle (s_set_digit (self, 9, 2), "c");
    ovl_handle_t a2 = s_handle (a.id, "a2");
    assert_int_equal (ovl_rtable_insert (t, &a), 1);
    size_t bytes = ovl_rtable_bytes (t);

    s_fail_alloc = 1;
    /* a new row, and a new entry in an existing row, both need memory */
    assert_int_equal (ovl_rtable_insert (t, &c), -1);
    assert_int_equal (ovl_rtable_replace (t, &c), -1);
    assert_int_equal (ovl_rtable_insert (t, &b), -1);
    assert_int_equal (ovl_rtable_count (t), 1);
    assert_int_equal (ovl_rtable_rows_used (t), 1);
    assert_int_equal (ovl_rtable_bytes (t), bytes);
    assert_null (ovl_rtable_get (t, 9, 2));
    assert_null (ovl_rtable_get (t, 4, 9));
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 4, 1), &a));
    /* overwriting a taken slot needs none */
    assert_int_equal (ovl_rtable_replace (t, &a2), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 4, 1), &a2));
    s_fail_alloc = 0;

    assert_int_equal (ovl_rtable_insert (t, &b), 1);
    /* a refused shrink keeps the larger block; the entry still goes */
    s_fail_alloc = 1;
    assert_int_equal (ovl_rtable_remove (t, a.id), 1);
    s_fail_alloc = 0;
    assert_null (ovl_rtable_get (t, 4, 1));
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 4, 9), &b));
    assert_int_equal (ovl_rtable_count (t), 1);
    assert_int_equal (ovl_rtable_insert (t, &a), 1);
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 4, 1), &a));
    assert_true (ovl_handle_eq (ovl_rtable_get (t, 4, 9), &b));
    ovl_rtable_destroy (&t);
}

/* The model: a plain 32 x 16 array, filled by the rules stated in rtable.h. */
typedef struct {
    int used[OVL_RTABLE_ROWS][OVL_RTABLE_COLS];
    ovl_handle_t h[OVL_RTABLE_ROWS][OVL_RTABLE_COLS];
} s_model_t;

/* The model's next hop, found without the row/column rule: the one entry
 * sharing more digits with key than self does (there is at most one). */
static const ovl_handle_t *
s_model_next_hop (const s_model_t *m, ovl_id_t self, ovl_id_t key)
{
    int l = ovl_id_shared_prefix (self, key);
    const ovl_handle_t *found = NULL;
    for (int r = 0; r < OVL_RTABLE_ROWS; r++)
        for (int c = 0; c < OVL_RTABLE_COLS; c++)
            if (m->used[r][c] && ovl_id_shared_prefix (m->h[r][c].id, key) > l) {
                assert_null (found);
                found = &m->h[r][c];
            }
    return found;
}

static int
s_visit_check (const ovl_handle_t *h, int row, int col, void *arg)
{
    const s_model_t *m = arg;
    assert_true (m->used[row][col]);
    assert_true (ovl_handle_eq (h, &m->h[row][col]));
    return 0;
}

static void
s_check_all (const ovl_rtable_t *t, const s_model_t *m, ovl_id_t self, const ovl_handle_t *pool,
             int n_pool, ovl_rng_t *rng)
{
    size_t count = 0;
    int rows = 0, end = 0;
    for (int r = 0; r < OVL_RTABLE_ROWS; r++) {
        int in_row = 0;
        ovl_handle_t out[OVL_RTABLE_COLS];
        int n = ovl_rtable_row (t, r, out, OVL_RTABLE_COLS);
        for (int c = 0; c < OVL_RTABLE_COLS; c++) {
            const ovl_handle_t *h = ovl_rtable_get (t, r, c);
            if (!m->used[r][c]) {
                assert_null (h);
                continue;
            }
            assert_non_null (h);
            assert_true (ovl_handle_eq (h, &m->h[r][c]));
            assert_true (in_row < n);
            assert_true (ovl_handle_eq (&out[in_row], &m->h[r][c]));
            in_row++;
        }
        assert_int_equal (n, in_row);
        count += (size_t)in_row;
        if (in_row) {
            rows++;
            end = r + 1;
        }
    }
    assert_int_equal (ovl_rtable_count (t), count);
    assert_int_equal (ovl_rtable_rows_used (t), rows);
    assert_int_equal (ovl_rtable_row_end (t), end);
    assert_int_equal (ovl_rtable_bytes (t) > 0, 1);
    assert_int_equal (ovl_rtable_visit (t, s_visit_check, (void *)m), 0);
    for (int i = 0; i < n_pool; i++) {
        ovl_id_t id = pool[i].id;
        int r = ovl_id_shared_prefix (self, id);
        int in = r < OVL_ID_DIGITS && m->used[r][ovl_id_digit (id, r)] &&
                 ovl_id_eq (m->h[r][ovl_id_digit (id, r)].id, id);
        assert_int_equal (ovl_rtable_contains (t, id), in);
    }
    /* next hops for random keys, for pool ids, and for pool ids with their
     * tails scrambled (same row and column, different node) */
    for (int k = 0; k < 64; k++) {
        ovl_id_t key;
        switch (k % 4) {
        case 0:
            key = ovl_rng_id (rng);
            break;
        case 1:
            key = pool[ovl_rng_below (rng, (uint64_t)n_pool)].id;
            break;
        case 2:
            key = pool[ovl_rng_below (rng, (uint64_t)n_pool)].id;
            key.lo ^= ovl_rng_next (rng) >> ovl_rng_below (rng, 64);
            break;
        default:
            key = self;
            key.lo ^= ovl_rng_next (rng) >> ovl_rng_below (rng, 64);
            break;
        }
        const ovl_handle_t *want = s_model_next_hop (m, self, key);
        const ovl_handle_t *got = ovl_rtable_next_hop (t, key);
        if (!want)
            assert_null (got);
        else {
            assert_non_null (got);
            assert_true (ovl_handle_eq (got, want));
        }
    }
}

#define POOL 240
#define STEPS 20000

static void
test_random_against_model (void **state)
{
    (void)state;
    uint64_t seed = tu_seed ("test_random_against_model");
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    for (int round = 0; round < 4; round++) {
        ovl_id_t self = ovl_rng_id (&rng);
        /* Pool ids share a random number of leading digits with self
         * (uniform over 0..32, so deep rows are exercised and 32 means
         * self itself); each id has two addresses, for replace. */
        static ovl_handle_t pool[POOL][2];
        for (int i = 0; i < POOL; i++) {
            int k = (int)ovl_rng_below (&rng, OVL_ID_DIGITS + 1);
            ovl_id_t id = ovl_rng_id (&rng);
            for (int j = 0; j < k; j++)
                id = s_set_digit (id, j, ovl_id_digit (self, j));
            char addr[32];
            snprintf (addr, sizeof addr, "sim:%d", i);
            pool[i][0] = s_handle (id, addr);
            snprintf (addr, sizeof addr, "sim:%d'", i);
            pool[i][1] = s_handle (id, addr);
        }
        ovl_handle_t ids[POOL];
        for (int i = 0; i < POOL; i++)
            ids[i] = pool[i][0];

        ovl_rtable_t *t = ovl_rtable_new (self);
        assert_non_null (t);
        static s_model_t m;
        memset (&m, 0, sizeof m);
        for (int step = 0; step < STEPS; step++) {
            const ovl_handle_t *h = &pool[ovl_rng_below (&rng, POOL)][ovl_rng_below (&rng, 4) == 0];
            int r = ovl_id_shared_prefix (self, h->id);
            int c = r < OVL_ID_DIGITS ? ovl_id_digit (h->id, r) : 0;
            int is_self = r == OVL_ID_DIGITS;
            uint64_t op = ovl_rng_below (&rng, 10);
            if (op < 5) {
                int want = !is_self && !m.used[r][c];
                assert_int_equal (ovl_rtable_insert (t, h), want);
                if (want) {
                    m.used[r][c] = 1;
                    m.h[r][c] = *h;
                }
            } else if (op < 7) {
                int want = !is_self && !(m.used[r][c] && ovl_handle_eq (&m.h[r][c], h));
                assert_int_equal (ovl_rtable_replace (t, h), want);
                if (want) {
                    m.used[r][c] = 1;
                    m.h[r][c] = *h;
                }
            } else {
                int want = !is_self && m.used[r][c] && ovl_id_eq (m.h[r][c].id, h->id);
                assert_int_equal (ovl_rtable_remove (t, h->id), want);
                if (want)
                    m.used[r][c] = 0;
            }
            if (step % 97 == 0 || step == STEPS - 1)
                s_check_all (t, &m, self, ids, POOL, &rng);
        }
        ovl_rtable_destroy (&t);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_placement_and_own_column),
        cmocka_unit_test (test_taken_slot_keeps_first_replace_overwrites),
        cmocka_unit_test (test_next_hop_every_prefix_length),
        cmocka_unit_test (test_rows_lazy_row_copy_and_visit),
        cmocka_unit_test_teardown (test_allocation_failure_leaves_the_table_intact,
                                   s_alloc_restore),
        cmocka_unit_test (test_random_against_model),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
