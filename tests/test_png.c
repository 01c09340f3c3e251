/* test_png.c: PNG export/import -- pixel and text round trips, on-disk byte
 * order checked with libpng directly, atomic writes, and clean failures on
 * missing directories, truncated, corrupt, oversized and non-PNG files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "png_io.h"
#include "test_util.h"

/* --- helpers ----------------------------------------------------------- */

/* Asserts that dir holds exactly the given names (NULL-terminated list). */
static void
s_assert_dir_holds (const char *dir, ...)
{
    size_t expected = 0;
    va_list args;
    va_start (args, dir);
    while (va_arg (args, const char *))
        expected++;
    va_end (args);

    DIR *d = opendir (dir);
    assert_non_null (d);
    size_t found = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
        int known = 0;
        va_start (args, dir);
        for (const char *name = va_arg (args, const char *); name;
             name = va_arg (args, const char *))
            known |= strcmp (name, e->d_name) == 0;
        va_end (args);
        if (!known)
            fail_msg ("unexpected file '%s' in %s", e->d_name, dir);
        found++;
    }
    closedir (d);
    assert_int_equal (found, expected);
}

static char *
s_path (void **state, const char *name)
{
    static char path[1024];
    return tu_path_join (path, sizeof path, *state, name);
}

static uint8_t *
s_read_file (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    assert_int_equal (fseek (f, 0, SEEK_END), 0);
    long size = ftell (f);
    assert_true (size >= 0);
    rewind (f);
    uint8_t *data = malloc ((size_t)size + 1);
    assert_non_null (data);
    assert_int_equal (fread (data, 1, (size_t)size, f), (size_t)size);
    fclose (f);
    *len = (size_t)size;
    return data;
}

/* Pseudo-random bytes (splitmix-ish), so images do not compress away. */
static void
s_fill_noise (uint8_t *data, size_t len, uint64_t seed)
{
    for (size_t i = 0; i < len; i++) {
        seed += 0x9e3779b97f4a7c15ull;
        uint64_t z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        data[i] = (uint8_t)(z >> 56);
    }
}

/* What libpng itself sees in a file, with no transforms: an independent
 * check on what our writer put on disk. */
typedef struct {
    png_uint_32 w, h;
    int bit_depth, color_type, interlace;
    uint8_t *raw; /* rows as stored (16-bit samples big-endian) */
    size_t row_bytes;
    char software[64];
    char comment[1024];
} s_raw_t;

static void
s_raw_read (const char *path, s_raw_t *raw)
{
    memset (raw, 0, sizeof *raw);
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct (png);
    assert_non_null (png);
    assert_non_null (info);
    if (setjmp (png_jmpbuf (png)))
        fail_msg ("libpng could not read %s", path);
    png_init_io (png, f);
    png_read_info (png, info);
    png_get_IHDR (png, info, &raw->w, &raw->h, &raw->bit_depth, &raw->color_type, &raw->interlace,
                  NULL, NULL);
    raw->row_bytes = png_get_rowbytes (png, info);
    raw->raw = malloc (raw->row_bytes * raw->h);
    assert_non_null (raw->raw);
    for (png_uint_32 y = 0; y < raw->h; y++)
        png_read_row (png, raw->raw + y * raw->row_bytes, NULL);
    png_read_end (png, info);
    png_textp text;
    int count = 0;
    png_get_text (png, info, &text, &count);
    for (int i = 0; i < count; i++) {
        if (strcmp (text[i].key, "Software") == 0)
            snprintf (raw->software, sizeof raw->software, "%s", text[i].text);
        if (strcmp (text[i].key, "Comment") == 0)
            snprintf (raw->comment, sizeof raw->comment, "%s", text[i].text);
    }
    png_destroy_read_struct (&png, &info, NULL);
    fclose (f);
}

/* Writes an 8-bit PNG with libpng directly, optionally interlaced, with a
 * Comment placed after the image data (where png_read_info cannot see it). */
