/* peer_ctx.h: the loop thread's state, shared by the files of `p2pfractal
 * peer` (private to app/peer/: cmd_peer.c fills it, loop.c runs it,
 * events.c reports what happens to it, writer.c writes its PNGs). */
#ifndef APP_PEER_CTX_H
#define APP_PEER_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "handle.h"
#include "job.h"
#include "jsonlog.h"
#include "lan.h"
#include "node.h"
#include "palette.h"
#include "params.h"
#include "peer.h"
#include "peer_render.h"
#include "peer_view.h"
#include "stack.h"
#include "transport_zmq.h"

/* The slice rate shown in the window is over the last
 * APP_PEER_RATE_SAMPLES * APP_PEER_RATE_MS milliseconds. */
#define APP_PEER_RATE_MS 500
#define APP_PEER_RATE_SAMPLES 4
/* The grey of slices missing from a partial image (the window's). */
#define APP_PEER_MISSING_GREY 0x30
/* The longest image path the peer writes. */
#define APP_PEER_PATH_MAX 4096

/* A finished image being coloured and written on a thread of its own: a
 * 4K PNG takes most of a second to compress, longer than a neighbour waits
 * before it declares a silent node dead. */
typedef struct {
    pthread_t tid;                      /* the writing thread */
    int running;                        /* started and not joined yet */
    atomic_int finished;                /* set by the thread when it is done */
    float *pixels;                      /* a copy of the image (the thread frees) */
    int width_px, height_px;            /* its size */
    int samples;                        /* K: pixels holds K x K values each */
    rnd_palette_t palette;              /* colours */
    rnd_colouring_t colouring;          /* and how to apply them */
    char params[RND_PARAMS_FORMAT_MAX]; /* the PNG's Comment */
    char path[APP_PEER_PATH_MAX];       /* where it goes */
    int claimed;                        /* path was claimed empty for it */
    ovl_id_t job;                       /* which job it is */
    uint32_t own, total;                /* slices computed here, of all */
    double busy_s;                      /* render + throttle seconds on it */
    int failed;                         /* 1 if it could not be written */
    char err[512];                      /* why */
} app_peer_writer_t;

typedef struct {
    ovl_transport_t *transport;                       /* the sockets */
    el_stack_t *stack;                                /* the protocol cores, wired */
    ovl_node_t *node;                                 /* its overlay core, for queries */
    el_peer_t *peer;                                  /* its job protocol, for queries */
    app_peer_render_t *render;                        /* the render threads */
    app_jsonlog_t *log;                               /* --log-json, or NULL */
    ovl_handle_t self;                                /* who we are and where */
    char hex[OVL_ID_HEX_LEN + 1];                     /* our id, for the JSON log */
    char short_id[OVL_ID_SHORT_LEN + 1];              /* and for humans */
    char public_key[2 * OVL_TRANSPORT_KEY_BYTES + 1]; /* hex; "" on an open network */
    uint64_t now_ms;                                  /* the time of the core call under way */
    const char *join;                                 /* --join HOST:PORT[,...], or NULL */
    app_lan_t *lan;                                   /* --lan's beacon, or NULL */
    int lan_looking;                                  /* looking on the LAN, not started */
    uint64_t lan_since_ms;                            /* since then */
    char lan_host[64];                                /* this machine's address on the LAN */
    char lan_joins[OVL_BOOTSTRAPS_MAX * 48];          /* the members heard, for messages */
    const char *network;                              /* --network */
    int own_port;                                     /* our inbox's TCP port */
    rnd_view_t first_view;                            /* the job a first peer starts */
    int first_slices;                                 /* and its slices (0: the default) */
    uint64_t join_since_ms;                           /* when the join began */
    uint64_t join_timeout_ms;                         /* give up then (0: never) */
    int test_corrupt;                                 /* P2PF_TEST_CORRUPT_SLICES: tests only */
    int warned_peer_cap;                              /* 1 once the DEALER cap was reported */
    int colouring_set;                                /* --colouring was given */
    rnd_colouring_t colouring;                        /* it */
    rnd_palette_t palette;                            /* the current job's palette */
    const char *out_path;                             /* the first job's PNG (-o) */
    char out_stem[APP_PEER_PATH_MAX];                 /* it without .png: later names */
    unsigned images;                                  /* images written (or begun) */
    int has_image_job;                                /* an image was written ... */
    ovl_id_t image_job;                               /* ... of this job, last */
    char image_path[APP_PEER_PATH_MAX];               /* to this path */
    char images_said[1024];                           /* their names, for the closing line */
    int done_pending;                                 /* a JOB_DONE waits to be written */
    ovl_id_t done_job;                                /* for that job */
    ovl_id_t busy_job;                                /* job_busy_s is for this job */
    double job_busy_s;                                /* render + throttle seconds on it */
    int master, root;                                 /* the roles last reported */
    int exit_when_done;                               /* --exit-when-done */
    char own_palette[RND_PALETTE_NAME_MAX];           /* the palette on this command line */
    int leave_now;                                    /* 1: leave (the job is done) */
    int write_failed;                                 /* 1 if a PNG could not be written */
    app_peer_writer_t writer;                         /* the PNG being written, if any */
    app_peer_view_t *view;                            /* what the window shows; NULL headless */
    int has_elect;                                    /* an election was reported: */
    uint64_t elect_term;                              /* its term */
    ovl_id_t elect_by;                                /* and elector (once per term) */
    int elect_has_prev;                               /* elect_prev is set */
    ovl_id_t elect_prev;                              /* the master it replaced */
    char elect_reason[64];                            /* its cause */
    uint32_t rate_done[APP_PEER_RATE_SAMPLES];        /* slices done at the last samples */
    uint64_t rate_ms[APP_PEER_RATE_SAMPLES];          /* and when */
    unsigned rate_n;                                  /* samples taken */
    double rate;                                      /* slices per second, recent */
    int status;                                       /* the loop's exit status */
} app_peer_ctx_t;

