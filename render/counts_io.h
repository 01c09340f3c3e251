/* counts_io.h: escape counts of any size (32 bits) as a NumPy .npy file.
 *
 * The 16-bit counts PNG clamps at 65,535, which deep views pass. A .npy
 * file (NumPy's documented format, version 1.0) is the plainest container
 * that keeps all 32 bits and that numpy.load, and a few lines of C, read:
 *   "\x93NUMPY" 0x01 0x00, a little-endian uint16 header length, the header
 *   "{'descr': '<u4', 'fortran_order': False, 'shape': (H, W), }" padded
 *   with spaces to a multiple of 64 bytes in all and ended by '\n', then
 *   H * W little-endian uint32, row by row from the top.
 * A count is the escape iteration n, 0 for interior (rnd_smooth_count).
 * The format has no room for the parameter text: keep the PNG beside it. */
#ifndef RND_COUNTS_IO_H
#define RND_COUNTS_IO_H

#include <stddef.h>
#include <stdint.h>

/* Writes w x h counts to path (a temp file renamed into place, as the
 * PNGs). 0, or -1 with a reason naming path in err. */
int rnd_counts_write_npy (const char *path, const uint32_t *counts, int w, int h, char *err,
                          size_t err_size);

#endif
