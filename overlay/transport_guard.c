/* transport_guard.c: the ZeroMQ transport's guard thread -- the ZAP
 * handler that admits a closed network's CURVE clients, and the inbox's
 * socket monitor that turns failed handshakes into refusal reports, rate
 * limited per source (see transport_guard.h).
 *
 * The thread answers ZAP requests (a closed network's inbox asks it to
 * admit every CURVE client, naming it by its public key, which the inbox
 * then checks against the client's vouch message by message) and reads the
 * inbox's socket monitor, to learn who failed a handshake: libzmq's monitor
 * names only our own endpoint in those events, so the thread notes each
 * accepted connection's peer address (getpeername on the fd the ACCEPTED
 * event carries) and pairs a failed handshake with the DISCONNECTED event
 * of the same fd, which the one I/O thread emits right after it. */
#include "transport_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define S_REPORTS_PER_MINUTE 10 /* refusal reports, all sources together */

/* ------------------------------------------------------------------ */
/* refusals */

static uint64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
ovl_transport_guard_note (ovl_transport_guard_t *g, const char *addr, ovl_refusal_t why)
{
    uint64_t now = s_mono_ms ();
    pthread_mutex_lock (&g->mu);
    g->refused++;
    ovl_transport_source_t *slot = NULL, *oldest = &g->sources[0];
    for (int i = 0; i < OVL_TRANSPORT_SOURCES_MAX && !slot; i++) {
        ovl_transport_source_t *src = &g->sources[i];
        if (src->seen_ms && src->why == why && strcmp (src->addr, addr) == 0)
            slot = src;
        else if (src->seen_ms < oldest->seen_ms)
            oldest = src;
    }
    if (!slot) {
        slot = oldest;
        memset (slot, 0, sizeof *slot);
        snprintf (slot->addr, sizeof slot->addr, "%s", addr);
    }
    slot->why = why;
    slot->pending++;
    slot->seen_ms = now ? now : 1;
    pthread_mutex_unlock (&g->mu);
}

int
ovl_transport_guard_next_refusal (ovl_transport_guard_t *g, ovl_transport_refusal_t *out)
{
    uint64_t now = s_mono_ms ();
    int found = 0;
    pthread_mutex_lock (&g->mu);
    /* However many sources: an attacker with many addresses must not be
     * able to fill the log. The rest wait for the next minute. */
    if (now - g->window_ms >= OVL_TRANSPORT_REFUSAL_QUIET_MS) {
        g->window_ms = now;
        g->window_reports = 0;
    }
    for (int i = 0;
         i < OVL_TRANSPORT_SOURCES_MAX && !found && g->window_reports < S_REPORTS_PER_MINUTE; i++) {
        ovl_transport_source_t *src = &g->sources[i];
        if (!src->pending ||
            (src->reported_ms && now - src->reported_ms < OVL_TRANSPORT_REFUSAL_QUIET_MS))
            continue;
        snprintf (out->source, sizeof out->source, "%s", src->addr);
        out->why = src->why;
        out->attempts = src->pending;
        src->pending = 0;
        src->reported_ms = now ? now : 1;
        g->window_reports++;
        found = 1;
    }
    pthread_mutex_unlock (&g->mu);
    return found;
}

uint64_t
ovl_transport_guard_refused (const ovl_transport_guard_t *g)
{
    pthread_mutex_lock ((pthread_mutex_t *)&g->mu);
    uint64_t n = g->refused;
    pthread_mutex_unlock ((pthread_mutex_t *)&g->mu);
    return n;
}

/* ------------------------------------------------------------------ */
/* socket monitors */

/* Start monitoring sock for the events in mask: the PAIR to read them
 * from, or NULL. seq numbers the inproc endpoints, unique per context. */
void *
ovl_transport_monitor_open (void *ctx, unsigned *seq, void *sock, int mask)
{
    char name[64];
    snprintf (name, sizeof name, "inproc://p2pf-monitor-%u", (*seq)++);
    if (zmq_socket_monitor (sock, name, mask) != 0)
        return NULL;
    void *pair = zmq_socket (ctx, ZMQ_PAIR);
    if (!pair || zmq_connect (pair, name) != 0) {
        if (pair)
            zmq_close (pair);
        zmq_socket_monitor (sock, NULL, 0);
        return NULL;
    }
    return pair;
}

