/* transport_zmq.c: the overlay's ZeroMQ transport (see transport_zmq.h).
 *
 * Peers are kept in a flat array searched linearly: a node talks to tens of
 * peers (leaf set, table rows, tree links), where a scan of short strings
 * costs less than keeping a hash table honest. */
#include "transport_zmq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "wire.h"

#define S_ENDPOINT_MAX 256 /* bytes of an endpoint including the NUL */

typedef struct {
    char *endpoint; /* the peer's ROUTER, "tcp://HOST:PORT" (owned) */
    void *dealer;   /* our DEALER connected to it */
    int used;       /* 1 if sent to since the last prune */
} s_peer_t;

struct ovl_transport_t {
    void *ctx;                     /* the ZeroMQ context (owned) */
    void *router;                  /* where every peer's messages arrive */
    char endpoint[S_ENDPOINT_MAX]; /* as advertised */
    s_peer_t *peers;               /* open DEALERs */
    size_t n_peers, cap_peers;     /* used and allocated entries */
    uint64_t send_dropped;         /* sends that did not queue */
    uint64_t recv_rejected;        /* malformed messages dropped */
    ovl_transport_traffic_t traffic; /* payloads queued and taken */
};

static void
s_err (char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || err_size == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, err_size, fmt, ap);
    va_end (ap);
}

/* Options every socket gets: no lingering on close (a dead peer must not
 * hold up shutdown) and bounded queues. */
static int
s_socket_opts (void *sock)
{
    int linger_ms = 0, hwm_msgs = OVL_TRANSPORT_HWM_MSGS;
    if (zmq_setsockopt (sock, ZMQ_LINGER, &linger_ms, sizeof linger_ms) != 0 ||
        zmq_setsockopt (sock, ZMQ_SNDHWM, &hwm_msgs, sizeof hwm_msgs) != 0 ||
        zmq_setsockopt (sock, ZMQ_RCVHWM, &hwm_msgs, sizeof hwm_msgs) != 0)
        return -1;
    return 0;
}

ovl_transport_t *
ovl_transport_new (const char *bind_addr, int port, const char *advertise_host, char *err,
                   size_t err_size)
{
    if (!bind_addr || !*bind_addr || port < 0 || port > 65535) {
        s_err (err, err_size, "bad bind address or port");
        return NULL;
    }
    ovl_transport_t *t = calloc (1, sizeof *t);
    if (!t) {
        s_err (err, err_size, "out of memory");
        return NULL;
    }
    t->ctx = zmq_ctx_new ();
    if (!t->ctx) {
        s_err (err, err_size, "zmq_ctx_new: %s", zmq_strerror (errno));
        free (t);
        return NULL;
    }
    /* libzmq's default of 1023 sockets would cap us below PEERS_MAX. */
    zmq_ctx_set (t->ctx, ZMQ_MAX_SOCKETS, OVL_TRANSPORT_PEERS_MAX + 16);
    t->router = zmq_socket (t->ctx, ZMQ_ROUTER);
    int64_t max_msg_bytes = OVL_WIRE_MAX_BYTES;
    if (!t->router || s_socket_opts (t->router) != 0 ||
        zmq_setsockopt (t->router, ZMQ_MAXMSGSIZE, &max_msg_bytes, sizeof max_msg_bytes) != 0) {
        s_err (err, err_size, "ROUTER socket: %s", zmq_strerror (errno));
        ovl_transport_destroy (&t);
        return NULL;
    }
    char bind_ep[S_ENDPOINT_MAX];
    char port_str[8] = "*";
    if (port > 0)
        snprintf (port_str, sizeof port_str, "%d", port);
    if ((size_t)snprintf (bind_ep, sizeof bind_ep, "tcp://%s:%s", bind_addr, port_str) >=
        sizeof bind_ep) {
        s_err (err, err_size, "bind address too long");
        ovl_transport_destroy (&t);
        return NULL;
    }
    if (zmq_bind (t->router, bind_ep) != 0) {
        s_err (err, err_size, "cannot bind %s: %s", bind_ep, zmq_strerror (errno));
        ovl_transport_destroy (&t);
        return NULL;
    }
    /* The port we really got: ZMQ_LAST_ENDPOINT is "tcp://ADDR:PORT". */
    char last[S_ENDPOINT_MAX];
    size_t last_size = sizeof last;
    const char *colon = NULL;
    if (zmq_getsockopt (t->router, ZMQ_LAST_ENDPOINT, last, &last_size) == 0)
        colon = strrchr (last, ':');
    int real_port = colon ? atoi (colon + 1) : 0;
    if (real_port <= 0 || real_port > 65535) {
        s_err (err, err_size, "cannot read back the bound port of %s", bind_ep);
        ovl_transport_destroy (&t);
        return NULL;
    }
    const char *host = advertise_host;
    if (!host)
        host = strcmp (bind_addr, "*") == 0 ? "127.0.0.1" : bind_addr;
    if ((size_t)snprintf (t->endpoint, sizeof t->endpoint, "tcp://%s:%d", host, real_port) >=
        sizeof t->endpoint) {
        s_err (err, err_size, "advertised host too long");
        ovl_transport_destroy (&t);
        return NULL;
    }
    return t;
}

