/* outname.h: names for the PNGs a peer writes beside its -o file, so that
 * no finished image is ever overwritten: a later job's image, a window's
 * save, a partial image on leaving each claim a name of their own. */
#ifndef APP_OUTNAME_H
#define APP_OUTNAME_H

#include <stddef.h>

/* The stem of an output path: path without a final ".png" (any case). */
void app_outname_stem (const char *path, char *stem, size_t size);

/* Claim the first free name <stem><mid>.png (k == 0) or
 * <stem><mid>-<k>.png, trying k = first, then first + 1, ... (0 is
 * followed by 2: "a.partial.png", then "a.partial-2.png"). The file is
 * created empty with O_EXCL, so two writers never get one name and an
 * existing file is never replaced; the caller renames its image over it
 * (or unlinks it on failure). 0, or -1 with errno (path then holds the
 * last name tried). */
int app_outname_claim (const char *stem, const char *mid, int first, char *path, size_t size);

#endif
