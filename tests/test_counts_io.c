/* test_counts_io.c: 32-bit escape counts as .npy (render/counts_io.c) --
 * the exact header, counts beyond 65,535 read back bit for bit, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts_io.h"
#include "kernel.h"
#include "test_util.h"
#include "view.h"

/* Reads a .npy written by rnd_counts_write_npy back, checking every byte
 * of its header; the counts (malloc'd) or NULL. */
static uint32_t *
s_read_npy (const char *path, int w, int h)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    unsigned char head[10];
    assert_int_equal (fread (head, 1, 10, f), 10);
    assert_memory_equal (head, "\x93NUMPY\x01\x00", 8);
    int hlen = head[8] | head[9] << 8;
    assert_int_equal ((10 + hlen) % 64, 0);
    char header[256];
    assert_true (hlen < (int)sizeof header);
    assert_int_equal (fread (header, 1, (size_t)hlen, f), (size_t)hlen);
    header[hlen] = '\0';
    char expect[128];
    int n = snprintf (expect, sizeof expect,
                      "{'descr': '<u4', 'fortran_order': False, 'shape': (%d, %d), }", h, w);
    assert_memory_equal (header, expect, (size_t)n);
    for (int i = n; i < hlen - 1; i++)
        assert_int_equal (header[i], ' ');
    assert_int_equal (header[hlen - 1], '\n');
    size_t npx = (size_t)w * h;
    unsigned char *raw = malloc (npx * 4 + 1);
    uint32_t *counts = malloc (npx * sizeof *counts);
    assert_true (raw && counts);
    assert_int_equal (fread (raw, 1, npx * 4 + 1, f), npx * 4); /* nothing after the data */
    fclose (f);
    for (size_t i = 0; i < npx; i++)
        counts[i] = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                    (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
    free (raw);
    return counts;
}

/* On the real axis just right of the cusp at c = 1/4 an orbit escapes
 * only after ~pi / sqrt(c - 1/4) iterations: 100,000 and more here, beyond
 * the 16-bit PNG. One row, so that every pixel is on the axis (off it, the
 * cusp's neighbourhood is the cardioid's interior). */
static void
test_counts_beyond_16_bits (void **state)
{
    rnd_view_t v;
    rnd_view_default (&v);
    v.center_re = 0.2500000006;
    v.center_im = 0.0;
    v.width = 1e-9;
    v.width_px = 24;
    v.height_px = 1;
    v.max_iter = 400000;
    char err[256];
    assert_int_equal (rnd_view_validate (&v, err, sizeof err), 0);
    rnd_kjob_t job;
    rnd_kjob_init (&job, &v);
    size_t npx = (size_t)v.width_px * v.height_px;
    float *s = malloc (npx * sizeof *s);
    uint32_t *counts = malloc (npx * sizeof *counts);
    assert_true (s && counts);
    rnd_kernel_run (RND_KERNEL_AUTO, &job, 0, v.height_px, s);
    uint32_t most = 0;
    for (size_t i = 0; i < npx; i++) {
        counts[i] = rnd_smooth_count (s[i]);
        most = counts[i] > most ? counts[i] : most;
    }
    assert_true (most > 65535);
    counts[0] = 0xfedcba98u; /* every byte of a count matters */
    char path[512];
    tu_path_join (path, sizeof path, *state, "counts.npy");
    assert_int_equal (rnd_counts_write_npy (path, counts, v.width_px, v.height_px, err, sizeof err),
                      0);
    uint32_t *back = s_read_npy (path, v.width_px, v.height_px);
    assert_memory_equal (back, counts, npx * sizeof *counts);
    free (back);
    /* a path that cannot be written: -1, naming it */
    tu_path_join (path, sizeof path, *state, "no/such/dir/c.npy");
    assert_int_equal (rnd_counts_write_npy (path, counts, v.width_px, v.height_px, err, sizeof err),
                      -1);
    assert_non_null (strstr (err, "no/such/dir/c.npy"));
    free (counts);
    free (s);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_counts_beyond_16_bits, tu_setup_dir, tu_teardown_dir),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