void
ovl_transport_destroy (ovl_transport_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ovl_transport_t *t = *self_p;
    for (size_t i = 0; i < t->n_peers; i++) {
        zmq_close (t->peers[i].dealer);
        free (t->peers[i].endpoint);
    }
    free (t->peers);
    if (t->router)
        zmq_close (t->router);
    if (t->ctx)
        zmq_ctx_term (t->ctx); /* every socket has LINGER 0: returns at once */
    free (t);
    *self_p = NULL;
}

const char *
ovl_transport_endpoint (const ovl_transport_t *t)
{
    return t->endpoint;
}

static s_peer_t *
s_peer_find (const ovl_transport_t *t, const char *endpoint)
{
    for (size_t i = 0; i < t->n_peers; i++)
        if (strcmp (t->peers[i].endpoint, endpoint) == 0)
            return &t->peers[i];
    return NULL;
}

/* Open a DEALER to endpoint; NULL with errno set on failure. */
static s_peer_t *
s_peer_open (ovl_transport_t *t, const char *endpoint)
{
    if (t->n_peers >= OVL_TRANSPORT_PEERS_MAX) {
        errno = EMFILE;
        return NULL;
    }
    if (t->n_peers == t->cap_peers) {
        size_t cap = t->cap_peers ? 2 * t->cap_peers : 16;
        s_peer_t *p = realloc (t->peers, cap * sizeof *p);
        if (!p) {
            errno = ENOMEM;
            return NULL;
        }
        t->peers = p;
        t->cap_peers = cap;
    }
    char *copy = strdup (endpoint);
    void *dealer = copy ? zmq_socket (t->ctx, ZMQ_DEALER) : NULL;
    /* Without ZMQ_IMMEDIATE (off by default) connect makes the pipe at
     * once, so the first messages queue while TCP connects. */
    if (!dealer || s_socket_opts (dealer) != 0 || zmq_connect (dealer, endpoint) != 0) {
        int e = errno;
        if (dealer)
            zmq_close (dealer);
        free (copy);
        errno = copy ? e : ENOMEM;
        return NULL;
    }
    s_peer_t *p = &t->peers[t->n_peers++];
    p->endpoint = copy;
    p->dealer = dealer;
    p->used = 0;
    return p;
}

