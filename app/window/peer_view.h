/* peer_view.h: what a peer's window shows, shared between two threads.
 *
 * The loop thread (app/peer/loop.c) owns the overlay, the job protocol and
 * the sockets; it writes here what the window needs -- the job, each slice
 * as it arrives and who computed it, the peer's status, a ticker of events
 * -- and reads back the user's commands (zoom to a new view, leave). The
 * window's thread (gui.c) copies what changed into a frame of its own
 * (app_peer_view_sync) once per frame and draws from that copy, so neither
 * thread ever waits for the other longer than a memcpy of a few slices:
 * a slow X server cannot delay a heartbeat, and a burst of messages cannot
 * freeze the window.
 *
 * Every function here is safe to call from any thread. */
#ifndef APP_PEER_VIEW_H
#define APP_PEER_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "id.h"
#include "job.h"
#include "params.h"
#include "peer.h"
#include "view.h"

typedef struct app_peer_view_t app_peer_view_t;

/* Lines the ticker keeps (newest last), and their longest text. */
#define APP_VIEW_TICKER_LINES 6
#define APP_VIEW_TICKER_LEN 160
/* Peers the attribution legend names (those with the most slices). */
#define APP_VIEW_LEGEND_MAX 16
/* Contributors whose colours are assigned as a set (app_gui_peer_colours);
 * more get their hash colour. */
#define APP_VIEW_COLOURS_MAX 64
/* A peer's host as the legend shows it ("10.0.0.7:5555"), and how many
 * peers' hosts the view remembers. */
#define APP_VIEW_HOST_LEN 48
#define APP_VIEW_HOSTS_MAX 256

/* A slice as this peer knows it. */
typedef enum {
    APP_SLICE_MISSING = 0,   /* not here yet: drawn neutral */
    APP_SLICE_RENDERING = 1, /* held by this peer's render threads now */
    APP_SLICE_DONE = 2,      /* here: pixels valid, `by` computed it */
} app_slice_state_t;

typedef struct {
    ovl_id_t id;                  /* a peer that computed slices of the job */
    uint32_t count;               /* how many (first to arrive here) */
    char host[APP_VIEW_HOST_LEN]; /* where it is, if this peer knows ("" if not) */
} app_view_contrib_t;

typedef struct {
    ovl_id_t id;  /* a contributor */
    uint32_t rgb; /* its colour, 0xRRGGBB */
} app_view_colour_t;

typedef struct {
    uint64_t t_ms;                  /* Unix ms it happened */
    char text[APP_VIEW_TICKER_LEN]; /* "master 2d2c33 lost - elected 79f066, term 3, 0.41 s" */
} app_view_tick_t;

/* Everything but the image: small, copied whole at each sync. */
typedef struct {
    ovl_id_t self; /* this peer */
    char self_short[OVL_ID_SHORT_LEN + 1];
    char join[APP_VIEW_HOST_LEN]; /* where others join this peer: "10.0.0.7:5555" ("" unknown) */
    char kernel[16];              /* kernel variant: "avx512", ... */
    int threads;                  /* render threads */
    int has_job;                  /* 0 until a job is known */
    uint64_t job_seq;             /* 1, 2, ...: one more for each job adopted */
    ovl_id_t job;                 /* the job's id */
    rnd_view_t view;              /* what it renders */
    uint32_t slices;              /* its slice count (el_job_t.slices) */
    char params[RND_PARAMS_FORMAT_MAX]; /* its canonical parameter text */
    el_status_t status;                 /* term, master, roles, done/total/own, ... */
    size_t peers_known;                 /* overlay nodes this peer knows of */
    double rate;                        /* slices done per second, recent */
    size_t ncontrib;                    /* legend entries: the top contributors */
    size_t ncontributors;               /* peers that computed slices, all told */
    app_view_contrib_t contrib[APP_VIEW_LEGEND_MAX];
    size_t ncolours;                                 /* contributors coloured as a set */
    app_view_colour_t colours[APP_VIEW_COLOURS_MAX]; /* their colours */
    size_t nticker;                                  /* ticker lines, oldest first */
    app_view_tick_t ticker[APP_VIEW_TICKER_LINES];
    uint32_t elections;      /* masters elected since the start, a job's first one aside */
    app_view_tick_t failure; /* the last failure seen (text "": none yet) */
    uint64_t recovery_ms;    /* its recovery time (failure detected to the new master's
                                first assignment; 0: none measured) */
    int closed;              /* the loop has ended: the window closes */
} app_view_info_t;

/* The window's own copy, filled by app_peer_view_sync. Zero it before the
 * first sync; free it with app_view_frame_free. */
