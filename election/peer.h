/* peer.h: the job protocol of one peer -- rotating work queue, slice
 * gossip, master heartbeats with anti-entropy, root-arbitrated election --
 * as a state machine without I/O (docs/ARCHITECTURE.md, "Job protocol").
 *
 * It sits on an overlay node: the driver (app/peer/, or the
 * simulator harness in tests/test_election.c) feeds it the node's upcalls
 * (group deliveries, direct and routed App payloads, root changes, lost
 * nodes), its timers, and finished renders; it answers through el_upcalls_t
 * (publish, send, route, join/leave a group, render a slice, events). It
 * never reads a clock, sleeps, touches a socket or a thread, or draws an
 * unseeded random number.
 *
 * Every peer follows the newest job announced on its network group. Per
 * job it keeps the image (float32 smooth values), which slices are done and
 * who computed them; the master also hands out slices. Nothing it receives
 * is trusted: a message that does not decode, or does not fit the job it
 * names, is dropped and counted (el_stats_t).
 *
 * Upcalls happen inside el_peer_* calls; they may call the overlay (which
 * may call back into this peer with deliveries), but must not destroy it. */
#ifndef EL_PEER_H
#define EL_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "id.h"
#include "job.h"
#include "kernel.h"

typedef struct el_peer_t el_peer_t;

/* Timers and sizes; every timeout is configuration (tests run them short). */
typedef struct {
    uint32_t heartbeat_ms;        /* the master publishes a heartbeat this often */
    uint32_t master_timeout_ms;   /* no heartbeat this long: the master is suspect */
    uint32_t election_timeout_ms; /* an election without result this long restarts */
    uint32_t request_timeout_ms;  /* an unanswered query, work request or pull is
                                     sent again after this long */
    uint32_t render_slots;        /* slices this peer renders at once (threads) */
    uint32_t ahead;               /* extra slices held in flight, so no render
                                     slot waits a round trip for work */
    uint32_t pull_max;            /* slices asked for in one anti-entropy pull */
    uint32_t check_pixels;        /* pixels of every slice received from another
                                     peer that are recomputed (the check upcall)
                                     and compared before it is stored: at most
                                     one per 100 of the slice, at least 1; 0
                                     turns checking off */
    uint32_t check_pending_max;   /* received slices held at once awaiting their
                                     check (more are dropped: pulls and the
                                     master's reissue bring them again) */
    uint32_t check_timeout_ms;    /* a check unanswered this long is given up
                                     (its slice dropped, nobody blamed) */
} el_config_t;

/* Defaults for a LAN: heartbeat 100 ms, suspect after 300 ms, elections
 * retried after 1 s, requests after 500 ms; 1 slot, 1 ahead, pulls of 8;
 * 1 pixel checked per slice received (docs/BENCHMARKS.md: each costs ~0.9%
 * of a slice's render), 64 slices awaiting checks, 5 s. */
void el_config_default (el_config_t *config);

typedef enum {
    EL_EV_JOB_STARTED,    /* this peer adopted a job (job) */
    EL_EV_ROLE,           /* is_master or is_root changed (master, root) */
    EL_EV_MASTER_ELECTED, /* a new master took over (term, peer = master,
                             reason, took_ms) */
    EL_EV_SLICE_ASSIGNED, /* the master gave a slice out (slice, peer = to) */
    EL_EV_SLICE_DONE,     /* a slice became done here (slice, peer = by) */
    EL_EV_JOB_DONE,       /* every slice is here: the image is complete */
    EL_EV_SLICE_REJECTED, /* a received slice failed its check (slice, peer =
                             the sender; elector = who it says computed it;
                             reason = "pixels differ" or "reference orbit
                             differs"): dropped, and both ignored for the
                             rest of the job -- raised once per sender and
                             job */
    EL_EV_TOOK_OVER,      /* a master elected after a failure made its first
                             assignment (term, elector, peer = the master,
                             took_ms = from the failure's start):
                             raised by the master, and by every peer once per
                             term from its heartbeats -- one figure for all */
} el_event_kind_t;