int
ovl_transport_send (ovl_transport_t *t, const char *endpoint, const uint8_t *bytes, size_t len)
{
    /* Endpoints come off the wire: only TCP, only of a sane length (no
     * ipc:// or inproc:// a peer could point us at). */
    if (!endpoint || strncmp (endpoint, "tcp://", 6) != 0 ||
        strnlen (endpoint, S_ENDPOINT_MAX) >= S_ENDPOINT_MAX || len > OVL_WIRE_MAX_BYTES) {
        t->send_dropped++;
        errno = EINVAL;
        return -1;
    }
    s_peer_t *p = s_peer_find (t, endpoint);
    if (!p)
        p = s_peer_open (t, endpoint);
    if (!p) {
        t->send_dropped++;
        return -1;
    }
    p->used = 1;
    if (zmq_send (p->dealer, bytes, len, ZMQ_DONTWAIT) < 0) {
        t->send_dropped++;
        return -1;
    }
    t->traffic.sent_msgs++;
    t->traffic.sent_bytes += len;
    return 0;
}

void *
ovl_transport_inbox_socket (ovl_transport_t *t)
{
    return t->router;
}

/* 1 if the message just received has more frames. */
static int
s_more (void *sock)
{
    int more = 0;
    size_t size = sizeof more;
    return zmq_getsockopt (sock, ZMQ_RCVMORE, &more, &size) == 0 && more;
}

int
ovl_transport_recv (ovl_transport_t *t, uint8_t **bytes, size_t *len)
{
    for (;;) {
        /* Frame 1: the sender's identity, which the ROUTER adds. We do not
         * need it: a reply goes to the endpoint in the message. */
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, t->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            return -1;
        }
        int more = s_more (t->router);
        zmq_msg_close (&msg);
        if (!more) {
            t->recv_rejected++;
            continue;
        }
        /* Frame 2: the payload. A multi-part message has arrived whole, so
         * these reads do not wait. */
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, t->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            t->recv_rejected++;
            return -1;
        }
        more = s_more (t->router);
        if (more) {
            /* A peer sent more than one frame: not ours. Drain the rest. */
            zmq_msg_close (&msg);
            while (more) {
                zmq_msg_init (&msg);
                if (zmq_msg_recv (&msg, t->router, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close (&msg);
                    break;
                }
                more = s_more (t->router);
                zmq_msg_close (&msg);
            }
            t->recv_rejected++;
            continue;
        }
        size_t size = zmq_msg_size (&msg);
        uint8_t *copy = malloc (size ? size : 1);
        if (!copy) {
            zmq_msg_close (&msg);
            t->recv_rejected++;
            continue;
        }
        memcpy (copy, zmq_msg_data (&msg), size);
        zmq_msg_close (&msg);
        t->traffic.recv_msgs++;
        t->traffic.recv_bytes += size;
        *bytes = copy;
        *len = size;
        return 0;
    }
}

void
ovl_transport_forget (ovl_transport_t *t, const char *endpoint)
{
    s_peer_t *p = s_peer_find (t, endpoint);
    if (!p)
        return;
    zmq_close (p->dealer);
    free (p->endpoint);
    *p = t->peers[--t->n_peers];
}

size_t
ovl_transport_prune (ovl_transport_t *t, const char *const *keep, size_t n_keep)
{
    size_t closed = 0;
    for (size_t i = 0; i < t->n_peers;) {
        s_peer_t *p = &t->peers[i];
        int kept = p->used;
        for (size_t k = 0; !kept && k < n_keep; k++)
            kept = keep[k] && strcmp (keep[k], p->endpoint) == 0;
        p->used = 0;
        if (kept) {
            i++;
            continue;
        }
        zmq_close (p->dealer);
        free (p->endpoint);
        *p = t->peers[--t->n_peers]; /* re-examine slot i: it holds the last */
        closed++;
    }
    return closed;
}

size_t
ovl_transport_peer_count (const ovl_transport_t *t)
{
    return t->n_peers;
}

uint64_t
ovl_transport_send_dropped (const ovl_transport_t *t)
{
    return t->send_dropped;
}

uint64_t
ovl_transport_recv_rejected (const ovl_transport_t *t)
{
    return t->recv_rejected;
}

void
ovl_transport_traffic (const ovl_transport_t *t, ovl_transport_traffic_t *out)
{
    *out = t->traffic;
}
