/* png_io.c: PNG export and import through libpng's classic API.
 *
 * libpng reports errors by longjmp. Each public function keeps its state in
 * an s_job_t of its own frame and hands a pointer to a *_body function that
 * calls setjmp and does all libpng work; the body changes no local variable
 * the error path reads, so nothing is clobbered, and the caller frees
 * whatever the job holds whether the body returned or jumped out. */
#include "png_io.h"

#include "file_io.h"

#include <errno.h>
#include <png.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define s_fail(...) (snprintf (err, err_size, __VA_ARGS__), -1)

typedef struct {
    const char *path;  /* the file named in error messages */
    char *err;         /* caller's error buffer */
    size_t err_size;   /* its size */
    int err_set;       /* err holds a better reason than libpng's message */
    char warning[160]; /* libpng's last warning: often the real cause of an error */
    FILE *file;        /* open file, or NULL */
    png_structp png;   /* libpng read or write state, or NULL */
    png_infop info;    /* libpng image info, or NULL */
    void *pixels;      /* image buffer being read; moves to the caller on success */
    png_bytep *rows;   /* row pointers into pixels */
    png_bytep row;     /* scratch row for reads whose pixels are thrown away */
    char *comment;     /* Comment text found; moves to the caller on success */
    int width_px;      /* size of the image read */
    int height_px;
} s_job_t;

static int
s_host_is_little_endian (void)
{
    const uint16_t probe = 1;
    uint8_t first;
    memcpy (&first, &probe, 1);
    return first == 1;
}

/* libpng's error callback: must not return. */
static void
s_on_error (png_structp png, png_const_charp msg)
{
    s_job_t *job = png_get_error_ptr (png);
    if (!job->err_set && job->warning[0])
        snprintf (job->err, job->err_size, "%s: PNG error: %s (%s)", job->path, msg, job->warning);
    else if (!job->err_set)
        snprintf (job->err, job->err_size, "%s: PNG error: %s", job->path, msg);
    job->err_set = 1;
    png_longjmp (png, 1);
}

/* Warnings (a bad CRC in an ancillary chunk, an odd gamma) do not stop us
 * from reading the image, and libpng's default prints them to stderr; keep
 * the last one instead, since libpng sometimes gives the specific reason as
 * a warning and then fails with a generic error ("Invalid IHDR data"). */
static void
s_on_warning (png_structp png, png_const_charp msg)
{
    s_job_t *job = png_get_error_ptr (png);
    snprintf (job->warning, sizeof job->warning, "%s", msg);
}

/* Fails the current libpng operation with our own reason. */
static void
s_job_fail (s_job_t *job, const char *reason)
{
    snprintf (job->err, job->err_size, "%s: %s", job->path, reason);
    job->err_set = 1;
    png_error (job->png, reason);
}

/* Our I/O callbacks, so that a short read says "truncated" and a failed
 * write says why (libpng's own say only "Read Error" / "Write Error"). */
static void
s_read_data (png_structp png, png_bytep data, size_t len)
{
    s_job_t *job = png_get_io_ptr (png);
    if (fread (data, 1, len, job->file) == len)
        return;
    if (ferror (job->file)) {
        char reason[128];
        snprintf (reason, sizeof reason, "cannot read: %s", strerror (errno));
        s_job_fail (job, reason);
    } else
        s_job_fail (job, "truncated PNG file (unexpected end of file)");
}

static void
s_write_data (png_structp png, png_bytep data, size_t len)
{
    s_job_t *job = png_get_io_ptr (png);
    if (fwrite (data, 1, len, job->file) != len) {
        char reason[128];
        snprintf (reason, sizeof reason, "cannot write: %s", strerror (errno));
        s_job_fail (job, reason);
    }
}

static void
s_flush_data (png_structp png)
{
    s_job_t *job = png_get_io_ptr (png);
    fflush (job->file); /* errors resurface at fclose, which we check */
}

/* --- writing --------------------------------------------------------- */

