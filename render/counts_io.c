/* counts_io.c: 32-bit escape counts as a .npy file (format in counts_io.h). */
#include "counts_io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "file_io.h"

int
rnd_counts_write_npy (const char *path, const uint32_t *counts, int w, int h, char *err,
                      size_t err_size)
{
    if (w < 1 || h < 1) {
        snprintf (err, err_size, "%s: image size %dx%d out of range", path, w, h);
        return -1;
    }
    char header[128];
    int n = snprintf (header, sizeof header,
                      "{'descr': '<u4', 'fortran_order': False, 'shape': (%d, %d), }", h, w);
    /* magic 6 + version 2 + length 2 + header + '\n': a multiple of 64 */
    int total = (10 + n + 1 + 63) / 64 * 64;
    int hlen = total - 10;
    memset (header + n, ' ', (size_t)(hlen - 1 - n));
    header[hlen - 1] = '\n';
    unsigned char head[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
    head[8] = (unsigned char)(hlen & 0xff);
    head[9] = (unsigned char)(hlen >> 8);

    rnd_file_out_t out;
    if (rnd_file_out_open (&out, path, err, err_size) != 0)
        return -1;
    int ok = fwrite (head, 1, sizeof head, out.file) == sizeof head &&
             fwrite (header, 1, (size_t)hlen, out.file) == (size_t)hlen;
    /* little-endian whatever the host, a row at a time */
    unsigned char row[4 * 4096];
    for (int y = 0; ok && y < h; y++) {
        for (int x0 = 0; ok && x0 < w; x0 += 4096) {
            int m = w - x0 < 4096 ? w - x0 : 4096;
            for (int i = 0; i < m; i++) {
                uint32_t v = counts[(size_t)y * w + x0 + i];
                row[4 * i] = (unsigned char)v;
                row[4 * i + 1] = (unsigned char)(v >> 8);
                row[4 * i + 2] = (unsigned char)(v >> 16);
                row[4 * i + 3] = (unsigned char)(v >> 24);
            }
            ok = fwrite (row, 4, (size_t)m, out.file) == (size_t)m;
        }
    }
    if (!ok)
        snprintf (err, err_size, "%s: cannot write: %s", path, strerror (errno));
    return rnd_file_out_close (&out, ok, err, err_size);
}