static void
s_raw_write (const char *path, png_uint_32 w, png_uint_32 h, int color_type, int interlace,
             const uint8_t *rows, const char *comment_after)
{
    FILE *f = fopen (path, "wb");
    assert_non_null (f);
    png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct (png);
    assert_non_null (png);
    assert_non_null (info);
    if (setjmp (png_jmpbuf (png)))
        fail_msg ("libpng could not write %s", path);
    png_init_io (png, f);
    png_set_IHDR (png, info, w, h, 8, color_type, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                  PNG_FILTER_TYPE_DEFAULT);
    png_write_info (png, info);
    size_t channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : 1;
    int passes = png_set_interlace_handling (png);
    for (int pass = 0; pass < passes; pass++)
        for (png_uint_32 y = 0; y < h; y++)
            png_write_row (png, rows + y * w * channels);
    if (comment_after) {
        png_text text;
        memset (&text, 0, sizeof text);
        text.compression = PNG_TEXT_COMPRESSION_NONE;
        text.key = "Comment";
        text.text = (png_charp)comment_after;
        png_set_text (png, info, &text, 1);
    }
    png_write_end (png, info);
    png_destroy_write_struct (&png, &info);
    assert_int_equal (fclose (f), 0);
}

/* --- round trips ------------------------------------------------------- */