typedef struct {
    el_event_kind_t kind;
    const el_job_t *job; /* the job it concerns */
    uint32_t slice;      /* SLICE_* */
    ovl_handle_t peer;   /* SLICE_ASSIGNED: to; SLICE_DONE: by (addr may be
                            empty); MASTER_ELECTED: the master */
    uint64_t term;       /* MASTER_ELECTED: the term's counter */
    ovl_id_t elector;    /* MASTER_ELECTED: the root that elected (the first
                            master of a job elects itself); a term is the
                            pair (term, elector), and no pair has two
                            masters */
    const char *reason;  /* SLICE_REJECTED: why; MASTER_ELECTED: the cause -- "start", "master
                            lost", "no master", "handover", "handover:
                            master was root", "term catch-up", "current" */
    uint64_t took_ms;    /* MASTER_ELECTED: from the failure's start (the old
                            master's last heartbeat a nominator or the
                            arbiter heard) to the arbiter's result, as the
                            arbiter measured it -- the same on every peer
                            (0: no failure); TOOK_OVER: to the new master's
                            first assignment */
    int has_previous;    /* MASTER_ELECTED: previous is set */
    ovl_id_t previous;   /* MASTER_ELECTED: the master replaced */
    int master, root;    /* ROLE: the new roles */
} el_event_t;

typedef struct {
    void *ctx;
    /* Publish bytes to a group (the job's, or the network's). */
    void (*publish) (void *ctx, ovl_id_t group, const uint8_t *bytes, size_t len);
    /* Send bytes straight to a peer. */
    void (*send) (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len);
    /* Route bytes to the live node numerically closest to key. */
    void (*route) (void *ctx, ovl_id_t key, const uint8_t *bytes, size_t len);
    /* Join or leave a group's tree as a member. */
    void (*join) (void *ctx, ovl_id_t group);
    void (*leave) (void *ctx, ovl_id_t group);
    /* Render slice `slice` of job (its tile: el_job_slice_rect) and answer with
     * el_peer_rendered, later, from the driver's loop. At most
     * render_slots + ahead of the current job are outstanding; the driver
     * runs them first in, first out on render_slots threads. After a job
     * change the driver should drop renders of the old job not started yet
     * (app_peer_render_queue does); results for another job are ignored. */
    void (*render) (void *ctx, const el_job_t *job, uint32_t slice);
    /* Something happened (for logs, HUDs, tests). */
    void (*event) (void *ctx, const el_event_t *ev);
    /* Compute the n pixels px of job (any variant: they agree bit for bit)
     * and answer with el_peer_on_checked (token, values), later, from the
     * driver's loop -- never from inside this call. 0 if it will; -1 if
     * it cannot (the slice is then dropped, as if lost). NULL: slices are
     * stored unchecked. */
    int (*check) (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n);
} el_upcalls_t;

/* Counters, for logs, tests and benchmarks. */
typedef struct {
    uint64_t dropped_malformed; /* not a valid JobMsg */
    uint64_t dropped_job;       /* inconsistent with the job it names */
    uint64_t dropped_other;     /* valid but unusable: another job, an old term,
                                   a request to a non-master, ... */
    uint64_t slices_rendered;   /* renders finished here */
    uint64_t slices_received;   /* slices that became done by a message */
    uint64_t slices_duplicate;  /* slices received or rendered when already done */
    uint64_t slices_served;     /* slices sent in answer to another peer's pulls */
    uint64_t rendered_late;     /* of the renders, those finished when already done */
    uint64_t elections_started; /* ElectionQuery published by this peer */
    uint64_t checks_asked;      /* received slices sent to the check upcall */
    uint64_t slices_rejected;   /* received slices rejected: pixels that did not
                                   match their check, or rejected_ref */
    uint64_t rejected_ref;      /* of them, whose reference-orbit hash differed
                                   from this peer's own (deep jobs) */
    uint64_t checks_dropped;    /* received slices dropped unchecked: too many
                                   pending, the driver could not, timed out */
} el_stats_t;

/* A peer of the network whose group key is network_group (the driver uses
 * ovl_id_from_name ("net/<name>")). self is its overlay handle; seed feeds
 * its PRNG. NULL on allocation failure. */
el_peer_t *el_peer_new (const el_config_t *config, const ovl_handle_t *self, ovl_id_t network_group,
                        const el_upcalls_t *upcalls, uint64_t seed);
void el_peer_destroy (el_peer_t **self_p);

/* Call once the overlay node has joined (or started) its ring: joins the
 * network group; with no job of its own yet, asks the network for its
 * current job (again every request_timeout_ms until one is known). */
void el_peer_start (el_peer_t *peer, uint64_t now_ms);

