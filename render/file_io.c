/* file_io.c: reading a small file whole, under a size cap (contract in
 * file_io.h). */
#include "file_io.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