static void
test_rgb_round_trip (void **state)
{
    const int w = 7, h = 5; /* odd sizes: no accidental row alignment */
    uint8_t rgb[7 * 5 * 3];
    s_fill_noise (rgb, sizeof rgb, 1);
    rgb[0] = 0, rgb[1] = 255, rgb[2] = 128;
    const char *comment = "p2pfractal-params 1\nmax_iter=42\n";
    const char *path = s_path (state, "rgb.png");
    char err[512] = "";
    int rc = rnd_png_write_rgb (path, rgb, w, h, comment, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);

    uint8_t *back = NULL;
    int bw = 0, bh = 0;
    rc = rnd_png_read_rgb (path, &back, &bw, &bh, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (bw, w);
    assert_int_equal (bh, h);
    assert_memory_equal (back, rgb, sizeof rgb);
    free (back);

    char *text = NULL;
    rc = rnd_png_read_comment (path, &text, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_string_equal (text, comment);
    free (text);

    /* What is on disk, seen by plain libpng. */
    s_raw_t raw;
    s_raw_read (path, &raw);
    assert_int_equal (raw.w, w);
    assert_int_equal (raw.h, h);
    assert_int_equal (raw.bit_depth, 8);
    assert_int_equal (raw.color_type, PNG_COLOR_TYPE_RGB);
    assert_int_equal (raw.row_bytes, (size_t)w * 3);
    assert_memory_equal (raw.raw, rgb, sizeof rgb);
    assert_string_equal (raw.software, "p2pfractal");
    assert_string_equal (raw.comment, comment);
    free (raw.raw);
    s_assert_dir_holds (*state, "rgb.png", NULL);
}

static void
test_gray16_round_trip (void **state)
{
    static const uint16_t px[] = { 0, 1, 255, 256, 65535, 0x1234, 0xfedc, 0x8000, 0x00ff, 0xff00 };
    const int w = 5, h = 2;
    const char *path = s_path (state, "gray.png");
    char err[512] = "";
    int rc = rnd_png_write_gray16 (path, px, w, h, "grey", err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);

    uint16_t *back = NULL;
    int bw = 0, bh = 0;
    rc = rnd_png_read_gray16 (path, &back, &bw, &bh, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (bw, w);
    assert_int_equal (bh, h);
    for (int i = 0; i < w * h; i++)
        if (back[i] != px[i])
            fail_msg ("pixel %d: wrote %u, read %u", i, px[i], back[i]);
    free (back);

    /* A round trip cannot tell two byte-order mistakes from none: look at
     * the stored bytes, which PNG requires to be big-endian. */
    s_raw_t raw;
    s_raw_read (path, &raw);
    assert_int_equal (raw.bit_depth, 16);
    assert_int_equal (raw.color_type, PNG_COLOR_TYPE_GRAY);
    assert_int_equal (raw.row_bytes, (size_t)w * 2);
    for (int i = 0; i < w * h; i++) {
        const uint8_t *b = raw.raw + 2 * i;
        if (b[0] != px[i] >> 8 || b[1] != (px[i] & 0xff))
            fail_msg ("pixel %d = 0x%04x stored as %02x %02x", i, px[i], b[0], b[1]);
    }
    assert_string_equal (raw.comment, "grey");
    assert_string_equal (raw.software, "p2pfractal");
    free (raw.raw);

    /* Read as RGB: scaled to 8 bits, grey copied to all channels. */
    uint8_t *rgb = NULL;
    rc = rnd_png_read_rgb (path, &rgb, &bw, &bh, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (rgb[0], 0);
    assert_int_equal (rgb[4 * 3], 255);
    assert_int_equal (rgb[4 * 3 + 1], 255);
    assert_int_equal (rgb[4 * 3 + 2], 255);
    assert_int_equal (rgb[5 * 3], 0x12);
    free (rgb);
    s_assert_dir_holds (*state, "gray.png", NULL);
}

/* The Comment from a PNG's bytes in memory; and from every cut of them,
 * either the whole Comment (a file cut after it: the rest is not read)
 * or an error naming the label. */
static void
s_check_comment_mem (const uint8_t *data, size_t len, const char *expected)
{
    char err[512] = "";
    char *text = NULL;
    if (rnd_png_read_comment_mem (data, len, "mem", &text, err, sizeof err) != 0)
        fail_msg ("%s", err);
    assert_string_equal (text, expected);
    free (text);
    for (size_t cut = 0; cut < len; cut++) {
        text = NULL;
        err[0] = '\0';
        if (rnd_png_read_comment_mem (data, cut, "mem", &text, err, sizeof err) == 0) {
            if (strcmp (text, expected) != 0)
                fail_msg ("cut at %zu of %zu bytes: Comment '%s'", cut, len, text);
            free (text);
            continue;
        }
        assert_null (text);
        assert_true (strncmp (err, "mem: ", 5) == 0);
    }
}

/* A Comment after IDAT in an interlaced file: found by reading through. */
static void
test_comment_after_image_data (void **state)
{
    const png_uint_32 w = 9, h = 11;
    uint8_t grey[9 * 11];
    s_fill_noise (grey, sizeof grey, 2);
    const char *path = s_path (state, "late.png");
    s_raw_write (path, w, h, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, grey, "late comment");

    char err[512] = "";
    char *text = NULL;
    int rc = rnd_png_read_comment (path, &text, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_string_equal (text, "late comment");
    free (text);
    /* The same from the file's bytes in memory (every cut fails: the
     * Comment is at the end). */
    size_t len = 0;
    uint8_t *data = s_read_file (path, &len);
    s_check_comment_mem (data, len, "late comment");
    free (data);

    /* The same interlaced grey file read as RGB. */
    uint8_t *rgb = NULL;
    int bw = 0, bh = 0;
    rc = rnd_png_read_rgb (path, &rgb, &bw, &bh, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (bw, (int)w);
    assert_int_equal (bh, (int)h);
    for (size_t i = 0; i < sizeof grey; i++) {
        assert_int_equal (rgb[3 * i], grey[i]);
        assert_int_equal (rgb[3 * i + 1], grey[i]);
        assert_int_equal (rgb[3 * i + 2], grey[i]);
    }
    free (rgb);

    /* And as 16-bit grey: v * 257. */
    uint16_t *g16 = NULL;
    rc = rnd_png_read_gray16 (path, &g16, &bw, &bh, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    for (size_t i = 0; i < sizeof grey; i++)
        assert_int_equal (g16[i], grey[i] * 257);
    free (g16);
}

/* The memory reader on a Comment before IDAT (after it: in
 * test_comment_after_image_data), and on bytes that are no PNG. */
static void
test_comment_from_memory (void **state)
{
    const char *path = s_path (state, "early.png");
    uint8_t rgb[3 * 2 * 2] = { 0 };
    char err[512] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 2, 2, "early comment", err, sizeof err), 0);
    size_t len = 0;
    uint8_t *data = s_read_file (path, &len);
    s_check_comment_mem (data, len, "early comment");
    free (data);

    const char not_png[] = "p2pfractal-params 1\n";
    char *text = NULL;
    assert_int_equal (rnd_png_read_comment_mem ((const uint8_t *)not_png, sizeof not_png - 1, "mem",
                                                &text, err, sizeof err),
                      -1);
    assert_string_equal (err, "mem: not a PNG file");
    assert_null (text);
}

static void
test_comment_missing (void **state)
{
    const char *path = s_path (state, "bare.png");
    uint8_t rgb[3 * 3 * 3] = { 0 };
    char err[512] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 3, 3, NULL, err, sizeof err), 0);
    char *text = NULL;
    assert_int_equal (rnd_png_read_comment (path, &text, err, sizeof err), -1);
    assert_null (text);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "no Comment"));
    /* Software is still written. */
    s_raw_t raw;
    s_raw_read (path, &raw);
    assert_string_equal (raw.software, "p2pfractal");
    assert_string_equal (raw.comment, "");
    free (raw.raw);
}

static void
test_overwrite (void **state)
{
    const char *path = s_path (state, "same.png");
    uint8_t a[2 * 2 * 3], b[2 * 2 * 3];
    memset (a, 10, sizeof a);
    memset (b, 200, sizeof b);
    char err[512] = "";
    assert_int_equal (rnd_png_write_rgb (path, a, 2, 2, "first", err, sizeof err), 0);
    assert_int_equal (rnd_png_write_rgb (path, b, 2, 2, "second", err, sizeof err), 0);
    uint8_t *back = NULL;
    int w, h;
    assert_int_equal (rnd_png_read_rgb (path, &back, &w, &h, err, sizeof err), 0);
    assert_memory_equal (back, b, sizeof b);
    free (back);
    char *text = NULL;
    assert_int_equal (rnd_png_read_comment (path, &text, err, sizeof err), 0);
    assert_string_equal (text, "second");
    free (text);
    s_assert_dir_holds (*state, "same.png", NULL);
}

/* --- failures ---------------------------------------------------------- */

static void
test_write_missing_directory (void **state)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/no-such-dir/out.png", (char *)*state);
    uint8_t rgb[3] = { 1, 2, 3 };
    uint16_t g[1] = { 7 };
    char err[1200] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 1, 1, "c", err, sizeof err), -1);
    char expected[1200];
    snprintf (expected, sizeof expected, "%s: cannot open for writing: No such file or directory",
              path);
    assert_string_equal (err, expected);
    err[0] = '\0';
    assert_int_equal (rnd_png_write_gray16 (path, g, 1, 1, NULL, err, sizeof err), -1);
    assert_string_equal (err, expected);
    s_assert_dir_holds (*state, NULL);
}

