/* transport_zmq.c: the overlay's ZeroMQ transport (see transport_zmq.h).
 *
 * Peers are kept in a flat array searched linearly: a node talks to tens of
 * peers (leaf set, table rows, tree links), where a scan of short strings
 * costs less than keeping a hash table honest.
 *
 * The guard thread -- ZAP handler and inbox monitor, the source of refusal
 * reports -- is transport_guard.c. */
#include "transport_zmq.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "transport_guard.h"
#include "wire.h"

#define S_ENDPOINT_MAX 256                    /* bytes of an endpoint including the NUL */
#define S_VOUCH_BYTES OVL_TRANSPORT_KEY_BYTES /* a MAC of the sender's key */
#define S_ZAP_DOMAIN "p2pfractal"
#define S_CURVE_OVERHEAD 64 /* a CURVE MESSAGE's bytes besides the payload (33) */

typedef struct {
    char *endpoint; /* the peer's ROUTER, "tcp://HOST:PORT" (owned) */
    void *dealer;   /* our DEALER connected to it */
    int used;       /* 1 if sent to since the last prune */
} s_peer_t;

/* A watched endpoint (ovl_transport_watch): its DEALER's monitor while
 * one is open, and what the handshakes said, kept across reconnections. */
typedef struct {
    char endpoint[S_ENDPOINT_MAX]; /* the peer's ROUTER */
    void *mon;                     /* its DEALER's monitor, when open */
    void *dealer;                  /* that DEALER */
    unsigned failed;               /* failed handshakes in a row */
    ovl_refusal_t why;             /* why the last one failed */
    int final;                     /* one failed for good (no reconnecting) */
} s_watch_t;

struct ovl_transport_t {
    void *ctx;                       /* the ZeroMQ context (owned) */
    void *router;                    /* where every peer's messages arrive */
    char endpoint[S_ENDPOINT_MAX];   /* as advertised */
    s_peer_t *peers;                 /* open DEALERs */
    size_t n_peers, cap_peers;       /* used and allocated entries */
    uint64_t send_dropped;           /* sends that did not queue */
    uint64_t recv_rejected;          /* malformed messages dropped */
    ovl_transport_traffic_t traffic; /* payloads queued and taken */

    int keyed;                    /* a closed network */
    ovl_transport_keys_t keys;    /* its keys (keyed only) */
    uint8_t vouch[S_VOUCH_BYTES]; /* sent before every message (keyed) */

    ovl_transport_guard_t guard; /* its thread (transport_guard.c) */

    s_watch_t watches[OVL_TRANSPORT_WATCH_MAX]; /* endpoints watched */
    size_t n_watches;                           /* entries used */
    unsigned monitor_seq;                       /* for unique inproc names */
};

static void s_watch_stop (s_watch_t *w);

int
ovl_transport_next_refusal (ovl_transport_t *t, ovl_transport_refusal_t *out)
{
    return ovl_transport_guard_next_refusal (&t->guard, out);
}

const char *
ovl_transport_refusal_text (const ovl_transport_t *t, ovl_refusal_t why)
{
    switch (why) {
    case OVL_REFUSED_MECHANISM:
        return t->keyed ? "it has no network key (an open peer)"
                        : "it has a network key (--key) and this peer has none";
    case OVL_REFUSED_CRYPTO:
        return "its CURVE handshake failed: it holds another network key";
    case OVL_REFUSED_UNVOUCHED:
        return "its public key is not vouched for by the network secret";
    case OVL_REFUSED_HANDSHAKE:
        break;
    }
    return "its handshake failed";
}

uint64_t
ovl_transport_refused (const ovl_transport_t *t)
{
    return ovl_transport_guard_refused (&t->guard);
}