int
ovl_transport_monitor_read (void *mon, int flags, uint16_t *event, uint32_t *value)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, mon, flags) < 0) {
        zmq_msg_close (&msg);
        return -1;
    }
    int ok = zmq_msg_size (&msg) == 6;
    if (ok) {
        memcpy (event, zmq_msg_data (&msg), 2);
        memcpy (value, (uint8_t *)zmq_msg_data (&msg) + 2, 4);
    }
    int more = zmq_msg_more (&msg);
    zmq_msg_close (&msg);
    while (more) { /* the endpoint: ours, of no use (see the top) */
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, mon, 0) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        more = zmq_msg_more (&msg);
        zmq_msg_close (&msg);
    }
    return ok ? 0 : -1;
}

ovl_refusal_t
ovl_transport_failure_why (uint16_t event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
            return OVL_REFUSED_MECHANISM;
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
            return OVL_REFUSED_CRYPTO;
    }
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return OVL_REFUSED_UNVOUCHED;
    return OVL_REFUSED_HANDSHAKE;
}

/* ------------------------------------------------------------------ */
/* the thread */

/* The IP of fd's peer into buf; "unknown" if it cannot be read, or if
 * the fd is no longer a connection to our inbox's port (libzmq closed it
 * and the number was reused before we looked). */