/* A name that is not a regular file is written to directly, never
 * renamed over (that would replace a device node like /dev/null): a
 * directory therefore fails at open, the error says so, and no temporary
 * file is left. */
static void
test_write_over_directory_fails (void **state)
{
    const char *path = s_path (state, "taken.png");
    assert_int_equal (mkdir (path, 0700), 0);
    uint8_t rgb[3] = { 1, 2, 3 };
    char err[1200] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 1, 1, NULL, err, sizeof err), -1);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "cannot open for writing"));
    s_assert_dir_holds (*state, "taken.png", NULL);
    assert_int_equal (rmdir (path), 0);
}

/* A tiny file whose text chunk claims 1.5 GB is refused at once, without
 * libpng allocating the claimed size (it would: "chunk data is too large"
 * is only a benign error by default). */
static void
test_read_chunk_bomb (void **state)
{
    char path[512];
    snprintf (path, sizeof path, "%s", s_path (state, "bomb.png"));
    uint8_t rgb[3] = { 1, 2, 3 };
    char err[1200] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 1, 1, NULL, err, sizeof err), 0);
    /* Splice a tEXt chunk claiming 0x60000000 bytes right after IHDR
     * (signature 8 + IHDR 25 bytes), followed by a few bytes of "data". */
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    uint8_t buf[4096];
    size_t n = fread (buf, 1, sizeof buf, f);
    fclose (f);
    static const uint8_t bomb[] = { 0x60, 0x00, 0x00, 0x00, 't', 'E', 'X', 't', 'C', 'o', 'm', 0 };
    f = fopen (path, "wb");
    assert_non_null (f);
    fwrite (buf, 1, 33, f);
    fwrite (bomb, 1, sizeof bomb, f);
    fwrite (buf + 33, 1, n - 33, f);
    fclose (f);
    char *comment = NULL;
    err[0] = '\0';
    assert_int_equal (rnd_png_read_comment (path, &comment, err, sizeof err), -1);
    assert_null (comment);
    assert_non_null (strstr (err, path));
    if (!strstr (err, "too large"))
        fail_msg ("expected the chunk cap to fire, got: %s", err);
}

/* Writing through a symlink updates the file it points to and keeps the
 * link a link. */
