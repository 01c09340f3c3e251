/* palette.c: the .map reader, palette lookup by name, and colouring (formats
 * and contracts in palette.h). */
/* realpath() is XSI */
#define _XOPEN_SOURCE 700

#include "palette.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_io.h"

/* The three places searched after $P2PF_ASSETS_DIR (CMakeLists.txt sets
 * them): the data dir relative to the executable's directory, the configured
 * data dir, the source tree's assets/. */
#ifndef P2PF_DATA_FROM_BIN
#define P2PF_DATA_FROM_BIN "../share/p2pfractal"
#endif
#ifndef P2PF_DATA_DIR
#define P2PF_DATA_DIR "/usr/local/share/p2pfractal"
#endif
#ifndef P2PF_SOURCE_ASSETS_DIR
#define P2PF_SOURCE_ASSETS_DIR "assets"
#endif

#define s_fail(...) (snprintf (err, err_size, __VA_ARGS__), -1)

/* How much of a bad token an error message quotes. */
#define S_QUOTE_MAX 16

static const char *const s_channel_names[3] = { "red", "green", "blue" };

static int
s_is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static int
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static int
s_is_comment (char c)
{
    return c == ';' || c == '#';
}

/* Copy the token text[0..len) into out for an error message: at most
 * S_QUOTE_MAX bytes, non-printable bytes as '?', "..." if cut short. The text
 * came from a file, and may hold anything. */
