/* tu_gui.h: the harness of the window tests (test_gui.c, test_gui_hud.c):
 * real `p2pfractal peer` windows on a private Xvfb display, driven with
 * xdotool and photographed with ImageMagick's import. Every wait polls with
 * a deadline; every process started is killed and reaped on every way out
 * (tg_teardown, and an alarm for a hung X tool). */
#ifndef TU_GUI_H
#define TU_GUI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TG_W 320
#define TG_H 200
/* Generous: two cores, a software renderer, and a sanitizer build. */
#define TG_STEP_MS 60000

/* One windowed peer under test. */
typedef struct {
    pid_t pid;     /* 0: none (or reaped) */
    char log[512]; /* its --log-json */
    char err[512]; /* its stderr */
    char out[512]; /* its -o */
    char wid[64];  /* its window, once found */
} tg_peer_t;

#define TG_PEERS 3
extern tg_peer_t tg_peers[TG_PEERS];
extern char *tg_dir; /* the test's directory (tu_dir_new) */
extern pid_t tg_wm;  /* a window manager a test started (0: none) */

void tg_nap (void);
void tg_show_stderr (void);
/* Fail, showing the peers' stderr first. */
#define TG_FAIL(...)                                                                               \
    do {                                                                                           \
        tg_show_stderr ();                                                                         \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

int tg_log_find (const tg_peer_t *p, const char *event, const char *also, char *line, size_t size);
int tg_log_count (const tg_peer_t *p, const char *event);
void tg_wait_log_count (tg_peer_t *p, const char *event, int n);
/* The same within ms (a wait the test sized itself). */
void tg_wait_log_count_within (tg_peer_t *p, const char *event, int n, int ms);
int tg_json_str (const char *line, const char *key, char *out, size_t size);
void tg_find_window (tg_peer_t *p);
void tg_key (const tg_peer_t *p, const char *key);
int tg_screenshot_wh (const tg_peer_t *p, int w, int h, uint8_t *rgb);
int tg_screenshot (const tg_peer_t *p, uint8_t *rgb);
uint8_t *tg_read_png (const char *path, char *comment, size_t comment_size);
uint8_t *tg_read_bytes (const char *path, size_t *n);
int tg_window_vs (const tg_peer_t *p, const uint8_t *png, int want, size_t *differ);
void tg_window_shows (const tg_peer_t *p, const uint8_t *png, const char *what);
void tg_start (int i, int x, int port, const char *name);
/* The same, with more options (NULL-terminated) after the usual ones. */
void tg_start_with (int i, int x, int port, const char *name, const char *const *extra);
void tg_quit (tg_peer_t *p);
int tg_teardown (void **state);
/* Run the test again on its own Xvfb (a private 1280x1024 display, no
 * window manager) unless it is there already; then arm the alarm. */
void tg_under_xvfb (char **argv);

#endif
