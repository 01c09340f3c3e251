/* transport_guard.h: the ZeroMQ transport's guard thread (private to
 * p2pf_transport; transport_guard.c says what it does and why).
 *
 * Everything the guard thread touches is in ovl_transport_guard_t, which
 * the transport embeds: the thread alone uses the sockets and the
 * connection table; the transport's thread reads port and dead (atomics)
 * and shares the refusal records under mu. */
#ifndef OVL_TRANSPORT_GUARD_H
#define OVL_TRANSPORT_GUARD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <zmq.h>

#include "transport_zmq.h"

#define OVL_TRANSPORT_SOURCES_MAX 64 /* refused sources remembered (oldest forgotten) */
#define OVL_TRANSPORT_FDS_MAX 256    /* accepted connections whose address is noted */

typedef struct {
    char addr[64];        /* IP, no port */
    ovl_refusal_t why;    /* the latest reason */
    uint64_t pending;     /* refusals not reported yet */
    uint64_t reported_ms; /* when last reported (0: never) */
    uint64_t seen_ms;     /* when last refused */
} ovl_transport_source_t;

typedef struct {
    int fd;        /* -1: free */
    char addr[64]; /* its peer's IP */
} ovl_transport_conn_t;

typedef struct {
    void *ctx;        /* the transport's ZeroMQ context (not owned) */
    void *mon;        /* the inbox's monitor */
    void *zap;        /* the ZAP handler (keyed) */
    pthread_t thread; /* the guard thread */
    int running;      /* it was started */
    ovl_transport_conn_t conns[OVL_TRANSPORT_FDS_MAX]; /* guard thread only */
    int fail_pending;                                  /* a failed handshake awaits its fd */
    ovl_refusal_t fail_why;                            /* and why */
    atomic_int port;                                   /* the inbox's port, once bound */
    atomic_int dead;                                   /* the guard left before shutdown */

    pthread_mutex_t mu;                                        /* guards what follows */
    ovl_transport_source_t sources[OVL_TRANSPORT_SOURCES_MAX]; /* refused sources */
    uint64_t refused;                                          /* refusals in all */
    uint64_t window_ms;                                        /* start of the reporting minute */
    unsigned window_reports;                                   /* reports in it */
} ovl_transport_guard_t;

/* Ready g to be destroyed or started (refusals may be noted from now). */
void ovl_transport_guard_init (ovl_transport_guard_t *g);

/* Start the thread on ctx: the monitor of router, and (keyed) the ZAP
 * handler. seq numbers the inproc endpoints of monitors. 0 or -1. */
int ovl_transport_guard_start (ovl_transport_guard_t *g, void *ctx, void *router, int keyed,
                               unsigned *seq);

/* Stop the thread and close its sockets: after the ROUTER is closed and
 * before the context is terminated. Fine on a guard never started. */
void ovl_transport_guard_destroy (ovl_transport_guard_t *g);

/* Note one refusal from addr (any thread). */
void ovl_transport_guard_note (ovl_transport_guard_t *g, const char *addr, ovl_refusal_t why);

/* ovl_transport_next_refusal and ovl_transport_refused, for the transport. */
int ovl_transport_guard_next_refusal (ovl_transport_guard_t *g, ovl_transport_refusal_t *out);
uint64_t ovl_transport_guard_refused (const ovl_transport_guard_t *g);

/* Socket monitors: the guard's on the inbox, and the transport's watch on
 * a bootstrap DEALER. */
#define OVL_TRANSPORT_HANDSHAKE_EVENTS                                                             \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |                        \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
/* Start monitoring sock for the events in mask: the PAIR to read them
 * from, or NULL. */
void *ovl_transport_monitor_open (void *ctx, unsigned *seq, void *sock, int mask);
/* Read one monitor event (two frames) without waiting. 0, or -1 if none. */
int ovl_transport_monitor_read (void *mon, int flags, uint16_t *event, uint32_t *value);
/* Why a handshake failed, from a monitor event. */
ovl_refusal_t ovl_transport_failure_why (uint16_t event, uint32_t value);

#endif