static void
s_quote (char out[S_QUOTE_MAX + 4], const char *text, size_t len)
{
    size_t i;
    for (i = 0; i < len && i < S_QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (len > S_QUOTE_MAX) {
        memcpy (out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

/* Parse one non-blank, non-comment line text[p..end) into rgb. 0, or -1 with
 * the reason (without the "palette X line N: " prefix) in why. */
static int
s_parse_entry (const char *text, size_t p, size_t end, uint8_t rgb[3], char *why, size_t why_size)
{
    char quoted[S_QUOTE_MAX + 4];
    for (int c = 0; c < 3; c++) {
        while (p < end && s_is_blank (text[p]))
            p++;
        if (p == end || s_is_comment (text[p])) {
            snprintf (why, why_size, "%s value missing (expected \"R G B\")", s_channel_names[c]);
            return -1;
        }
        size_t start = p;
        unsigned value = 0;
        while (p < end && s_is_digit (text[p])) {
            /* Saturate: only "fits in 0..255" matters, and the message
             * quotes the digits themselves. */
            if (value <= 255)
                value = value * 10 + (unsigned)(text[p] - '0');
            p++;
        }
        /* A number ends at a blank, the end of the line, or (after blue) a
         * comment; "12x" or "1,2,3" is not a number. */
        int ends_ok = p == end || s_is_blank (text[p]) || (c == 2 && s_is_comment (text[p]));
        if (p == start || !ends_ok) {
            while (p < end && !s_is_blank (text[p]))
                p++;
            s_quote (quoted, text + start, p - start);
            snprintf (why, why_size, "%s value \"%s\" is not a number 0..255", s_channel_names[c],
                      quoted);
            return -1;
        }
        if (value > 255) {
            s_quote (quoted, text + start, p - start);
            snprintf (why, why_size, "%s value %s out of range 0..255", s_channel_names[c], quoted);
            return -1;
        }
        rgb[c] = (uint8_t)value;
    }
    return 0;
}

/* Spread k entries (1 <= k < 256, in rgb[0..k)) over all 256 slots, entry i
 * on slot i * 255 / (k - 1), linear in between, rounded to nearest (halves
 * up). Integer arithmetic: exact, and the same everywhere. */
static void
s_spread (uint8_t rgb[RND_PALETTE_ENTRIES][3], int k)
{
    uint8_t given[RND_PALETTE_ENTRIES][3];
    memcpy (given, rgb, sizeof given);
    const int last = RND_PALETTE_ENTRIES - 1;
    for (int slot = 0; slot <= last; slot++) {
        /* Slot position in entries is slot * (k - 1) / 255 = i + r / 255;
         * with k = 1 that is entry 0 everywhere. */
        int i = slot * (k - 1) / last;
        int r = slot * (k - 1) % last;
        int j = r == 0 ? i : i + 1;
        for (int c = 0; c < 3; c++)
            rgb[slot][c] =
                (uint8_t)((given[i][c] * (last - r) + given[j][c] * r + last / 2) / last);
    }
}

int
rnd_palette_parse (rnd_palette_t *pal, const char *text, size_t text_size, const char *source,
                   char *err, size_t err_size)
{
    rnd_palette_t out;
    memset (&out, 0, sizeof out);
    if (!source)
        source = "(memory)";
    snprintf (out.source, sizeof out.source, "%s", source);

    size_t pos = 0;
    if (text_size >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    long line = 0;
    int count = 0;
    while (pos < text_size) {
        line++;
        size_t start = pos;
        while (pos < text_size && text[pos] != '\n' && text[pos] != '\r')
            pos++;
        size_t end = pos;
        if (pos < text_size)
            pos += (text[pos] == '\r' && pos + 1 < text_size && text[pos + 1] == '\n') ? 2 : 1;

        size_t p = start;
        while (p < end && s_is_blank (text[p]))
            p++;
        if (p == end || s_is_comment (text[p]))
            continue;
        if (count == RND_PALETTE_ENTRIES)
            return s_fail ("palette %s line %ld: more than %d entries", source, line,
                           RND_PALETTE_ENTRIES);
        char why[128];
        if (s_parse_entry (text, p, end, out.rgb[count], why, sizeof why) != 0)
            return s_fail ("palette %s line %ld: %s", source, line, why);
        count++;
    }
    if (count == 0)
        return s_fail ("palette %s: no entries (expected lines of \"R G B\")", source);
    if (count < RND_PALETTE_ENTRIES)
        s_spread (out.rgb, count);
    out.entries_read = count;
    *pal = out;
    return 0;
}

/* rnd_palette_read, also telling the caller (if open_errno is not NULL) why
 * opening failed (errno, or 0 if it opened), so that rnd_palette_load can
 * tell "no such palette" from "a broken one". */
static int
s_read (rnd_palette_t *pal, const char *path, int *open_errno, char *err, size_t err_size)
{
    char *text;
    size_t size;
    int rc = rnd_file_read (path, "palette", RND_PALETTE_FILE_MAX_BYTES, &text, &size, open_errno,
                            err, err_size);
    if (rc == 0)
        rc = rnd_palette_parse (pal, text, size, path, err, err_size);
    else
        rc = -1; /* rnd_file_read said why */
    free (text);
    return rc;
}

int
rnd_palette_read (rnd_palette_t *pal, const char *path, char *err, size_t err_size)
{
    return s_read (pal, path, NULL, err, err_size);
}

/* The search runs once a process: the executable does not move under a
 * running program, and palette loads (every job, every 'p' key) then cost no
 * readlink and stats. Written once under pthread_once, read-only after. */
static pthread_once_t s_search_once = PTHREAD_ONCE_INIT;
static char s_beside_exe[PATH_MAX]; /* <exe dir>/P2PF_DATA_FROM_BIN, resolved if it exists */
static const char *s_found;         /* the first place holding palettes/; NULL: none */

/* 1 if dir/palettes is a directory. */
static int
s_has_palettes (const char *dir)
{
    char path[PATH_MAX];
    struct stat st;
    int len = snprintf (path, sizeof path, "%s/palettes", dir);
    return len > 0 && (size_t)len < sizeof path && stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static void
s_search (void)
{
    char exe[PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    char *slash = strrchr (exe, '/');
    if (slash) {
        slash[1] = '\0';
        char guess[PATH_MAX];
        int n = snprintf (guess, sizeof guess, "%s%s", exe, P2PF_DATA_FROM_BIN);
        /* Resolved, messages name /usr/share/p2pfractal rather than
         * /usr/bin/../share/p2pfractal (and the build tree's link, its
         * target). */
        if (n > 0 && (size_t)n < sizeof guess && !realpath (guess, s_beside_exe))
            snprintf (s_beside_exe, sizeof s_beside_exe, "%s", guess);
    }
    if (s_beside_exe[0] && s_has_palettes (s_beside_exe))
        s_found = s_beside_exe;
    else if (s_has_palettes (P2PF_DATA_DIR))
        s_found = P2PF_DATA_DIR;
    else if (s_has_palettes (P2PF_SOURCE_ASSETS_DIR))
        s_found = P2PF_SOURCE_ASSETS_DIR;
}

/* $P2PF_ASSETS_DIR if set and not empty, else NULL. */
static const char *
s_env_dir (void)
{
    const char *dir = getenv ("P2PF_ASSETS_DIR");
    return dir && *dir ? dir : NULL;
}

const char *
rnd_palette_assets_dir (void)
{
    const char *env = s_env_dir ();
    if (env)
        return env;
    pthread_once (&s_search_once, s_search);
    return s_found ? s_found : P2PF_DATA_DIR;
}

/* 1 if name ends in suffix. */
static int
s_ends_with (const char *name, const char *suffix)
{
    size_t name_len = strlen (name), suffix_len = strlen (suffix);
    return name_len >= suffix_len && strcmp (name + name_len - suffix_len, suffix) == 0;
}

int
rnd_palette_list_dir (rnd_palette_list_t *list, const char *dir, char *err, size_t err_size)
{
    list->count = 0;
    DIR *handle = opendir (dir);
    if (!handle)
        return s_fail ("cannot list palettes in %s: %s", dir, strerror (errno));
    struct dirent *entry;
    while ((entry = readdir (handle)) != NULL) {
        const char *file = entry->d_name;
        size_t len = strlen (file);
        /* Hidden files (and a bare ".map") are not palettes; names that do
         * not fit are left out rather than cut into names that do not
         * load. */
        if (file[0] == '.' || !s_ends_with (file, ".map") || len - 4 >= RND_PALETTE_LIST_NAME_MAX)
            continue;
        char name[RND_PALETTE_LIST_NAME_MAX];
        memcpy (name, file, len - 4);
        name[len - 4] = '\0';
        /* Insertion into the sorted array; when full, a name that sorts
         * before the last one pushes it out. The list stays a bounded value
         * with no allocation, and holds the first RND_PALETTE_LIST_MAX names
         * whatever order readdir gives. */
        if (list->count == RND_PALETTE_LIST_MAX) {
            if (strcmp (name, list->names[RND_PALETTE_LIST_MAX - 1]) >= 0)
                continue;
            list->count--;
        }
        int at = list->count;
        for (; at > 0 && strcmp (list->names[at - 1], name) > 0; at--)
            memcpy (list->names[at], list->names[at - 1], sizeof list->names[at]);
        memcpy (list->names[at], name, len - 4 + 1);
        list->count++;
    }
    closedir (handle);
    return 0;
}

int
rnd_palette_list (rnd_palette_list_t *list, char *err, size_t err_size)
{
    char dir[RND_PALETTE_SOURCE_MAX];
    const char *assets = rnd_palette_assets_dir ();
    int len = snprintf (dir, sizeof dir, "%s/palettes", assets);
    if (len < 0 || (size_t)len >= sizeof dir) {
        list->count = 0;
        return s_fail ("assets directory path too long: %s", assets);
    }
    char why[2 * RND_PALETTE_SOURCE_MAX];
    if (rnd_palette_list_dir (list, dir, why, sizeof why) == 0)
        return 0;
    /* Say where the directory came from: an override that names the wrong
     * place, or an install without its data, is the usual cause. */
    if (s_env_dir ())
        return s_fail ("P2PF_ASSETS_DIR=%s: %s", assets, why);
    if (!s_found)
        return s_fail ("no palettes directory in %s, %s or %s (reinstall p2pfractal, or set "
                       "P2PF_ASSETS_DIR to a directory holding palettes/)",
                       s_beside_exe[0] ? s_beside_exe : "(executable's directory unknown)",
                       P2PF_DATA_DIR, P2PF_SOURCE_ASSETS_DIR);
    return s_fail ("%s", why);
}

const char *
rnd_palette_list_next (const rnd_palette_list_t *list, const char *current)
{
    if (list->count == 0)
        return NULL;
    for (int i = 0; i < list->count; i++)
        if (current && strcmp (list->names[i], current) == 0)
            return list->names[(i + 1) % list->count];
    return list->names[0];
}

int
rnd_palette_load (rnd_palette_t *pal, const char *name_or_path, char *err, size_t err_size)
{
    if (!name_or_path || !*name_or_path)
        return s_fail ("empty palette name");
    if (strchr (name_or_path, '/') || s_ends_with (name_or_path, ".map"))
        return rnd_palette_read (pal, name_or_path, err, err_size);

    const char *assets = rnd_palette_assets_dir ();
    char path[RND_PALETTE_SOURCE_MAX];
    int len = snprintf (path, sizeof path, "%s/palettes/%s.map", assets, name_or_path);
    if (len < 0 || (size_t)len >= sizeof path)
        return s_fail ("palette name too long: '%.64s...'", name_or_path);
    int open_errno;
    if (s_read (pal, path, &open_errno, err, err_size) == 0)
        return 0;
    if (open_errno != ENOENT)
        return -1; /* it exists but is unreadable or broken: s_read said why */

    rnd_palette_list_t list;
    char list_err[2 * RND_PALETTE_SOURCE_MAX];
    if (rnd_palette_list (&list, list_err, sizeof list_err) != 0)
        return s_fail ("unknown palette '%s' (%s)", name_or_path, list_err);
    if (list.count == 0 && s_env_dir ())
        return s_fail ("unknown palette '%s' (P2PF_ASSETS_DIR=%s: no .map file in %s/palettes)",
                       name_or_path, assets, assets);
    if (list.count == 0)
        return s_fail ("unknown palette '%s' (no .map file in %s/palettes)", name_or_path, assets);
    /* The message is built piecewise into err; snprintf truncates safely
     * when err is short, and a truncated list still reads as one. */
    size_t used = 0;
    int wrote = snprintf (err, err_size, "unknown palette '%s' (available:", name_or_path);
    for (int i = 0; i < list.count && wrote >= 0; i++) {
        used += (size_t)wrote;
        wrote =
            snprintf (used < err_size ? err + used : NULL, used < err_size ? err_size - used : 0,
                      "%s %s", i == 0 ? "" : ",", list.names[i]);
    }
    if (wrote >= 0) {
        used += (size_t)wrote;
        snprintf (used < err_size ? err + used : NULL, used < err_size ? err_size - used : 0, ")");
    }
    return -1;
}

rnd_colouring_t
rnd_colouring_default (rnd_fractal_t fractal)
{
    return fractal == RND_FRACTAL_JULIA ? RND_COLOURING_DISCRETE : RND_COLOURING_SMOOTH;
}

const char *
rnd_colouring_name (rnd_colouring_t mode)
{
    return mode == RND_COLOURING_DISCRETE ? "discrete" : "smooth";
}

int
rnd_colouring_from_name (const char *name, rnd_colouring_t *out)
{
    if (strcmp (name, "smooth") == 0) {
        *out = RND_COLOURING_SMOOTH;
        return 0;
    }
    if (strcmp (name, "discrete") == 0) {
        *out = RND_COLOURING_DISCRETE;
        return 0;
    }
    return -1;
}

/* Largest smooth value looked at; counts stay below RND_VIEW_ITER_MAX < 2^24,
 * so this only keeps a garbage value (inf, 1e30 from a bad peer) from
 * overflowing the integer conversions below. */
#define S_SMOOTH_MAX 16777216.0f

/* SMOOTH position, in 1/256ths of an entry, mod 256 entries.
 *
 * Why sqrt: a full view's escape counts run about 5..50 (bailout 256) while a
 * deep zoom's run from hundreds to thousands, and neighbouring pixels there
 * differ by tens of iterations. A fixed number of entries per iteration either
 * leaves the full view one flat colour or turns deep zooms into speckle (many
 * palette cycles between adjacent pixels); log(s) flattens deep zooms into a
 * single hue. sqrt(s) sits between: with 64 entries per unit of sqrt(s) the
 * full view sweeps just over one palette cycle from the outside in, the
 * default seahorse view (counts ~80..6000) about three, and colour still
 * changes by only ~1 entry per iteration at s = 1000. Compared side by side
 * on those views and a 3e-9 zoom, this was the one that looked right on all.
 * The +128 puts the outer field of the full view (s ~ 5) near entry 0, where
 * every shipped palette has its dark base colour, so the set's surroundings
 * are calm and the filaments bright.
 *
 * sqrt is correctly rounded in IEEE 754 and 64 * 256 is a power of two, so
 * this is bit-identical on every conforming machine. */
static uint32_t
s_smooth_position (float s)
{
    double root = sqrt ((double)(s < S_SMOOTH_MAX ? s : S_SMOOTH_MAX));
    uint32_t pos = (uint32_t)(root * (64.0 * 256.0)) + 128u * 256u;
    return pos & (RND_PALETTE_ENTRIES * 256u - 1u);
}

void
rnd_colourise (const rnd_palette_t *pal, rnd_colouring_t mode, const float *smooth, size_t n,
               uint8_t *rgb_out)
{
    for (size_t i = 0; i < n; i++) {
        float s = smooth[i];
        uint8_t *px = rgb_out + 3 * i;
        /* Written as !(s >= 0) so that NaN is interior too. */
        if (!(s >= 0.0f)) {
            px[0] = px[1] = px[2] = 0;
            continue;
        }
        if (mode == RND_COLOURING_DISCRETE) {
            uint32_t count = (uint32_t)(s < S_SMOOTH_MAX ? s : S_SMOOTH_MAX);
            memcpy (px, pal->rgb[count % RND_PALETTE_ENTRIES], 3);
            continue;
        }
        uint32_t pos = s_smooth_position (s);
        uint32_t frac = pos & 255u;
        const uint8_t *a = pal->rgb[pos >> 8];
        const uint8_t *b = pal->rgb[((pos >> 8) + 1) % RND_PALETTE_ENTRIES];
        for (int c = 0; c < 3; c++)
            px[c] = (uint8_t)((a[c] * (256u - frac) + b[c] * frac + 128u) >> 8);
    }
}
