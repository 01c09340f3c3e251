/* palette.h: Fractint .map palettes, palette lookup by name, and colouring of
 * smooth values (kernel.h) into RGB.
 *
 * Colouring is kept apart from iteration so that a peer can change palette or
 * colouring mode without recomputing anything: the float32 smooth values are
 * the shared result, colour is a local view of them.
 *
 * .map format (Fractint's, read tolerantly): one entry per line, "R G B" as
 * decimal integers 0..255 separated by spaces or tabs; anything after the
 * third number (after a space, tab, ';' or '#') is a comment. Blank lines and
 * lines whose first non-blank character is ';' or '#' are skipped and do not
 * count as entries. LF, CRLF and lone CR line endings and a UTF-8 byte order
 * mark are accepted. Anything else (a non-number, a value above 255, fewer
 * than three numbers, more than 256 entries, no entries at all) is an error
 * naming the file and line.
 *
 * Short files: k < 256 entries are spread evenly over the 256 slots, entry i
 * landing on slot i * 255 / (k - 1), with the slots between filled by linear
 * interpolation, rounded to nearest (a single entry fills all 256). So a
 * 16-entry map becomes a 256-entry gradient with its entries on slots 0, 17,
 * 34, ... 255. (Fractint instead pads with grey; a gradient is what a short
 * hand-written map means in smooth colouring, and it keeps the first and last
 * colours where their author put them.) */
#ifndef RND_PALETTE_H
#define RND_PALETTE_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

#define RND_PALETTE_ENTRIES 256
/* Largest .map file read. A full 256-line map with long comments is a few
 * KiB; the cap only stops a wrong path (a disk image, /dev/zero) from being
 * slurped. */
#define RND_PALETTE_FILE_MAX_BYTES (1024 * 1024)
/* Room for the file a palette came from, in messages. */
#define RND_PALETTE_SOURCE_MAX 512
/* rnd_palette_list keeps this many names (the first ones in sorted order) of
 * at most RND_PALETTE_LIST_NAME_MAX - 1 bytes; longer names are left out. */
#define RND_PALETTE_LIST_MAX 64
#define RND_PALETTE_LIST_NAME_MAX 64

/* A palette: a plain value, copied freely, nothing to free. */
typedef struct {
    uint8_t rgb[RND_PALETTE_ENTRIES][3]; /* entry i: red, green, blue */
    int entries_read;                    /* entries the file held, 1..256, before filling */
    char source[RND_PALETTE_SOURCE_MAX]; /* path (or caller's label) it was read from */
} rnd_palette_t;

/* Names of the palettes in a directory, sorted by strcmp (byte order, not
 * locale), without the ".map". */
typedef struct {
    int count; /* names held, 0..RND_PALETTE_LIST_MAX */
    char names[RND_PALETTE_LIST_MAX][RND_PALETTE_LIST_NAME_MAX]; /* "default", "ember", ... */
} rnd_palette_list_t;

/* Parse .map text of text_size bytes (not NUL-terminated; nothing beyond
 * text_size is read). source names the text in error messages and is copied
 * to pal->source (NULL: "(memory)"). 0 on success; -1 with a one-line reason
 * in err, e.g. "palette x.map line 12: blue value 300 out of range 0..255".
 * On failure *pal is unchanged. */
int rnd_palette_parse (rnd_palette_t *pal, const char *text, size_t text_size, const char *source,
                       char *err, size_t err_size);

/* Read and parse the .map file at path (at most RND_PALETTE_FILE_MAX_BYTES).
 * 0, or -1 with a reason naming the file. On failure *pal is unchanged. */
int rnd_palette_read (rnd_palette_t *pal, const char *path, char *err, size_t err_size);

/* Load a palette by name or path. An argument containing '/' or ending in
 * ".map" is a path; anything else is a name, read from
 * <assets>/palettes/<name>.map (see rnd_palette_assets_dir). An unknown name
 * fails with the names that exist: "unknown palette 'foo' (available:
 * aurora, default, ...)". On failure *pal is unchanged. */
int rnd_palette_load (rnd_palette_t *pal, const char *name_or_path, char *err, size_t err_size);

/* The assets directory (the one that holds palettes/), first of:
 *  1. $P2PF_ASSETS_DIR if set and not empty -- an override, taken as it is
 *     (a wrong one fails naming it, nothing else is tried);
 *  2. <the executable's directory>/../share/p2pfractal (GNUInstallDirs'
 *     bin -> data dir), so an installed tree works under any prefix, moved
 *     or unpacked anywhere; the build tree has a link build/share/p2pfractal
 *     -> assets/, so build/app/p2pfractal and the tests find the sources';
 *  3. the configured data dir, CMAKE_INSTALL_FULL_DATADIR/p2pfractal (a copy
 *     of the binary without its tree);
 *  4. the source tree's assets/ (compiled in; a build without that link).
 * 2 to 4 count only if they hold a palettes/ directory, and are searched
 * once a process; if none does, 3 (errors then name all three). */
const char *rnd_palette_assets_dir (void);

/* The palette names in <assets>/palettes, sorted. 0, or -1 with a reason
 * (directory missing or unreadable), list->count then 0. */
int rnd_palette_list (rnd_palette_list_t *list, char *err, size_t err_size);
/* The same for the .map files in dir. */
int rnd_palette_list_dir (rnd_palette_list_t *list, const char *dir, char *err, size_t err_size);
/* The name after current in the list, wrapping around: for a "next palette"
 * key. The first name if current is not in the list; NULL if it is empty. */
const char *rnd_palette_list_next (const rnd_palette_list_t *list, const char *current);

typedef enum {
    RND_COLOURING_SMOOTH = 0,   /* continuous: sqrt mapping, interpolated */
    RND_COLOURING_DISCRETE = 1, /* Fractint: entry (escape count mod 256) */
} rnd_colouring_t;

/* SMOOTH for Mandelbrot, DISCRETE for Julia. */
rnd_colouring_t rnd_colouring_default (rnd_fractal_t fractal);
/* "smooth", "discrete". */
const char *rnd_colouring_name (rnd_colouring_t mode);
/* 0 and *out set for a known name, -1 otherwise. */
int rnd_colouring_from_name (const char *name, rnd_colouring_t *out);

/* Colour n smooth values into rgb_out (3 * n bytes, R G B per pixel).
 *   interior (s < 0, or NaN):  black 0 0 0;
 *   DISCRETE:  entry floor(s) mod 256, no interpolation;
 *   SMOOTH:    palette position p = 64 * sqrt(s) + 128 entries, taken mod 256
 *              and quantised down to 1/256 of an entry, then linear
 *              interpolation between entries floor(p) and floor(p) + 1 (mod
 *              256, so entry 255 blends into entry 0), rounded to nearest.
 * s is clamped to 2^24 first (no valid count comes near it). Only IEEE
 * operations that are exactly rounded (sqrt, multiplication by powers of
 * two) and integer arithmetic are used, so every machine produces the same
 * bytes; nothing depends on the locale. */
void rnd_colourise (const rnd_palette_t *pal, rnd_colouring_t mode, const float *smooth, size_t n,
                    uint8_t *rgb_out);

#endif