typedef struct {
    app_view_info_t info;
    float *pixels;   /* W*K x H*K smooth values of info.job (its sample grid,
                        K = info.view.samples), valid where DONE */
    uint8_t *state;  /* per slice: app_slice_state_t */
    ovl_id_t *by;    /* per slice: who computed it, where DONE */
    uint8_t *dirty;  /* per slice: 1 if state or pixels changed in this sync */
    float *preview;  /* W*H: the job's progressive preview (preview.h; not
                        the zoom preview of gui_ctx.h), NaN where no sample
                        is yet; valid if has_preview */
    int has_preview; /* 1: some samples are in */
    int job_changed; /* 1 if this sync brought a new job (all slices dirty) */
    size_t cap_px;   /* allocated sizes (internal) */
    uint32_t cap_slices;
} app_view_frame_t;

/* A view for peer self, rendering with kernel on threads threads. NULL if
 * out of memory. */
app_peer_view_t *app_peer_view_new (ovl_id_t self, const char *kernel, int threads);
void app_peer_view_destroy (app_peer_view_t **self_p);

/* --- the loop thread writes ---------------------------------------------- */

/* Call wake(ctx) when something changed that the window has not yet
 * synced (at most once between two syncs; from the writing thread, with
 * no lock held). The window uses it to wake from waiting on events.
 * wake returns 0, or -1 if the wake-up could not be delivered: then the
 * next change calls it again. */
void app_peer_view_set_wake (app_peer_view_t *v, int (*wake) (void *ctx), void *ctx);

/* A new job was adopted: every slice MISSING. 0, or -1 if out of memory
 * for its image (the view then shows no job). */
int app_peer_view_job (app_peer_view_t *v, const el_job_t *job);

/* Slice `slice` of job is now RENDERING or MISSING here (ignored for
 * another job, or once the slice is DONE). */
void app_peer_view_slice_state (app_peer_view_t *v, ovl_id_t job, uint32_t slice,
                                app_slice_state_t state);

/* Slice `slice` of job is DONE, computed by `by`: copies its rows from the
 * job's whole image `image` (W*H floats, as el_peer_pixels). Ignored for
 * another job. */
void app_peer_view_slice_done (app_peer_view_t *v, ovl_id_t job, uint32_t slice, ovl_id_t by,
                               const float *image);

/* Samples first .. first + n - 1 of job's preview (preview.h) are in:
 * the window draws them where no tile is yet. Ignored for another job.
 * 1 if they made the picture whole (once a job), else 0. */
int app_peer_view_preview (app_peer_view_t *v, ovl_id_t job, size_t first, const float *values,
                           size_t n);

/* The peer's status, the overlay's peer count, the recent slice rate. */
void app_peer_view_status (app_peer_view_t *v, const el_status_t *st, size_t peers_known,
                           double rate);

/* Where peer id is (its transport address: "tcp://" is dropped), for the
 * legend. The newest APP_VIEW_HOSTS_MAX are kept. This peer's own is its
 * join address (info.join). */
void app_peer_view_host (app_peer_view_t *v, ovl_id_t id, const char *addr);

/* Add a ticker line (printf format); the oldest goes when full. */
void app_peer_view_tick (app_peer_view_t *v, uint64_t t_ms, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* A master was elected other than as a job's first: one more election. */
void app_peer_view_election (app_peer_view_t *v);

/* The last failure, for the presenter view: what it was (printf format),
 * when, and the recovery time measured for it (0: none). */
void app_peer_view_failure (app_peer_view_t *v, uint64_t t_ms, uint64_t recovery_ms,
                            const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

/* The loop has ended: the window should close. */
void app_peer_view_close (app_peer_view_t *v);

/* --- the window's thread reads and commands ------------------------------ */

/* Copy into f what changed since the previous sync. 0, or -1 if out of
 * memory (f keeps the previous frame). */
int app_peer_view_sync (app_peer_view_t *v, app_view_frame_t *f);
void app_view_frame_free (app_view_frame_t *f);

/* The user asks for a new job on view (the whole network follows). A zoom
 * not yet taken by the loop is replaced by the newer one. */
void app_peer_view_post_zoom (app_peer_view_t *v, const rnd_view_t *view);
/* The user asks the peer to leave gracefully (q, Esc, closing the window). */
void app_peer_view_post_leave (app_peer_view_t *v);

/* --- the loop thread takes the commands ---------------------------------- */

/* Readable (poll, or zmq_poll with ZMQ_POLLIN) while a command waits. */
int app_peer_view_cmd_fd (const app_peer_view_t *v);

typedef enum {
    APP_VIEW_CMD_ZOOM = 1, /* start a new job on view */
    APP_VIEW_CMD_LEAVE,    /* leave the network gracefully */
} app_view_cmd_kind_t;

typedef struct {
    app_view_cmd_kind_t kind;
    rnd_view_t view; /* ZOOM */
} app_view_cmd_t;

/* Take the next command: 0 and *out, or -1 if none waits (LEAVE first). */
int app_peer_view_take_cmd (app_peer_view_t *v, app_view_cmd_t *out);

#endif
