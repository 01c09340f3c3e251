/* outname.c: claiming output names that exist nowhere yet (see outname.h). */
#include "outname.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void
app_outname_stem (const char *path, char *stem, size_t size)
{
    size_t len = strlen (path);
    if (len >= 4 && strcasecmp (path + len - 4, ".png") == 0)
        len -= 4;
    snprintf (stem, size, "%.*s", (int)len, path);
}

int
app_outname_claim (const char *stem, const char *mid, int first, char *path, size_t size)
{
    /* A million names taken is a directory gone wrong, not a reason to
     * loop for ever. */
    for (int k = first; k < 1000000; k = k == 0 ? 2 : k + 1) {
        int n = k == 0 ? snprintf (path, size, "%s%s.png", stem, mid)
                       : snprintf (path, size, "%s%s-%d.png", stem, mid, k);
        if (n < 0 || (size_t)n >= size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close (fd);
            return 0;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}
