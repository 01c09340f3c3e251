/* test_palette.c: the .map reader (tolerance of real-world files, rejection
 * of broken ones with file and line), palette lookup by name, the shipped
 * palettes, and colouring of smooth values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel.h" /* RND_INTERIOR */
#include "palette.h"
#include "test_util.h"

#define S_FIXTURES P2PF_TEST_DATA_DIR "/palettes"
#define S_SHIPPED P2PF_ASSETS_DIR "/palettes"

/* Parse a NUL-terminated string (without its NUL). */
static int
s_parse (rnd_palette_t *pal, const char *text, const char *source, char *err, size_t err_size)
{
    return rnd_palette_parse (pal, text, strlen (text), source, err, err_size);
}

static void
s_assert_rgb (const uint8_t *got, int r, int g, int b)
{
    assert_int_equal (got[0], r);
    assert_int_equal (got[1], g);
    assert_int_equal (got[2], b);
}

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("\"%s\" does not contain \"%s\"", text, part);
}

/* The reference entry i of the generated test maps below. */
static void
s_entry (int i, int rgb[3])
{
    rgb[0] = i;
    rgb[1] = 255 - i;
    rgb[2] = (i * 37 + 11) % 256;
}

static void
test_parse_full_map (void **state)
{
    (void)state;
    char text[256 * 16];
    size_t len = 0;
    for (int i = 0; i < 256; i++) {
        int e[3];
        s_entry (i, e);
        len += (size_t)snprintf (text + len, sizeof text - len, "%3d %3d %3d\n", e[0], e[1], e[2]);
    }
    rnd_palette_t pal;
    char err[256] = "";
    assert_int_equal (rnd_palette_parse (&pal, text, len, "full.map", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 256);
    assert_string_equal (pal.source, "full.map");
    for (int i = 0; i < 256; i++) {
        int e[3];
        s_entry (i, e);
        s_assert_rgb (pal.rgb[i], e[0], e[1], e[2]);
    }
}

/* Every tolerated variation at once, 256 entries so that each one is checked
 * verbatim: CRLF, tabs, leading blanks, trailing comments with and without a
 * separating blank, comment lines, blank lines, a byte order mark. */
static void
test_parse_crlf_tabs_comments (void **state)
{
    (void)state;
    static const char *const formats[] = {
        "%d %d %d\r\n",
        "\t%d\t%d\t%d\r\n",
        "%3d %3d %3d  The default VGA color map\r\n",
        "  %d  %d\t %d\t; comment after a tab\r\n",
        "%d %d %d;comment glued to blue\r\n",
        "%d %d %d#hash comment\r\n",
        "%d %d %d \t \r\n",
    };
    size_t n_formats = sizeof formats / sizeof formats[0];
    char text[256 * 64];
    size_t len =
        (size_t)snprintf (text, sizeof text, "\xef\xbb\xbf; header comment\r\n# another\r\n");
    for (int i = 0; i < 256; i++) {
        int e[3];
        s_entry (i, e);
        len += (size_t)snprintf (text + len, sizeof text - len, formats[(size_t)i % n_formats],
                                 e[0], e[1], e[2]);
        if (i % 50 == 0)
            len += (size_t)snprintf (text + len, sizeof text - len,
                                     "\r\n   \t\r\n ; indented comment\r\n");
    }
    rnd_palette_t pal;
    char err[256] = "";
    int rc = rnd_palette_parse (&pal, text, len, "crlf.map", err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (pal.entries_read, 256);
    for (int i = 0; i < 256; i++) {
        int e[3];
        s_entry (i, e);
        s_assert_rgb (pal.rgb[i], e[0], e[1], e[2]);
    }
}

/* Old Mac line endings (lone CR) are line breaks too, and count as lines. */
static void
test_parse_lone_cr (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[256] = "";
    assert_int_equal (s_parse (&pal, "1 2 3\r4 5 6\r", "cr.map", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 2);
    s_assert_rgb (pal.rgb[0], 1, 2, 3);
    s_assert_rgb (pal.rgb[255], 4, 5, 6);
    assert_int_equal (s_parse (&pal, "1 2 3\r\r4 5 x\r", "cr.map", err, sizeof err), -1);
    assert_string_equal (err, "palette cr.map line 3: blue value \"x\" is not a number 0..255");
}

/* A real-looking Fractint file on disk (CRLF, tabs, colour names): 16 entries
 * spread over 256 slots, entry i on slot 17 * i, linear in between. */
static void
test_read_short_file_spreads (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[256] = "";
    int rc = rnd_palette_read (&pal, S_FIXTURES "/fractint-16.map", err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (pal.entries_read, 16);
    assert_string_equal (pal.source, S_FIXTURES "/fractint-16.map");
    s_assert_rgb (pal.rgb[0], 0, 0, 0);         /* black */
    s_assert_rgb (pal.rgb[17], 0, 0, 170);      /* blue */
    s_assert_rgb (pal.rgb[17 * 6], 170, 85, 0); /* brown */
    s_assert_rgb (pal.rgb[17 * 7], 170, 170, 170);
    s_assert_rgb (pal.rgb[17 * 8], 85, 85, 85); /* after the blank line */
    s_assert_rgb (pal.rgb[255], 255, 255, 255); /* white, last */
    /* 8/17 and 9/17 of the way from black to blue: 170 * 8 / 17 = 80. */
    s_assert_rgb (pal.rgb[8], 0, 0, 80);
    s_assert_rgb (pal.rgb[9], 0, 0, 90);
    /* brown (170,85,0) -> light grey (170,170,170), 8/17 of the way. */
    s_assert_rgb (pal.rgb[17 * 6 + 8], 170, 125, 80);
}

static void
test_parse_short_interpolation_exact (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[256] = "";
    /* Two entries: slot j is j/255 of the way, rounded to nearest. */
    assert_int_equal (s_parse (&pal, "0 0 0\n255 100 10\n", "two.map", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 2);
    s_assert_rgb (pal.rgb[0], 0, 0, 0);
    s_assert_rgb (pal.rgb[1], 1, 0, 0);      /* 0.39, 0.04 round down */
    s_assert_rgb (pal.rgb[51], 51, 20, 2);   /* exactly 1/5 */
    s_assert_rgb (pal.rgb[128], 128, 50, 5); /* 50.196, 5.0196 */
    s_assert_rgb (pal.rgb[192], 192, 75, 8); /* 75.29, 7.53 rounds up */
    s_assert_rgb (pal.rgb[255], 255, 100, 10);

    /* Sixteen entries alternating black and white: a zigzag, so each slot
     * shows which pair it sits between. */
    char text[512];
    size_t len = 0;
    for (int i = 0; i < 16; i++)
        len += (size_t)snprintf (text + len, sizeof text - len, "%s\n",
                                 i % 2 ? "255 255 255" : "0 0 0");
    assert_int_equal (rnd_palette_parse (&pal, text, len, "zigzag.map", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 16);
    for (int i = 0; i < 16; i++)
        assert_int_equal (pal.rgb[17 * i][0], i % 2 ? 255 : 0);
    assert_int_equal (pal.rgb[8][0], 120);      /* up: 255 * 8 / 17 */
    assert_int_equal (pal.rgb[17 + 8][0], 135); /* down: 255 - 120 */
    assert_int_equal (pal.rgb[17 * 14 + 1][0], 15);

    /* One entry fills every slot. */
    assert_int_equal (s_parse (&pal, "7 8 9  only\n", "one.map", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 1);
    for (int i = 0; i < 256; i++)
        s_assert_rgb (pal.rgb[i], 7, 8, 9);
}

static void
test_parse_too_many_entries (void **state)
{
    (void)state;
    char text[257 * 8 + 64];
    size_t len = 0;
    for (int i = 0; i < 256; i++)
        len += (size_t)snprintf (text + len, sizeof text - len, "1 2 3\n");
    len += (size_t)snprintf (text + len, sizeof text - len, "; trailing comment\n\n");
    rnd_palette_t pal;
    char err[256] = "";
    /* 256 entries and trailing comments: fine. */
    assert_int_equal (rnd_palette_parse (&pal, text, len, "big.map", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 256);
    /* One more entry (on line 259): not. */
    len += (size_t)snprintf (text + len, sizeof text - len, "4 5 6\n");
    assert_int_equal (rnd_palette_parse (&pal, text, len, "big.map", err, sizeof err), -1);
    assert_string_equal (err, "palette big.map line 259: more than 256 entries");
}

static void
test_parse_malformed_names_file_and_line (void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *err;
    } cases[] = {
        { "0 0 0\n1 abc 2\n", "palette t.map line 2: green value \"abc\" is not a number 0..255" },
        { "1 2\n", "palette t.map line 1: blue value missing (expected \"R G B\")" },
        { "\n\n  7  \n", "palette t.map line 3: green value missing (expected \"R G B\")" },
        { "1 2 ; no blue\n", "palette t.map line 1: blue value missing (expected \"R G B\")" },
        { "1,2,3\n", "palette t.map line 1: red value \"1,2,3\" is not a number 0..255" },
        { "-1 0 0\n", "palette t.map line 1: red value \"-1\" is not a number 0..255" },
        { "1 2 3.5\n", "palette t.map line 1: blue value \"3.5\" is not a number 0..255" },
        { "1 2x 3\n", "palette t.map line 1: green value \"2x\" is not a number 0..255" },
        { "1 2 3\n0 0 256\n", "palette t.map line 2: blue value 256 out of range 0..255" },
        { "300 0 0\n", "palette t.map line 1: red value 300 out of range 0..255" },
        { "1 99999999999999999999999 0\n",
          "palette t.map line 1: green value 9999999999999999... out of range 0..255" },
        { "1 2 \x01\xff\n", "palette t.map line 1: blue value \"??\" is not a number 0..255" },
        { "1;2 3\n", "palette t.map line 1: red value \"1;2\" is not a number 0..255" },
        { "1 2 3\r\n\r\n4 5 6\r\n7 8 x\r\n",
          "palette t.map line 4: blue value \"x\" is not a number 0..255" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rnd_palette_t pal;
        memset (&pal, 0xab, sizeof pal);
        char err[256] = "";
        assert_int_equal (s_parse (&pal, cases[i].text, "t.map", err, sizeof err), -1);
        assert_string_equal (err, cases[i].err);
        /* A failed parse leaves the palette as it was. */
        assert_int_equal (pal.rgb[0][0], 0xab);
        assert_int_equal (pal.entries_read, (int)0xabababab);
    }
    /* The example of the brief, with a path for a source. */
    char text[12 * 8];
    size_t len = 0;
    for (int i = 0; i < 11; i++)
        len += (size_t)snprintf (text + len, sizeof text - len, "0 0 0\n");
    len += (size_t)snprintf (text + len, sizeof text - len, "0 0 300\n");
    rnd_palette_t pal;
    char err[256] = "";
    assert_int_equal (rnd_palette_parse (&pal, text, len, "/x/y.map", err, sizeof err), -1);
    assert_string_equal (err, "palette /x/y.map line 12: blue value 300 out of range 0..255");
}

static void
test_read_malformed_file (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[512] = "";
    assert_int_equal (rnd_palette_read (&pal, S_FIXTURES "/bad-line.map", err, sizeof err), -1);
    assert_string_equal (err,
                         "palette " S_FIXTURES "/bad-line.map line 7: blue value \"4O\" is not "
                         "a number 0..255");
}

static void
test_parse_empty (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[256] = "";
    assert_int_equal (s_parse (&pal, "", "e.map", err, sizeof err), -1);
    assert_string_equal (err, "palette e.map: no entries (expected lines of \"R G B\")");
    err[0] = '\0';
    assert_int_equal (s_parse (&pal, "; only\r\n\r\n  # comments\n\t\n", "e.map", err, sizeof err),
                      -1);
    assert_string_equal (err, "palette e.map: no entries (expected lines of \"R G B\")");
    err[0] = '\0';
    assert_int_equal (rnd_palette_read (&pal, S_FIXTURES "/empty.map", err, sizeof err), -1);
    assert_string_equal (err, "palette " S_FIXTURES
                              "/empty.map: no entries (expected lines of \"R G B\")");
    /* No source given: still a message. */
    assert_int_equal (rnd_palette_parse (&pal, "", 0, NULL, err, sizeof err), -1);
    s_assert_contains (err, "(memory)");
}

/* The text is not NUL-terminated: the parser must stop at text_size. Exactly
 * sized heap copies let AddressSanitizer catch a read past the end. */
static void
test_parse_stops_at_length (void **state)
{
    (void)state;
    const char *full = "1 2 34";
    char *text = malloc (5);
    assert_non_null (text);
    memcpy (text, full, 5); /* "1 2 3", no terminator */
    rnd_palette_t pal;
    char err[256] = "";
    assert_int_equal (rnd_palette_parse (&pal, text, 5, "cut.map", err, sizeof err), 0);
    s_assert_rgb (pal.rgb[0], 1, 2, 3);
    /* Cut inside a number, after a CR, inside the BOM. */
    memcpy (text, "1 2 \r", 5);
    assert_int_equal (rnd_palette_parse (&pal, text, 5, "cut.map", err, sizeof err), -1);
    assert_string_equal (err, "palette cut.map line 1: blue value missing (expected \"R G B\")");
    memcpy (text, "\xef\xbb", 2);
    assert_int_equal (rnd_palette_parse (&pal, text, 2, "cut.map", err, sizeof err), -1);
    assert_string_equal (err, "palette cut.map line 1: red value \"??\" is not a number 0..255");
    free (text);
    /* Zero length, NULL text. */
    assert_int_equal (rnd_palette_parse (&pal, NULL, 0, "nil.map", err, sizeof err), -1);
    assert_string_equal (err, "palette nil.map: no entries (expected lines of \"R G B\")");
}

static void
test_read_missing_file (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[512] = "";
    assert_int_equal (rnd_palette_read (&pal, "/nonexistent/dir/none.map", err, sizeof err), -1);
    assert_string_equal (
        err, "palette /nonexistent/dir/none.map: cannot open: No such file or directory");
    /* A directory opens but does not read. */
    assert_int_equal (rnd_palette_read (&pal, S_FIXTURES, err, sizeof err), -1);
    s_assert_contains (err, "palette " S_FIXTURES ": read error");
}

/* Writes dir/name, size_bytes long: "1 2 3\n" and then newlines. */
static void
s_write_padded (char *path, size_t path_size, const char *dir, const char *name, size_t size_bytes)
{
    char *text = malloc (size_bytes);
    assert_non_null (text);
    memset (text, '\n', size_bytes);
    memcpy (text, "1 2 3\n", 6);
    tu_file_write (tu_path_join (path, path_size, dir, name), text, size_bytes);
    free (text);
}

static void
test_read_size_cap (void **state)
{
    char path[128];
    rnd_palette_t pal;
    char err[256] = "";
    s_write_padded (path, sizeof path, *state, "at-cap.map", RND_PALETTE_FILE_MAX_BYTES);
    int rc = rnd_palette_read (&pal, path, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_rgb (pal.rgb[200], 1, 2, 3);

    s_write_padded (path, sizeof path, *state, "over-cap.map", RND_PALETTE_FILE_MAX_BYTES + 1);
    rc = rnd_palette_read (&pal, path, err, sizeof err);
    assert_int_equal (rc, -1);
    s_assert_contains (err, path);
    s_assert_contains (err, "larger than 1048576 bytes");
}

/* Every palette we ship loads, is full, sorted in the list, and is a smooth
 * closed loop: no jump between neighbouring entries, 255 -> 0 included,
 * since smooth colouring wraps around and a seam would show as a hard edge. */
static void
test_shipped_palettes (void **state)
{
    (void)state;
    rnd_palette_list_t list;
    char err[512] = "";
    assert_int_equal (rnd_palette_list_dir (&list, S_SHIPPED, err, sizeof err), 0);
    assert_true (list.count >= 6);
    int has_default = 0;
    for (int i = 0; i < list.count; i++) {
        if (i > 0)
            assert_true (strcmp (list.names[i - 1], list.names[i]) < 0);
        has_default |= strcmp (list.names[i], "default") == 0;
        char path[1024];
        snprintf (path, sizeof path, "%s/%s.map", S_SHIPPED, list.names[i]);
        rnd_palette_t pal;
        if (rnd_palette_read (&pal, path, err, sizeof err) != 0)
            fail_msg ("%s", err);
        assert_int_equal (pal.entries_read, 256);
        int max_step = 0, distinct_neighbours = 0;
        for (int e = 0; e < 256; e++) {
            const uint8_t *a = pal.rgb[e], *b = pal.rgb[(e + 1) % 256];
            for (int c = 0; c < 3; c++) {
                int step = abs ((int)a[c] - (int)b[c]);
                max_step = step > max_step ? step : max_step;
            }
            distinct_neighbours += memcmp (a, b, 3) != 0;
        }
        if (max_step > 32)
            fail_msg ("palette %s jumps by %d between neighbouring entries", list.names[i],
                      max_step);
        if (distinct_neighbours < 192)
            fail_msg ("palette %s is too flat (%d distinct steps)", list.names[i],
                      distinct_neighbours);
    }
    assert_true (has_default);
}

static void
test_assets_dir_env (void **state)
{
    (void)state;
    /* Unset, this test (build/tests/test_palette) finds its data beside it,
     * build/share/p2pfractal: the build tree's link to the source tree's
     * assets/, named by its target. */
    assert_int_equal (unsetenv ("P2PF_ASSETS_DIR"), 0);
    assert_string_equal (rnd_palette_assets_dir (), P2PF_ASSETS_DIR);
    assert_int_equal (setenv ("P2PF_ASSETS_DIR", "", 1), 0);
    assert_string_equal (rnd_palette_assets_dir (), P2PF_ASSETS_DIR);
    assert_int_equal (setenv ("P2PF_ASSETS_DIR", "/some/where", 1), 0);
    assert_string_equal (rnd_palette_assets_dir (), "/some/where");
    assert_int_equal (unsetenv ("P2PF_ASSETS_DIR"), 0);
}

static void
test_load_by_name (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[1024] = "";
    assert_int_equal (unsetenv ("P2PF_ASSETS_DIR"), 0);
    int rc = rnd_palette_load (&pal, "default", err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (pal.entries_read, 256);
    assert_string_equal (pal.source, S_SHIPPED "/default.map");

    /* The same file by path gives the same palette. */
    rnd_palette_t by_path;
    assert_int_equal (rnd_palette_load (&by_path, S_SHIPPED "/default.map", err, sizeof err), 0);
    assert_memory_equal (by_path.rgb, pal.rgb, sizeof pal.rgb);

    /* Unknown name: the shipped names are offered. */
    assert_int_equal (rnd_palette_load (&pal, "nosuch", err, sizeof err), -1);
    s_assert_contains (err, "unknown palette 'nosuch' (available: ");
    s_assert_contains (err, " default,");
    assert_int_equal (err[strlen (err) - 1], ')');

    /* The environment variable moves the lookup: to the fixtures here. */
    assert_int_equal (setenv ("P2PF_ASSETS_DIR", P2PF_TEST_DATA_DIR, 1), 0);
    assert_int_equal (rnd_palette_load (&pal, "fractint-16", err, sizeof err), 0);
    assert_int_equal (pal.entries_read, 16);
    assert_int_equal (rnd_palette_load (&pal, "nosuch", err, sizeof err), -1);
    assert_string_equal (err, "unknown palette 'nosuch' (available: bad-line, empty, fractint-16)");
    /* A named palette that exists but is broken reports its own error. */
    assert_int_equal (rnd_palette_load (&pal, "bad-line", err, sizeof err), -1);
    assert_string_equal (err,
                         "palette " S_FIXTURES "/bad-line.map line 7: blue value \"4O\" is not "
                         "a number 0..255");
    /* A short error buffer truncates, still terminated. */
    char small[25];
    assert_int_equal (rnd_palette_load (&pal, "nosuch", small, sizeof small), -1);
    assert_string_equal (small, "unknown palette 'nosuch'");
    assert_int_equal (rnd_palette_load (&pal, "nosuch", NULL, 0), -1);

    /* No palettes directory at all: the message names the variable that
     * sent us there. */
    assert_int_equal (setenv ("P2PF_ASSETS_DIR", "/nonexistent", 1), 0);
    assert_int_equal (rnd_palette_load (&pal, "default", err, sizeof err), -1);
    assert_string_equal (err,
                         "unknown palette 'default' (P2PF_ASSETS_DIR=/nonexistent: cannot list "
                         "palettes in /nonexistent/palettes: No such file or directory)");
    /* A directory without palettes/ (here the fixtures' own palettes/),
     * and one whose palettes/ holds none. */
    assert_int_equal (setenv ("P2PF_ASSETS_DIR", S_FIXTURES, 1), 0);
    assert_int_equal (rnd_palette_load (&pal, "default", err, sizeof err), -1);
    assert_string_equal (err, "unknown palette 'default' (P2PF_ASSETS_DIR=" S_FIXTURES
                              ": cannot list palettes in " S_FIXTURES
                              "/palettes: No such file or directory)");
    char *dir = tu_dir_new ("no-maps");
    char sub[512];
    assert_int_equal (mkdir (tu_path_join (sub, sizeof sub, dir, "palettes"), 0700), 0);
    assert_int_equal (setenv ("P2PF_ASSETS_DIR", dir, 1), 0);
    assert_int_equal (rnd_palette_load (&pal, "default", err, sizeof err), -1);
    char want[1024];
    snprintf (want, sizeof want,
              "unknown palette 'default' (P2PF_ASSETS_DIR=%s: no .map file in %s/palettes)", dir,
              dir);
    assert_string_equal (err, want);
    assert_int_equal (tu_dir_remove (&dir), 0);
    assert_int_equal (unsetenv ("P2PF_ASSETS_DIR"), 0);

    /* Ending in .map makes it a path even without a '/': not a name. */
    assert_int_equal (rnd_palette_load (&pal, "default.map", err, sizeof err), -1);
    assert_string_equal (err, "palette default.map: cannot open: No such file or directory");
    assert_int_equal (rnd_palette_load (&pal, "", err, sizeof err), -1);
    assert_string_equal (err, "empty palette name");
}

static void
test_list_bounded_sorted_next (void **state)
{
    (void)state;
    char *dir = tu_dir_new ("test_palette_dir");
    assert_non_null (dir);
    /* 200 palettes, created out of order (readdir's order is the file
     * system's: with this many, names arrive after the list is full both
     * before and after its last name), and files that are not palettes. */
    char name[16], path[256];
    for (int i = 0; i < 200; i++) {
        snprintf (name, sizeof name, "p%03d.map", (i * 37) % 200);
        tu_file_write (tu_path_join (path, sizeof path, dir, name), "", 0);
    }
    static const char *const others[] = {
        ".hidden.map",
        ".map",
        "notes.txt",
        "map",
        "a-name-far-too-long-to-keep-in-the-list-of-names-0123456789abcdef.map",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        tu_file_write (tu_path_join (path, sizeof path, dir, others[i]), "", 0);
    rnd_palette_list_t list;
    char err[256] = "";
    assert_int_equal (rnd_palette_list_dir (&list, dir, err, sizeof err), 0);
    assert_int_equal (list.count, RND_PALETTE_LIST_MAX);
    for (int i = 0; i < list.count; i++) {
        char want[16];
        snprintf (want, sizeof want, "p%03d", i);
        assert_string_equal (list.names[i], want);
    }
    /* Cycling. */
    assert_string_equal (rnd_palette_list_next (&list, "p000"), "p001");
    assert_string_equal (rnd_palette_list_next (&list, "p063"), "p000");
    assert_string_equal (rnd_palette_list_next (&list, "unknown"), "p000");
    assert_string_equal (rnd_palette_list_next (&list, NULL), "p000");
    list.count = 1;
    assert_string_equal (rnd_palette_list_next (&list, "p000"), "p000");
    list.count = 0;
    assert_null (rnd_palette_list_next (&list, "p000"));

    assert_int_equal (tu_dir_remove (&dir), 0);

    assert_int_equal (rnd_palette_list_dir (&list, "/nonexistent", err, sizeof err), -1);
    assert_int_equal (list.count, 0);
    assert_string_equal (err, "cannot list palettes in /nonexistent: No such file or directory");
}

static void
test_colouring_names_and_defaults (void **state)
{
    (void)state;
    assert_int_equal (rnd_colouring_default (RND_FRACTAL_MANDELBROT), RND_COLOURING_SMOOTH);
    assert_int_equal (rnd_colouring_default (RND_FRACTAL_JULIA), RND_COLOURING_DISCRETE);
    rnd_colouring_t mode = RND_COLOURING_DISCRETE;
    assert_int_equal (rnd_colouring_from_name ("smooth", &mode), 0);
    assert_int_equal (mode, RND_COLOURING_SMOOTH);
    assert_int_equal (rnd_colouring_from_name ("discrete", &mode), 0);
    assert_int_equal (mode, RND_COLOURING_DISCRETE);
    assert_int_equal (rnd_colouring_from_name ("Smooth", &mode), -1);
    assert_int_equal (rnd_colouring_from_name ("", &mode), -1);
    assert_int_equal (mode, RND_COLOURING_DISCRETE);
    assert_string_equal (rnd_colouring_name (RND_COLOURING_SMOOTH), "smooth");
    assert_string_equal (rnd_colouring_name (RND_COLOURING_DISCRETE), "discrete");
}

/* A palette where entry i is (i, 255 - i, 3 * i mod 256): every entry
 * distinct, so a colour names its entry. */
static void
s_ramp (rnd_palette_t *pal)
{
    memset (pal, 0, sizeof *pal);
    for (int i = 0; i < 256; i++) {
        pal->rgb[i][0] = (uint8_t)i;
        pal->rgb[i][1] = (uint8_t)(255 - i);
        pal->rgb[i][2] = (uint8_t)(3 * i);
    }
    pal->entries_read = 256;
}

static void
test_colour_interior_black (void **state)
{
    (void)state;
    rnd_palette_t pal;
    memset (&pal, 0, sizeof pal);
    memset (pal.rgb, 77, sizeof pal.rgb); /* no black anywhere */
    const float smooth[] = { RND_INTERIOR, -0.5f, -1e30f, -INFINITY, NAN, 0.0f, 5.5f };
    size_t n = sizeof smooth / sizeof smooth[0];
    uint8_t rgb[3 * 7];
    for (int mode = RND_COLOURING_SMOOTH; mode <= RND_COLOURING_DISCRETE; mode++) {
        memset (rgb, 0xee, sizeof rgb);
        rnd_colourise (&pal, (rnd_colouring_t)mode, smooth, n, rgb);
        for (size_t i = 0; i < 5; i++)
            s_assert_rgb (rgb + 3 * i, 0, 0, 0);
        s_assert_rgb (rgb + 3 * 5, 77, 77, 77); /* escaped: palette colour */
        s_assert_rgb (rgb + 3 * 6, 77, 77, 77);
    }
}

static void
test_colour_discrete_exact (void **state)
{
    (void)state;
    rnd_palette_t pal;
    s_ramp (&pal);
    const float smooth[] = { 1.0f,   1.999f,    17.5f,       255.9f,  256.0f,
                             300.7f, 5999.999f, 15999999.0f, INFINITY };
    const int entry[] = { 1, 1, 17, 255, 0, 44, 5999 % 256, 15999999 % 256, 0 };
    size_t n = sizeof smooth / sizeof smooth[0];
    uint8_t rgb[3 * 9];
    rnd_colourise (&pal, RND_COLOURING_DISCRETE, smooth, n, rgb);
    for (size_t i = 0; i < n; i++)
        s_assert_rgb (rgb + 3 * i, pal.rgb[entry[i]][0], pal.rgb[entry[i]][1],
                      pal.rgb[entry[i]][2]);
}

/* The smooth value whose palette position is pos (mod 256) after cycles
 * extra turns: 64 sqrt(s) + 128 = pos + 256 cycles. pos is a multiple of
 * 1/256, so sqrt(s) = q / 16384 with q an integer; the values used keep q^2
 * exact in a float, so these s are exact and their sqrt is too. */
static float
s_smooth_at (double pos, int cycles)
{
    double root = (pos - 128.0 + 256.0 * (cycles + 1)) / 64.0;
    return (float)(root * root);
}

static void
test_colour_smooth_positions (void **state)
{
    (void)state;
    rnd_palette_t pal;
    s_ramp (&pal);
    /* Whole positions land exactly on entries: s = 4 is entry 0, s = 6.25
     * entry 32 (64 * 2.5 + 128 - 256). */
    const float smooth[] = { 4.0f, 6.25f, s_smooth_at (200.0, 0), s_smooth_at (200.0, 5) };
    const int entry[] = { 0, 32, 200, 200 };
    uint8_t rgb[3 * 4];
    rnd_colourise (&pal, RND_COLOURING_SMOOTH, smooth, 4, rgb);
    for (size_t i = 0; i < 4; i++)
        s_assert_rgb (rgb + 3 * i, pal.rgb[entry[i]][0], pal.rgb[entry[i]][1],
                      pal.rgb[entry[i]][2]);
}

static void
test_colour_smooth_interpolates (void **state)
{
    (void)state;
    rnd_palette_t pal;
    memset (&pal, 0, sizeof pal);
    pal.rgb[10][0] = 0, pal.rgb[10][1] = 100, pal.rgb[10][2] = 200;
    pal.rgb[11][0] = 200, pal.rgb[11][1] = 52, pal.rgb[11][2] = 0;
    const float smooth[] = {
        s_smooth_at (10.0, 0),  s_smooth_at (10.5, 0), s_smooth_at (10.25, 0),
        s_smooth_at (10.75, 1), s_smooth_at (11.0, 2), s_smooth_at (10.5, 7),
    };
    uint8_t rgb[3 * 6];
    rnd_colourise (&pal, RND_COLOURING_SMOOTH, smooth, 6, rgb);
    s_assert_rgb (rgb + 0, 0, 100, 200);   /* on entry 10 */
    s_assert_rgb (rgb + 3, 100, 76, 100);  /* halfway: the midpoint colour */
    s_assert_rgb (rgb + 6, 50, 88, 150);   /* a quarter of the way */
    s_assert_rgb (rgb + 9, 150, 64, 50);   /* three quarters, a cycle later */
    s_assert_rgb (rgb + 12, 200, 52, 0);   /* on entry 11 */
    s_assert_rgb (rgb + 15, 100, 76, 100); /* halfway, s ~ 910: same colour */

    /* Rounding is to nearest, halves up: entries 20 (0 0 0) and 21 (1 255 3). */
    pal.rgb[21][0] = 1, pal.rgb[21][1] = 255, pal.rgb[21][2] = 3;
    const float between[] = { s_smooth_at (20.5, 0), s_smooth_at (20.25, 0) };
    rnd_colourise (&pal, RND_COLOURING_SMOOTH, between, 2, rgb);
    s_assert_rgb (rgb + 0, 1, 128, 2); /* 0.5, 127.5, 1.5 */
    s_assert_rgb (rgb + 3, 0, 64, 1);  /* 0.25, 63.75, 0.75 */
}

static void
test_colour_smooth_wraps (void **state)
{
    (void)state;
    rnd_palette_t pal;
    memset (&pal, 0, sizeof pal);
    pal.rgb[255][0] = 200, pal.rgb[255][1] = 0, pal.rgb[255][2] = 100;
    pal.rgb[0][0] = 0, pal.rgb[0][1] = 200, pal.rgb[0][2] = 100;
    /* Position 255.5 blends entry 255 into entry 0, on every cycle. */
    const float smooth[] = { s_smooth_at (255.5, 0), s_smooth_at (255.5, 1), s_smooth_at (255.5, 6),
                             s_smooth_at (255.0, 3), s_smooth_at (0.0, 4) };
    uint8_t rgb[3 * 5];
    rnd_colourise (&pal, RND_COLOURING_SMOOTH, smooth, 5, rgb);
    s_assert_rgb (rgb + 0, 100, 100, 100);
    s_assert_rgb (rgb + 3, 100, 100, 100);
    s_assert_rgb (rgb + 6, 100, 100, 100);
    s_assert_rgb (rgb + 9, 200, 0, 100);
    s_assert_rgb (rgb + 12, 0, 200, 100);
}

/* Smooth colouring is continuous: sweeping s from 1 to 16000 in steps of
 * half a palette entry or less, no channel moves by more than the palette's
 * own largest step between neighbouring entries (plus one for rounding),
 * including across integer counts, where discrete colouring jumps. */
static void
test_colour_smooth_continuous (void **state)
{
    (void)state;
    rnd_palette_t pal;
    char err[512] = "";
    if (rnd_palette_read (&pal, S_SHIPPED "/default.map", err, sizeof err) != 0)
        fail_msg ("%s", err);
    int palette_step = 0;
    for (int e = 0; e < 256; e++)
        for (int c = 0; c < 3; c++) {
            int step = abs ((int)pal.rgb[e][c] - (int)pal.rgb[(e + 1) % 256][c]);
            palette_step = step > palette_step ? step : palette_step;
        }
    /* 64 sqrt(s) moves by 32 / sqrt(s) per unit of s: steps of sqrt(s) / 64
     * move it by half an entry. */
    enum { N_MAX = 40000 };
    float *smooth = malloc (N_MAX * sizeof *smooth);
    uint8_t *rgb = malloc (3 * N_MAX);
    assert_non_null (smooth);
    assert_non_null (rgb);
    size_t n = 0;
    for (double s = 1.0; s < 16000.0 && n < N_MAX; s += sqrt (s) / 64.0)
        smooth[n++] = (float)s;
    assert_true (n > 10000 && n < N_MAX);
    rnd_colourise (&pal, RND_COLOURING_SMOOTH, smooth, n, rgb);
    int worst = 0, changes = 0;
    for (size_t i = 1; i < n; i++)
        for (int c = 0; c < 3; c++) {
            int step = abs ((int)rgb[3 * i + c] - (int)rgb[3 * (i - 1) + c]);
            worst = step > worst ? step : worst;
            changes += step != 0;
        }
    free (smooth);
    free (rgb);
    if (worst > palette_step + 1)
        fail_msg ("smooth colouring jumps by %d (palette step %d)", worst, palette_step);
    assert_true (changes > 1000); /* and it does change */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_full_map),
        cmocka_unit_test (test_parse_crlf_tabs_comments),
        cmocka_unit_test (test_parse_lone_cr),
        cmocka_unit_test (test_read_short_file_spreads),
        cmocka_unit_test (test_parse_short_interpolation_exact),
        cmocka_unit_test (test_parse_too_many_entries),
        cmocka_unit_test (test_parse_malformed_names_file_and_line),
        cmocka_unit_test (test_read_malformed_file),
        cmocka_unit_test (test_parse_empty),
        cmocka_unit_test (test_parse_stops_at_length),
        cmocka_unit_test (test_read_missing_file),
        cmocka_unit_test_setup_teardown (test_read_size_cap, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test (test_shipped_palettes),
        cmocka_unit_test (test_assets_dir_env),
        cmocka_unit_test (test_load_by_name),
        cmocka_unit_test (test_list_bounded_sorted_next),
        cmocka_unit_test (test_colouring_names_and_defaults),
        cmocka_unit_test (test_colour_interior_black),
        cmocka_unit_test (test_colour_discrete_exact),
        cmocka_unit_test (test_colour_smooth_positions),
        cmocka_unit_test (test_colour_smooth_interpolates),
        cmocka_unit_test (test_colour_smooth_wraps),
        cmocka_unit_test (test_colour_smooth_continuous),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
