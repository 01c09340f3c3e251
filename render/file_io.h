/* file_io.h: reading a small file whole, under a size cap; writing a file
 * so that a failed write never leaves a truncated one under its name.
 *
 * The text formats we read (palettes, parameter files) are small; the cap
 * keeps a wrong path (a disk image, /dev/zero) from being slurped whole, and
 * every failure comes back as one line naming the file. */
#ifndef RND_FILE_IO_H
#define RND_FILE_IO_H

#include <stddef.h>
#include <stdio.h>

/* rnd_file_read's result for a file larger than the cap. */
#define RND_FILE_TOO_LARGE 1

/* Reads the file at path into *text_out (malloc'd, the caller frees it; not
 * NUL-terminated) and its length into *len_out. label, if not NULL, names
 * the kind of file before its path in messages ("palette" gives "palette
 * x.map: cannot open: ..."). max_bytes must be below SIZE_MAX.
 *
 * Returns 0 with the whole file read, or -1 with a reason in err and
 * *text_out NULL. A file larger than max_bytes gives RND_FILE_TOO_LARGE with
 * a reason in err, but its first max_bytes + 1 bytes still in *text_out
 * (*len_out = max_bytes + 1, the caller frees them): a caller that takes
 * some large formats by their first bytes (a PNG's signature) can still tell
 * them apart.
 *
 * *open_errno_out (if not NULL) gets errno when the file could not be
 * opened, else 0: "no such file" may mean something else to the caller than
 * a file that exists but is broken. */
int rnd_file_read (const char *path, const char *label, size_t max_bytes, char **text_out,
                   size_t *len_out, int *open_errno_out, char *err, size_t err_size);

/* A file being written (rnd_file_out_open .. rnd_file_out_close). */
typedef struct {
    FILE *file;       /* write here */
    const char *path; /* the name asked for */
    char *tmp;        /* the temp file renamed into place, or NULL */
    char *resolved;   /* a symlink's target, or NULL */
    const char *target;
} rnd_file_out_t;

/* Opens path for writing. A regular file (or a new name) is written to a
 * temp file beside it and renamed into place by rnd_file_out_close;
 * anything else -- a device such as /dev/null, a FIFO -- is written to
 * directly: renaming over it would replace the node itself (and we may run
 * as root). A symlink to a regular file keeps being a symlink: the temp
 * goes beside the file it points to. 0, or -1 with a reason naming path in
 * err. */
int rnd_file_out_open (rnd_file_out_t *out, const char *path, char *err, size_t err_size);
/* Closes the file; if ok (the caller wrote everything) renames the temp
 * into place, else removes it. 0, or -1 with a reason in err (only set
 * when ok: the caller already has its own reason otherwise). */
int rnd_file_out_close (rnd_file_out_t *out, int ok, char *err, size_t err_size);

#endif
