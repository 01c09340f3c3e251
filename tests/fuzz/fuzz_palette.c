/* fuzz_palette.c: libFuzzer target for the .map reader
 * (rnd_palette_parse) and the colouring of untrusted values.
 *
 * A map that parses holds 256 slots which, written out as a map of 256
 * entries, read back unchanged; one that does not leaves the palette
 * untouched. The input's bytes are also coloured as float32 values, both
 * modes: rnd_colourise promises black for NaN and a clamp for anything
 * huge, and UBSan checks its float-to-int conversions. */
#include "fuzz_common.h"

#include <string.h>

#include "palette.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static rnd_palette_t pal, before, back;
    memset (&pal, 0xa5, sizeof pal);
    before = pal;
    char err[512] = "";
    if (rnd_palette_parse (&pal, (const char *)data, size, "fuzz.map", err, sizeof err) != 0) {
        FZ_CHECK (err[0] != '\0');
        FZ_CHECK (memcmp (&pal, &before, sizeof pal) == 0);
    } else {
        FZ_CHECK (pal.entries_read >= 1 && pal.entries_read <= RND_PALETTE_ENTRIES);
        static char text[RND_PALETTE_ENTRIES * 12 + 1]; /* "255 255 255\n" each, and the NUL */
        size_t len = 0;
        for (int i = 0; i < RND_PALETTE_ENTRIES; i++)
            len += (size_t)snprintf (text + len, sizeof text - len, "%d %d %d\n", pal.rgb[i][0],
                                     pal.rgb[i][1], pal.rgb[i][2]);
        FZ_CHECK (rnd_palette_parse (&back, text, len, "canonical", err, sizeof err) == 0);
        FZ_CHECK (back.entries_read == RND_PALETTE_ENTRIES);
        FZ_CHECK (memcmp (back.rgb, pal.rgb, sizeof pal.rgb) == 0);
    }

    size_t n = size / sizeof (float);
    float *smooth = malloc (n * sizeof *smooth + 1);
    uint8_t *rgb = malloc (n * 3 + 1);
    FZ_CHECK (smooth && rgb);
    memcpy (smooth, data, n * sizeof *smooth);
    for (int mode = RND_COLOURING_SMOOTH; mode <= RND_COLOURING_DISCRETE; mode++) {
        rnd_colourise (&pal, (rnd_colouring_t)mode, smooth, n, rgb);
        for (size_t i = 0; i < n; i++)
            if (!(smooth[i] >= 0.0f))
                FZ_CHECK (rgb[3 * i] == 0 && rgb[3 * i + 1] == 0 && rgb[3 * i + 2] == 0);
    }
    free (smooth);
    free (rgb);
    return 0;
}