static void
test_write_through_symlink (void **state)
{
    char real[512], link[512];
    snprintf (real, sizeof real, "%s", s_path (state, "real.png"));
    snprintf (link, sizeof link, "%s", s_path (state, "link.png"));
    FILE *f = fopen (real, "wb");
    assert_non_null (f);
    fclose (f);
    assert_int_equal (symlink (real, link), 0);
    uint8_t rgb[3] = { 9, 8, 7 };
    char err[1200] = "";
    assert_int_equal (rnd_png_write_rgb (link, rgb, 1, 1, "c", err, sizeof err), 0);
    struct stat st;
    assert_int_equal (lstat (link, &st), 0);
    assert_true (S_ISLNK (st.st_mode));
    uint8_t *back = NULL;
    int w, h;
    assert_int_equal (rnd_png_read_rgb (real, &back, &w, &h, err, sizeof err), 0);
    assert_memory_equal (back, rgb, 3);
    free (back);
    assert_int_equal (unlink (link), 0);
    assert_int_equal (unlink (real), 0);
}

/* A write that fails halfway (here: the file size limit, standing in for a
 * full disk) leaves neither a partial image nor a temporary file. */
static void
test_write_fails_midway (void **state)
{
    const int w = 64, h = 64;
    uint8_t *rgb = malloc ((size_t)w * h * 3);
    assert_non_null (rgb);
    s_fill_noise (rgb, (size_t)w * h * 3, 4);
    const char *path = s_path (state, "big.png");

    struct rlimit old, small;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 2000;
    void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &small), 0);
    char err[1200] = "";
    int rc = rnd_png_write_rgb (path, rgb, w, h, NULL, err, sizeof err);
    setrlimit (RLIMIT_FSIZE, &old);
    signal (SIGXFSZ, old_handler);
    free (rgb);

    assert_int_equal (rc, -1);
    char expected[1200];
    snprintf (expected, sizeof expected, "%s: cannot write: File too large", path);
    assert_string_equal (err, expected);
    s_assert_dir_holds (*state, NULL);
}

static void
test_write_bad_arguments (void **state)
{
    const char *path = s_path (state, "bad.png");
    uint8_t rgb[3] = { 0 };
    char err[512] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 0, 1, NULL, err, sizeof err), -1);
    assert_non_null (strstr (err, "image size 0x1 out of range"));
    assert_int_equal (rnd_png_write_rgb (path, rgb, 1, -3, NULL, err, sizeof err), -1);
    assert_int_equal (
        rnd_png_write_rgb (path, rgb, RND_PNG_SIZE_MAX_PX + 1, 1, NULL, err, sizeof err), -1);
    assert_int_equal (rnd_png_write_rgb (path, NULL, 1, 1, NULL, err, sizeof err), -1);
    assert_non_null (strstr (err, "bad.png: no pixels"));
    s_assert_dir_holds (*state, NULL);
}

static void
test_read_not_png (void **state)
{
    const char *path = s_path (state, "text.png");
    const char text[] = "p2pfractal-params 1\nmax_iter=5\n";
    tu_file_write (path, text, sizeof text - 1);
    char expected[1100];
    snprintf (expected, sizeof expected, "%s: not a PNG file", path);
    char err[1100] = "";
    uint8_t *rgb = NULL;
    uint16_t *g = NULL;
    char *comment = NULL;
    int w, h;
    assert_int_equal (rnd_png_read_rgb (path, &rgb, &w, &h, err, sizeof err), -1);
    assert_string_equal (err, expected);
    err[0] = '\0';
    assert_int_equal (rnd_png_read_gray16 (path, &g, &w, &h, err, sizeof err), -1);
    assert_string_equal (err, expected);
    err[0] = '\0';
    assert_int_equal (rnd_png_read_comment (path, &comment, err, sizeof err), -1);
    assert_string_equal (err, expected);
    assert_null (rgb);
    assert_null (g);
    assert_null (comment);

    /* Empty file. */
    tu_file_write (path, "", 0);
    assert_int_equal (rnd_png_read_rgb (path, &rgb, &w, &h, err, sizeof err), -1);
    assert_string_equal (err, expected);

    /* Missing file. */
    path = s_path (state, "missing.png");
    assert_int_equal (rnd_png_read_rgb (path, &rgb, &w, &h, err, sizeof err), -1);
    snprintf (expected, sizeof expected, "%s: cannot open: No such file or directory", path);
    assert_string_equal (err, expected);
}

