/* test_util.h: helpers shared by the cmocka tests -- a fresh temporary
 * directory per test, files written from bytes, paths joined. test_util.c is
 * compiled into every test program (see p2pf_test in CMakeLists.txt). The
 * helpers that cannot fail in a working test fail the test through cmocka
 * instead of returning an error, so tests need no checks around them. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "id.h"

/* Makes a fresh directory "/tmp/<name>.XXXXXX" (mkdtemp). Its path,
 * malloc'd (tu_dir_remove frees it), or NULL on failure. */
char *tu_dir_new (const char *name);

/* Removes *dir_p and everything in it (symbolic links are removed, not
 * followed), frees the path and sets *dir_p to NULL; nothing if it is NULL
 * already. 0, or -1 if anything could not be removed. */
int tu_dir_remove (char **dir_p);

/* cmocka fixtures: *state becomes a fresh directory named after the test
 * program ("/tmp/test_png.XXXXXX"), removed again afterwards. */
int tu_setup_dir (void **state);
int tu_teardown_dir (void **state);

/* Writes len bytes of data to path, replacing what was there. */
void tu_file_write (const char *path, const void *data, size_t len);

/* Writes "dir/name" into buf (size bytes) and returns buf. */
char *tu_path_join (char *buf, size_t size, const char *dir, const char *name);

/* The seed of a randomised test: P2PF_SEED if set (a malformed value ends
 * the program with a message), else a fresh one; printed either way, so a
 * failing run can be replayed. */
uint64_t tu_seed (const char *test);

/* The id written as 32 hex digits; fails the test if it is not one. */
ovl_id_t tu_id (const char *hex);

/* Splits a child's output (read in arbitrary chunks) into lines: on_line
 * gets each complete line, NUL-terminated, without its newline; a line
 * longer than the buffer is cut into pieces of TU_LINE_MAX - 1 bytes. */
#define TU_LINE_MAX 8192
typedef struct {
    char buf[TU_LINE_MAX]; /* the incomplete line so far */
    size_t len;            /* its length */
} tu_lines_t;
void tu_lines_feed (tu_lines_t *lines, const char *data, size_t n,
                    void (*on_line) (int who, const char *line), int who);

#endif