int
ovl_transport_keyed (const ovl_transport_t *t)
{
    return t->keyed;
}

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
ovl_transport_new (const char *bind_addr, int port, const char *advertise_host,
                   const ovl_transport_keys_t *keys, char *err, size_t err_size)
{
    if (!bind_addr || !*bind_addr || port < 0 || port > 65535) {
        s_err (err, err_size, "bad bind address or port");
        return NULL;
    }
    if (keys && (!zmq_has ("curve") || sodium_init () < 0)) {
        s_err (err, err_size, "this libzmq has no CURVE: a keyed network needs one built with it");
        return NULL;
    }
    ovl_transport_t *t = calloc (1, sizeof *t);
    if (!t) {
        s_err (err, err_size, "out of memory");
        return NULL;
    }
    ovl_transport_guard_init (&t->guard);
    if (keys) {
        t->keyed = 1;
        t->keys = *keys;
        crypto_generichash (t->vouch, sizeof t->vouch, keys->node_public, OVL_TRANSPORT_KEY_BYTES,
                            keys->vouch_key, OVL_TRANSPORT_KEY_BYTES);
    }
    t->ctx = zmq_ctx_new ();
    if (!t->ctx) {
        s_err (err, err_size, "zmq_ctx_new: %s", zmq_strerror (errno));
        ovl_transport_destroy (&t);
        return NULL;
    }
    /* libzmq's default of 1023 sockets would cap us below PEERS_MAX. */
    zmq_ctx_set (t->ctx, ZMQ_MAX_SOCKETS, OVL_TRANSPORT_PEERS_MAX + 16);
    t->router = zmq_socket (t->ctx, ZMQ_ROUTER);
    /* CURVE's MESSAGE command wraps a payload in a nonce, a MAC and a
     * flags byte, and libzmq checks the limit on the wrapped frame. */
    int64_t max_msg_bytes = OVL_WIRE_MAX_BYTES + (t->keyed ? S_CURVE_OVERHEAD : 0);
    if (!t->router || s_socket_opts (t->router) != 0 ||
        zmq_setsockopt (t->router, ZMQ_MAXMSGSIZE, &max_msg_bytes, sizeof max_msg_bytes) != 0) {
        s_err (err, err_size, "ROUTER socket: %s", zmq_strerror (errno));
        ovl_transport_destroy (&t);
        return NULL;
    }
    if (t->keyed) {
        /* A CURVE server with the network's inbox key; ZAP names each
         * client by its key. Routing ids stay libzmq's own, one per
         * connection: a client-chosen one could take over another's. */
        int on = 1;
        if (zmq_setsockopt (t->router, ZMQ_CURVE_SERVER, &on, sizeof on) != 0 ||
            zmq_setsockopt (t->router, ZMQ_CURVE_SECRETKEY, keys->inbox_secret,
                            OVL_TRANSPORT_KEY_BYTES) != 0 ||
            zmq_setsockopt (t->router, ZMQ_ZAP_DOMAIN, S_ZAP_DOMAIN, strlen (S_ZAP_DOMAIN)) != 0) {
            s_err (err, err_size, "CURVE on the ROUTER: %s", zmq_strerror (errno));
            ovl_transport_destroy (&t);
            return NULL;
        }
    }
    if (ovl_transport_guard_start (&t->guard, t->ctx, t->router, t->keyed, &t->monitor_seq) != 0) {
        s_err (err, err_size, "cannot start the connection guard: %s", zmq_strerror (errno));
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
    atomic_store (&t->guard.port, real_port);
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
    for (size_t i = 0; i < t->n_watches; i++)
        s_watch_stop (&t->watches[i]);
    for (size_t i = 0; i < t->n_peers; i++) {
        zmq_close (t->peers[i].dealer);
        free (t->peers[i].endpoint);
    }
    free (t->peers);
    if (t->router)
        zmq_close (t->router);
    ovl_transport_guard_destroy (&t->guard); /* after the ROUTER, before the context */
    if (t->ctx)
        zmq_ctx_term (t->ctx); /* every socket has LINGER 0: returns at once */
    sodium_memzero (&t->keys, sizeof t->keys);
    free (t);
    *self_p = NULL;
}

const char *
ovl_transport_endpoint (const ovl_transport_t *t)
{
    return t->endpoint;
}

/* The watch on endpoint, or NULL. */
static s_watch_t *
s_watch_find (ovl_transport_t *t, const char *endpoint)
{
    for (size_t i = 0; i < t->n_watches; i++)
        if (strcmp (t->watches[i].endpoint, endpoint) == 0)
            return &t->watches[i];
    return NULL;
}

/* Monitor dealer's handshakes for w. */
static void
s_watch_start (ovl_transport_t *t, s_watch_t *w, void *dealer)
{
    w->mon = ovl_transport_monitor_open (t->ctx, &t->monitor_seq, dealer,
                                         OVL_TRANSPORT_HANDSHAKE_EVENTS);
    if (w->mon)
        w->dealer = dealer;
}

/* Take the events w's monitor holds into its counts. */
static void
s_watch_read (s_watch_t *w, int keyed)
{
    uint16_t event;
    uint32_t value;
    while (w->mon && ovl_transport_monitor_read (w->mon, ZMQ_DONTWAIT, &event, &value) == 0) {
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            w->failed = 0;
            w->final = 0;
            continue;
        }
        w->failed++;
        w->why = ovl_transport_failure_why (event, value);
        /* libzmq does not reconnect after a protocol error. */
        if (event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            w->final = 1;
        /* A CURVE server that cannot open our HELLO just hangs up: to us
         * that is a handshake cut short, and means another key. */
        if (keyed && event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
            w->why = OVL_REFUSED_CRYPTO;
    }
}

/* Stop w's monitor: first on the DEALER, then its PAIR -- a PAIR closed
 * while its socket still monitors would block libzmq's I/O thread for
 * good at the socket's next event (libzmq issue #3575). */
static void
s_watch_stop (s_watch_t *w)
{
    if (!w->mon)
        return;
    zmq_socket_monitor (w->dealer, NULL, 0);
    zmq_close (w->mon);
    w->mon = NULL;
    w->dealer = NULL;
}

/* A closed network's DEALER: a CURVE client of the network's inbox key,
 * with this node's key pair. 0 or -1. */
static int
s_dealer_keys (const ovl_transport_t *t, void *dealer)
{
    if (!t->keyed)
        return 0;
    const size_t k = OVL_TRANSPORT_KEY_BYTES;
    if (zmq_setsockopt (dealer, ZMQ_CURVE_SERVERKEY, t->keys.inbox_public, k) != 0 ||
        zmq_setsockopt (dealer, ZMQ_CURVE_PUBLICKEY, t->keys.node_public, k) != 0 ||
        zmq_setsockopt (dealer, ZMQ_CURVE_SECRETKEY, t->keys.node_secret, k) != 0)
        return -1;
    return 0;
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
    if (!dealer || s_socket_opts (dealer) != 0 || s_dealer_keys (t, dealer) != 0) {
        int e = errno;
        if (dealer)
            zmq_close (dealer);
        free (copy);
        errno = copy ? e : ENOMEM;
        return NULL;
    }
    /* Watched: from before the connection, so no event is missed (libzmq
     * may finish a handshake before a monitor attached later exists). */
    s_watch_t *w = s_watch_find (t, endpoint);
    if (w && !w->mon)
        s_watch_start (t, w, dealer);
    if (zmq_connect (dealer, endpoint) != 0) {
        int e = errno;
        if (w && w->dealer == dealer)
            s_watch_stop (w);
        zmq_close (dealer);
        free (copy);
        errno = e;
        return NULL;
    }
    s_peer_t *p = &t->peers[t->n_peers++];
    p->endpoint = copy;
    p->dealer = dealer;
    p->used = 0;
    return p;
}

/* Close p's DEALER, and its watch's monitor if it has one (what that
 * still holds is counted first; a later DEALER to it gets a new one). */
static void
s_peer_close (ovl_transport_t *t, s_peer_t *p)
{
    s_watch_t *w = s_watch_find (t, p->endpoint);
    if (w && w->dealer == p->dealer) {
        s_watch_read (w, t->keyed);
        s_watch_stop (w);
    }
    zmq_close (p->dealer);
    free (p->endpoint);
}

int
ovl_transport_watch (ovl_transport_t *t, const char *endpoint)
{
    if (!endpoint) {
        for (size_t i = 0; i < t->n_watches; i++)
            s_watch_stop (&t->watches[i]);
        t->n_watches = 0;
        return 0;
    }
    if (s_watch_find (t, endpoint))
        return 0;
    if (t->n_watches == OVL_TRANSPORT_WATCH_MAX || strlen (endpoint) >= S_ENDPOINT_MAX)
        return -1;
    s_watch_t *w = &t->watches[t->n_watches++];
    memset (w, 0, sizeof *w);
    strcpy (w->endpoint, endpoint);
    /* Already connected: watched from now, and a handshake libzmq
     * finished before is not seen (the caller watches before sending). */
    s_peer_t *p = s_peer_find (t, endpoint);
    if (p)
        s_watch_start (t, w, p->dealer);
    return 0;
}

unsigned
ovl_transport_watch_failures (ovl_transport_t *t, ovl_refusal_t *why, int *final,
                              const char **endpoint)
{
    /* The endpoint that refused for good, else the one that failed most
     * often in a row. */
    s_watch_t *worst = NULL;
    for (size_t i = 0; i < t->n_watches; i++) {
        s_watch_t *w = &t->watches[i];
        s_watch_read (w, t->keyed);
        if (w->failed && (!worst || (w->final && !worst->final) ||
                          (w->final == worst->final && w->failed > worst->failed)))
            worst = w;
    }
    if (why && worst)
        *why = worst->why;
    if (final)
        *final = worst && worst->final;
    if (endpoint)
        *endpoint = worst ? worst->endpoint : NULL;
    return worst ? worst->failed : 0;
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
    /* Keyed: the vouch first, as a frame of its own. The two frames of a
     * message queue together or not at all (a DEALER with room for the
     * first has room for the whole message). */
    if (t->keyed &&
        zmq_send (p->dealer, t->vouch, sizeof t->vouch, ZMQ_DONTWAIT | ZMQ_SNDMORE) < 0) {
        t->send_dropped++;
        return -1;
    }
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

/* On a closed network: 0 with *sender the id of the node that sent msg
 * (its payload frame) with vouch (vouch_len bytes), or -1 (the refusal
 * noted) if the vouch is not the MAC of the key ZAP named the sender by. */
static int
s_check_vouch (ovl_transport_t *t, zmq_msg_t *msg, const uint8_t *vouch, size_t vouch_len,
               ovl_id_t *sender)
{
    const char *user = zmq_msg_gets (msg, "User-Id");
    uint8_t pk[OVL_TRANSPORT_KEY_BYTES], mac[S_VOUCH_BYTES];
    size_t pk_len = 0;
    /* Without the guard, ZAP is not asked and User-Id would be whatever
     * the client said: take nothing then. */
    int ok = !atomic_load (&t->guard.dead) && user &&
             sodium_hex2bin (pk, sizeof pk, user, strlen (user), NULL, &pk_len, NULL) == 0 &&
             pk_len == sizeof pk && vouch_len == S_VOUCH_BYTES;
    if (ok) {
        crypto_generichash (mac, sizeof mac, pk, sizeof pk, t->keys.vouch_key,
                            OVL_TRANSPORT_KEY_BYTES);
        ok = sodium_memcmp (mac, vouch, sizeof mac) == 0;
    }
    if (!ok) {
        const char *addr = zmq_msg_gets (msg, "Peer-Address");
        ovl_transport_guard_note (&t->guard, addr ? addr : "unknown", OVL_REFUSED_UNVOUCHED);
        return -1;
    }
    *sender = ovl_id_from_public_key (pk);
    return 0;
}

/* The frames of one message: the routing id the ROUTER adds, then (keyed)
 * the sender's vouch, then the payload. */
#define S_FRAMES_MAX 3

int
ovl_transport_recv (ovl_transport_t *t, uint8_t **bytes, size_t *len, ovl_id_t *sender)
{
    const int want = t->keyed ? 3 : 2;
    for (;;) {
        /* A multi-part message arrives whole, so once its first frame is
         * here the others are too: only the first read may find nothing. */
        zmq_msg_t frames[S_FRAMES_MAX];
        int n = 0, more = 1, extra = 0;
        while (more) {
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, t->router, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&msg);
                break;
            }
            more = s_more (t->router);
            if (n < S_FRAMES_MAX) {
                zmq_msg_init (&frames[n]);
                zmq_msg_move (&frames[n++], &msg);
            } else {
                extra = 1;
            }
            zmq_msg_close (&msg);
        }
        if (n == 0)
            return -1;
        int rc = -1;
        ovl_id_t from;
        if (more || extra || n != want) {
            t->recv_rejected++; /* not one of ours: dropped */
        } else if (t->keyed && s_check_vouch (t, &frames[2], zmq_msg_data (&frames[1]),
                                              zmq_msg_size (&frames[1]), &from) != 0) {
            /* refused and noted */
        } else {
            zmq_msg_t *payload = &frames[n - 1];
            size_t size = zmq_msg_size (payload);
            uint8_t *copy = malloc (size ? size : 1);
            if (!copy) {
                t->recv_rejected++;
            } else {
                memcpy (copy, zmq_msg_data (payload), size);
                t->traffic.recv_msgs++;
                t->traffic.recv_bytes += size;
                if (t->keyed && sender)
                    *sender = from;
                *bytes = copy;
                *len = size;
                rc = 0;
            }
        }
        for (int i = 0; i < n; i++)
            zmq_msg_close (&frames[i]);
        if (rc == 0)
            return 0;
    }
}

void
ovl_transport_forget (ovl_transport_t *t, const char *endpoint)
{
    s_peer_t *p = s_peer_find (t, endpoint);
    if (!p)
        return;
    s_peer_close (t, p);
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
        s_peer_close (t, p);
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
