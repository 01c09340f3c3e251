/* png_io.h: PNG export and import through libpng.
 *
 * Writes are atomic: the image goes to "<path>.tmp.<pid>" beside the target
 * and is renamed over it only once complete, so a crash or a full disk never
 * leaves a truncated image under the final name. Every libpng error is
 * caught and returned as a one-line reason naming the file; libpng prints
 * nothing. Reads refuse images larger than RND_PNG_SIZE_MAX_PX per side or
 * RND_PNG_PIXELS_MAX in all, so a tiny crafted file cannot make us allocate
 * gigabytes. */
#ifndef RND_PNG_IO_H
#define RND_PNG_IO_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

/* The largest image we write or read: what a valid view can describe. */
#define RND_PNG_SIZE_MAX_PX RND_VIEW_SIZE_MAX_PX
#define RND_PNG_PIXELS_MAX RND_VIEW_PIXELS_MAX

/* Writes w x h 8-bit RGB pixels (rows top to bottom, 3 bytes per pixel, no
 * padding) to path. Adds tEXt "Software" = "p2pfractal" and, if comment is
 * not NULL, tEXt "Comment" = comment (which should be Latin-1/ASCII, as tEXt
 * requires). Returns 0, or -1 with a reason in err. */
int rnd_png_write_rgb (const char *path, const uint8_t *rgb, int w, int h, const char *comment,
                       char *err, size_t err_size);

/* The same for w x h 16-bit greyscale samples in host byte order; they are
 * stored big-endian as PNG requires. */
int rnd_png_write_gray16 (const char *path, const uint16_t *px, int w, int h, const char *comment,
                          char *err, size_t err_size);

/* Reads the "Comment" text (tEXt, zTXt or iTXt; before or after the image
 * data) of path into *comment_out, NUL-terminated, malloc'd: the caller frees
 * it. Returns 0, or -1 with a reason in err (also when there is no Comment). */
int rnd_png_read_comment (const char *path, char **comment_out, char *err, size_t err_size);

/* The same for the len bytes of a PNG at buf (the file's whole content);
 * label names it in messages. */
int rnd_png_read_comment_mem (const uint8_t *buf, size_t len, const char *label, char **comment_out,
                              char *err, size_t err_size);

/* Reads path as 8-bit RGB into *rgb_out (malloc'd, caller frees; layout as
 * for rnd_png_write_rgb). Other formats are converted: palette and grey are
 * expanded, 16-bit samples are reduced to 8, alpha is dropped. */
int rnd_png_read_rgb (const char *path, uint8_t **rgb_out, int *w, int *h, char *err,
                      size_t err_size);

/* Reads a greyscale PNG into *px_out as 16-bit samples in host byte order
 * (malloc'd, caller frees). Grey of fewer bits is scaled up to 16 (v * 65535
 * / max); alpha is dropped; colour images are refused. */
int rnd_png_read_gray16 (const char *path, uint16_t **px_out, int *w, int *h, char *err,
                         size_t err_size);

#endif