static int
s_write_body (s_job_t *job, const uint8_t *pixels, int w, int h, int bit_depth, int color_type,
              size_t row_bytes, const char *comment)
{
    if (setjmp (png_jmpbuf (job->png)))
        return -1;
    png_set_write_fn (job->png, job, s_write_data, s_flush_data);
    png_set_IHDR (job->png, job->info, (png_uint_32)w, (png_uint_32)h, bit_depth, color_type,
                  PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_text text[2];
    memset (text, 0, sizeof text);
    text[0].compression = PNG_TEXT_COMPRESSION_NONE;
    text[0].key = "Software";
    text[0].text = "p2pfractal";
    text[1].compression = PNG_TEXT_COMPRESSION_NONE;
    text[1].key = "Comment";
    text[1].text = (png_charp)comment; /* libpng copies it and does not write through it */
    /* Before IDAT, where readers that stop at the image data still see it. */
    png_set_text (job->png, job->info, text, comment ? 2 : 1);
    png_write_info (job->png, job->info);
    if (bit_depth == 16 && s_host_is_little_endian ())
        png_set_swap (job->png);
    for (int y = 0; y < h; y++)
        png_write_row (job->png, pixels + (size_t)y * row_bytes);
    png_write_end (job->png, NULL);
    return 0;
}

static int
s_write (const char *path, const void *pixels, int w, int h, int bit_depth, int color_type,
         size_t bytes_per_px, const char *comment, char *err, size_t err_size)
{
    if (!pixels)
        return s_fail ("%s: no pixels to write", path);
    if (w < 1 || h < 1 || w > RND_PNG_SIZE_MAX_PX || h > RND_PNG_SIZE_MAX_PX ||
        (long)w * h > RND_PNG_PIXELS_MAX)
        return s_fail ("%s: image size %dx%d out of range (1..%d per side, %ld pixels)", path, w, h,
                       RND_PNG_SIZE_MAX_PX, (long)RND_PNG_PIXELS_MAX);

    rnd_file_out_t out;
    if (rnd_file_out_open (&out, path, err, err_size) != 0)
        return -1;
    s_job_t job = { .path = path, .err = err, .err_size = err_size, .file = out.file };
    int rc = -1;
    job.png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &job, s_on_error, s_on_warning);
    if (job.png)
        job.info = png_create_info_struct (job.png);
    if (!job.png || !job.info)
        rc = s_fail ("%s: out of memory", path);
    else
        rc = s_write_body (&job, pixels, w, h, bit_depth, color_type, (size_t)w * bytes_per_px,
                           comment);
    png_destroy_write_struct (&job.png, &job.info);
    return rnd_file_out_close (&out, rc == 0, err, err_size);
}

int
rnd_png_write_rgb (const char *path, const uint8_t *rgb, int w, int h, const char *comment,
                   char *err, size_t err_size)
{
    return s_write (path, rgb, w, h, 8, PNG_COLOR_TYPE_RGB, 3, comment, err, err_size);
}

int
rnd_png_write_gray16 (const char *path, const uint16_t *px, int w, int h, const char *comment,
                      char *err, size_t err_size)
{
    return s_write (path, px, w, h, 16, PNG_COLOR_TYPE_GRAY, 2, comment, err, err_size);
}

/* --- reading --------------------------------------------------------- */

/* Takes file (opened by the caller; NULL if that failed, with errno set)
 * and checks the signature; libpng is set up by s_read_setup inside the
 * body, where its errors are caught. path names the file in messages. */
static int
s_read_start (s_job_t *job, FILE *file, const char *path, char *err, size_t err_size)
{
    memset (job, 0, sizeof *job);
    job->path = path;
    job->err = err;
    job->err_size = err_size;
    job->file = file;
    if (!job->file)
        return s_fail ("%s: cannot open: %s", path, strerror (errno));
    png_byte signature[8];
    size_t n = fread (signature, 1, sizeof signature, job->file);
    if (n != sizeof signature || png_sig_cmp (signature, 0, sizeof signature) != 0) {
        int rc = ferror (job->file) ? s_fail ("%s: cannot read: %s", path, strerror (errno))
                                    : s_fail ("%s: not a PNG file", path);
        fclose (job->file);
        job->file = NULL;
        return rc;
    }
    job->png = png_create_read_struct (PNG_LIBPNG_VER_STRING, job, s_on_error, s_on_warning);
    if (job->png)
        job->info = png_create_info_struct (job->png);
    if (!job->png || !job->info) {
        png_destroy_read_struct (&job->png, &job->info, NULL);
        fclose (job->file);
        job->file = NULL;
        return s_fail ("%s: out of memory", path);
    }
    return 0;
}

