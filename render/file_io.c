/* file_io.c: reading a small file whole, under a size cap (contract in
 * file_io.h). */
/* realpath() is XSI */
#define _XOPEN_SOURCE 700

#include "file_io.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes "<label> <path>: <reason>" into err. */
static void
s_explain (const char *label, const char *path, char *err, size_t err_size, const char *format, ...)
{
    /* The reasons are short (a strerror text, a number); the path, which
     * may be long, goes straight into err. */
    char reason[160];
    va_list args;
    va_start (args, format);
    vsnprintf (reason, sizeof reason, format, args);
    va_end (args);
    snprintf (err, err_size, "%s%s%s: %s", label ? label : "", label ? " " : "", path, reason);
}

int
rnd_file_read (const char *path, const char *label, size_t max_bytes, char **text_out,
               size_t *len_out, int *open_errno_out, char *err, size_t err_size)
{
    assert (max_bytes < SIZE_MAX);
    *text_out = NULL;
    *len_out = 0;
    if (open_errno_out)
        *open_errno_out = 0;

    FILE *file = fopen (path, "rb");
    if (!file) {
        int open_errno = errno;
        if (open_errno_out)
            *open_errno_out = open_errno;
        s_explain (label, path, err, err_size, "cannot open: %s", strerror (open_errno));
        return -1;
    }
    /* One byte over the cap tells "exactly at the cap" from "over it". */
    char *text = malloc (max_bytes + 1);
    if (!text) {
        fclose (file);
        s_explain (label, path, err, err_size, "out of memory");
        return -1;
    }
    errno = 0;
    size_t len = fread (text, 1, max_bytes + 1, file);
    /* A stream error need not set errno; EIO then says at least that much. */
    int read_errno = ferror (file) ? (errno != 0 ? errno : EIO) : 0;
    fclose (file);
    if (read_errno != 0) {
        free (text);
        s_explain (label, path, err, err_size, "read error: %s", strerror (read_errno));
        return -1;
    }
    *text_out = text;
    *len_out = len;
    if (len > max_bytes) {
        s_explain (label, path, err, err_size, "larger than %zu bytes", max_bytes);
        return RND_FILE_TOO_LARGE;
    }
    return 0;
}

int
rnd_file_out_open (rnd_file_out_t *o, const char *path, char *err, size_t err_size)
{
    memset (o, 0, sizeof *o);
    o->path = path;
    o->target = path;
    struct stat st;
    int direct = 0;
    if (stat (path, &st) == 0) {
        if (!S_ISREG (st.st_mode))
            direct = 1;
        else if (lstat (path, &st) == 0 && S_ISLNK (st.st_mode) &&
                 (o->resolved = realpath (path, NULL)))
            o->target = o->resolved;
    }
    if (!direct) {
        /* Same directory as the target so that rename() cannot cross
         * devices; the pid keeps two processes writing one name apart. */
        size_t tmp_size = strlen (o->target) + 32;
        o->tmp = malloc (tmp_size);
        if (!o->tmp) {
            free (o->resolved);
            snprintf (err, err_size, "%s: out of memory", path);
            return -1;
        }
        snprintf (o->tmp, tmp_size, "%s.tmp.%ld", o->target, (long)getpid ());
    }
    o->file = fopen (o->tmp ? o->tmp : path, "wb");
    if (!o->file) {
        snprintf (err, err_size, "%s: cannot open for writing: %s", path, strerror (errno));
        free (o->tmp);
        free (o->resolved);
        return -1;
    }
    return 0;
}

int
rnd_file_out_close (rnd_file_out_t *o, int ok, char *err, size_t err_size)
{
    int rc = ok ? 0 : -1;
    /* fclose flushes stdio's buffer: a full disk may only show up here. */
    if (fclose (o->file) != 0 && rc == 0) {
        snprintf (err, err_size, "%s: cannot write: %s", o->path, strerror (errno));
        rc = -1;
    }
    if (o->tmp) {
        if (rc == 0 && rename (o->tmp, o->target) != 0) {
            snprintf (err, err_size, "%s: cannot rename %s into place: %s", o->path, o->tmp,
                      strerror (errno));
            rc = -1;
        }
        if (rc != 0)
            remove (o->tmp);
    }
    free (o->tmp);
    free (o->resolved);
    return rc;
}
