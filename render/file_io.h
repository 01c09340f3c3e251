/* file_io.h: reading a small file whole, under a size cap.
 *
 * The text formats we read (palettes, parameter files) are small; the cap
 * keeps a wrong path (a disk image, /dev/zero) from being slurped whole, and
 * every failure comes back as one line naming the file. */
#ifndef RND_FILE_IO_H
#define RND_FILE_IO_H

#include <stddef.h>

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

#endif