/* Start a new job here, as its first master, and announce it network-wide
 * (every peer follows the newest). stamp_hint is the wall clock in Unix
 * ms; the job's stamp is max(stamp_hint, newest seen + 1). 0, or -1 with a
 * one-line reason in err (the view or slice count is bad). */
int el_peer_new_job (el_peer_t *peer, uint64_t now_ms, const rnd_view_t *view, int slices,
                     uint64_t stamp_hint, char *err, size_t err_size);

/* The overlay's upcalls, passed on. */
void el_peer_on_publish (el_peer_t *peer, uint64_t now_ms, ovl_id_t group, const uint8_t *bytes,
                         size_t len, const ovl_handle_t *publisher);
void el_peer_on_direct (el_peer_t *peer, uint64_t now_ms, const ovl_handle_t *from,
                        const uint8_t *bytes, size_t len);
void el_peer_on_routed (el_peer_t *peer, uint64_t now_ms, ovl_id_t key, const uint8_t *bytes,
                        size_t len, const ovl_handle_t *origin);
void el_peer_on_root (el_peer_t *peer, uint64_t now_ms, ovl_id_t group, int is_root);
void el_peer_on_node_lost (el_peer_t *peer, uint64_t now_ms, const ovl_handle_t *node);
/* A node entered the overlay node's state (often a newcomer): tell it the
 * job, so a joiner need not wait for its query to find a peer that has it. */
void el_peer_on_node_up (el_peer_t *peer, uint64_t now_ms, const ovl_handle_t *node);

/* A render the peer asked for has finished: n == el_job_slice_px floats.
 * Ignored (but counted) if job is not the current job's id. */
void el_peer_rendered (el_peer_t *peer, uint64_t now_ms, ovl_id_t job, uint32_t slice,
                       const float *pixels, size_t n);

/* The driver computed job's reference orbit (a deep job) and it hashes to
 * hash (RND_REF_HASH_BYTES, rnd_kjob_ref_hash): slices this peer sends
 * carry it from now on, and a received slice carrying another is
 * rejected (EL_EV_SLICE_REJECTED). Give it before the first
 * el_peer_rendered or el_peer_on_checked computed with that orbit.
 * Ignored if job is not the current job's id. */
void el_peer_reference (el_peer_t *peer, uint64_t now_ms, ovl_id_t job, const uint8_t *hash);

/* The answer to the check upcall of that token: n values, in the order of
 * its pixels. The slice is stored if they all match it bit for bit, and
 * rejected otherwise. A token the core no longer waits for (its job
 * changed, it timed out) is ignored and counted. */
void el_peer_on_checked (el_peer_t *peer, uint64_t now_ms, uint64_t token, const float *values,
                         size_t n);

/* Timers: call at or after el_peer_next_deadline_ms (UINT64_MAX: none). */
void el_peer_on_tick (el_peer_t *peer, uint64_t now_ms);
uint64_t el_peer_next_deadline_ms (const el_peer_t *peer);

/* Leave gracefully: a master hands over (the root elects a successor), a
 * worker returns the slices it holds. The driver then keeps its loop
 * running briefly (a few hundred ms) so these messages go out. */
void el_peer_leave (el_peer_t *peer, uint64_t now_ms);

/* What a HUD, a log line or a test wants to know. */
typedef struct {
    int has_job;         /* 0 until a job is known */
    uint64_t term;       /* current term: its counter */
    ovl_id_t elector;    /* and the root that elected it */
    int has_master;      /* a master is known */
    ovl_handle_t master; /* it */
    int is_master;       /* this peer is the master */
    int is_root;         /* this peer is the root of the job's tree */
    int electing;        /* an election this peer knows of is under way */
    uint32_t done;       /* slices here */
    uint32_t total;      /* slices in the job */
    uint32_t own;        /* slices this peer computed (first, for this job) */
    uint32_t in_flight;  /* slices this peer holds to render */
} el_status_t;

void el_peer_status (const el_peer_t *peer, el_status_t *out);
/* The current job, NULL if none yet. */
const el_job_t *el_peer_job (const el_peer_t *peer);
/* The image: its sample grid, W*K x H*K smooth values (el_job_values),
 * valid where the slice is done. */
const float *el_peer_pixels (const el_peer_t *peer);
/* 1 if slice is done here; *by (if not NULL) then names who computed it. */
int el_peer_slice_done (const el_peer_t *peer, uint32_t slice, ovl_id_t *by);
const el_stats_t *el_peer_stats (const el_peer_t *peer);

#endif