static int
s_read_open (s_job_t *job, const char *path, char *err, size_t err_size)
{
    return s_read_start (job, fopen (path, "rb"), path, err, err_size);
}

static void
s_read_close (s_job_t *job)
{
    if (job->png)
        png_destroy_read_struct (&job->png, &job->info, NULL);
    if (job->file)
        fclose (job->file);
    free (job->pixels);
    free (job->rows);
    free (job->row);
    free (job->comment);
    memset (job, 0, sizeof *job);
}

/* Call after setjmp: these may raise libpng errors. */
static void
s_read_setup (s_job_t *job)
{
    png_set_read_fn (job->png, job, s_read_data);
    png_set_sig_bytes (job->png, 8);
    /* libpng refuses larger IHDRs before allocating anything. */
    png_set_user_limits (job->png, RND_PNG_SIZE_MAX_PX, RND_PNG_SIZE_MAX_PX);
    /* An ancillary chunk may declare any length up to 2^31; libpng 1.6
     * treats "too large" as a benign error and would allocate it anyway (a
     * 328-byte file made every reader allocate 1.6 GB). Our text chunks are
     * well under a kilobyte: cap them, and make benign errors errors. */
    png_set_chunk_malloc_max (job->png, 1 << 20);
    png_set_benign_errors (job->png, 0);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* Fuzz builds only: a mutated byte would otherwise almost always end at
     * a chunk's CRC or zlib's checksum, never reaching what follows. */
    png_set_crc_action (job->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#ifdef PNG_IGNORE_ADLER32
    png_set_option (job->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
#endif
    png_read_info (job->png, job->info);
    png_uint_32 w = png_get_image_width (job->png, job->info);
    png_uint_32 h = png_get_image_height (job->png, job->info);
    if ((unsigned long)w * h > (unsigned long)RND_PNG_PIXELS_MAX)
        s_job_fail (job, "image has too many pixels");
    job->width_px = (int)w;
    job->height_px = (int)h;
}

/* Allocates the pixel buffer and row pointers for the update-info'd image,
 * checking that the transforms produced row_bytes per row. */
static void
s_read_alloc (s_job_t *job, size_t row_bytes)
{
    if (png_get_rowbytes (job->png, job->info) != row_bytes)
        s_job_fail (job, "unexpected row size after conversion");
    size_t h = (size_t)job->height_px;
    job->pixels = malloc (row_bytes * h);
    job->rows = malloc (h * sizeof *job->rows);
    if (!job->pixels || !job->rows)
        s_job_fail (job, "out of memory");
    for (size_t y = 0; y < h; y++)
        job->rows[y] = (png_bytep)job->pixels + y * row_bytes;
}

/* Copies the first Comment text into job->comment; 1 if found. */
static int
s_find_comment (s_job_t *job)
{
    png_textp text = NULL;
    int count = 0;
    png_get_text (job->png, job->info, &text, &count);
    for (int i = 0; i < count; i++) {
        if (!text[i].key || strcmp (text[i].key, "Comment") != 0)
            continue;
        const char *value = text[i].text ? text[i].text : "";
        size_t len = strlen (value);
        job->comment = malloc (len + 1);
        if (!job->comment)
            s_job_fail (job, "out of memory");
        memcpy (job->comment, value, len + 1);
        return 1;
    }
    return 0;
}

static int
s_read_comment_body (s_job_t *job)
{
    if (setjmp (png_jmpbuf (job->png)))
        return -1;
    s_read_setup (job);
    if (s_find_comment (job))
        return 0;
    /* Text after the image data is only reached by reading the rows. */
    int passes = png_set_interlace_handling (job->png);
    png_read_update_info (job->png, job->info);
    job->row = malloc (png_get_rowbytes (job->png, job->info));
    if (!job->row)
        s_job_fail (job, "out of memory");
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < job->height_px; y++)
            png_read_row (job->png, job->row, NULL);
    png_read_end (job->png, job->info);
    if (s_find_comment (job))
        return 0;
    /* libpng drops an ancillary chunk whose CRC is wrong with a warning:
     * a damaged Comment, not a foreign PNG. */
    if (strstr (job->warning, "CRC"))
        snprintf (job->err, job->err_size,
                  "%s: PNG is corrupt (%s), so its parameters cannot be read", job->path,
                  job->warning);
    else
        snprintf (job->err, job->err_size,
                  "%s: PNG has no Comment text, so no parameters (not written by p2pfractal?)",
                  job->path);
    return -1;
}

/* Reads the Comment of an opened job, then closes it. */
static int
s_read_comment (s_job_t *job, char **comment_out)
{
    int rc = s_read_comment_body (job);
    if (rc == 0) {
        *comment_out = job->comment;
        job->comment = NULL;
    }
    s_read_close (job);
    return rc;
}

int
rnd_png_read_comment (const char *path, char **comment_out, char *err, size_t err_size)
{
    s_job_t job;
    if (s_read_open (&job, path, err, err_size) != 0)
        return -1;
    return s_read_comment (&job, comment_out);
}

int
rnd_png_read_comment_mem (const uint8_t *buf, size_t len, const char *label, char **comment_out,
                          char *err, size_t err_size)
{
    /* fmemopen refuses an empty buffer; too short to be a PNG anyway. */
    if (len == 0)
        return s_fail ("%s: not a PNG file", label);
    s_job_t job;
    /* In "r" mode fmemopen never writes through its (non-const) pointer. */
    if (s_read_start (&job, fmemopen ((void *)buf, len, "r"), label, err, err_size) != 0)
        return -1;
    return s_read_comment (&job, comment_out);
}

static int
s_read_rgb_body (s_job_t *job)
{
    if (setjmp (png_jmpbuf (job->png)))
        return -1;
    s_read_setup (job);
    png_set_expand (job->png); /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    png_set_scale_16 (job->png);
    png_set_strip_alpha (job->png);
    png_set_gray_to_rgb (job->png);
    png_set_interlace_handling (job->png);
    png_read_update_info (job->png, job->info);
    s_read_alloc (job, (size_t)job->width_px * 3);
    png_read_image (job->png, job->rows);
    png_read_end (job->png, NULL);
    return 0;
}

int
rnd_png_read_rgb (const char *path, uint8_t **rgb_out, int *w, int *h, char *err, size_t err_size)
{
    s_job_t job;
    if (s_read_open (&job, path, err, err_size) != 0)
        return -1;
    int rc = s_read_rgb_body (&job);
    if (rc == 0) {
        *rgb_out = job.pixels;
        *w = job.width_px;
        *h = job.height_px;
        job.pixels = NULL;
    }
    s_read_close (&job);
    return rc;
}

static int
s_read_gray16_body (s_job_t *job)
{
    if (setjmp (png_jmpbuf (job->png)))
        return -1;
    s_read_setup (job);
    if ((png_get_color_type (job->png, job->info) & PNG_COLOR_MASK_COLOR) != 0)
        s_job_fail (job, "not a greyscale PNG");
    png_set_expand_16 (job->png); /* also expands grey < 8 bits and tRNS */
    png_set_strip_alpha (job->png);
    if (s_host_is_little_endian ())
        png_set_swap (job->png);
    png_set_interlace_handling (job->png);
    png_read_update_info (job->png, job->info);
    s_read_alloc (job, (size_t)job->width_px * 2);
    png_read_image (job->png, job->rows);
    png_read_end (job->png, NULL);
    return 0;
}

int
rnd_png_read_gray16 (const char *path, uint16_t **px_out, int *w, int *h, char *err,
                     size_t err_size)
{
    s_job_t job;
    if (s_read_open (&job, path, err, err_size) != 0)
        return -1;
    int rc = s_read_gray16_body (&job);
    if (rc == 0) {
        *px_out = job.pixels;
        *w = job.width_px;
        *h = job.height_px;
        job.pixels = NULL;
    }
    s_read_close (&job);
    return rc;
}
