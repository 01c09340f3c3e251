/* fuzz_png.c: libFuzzer target for the PNG-parameter path -- what
 * `--params IMAGE.png` does with a file: its Comment text
 * (rnd_png_read_comment, here from memory), then that text as parameters
 * (fz_params). A PNG with no Comment before IDAT is decoded through its
 * image data to look for one after it.
 *
 * libpng itself is not instrumented (Debian's build), so coverage guides
 * the fuzzer through our reader only; in this build libpng ignores CRCs
 * (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, see png_io.c), or nearly
 * every mutation would die at a checksum. */
#include "fuzz_common.h"

#include <string.h>

#include "png_io.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *comment = NULL;
    char err[512] = "";
    if (rnd_png_read_comment_mem (data, size, "fuzz.png", &comment, err, sizeof err) != 0) {
        FZ_CHECK (comment == NULL && strncmp (err, "fuzz.png: ", 10) == 0);
        return 0;
    }
    FZ_CHECK (comment != NULL);
    fz_params (comment, strlen (comment));
    free (comment);
    return 0;
}
