/* stack.h: one peer's protocol stack -- an overlay node and the job
 * protocol on top of it, wired together here and nowhere else.
 *
 * The ZeroMQ peer (app/peer/), the job simulator (app/sim/) and the
 * fuzz target (tests/fuzz/fuzz_peer.c) all drive this one object, so the
 * simulator's proof covers the product's wiring: which overlay upcall
 * feeds which job-protocol call, when the job protocol starts, that a new
 * job drops renders of the old one, that node_up reaches the job protocol.
 *
 * Like the two cores it holds it does no I/O: the driver feeds it received
 * bytes, ticks and finished work, each with the time on its own monotonic
 * clock, and gets back bytes to send and work to do through
 * el_stack_driver_t. Callbacks happen inside el_stack_* calls and must not
 * destroy the stack. */
#ifndef EL_STACK_H
#define EL_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "peer.h"

typedef struct el_stack_t el_stack_t;

typedef struct {
    ovl_config_t overlay; /* the node's timers and bounds */
    el_config_t job;      /* the job protocol's */
    ovl_id_t network;     /* the network group (ovl_id_from_name ("net/<name>")) */
} el_stack_config_t;

/* What the stack needs from its driver. send, render and event are
 * required; the rest may be NULL. */
typedef struct {
    void *ctx;
    /* Transmit overlay bytes to a node (the transport). */
    void (*send) (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len);
    /* Render a slice; answer later with el_stack_rendered, from the
     * driver's loop. First in, first out, on render_slots workers. */
    void (*render) (void *ctx, const el_job_t *job, uint32_t slice);
    /* The job changed: drop every render not started yet that is not of
     * job `keep` (the core ignores their results, so computing them only
     * delays the new job). Called before the new job's first render. */
    void (*drop_renders) (void *ctx, ovl_id_t keep);
    /* Compute n pixels of job for a spot check; answer later with
     * el_stack_on_checked. 0 if it will, -1 if it cannot. NULL: received
     * slices are stored unchecked. */
    int (*check) (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n);
    /* Something happened in the job protocol (logs, HUDs, tests). */
    void (*event) (void *ctx, const el_event_t *ev);
    /* Overlay news, for logs and HUDs: the node joined its ring (every
     * time it does; the job protocol starts on the first), a node came
     * up, a node was declared lost (silent for silent_ms: a crash), a
     * node said goodbye (NULL: reported as lost). */
    void (*joined) (void *ctx, int hops);
    void (*node_up) (void *ctx, const ovl_handle_t *node);
    void (*node_lost) (void *ctx, const ovl_handle_t *node, uint64_t silent_ms);
    void (*node_left) (void *ctx, const ovl_handle_t *node);
    /* Every job-protocol payload before the core sees it (traces): how is
     * "pub", "route" or "app". */
    void (*trace) (void *ctx, const char *how, const ovl_handle_t *from, const uint8_t *bytes,
                   size_t len);
} el_stack_driver_t;

/* A stack for node self. node_seed and peer_seed feed the two cores'
 * PRNGs. NULL on allocation failure. */
el_stack_t *el_stack_new (const el_stack_config_t *config, const ovl_handle_t *self,
                          const el_stack_driver_t *driver, uint64_t node_seed, uint64_t peer_seed);
void el_stack_destroy (el_stack_t **self_p);

/* Start a ring alone (n 0) or join one through any of n members
 * (ovl_node_start). The job protocol starts once the node has joined. */
void el_stack_start (el_stack_t *s, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n);

/* One received message. sender: the node a closed network's transport
 * authenticated it as (a message speaking for another is dropped), or
 * NULL on an open network. */
void el_stack_on_msg (el_stack_t *s, uint64_t now_ms, const uint8_t *bytes, size_t len,
                      const ovl_id_t *sender);

/* Run whichever core's timers are due; call at or after
 * el_stack_next_deadline_ms (UINT64_MAX: none pending). */
void el_stack_on_tick (el_stack_t *s, uint64_t now_ms);
uint64_t el_stack_next_deadline_ms (const el_stack_t *s);

/* Local commands and finished work, passed to the job protocol (see
 * el_peer_new_job, el_peer_rendered, el_peer_on_checked, el_peer_reference,
 * el_peer_leave). */
int el_stack_new_job (el_stack_t *s, uint64_t now_ms, const rnd_view_t *view, int slices,
                      uint64_t stamp_hint, char *err, size_t err_size);
void el_stack_rendered (el_stack_t *s, uint64_t now_ms, ovl_id_t job, uint32_t slice,
                        const float *pixels, size_t n);
void el_stack_on_checked (el_stack_t *s, uint64_t now_ms, uint64_t token, const float *values,
                          size_t n);
void el_stack_reference (el_stack_t *s, uint64_t now_ms, ovl_id_t job, const uint8_t *hash);
void el_stack_leave (el_stack_t *s, uint64_t now_ms);
/* After el_stack_leave, once its messages had time to go out (the
 * hand-over, returned slices): say goodbye to every node in the overlay
 * state (ovl_node_leave), which then reports this node as left at once.
 * The stack is silent from then on; the driver should keep its sockets
 * open a moment so the goodbyes leave the machine. */
void el_stack_depart (el_stack_t *s, uint64_t now_ms);

/* The overlay upcall table the stack gave its node, for a fuzzer that
 * plays the node's part (each handler needs el_stack_set_now first). */
const ovl_upcalls_t *el_stack_overlay_upcalls (const el_stack_t *s);
void el_stack_set_now (el_stack_t *s, uint64_t now_ms);

/* The cores, for queries (status, stats, pixels, tree facts). Commands go
 * through the el_stack_* calls above. */
ovl_node_t *el_stack_node (const el_stack_t *s);
el_peer_t *el_stack_peer (const el_stack_t *s);
/* 1 once the job protocol has started (the node joined). */
int el_stack_started (const el_stack_t *s);

#endif