static void
s_peer_ip (int fd, int port, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    snprintf (buf, size, "unknown");
    if (getsockname (fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    int local_port = ss.ss_family == AF_INET    ? ntohs (((struct sockaddr_in *)&ss)->sin_port)
                     : ss.ss_family == AF_INET6 ? ntohs (((struct sockaddr_in6 *)&ss)->sin6_port)
                                                : -1;
    len = sizeof ss;
    if (local_port != port || getpeername (fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop (AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)size);
    else if (ss.ss_family == AF_INET6)
        inet_ntop (AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)size);
}

static void
s_guard_event (ovl_transport_guard_t *g)
{
    uint16_t event;
    uint32_t value;
    if (ovl_transport_monitor_read (g->mon, ZMQ_DONTWAIT, &event, &value) != 0)
        return;
    switch (event) {
    case ZMQ_EVENT_ACCEPTED: {
        ovl_transport_conn_t *slot = &g->conns[(unsigned)value % OVL_TRANSPORT_FDS_MAX];
        slot->fd = (int)value;
        s_peer_ip ((int)value, atomic_load (&g->port), slot->addr, sizeof slot->addr);
        break;
    }
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        g->fail_pending = 0;
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        g->fail_pending = 1;
        g->fail_why = ovl_transport_failure_why (event, value);
        break;
    case ZMQ_EVENT_DISCONNECTED: {
        ovl_transport_conn_t *slot = &g->conns[(unsigned)value % OVL_TRANSPORT_FDS_MAX];
        int known = slot->fd == (int)value;
        if (g->fail_pending)
            ovl_transport_guard_note (g, known ? slot->addr : "unknown", g->fail_why);
        g->fail_pending = 0;
        if (known)
            slot->fd = -1;
        break;
    }
    default:
        break;
    }
}

/* Send one frame of a ZAP reply; 0 or -1. */
static int
s_zap_frame (void *zap, const void *data, size_t len, int more)
{
    return zmq_send (zap, data, len, more ? ZMQ_SNDMORE : 0) < 0 ? -1 : 0;
}

/* Answer one ZAP request (RFC 27): admit a CURVE client and name it by its
 * public key (hex), which the inbox checks against its vouch; refuse
 * anything else (it cannot reach a CURVE inbox, but say no anyway). */
static void
s_zap_answer (ovl_transport_guard_t *g)
{
    enum { S_ZAP_FRAMES = 7 };
    zmq_msg_t frames[S_ZAP_FRAMES];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, g->zap, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        more = zmq_msg_more (&msg);
        if (n < S_ZAP_FRAMES) {
            zmq_msg_init (&frames[n]);
            zmq_msg_move (&frames[n++], &msg);
        }
        zmq_msg_close (&msg);
    }
    if (n < 2) { /* nothing, or no request id to answer to */
        for (int i = 0; i < n; i++)
            zmq_msg_close (&frames[i]);
        return;
    }
    char user[2 * OVL_TRANSPORT_KEY_BYTES + 1] = "";
    int ok = n == 7 && zmq_msg_size (&frames[5]) == 5 &&
             memcmp (zmq_msg_data (&frames[5]), "CURVE", 5) == 0 &&
             zmq_msg_size (&frames[6]) == OVL_TRANSPORT_KEY_BYTES;
    if (ok)
        sodium_bin2hex (user, sizeof user, zmq_msg_data (&frames[6]), OVL_TRANSPORT_KEY_BYTES);
    s_zap_frame (g->zap, "1.0", 3, 1);
    s_zap_frame (g->zap, zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), 1);
    s_zap_frame (g->zap, ok ? "200" : "400", 3, 1);
    s_zap_frame (g->zap, ok ? "OK" : "not a CURVE client", ok ? 2 : 18, 1);
    s_zap_frame (g->zap, user, strlen (user), 1);
    s_zap_frame (g->zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        zmq_msg_close (&frames[i]);
}

static void *
s_guard_run (void *arg)
{
    ovl_transport_guard_t *g = arg;
    for (;;) {
        zmq_pollitem_t items[2] = {
            { g->mon, 0, ZMQ_POLLIN, 0 },
            { g->zap, 0, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, g->zap ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            /* ETERM: the transport is going. Anything else: without the
             * ZAP handler libzmq would admit CURVE clients unnamed, so
             * the inbox takes nothing from now on (ovl_transport_recv). */
            if (errno != ETERM)
                atomic_store (&g->dead, 1);
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            s_guard_event (g);
        if (g->zap && (items[1].revents & ZMQ_POLLIN))
            s_zap_answer (g);
    }
    /* Its sockets are closed by ovl_transport_guard_destroy, after the
     * ROUTER (a monitor PAIR closed before its socket would block libzmq's
     * I/O thread at the next event). */
    return NULL;
}

void
ovl_transport_guard_init (ovl_transport_guard_t *g)
{
    pthread_mutex_init (&g->mu, NULL);
}

/* ZAP handler first, so no handshake is admitted without it, then the
 * inbox's monitor, then the thread. 0 or -1. */
int
ovl_transport_guard_start (ovl_transport_guard_t *g, void *ctx, void *router, int keyed,
                           unsigned *seq)
{
    g->ctx = ctx;
    for (int i = 0; i < OVL_TRANSPORT_FDS_MAX; i++)
        g->conns[i].fd = -1;
    if (keyed) {
        g->zap = zmq_socket (ctx, ZMQ_REP);
        int linger_ms = 0;
        if (!g->zap || zmq_setsockopt (g->zap, ZMQ_LINGER, &linger_ms, sizeof linger_ms) != 0 ||
            zmq_bind (g->zap, "inproc://zeromq.zap.01") != 0)
            return -1;
    }
    g->mon = ovl_transport_monitor_open (ctx, seq, router,
                                         ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                                             OVL_TRANSPORT_HANDSHAKE_EVENTS);
    if (!g->mon)
        return -1;
    int linger_ms = 0;
    zmq_setsockopt (g->mon, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    /* Signals are the main thread's business. */
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &old);
    int rc = pthread_create (&g->thread, NULL, s_guard_run, g);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    g->running = 1;
    return 0;
}

void
ovl_transport_guard_destroy (ovl_transport_guard_t *g)
{
    if (g->running) {
        zmq_ctx_shutdown (g->ctx); /* the guard's poll returns ETERM */
        pthread_join (g->thread, NULL);
    }
    if (g->mon)
        zmq_close (g->mon);
    if (g->zap)
        zmq_close (g->zap);
    pthread_mutex_destroy (&g->mu);
}