static void
test_read_truncated (void **state)
{
    const int w = 48, h = 40;
    uint8_t *rgb = malloc ((size_t)w * h * 3);
    assert_non_null (rgb);
    s_fill_noise (rgb, (size_t)w * h * 3, 3);
    const char *path = s_path (state, "whole.png");
    char err[1100] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, w, h, "c", err, sizeof err), 0);
    free (rgb);
    size_t len = 0;
    uint8_t *data = s_read_file (path, &len);
    assert_true (len > 1000);

    char cut_path[1024];
    snprintf (cut_path, sizeof cut_path, "%s", s_path (state, "cut.png"));

    /* Cut in half: an error naming the file and saying what is wrong. */
    tu_file_write (cut_path, data, len / 2);
    uint8_t *back = NULL;
    int bw, bh;
    assert_int_equal (rnd_png_read_rgb (cut_path, &back, &bw, &bh, err, sizeof err), -1);
    assert_null (back);
    char expected[1100];
    snprintf (expected, sizeof expected, "%s: truncated PNG file (unexpected end of file)",
              cut_path);
    assert_string_equal (err, expected);
    uint16_t *g = NULL;
    assert_int_equal (rnd_png_read_gray16 (cut_path, &g, &bw, &bh, err, sizeof err), -1);
    assert_non_null (strstr (err, cut_path));

    /* Every cut point fails cleanly (no crash, no leak under ASan). */
    for (size_t cut = 0; cut < len; cut += cut < 200 ? 1 : 61) {
        tu_file_write (cut_path, data, cut);
        err[0] = '\0';
        int rc = rnd_png_read_rgb (cut_path, &back, &bw, &bh, err, sizeof err);
        if (rc != -1)
            fail_msg ("a file cut at %zu of %zu bytes was accepted", cut, len);
        if (!strstr (err, cut_path))
            fail_msg ("cut at %zu: error '%s' does not name the file", cut, err);
    }

    /* A flipped bit in the image data: the CRC check catches it. */
    data[len / 2] ^= 0x10;
    tu_file_write (cut_path, data, len);
    assert_int_equal (rnd_png_read_rgb (cut_path, &back, &bw, &bh, err, sizeof err), -1);
    assert_non_null (strstr (err, "PNG error"));
    free (data);
}

static void
test_read_oversized (void **state)
{
    /* 20000 x 1 is tiny on disk but over the per-side limit. */
    const png_uint_32 w = RND_PNG_SIZE_MAX_PX + 1;
    uint8_t *row = calloc (w, 1);
    assert_non_null (row);
    const char *path = s_path (state, "wide.png");
    s_raw_write (path, w, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, row, NULL);
    free (row);
    char err[1100] = "";
    uint8_t *rgb = NULL;
    int bw, bh;
    assert_int_equal (rnd_png_read_rgb (path, &rgb, &bw, &bh, err, sizeof err), -1);
    assert_null (rgb);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "exceeds user limit"));
}

static void
test_read_gray16_refuses_colour (void **state)
{
    const char *path = s_path (state, "colour.png");
    uint8_t rgb[2 * 2 * 3] = { 0 };
    char err[1100] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 2, 2, NULL, err, sizeof err), 0);
    uint16_t *g = NULL;
    int w, h;
    assert_int_equal (rnd_png_read_gray16 (path, &g, &w, &h, err, sizeof err), -1);
    assert_null (g);
    char expected[1100];
    snprintf (expected, sizeof expected, "%s: not a greyscale PNG", path);
    assert_string_equal (err, expected);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_rgb_round_trip, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_gray16_round_trip, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_comment_after_image_data, tu_setup_dir,
                                         tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_comment_from_memory, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_comment_missing, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_overwrite, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_write_missing_directory, tu_setup_dir,
                                         tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_write_over_directory_fails, tu_setup_dir,
                                         tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_write_through_symlink, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_read_chunk_bomb, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_write_fails_midway, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_write_bad_arguments, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_read_not_png, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_read_truncated, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_read_oversized, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_read_gray16_refuses_colour, tu_setup_dir,
                                         tu_teardown_dir),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