/* --- events.c ------------------------------------------------------------- */

/* Unix time in ms, as the JSON log and the ticker stamp events. */
uint64_t app_peer_unix_ms (void);

/* One human line on stderr, prefixed with who says it. */
void app_peer_say (const app_peer_ctx_t *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* A JSON line: begin with t, node and event; the caller adds fields and
 * calls app_jsonlog_end. */
app_jsonlog_t *app_peer_json (const app_peer_ctx_t *c, const char *event);

/* An id field of a JSON line, as hex. */
void app_peer_json_id (app_jsonlog_t *log, const char *key, ovl_id_t id);

/* The driver table of el_stack_new: the overlay upcalls and job-protocol
 * callbacks, each reporting what happened and carrying out what was
 * asked, on c. */
void app_peer_events_driver (app_peer_ctx_t *c, el_stack_driver_t *drv);

/* Who the transport refused: once per source a minute (it keeps trying). */
void app_peer_report_refusals (app_peer_ctx_t *c);

/* 1 (and said why) if the peer we join through refuses our handshakes:
 * another network key, or one of us has none. */
int app_peer_join_refused (app_peer_ctx_t *c);

/* The progress line, about once a second. */
void app_peer_progress (app_peer_ctx_t *c);

/* --- writer.c ------------------------------------------------------------- */

/* Collect the writer thread once it has finished (with wait: wait for
 * it), and report. */
void app_peer_writer_reap (app_peer_ctx_t *c, int wait);

/* The image is complete: colour it as `p2pfractal render` would and write
 * it, with the parameters as its Comment, on the writer thread. Called
 * after core calls, never inside one. */
void app_peer_write_done (app_peer_ctx_t *c);

/* Leaving with the current job unfinished here: say so; if no other peer
 * is known to carry it on, write what is here to <stem>.partial.png
 * (missing slices grey). */
void app_peer_write_partial (app_peer_ctx_t *c);

/* --- start.c -------------------------------------------------------------- */

/* Join through boots (n of them, named shown in messages; shown must live
 * as long as c), or with n 0 start the network and its first job (c's
 * first_view); then, with --lan, beacon as a member. 0, or -1 (said). */
int app_peer_start (app_peer_ctx_t *c, const ovl_handle_t *boots, size_t n, const char *shown);

/* --lan and no --join: start looking for the network on the LAN, for
 * wait_ms at least (lan_beacon.h), and say so -- in the window too. */
void app_peer_lan_look (app_peer_ctx_t *c, uint32_t wait_ms);

/* While looking: take the beacons heard and, once the verdict is in, say
 * it and start (app_peer_start). 0, or -1 if starting failed. */
int app_peer_lan_step (app_peer_ctx_t *c, uint64_t now_ms);

/* --- loop.c --------------------------------------------------------------- */

/* Run the peer until it leaves; the exit status. */
int app_peer_loop (app_peer_ctx_t *c);

/* app_peer_loop on a thread of its own (arg: the context); the status
 * goes to c->status. */
void *app_peer_loop_thread (void *arg);

#endif
