/* transport_zmq.h: the overlay's ZeroMQ transport -- one ROUTER that every
 * peer's messages arrive on, and one DEALER per peer endpoint we send to.
 *
 * A node's address (the addr of its ovl_handle_t) is the endpoint its
 * ROUTER is reachable at, "tcp://HOST:PORT". Sending never blocks: a peer
 * whose queue is full (it is slow, or dead and not yet declared so) loses
 * the message, which the overlay's acks and probes are built to survive.
 * This library (with its guard thread, transport_guard.c) is the only
 * overlay code that links libzmq; the protocol core (node.c and the files
 * beside it) never sees a socket. */
#ifndef OVL_TRANSPORT_ZMQ_H
#define OVL_TRANSPORT_ZMQ_H

#include <stddef.h>
#include <stdint.h>

#include "id.h"

/* Messages queued per socket and direction before sends drop (DEALER) or
 * the peer is pushed back (ROUTER). */
#define OVL_TRANSPORT_HWM_MSGS 1000
/* DEALERs (peer endpoints) open at once. Each holds a TCP connection and
 * a file descriptor or two, so the process fd limit may bite first. */
#define OVL_TRANSPORT_PEERS_MAX 4096

typedef struct ovl_transport_t ovl_transport_t;

/* The keys of a closed network (docs/SECURITY.md; app/common/netkey.c derives
 * them from the network secret). Every inbox (ROUTER) is a CURVE server
 * with the network's inbox key pair; every node connects as a CURVE client
 * with its own key pair, and sends before every message, as a frame of its
 * own, its vouch -- a BLAKE2b MAC of its public key under vouch_key -- so
 * an inbox accepts a message only from a connection whose CURVE key the
 * secret vouches for, and knows which node (ovl_id_from_public_key) sent
 * it. */
#define OVL_TRANSPORT_KEY_BYTES 32
typedef struct {
    uint8_t inbox_public[OVL_TRANSPORT_KEY_BYTES]; /* shared by every inbox */
    uint8_t inbox_secret[OVL_TRANSPORT_KEY_BYTES];
    uint8_t vouch_key[OVL_TRANSPORT_KEY_BYTES];   /* MACs node public keys */
    uint8_t node_public[OVL_TRANSPORT_KEY_BYTES]; /* this node's own pair */
    uint8_t node_secret[OVL_TRANSPORT_KEY_BYTES];
} ovl_transport_keys_t;

/* Bind a ROUTER on tcp://bind_addr:port (port 0: an ephemeral one).
 * advertise_host is the host peers are told to connect to; NULL means
 * bind_addr, or 127.0.0.1 when bind_addr is "*". keys NULL: an open
 * network (no encryption, anyone may connect); else a closed one, every
 * connection CURVE-encrypted both ways (copied; the caller may wipe its
 * copy). NULL on failure, with a one-line reason in err (if err_size > 0). */
ovl_transport_t *ovl_transport_new (const char *bind_addr, int port, const char *advertise_host,
                                    const ovl_transport_keys_t *keys, char *err, size_t err_size);
void ovl_transport_destroy (ovl_transport_t **self_p);

/* "tcp://HOST:PORT" as advertised: the node's addr. */
const char *ovl_transport_endpoint (const ovl_transport_t *t);

/* Queue bytes for the peer at endpoint (a "tcp://" address; anything else
 * is refused -- addresses come off the wire). Opens that peer's DEALER on
 * first use. Never blocks. 0 if queued; -1 if dropped, with errno EAGAIN
 * (the peer's queue is full), EMFILE (OVL_TRANSPORT_PEERS_MAX DEALERs are
 * open, or no socket could be made), EINVAL (a bad endpoint) or what
 * libzmq said. Every drop is counted. */
int ovl_transport_send (ovl_transport_t *t, const char *endpoint, const uint8_t *bytes, size_t len);

/* The ROUTER, for zmq_poll (ZMQ_POLLIN). */
void *ovl_transport_inbox_socket (ovl_transport_t *t);

/* Take the next received message without waiting: 0 with *bytes a malloc'd
 * copy of it (the caller frees) and *len its size, or -1 when none is
 * waiting. Malformed multi-part messages are dropped and counted, and the
 * next message is tried. On a closed network, a message whose sender's
 * vouch does not match its CURVE key is dropped and counted as a refusal
 * (ovl_transport_next_refusal), and *sender (if not NULL) is set to the id
 * of the node that sent the message (ovl_id_from_public_key of the key it
 * proved it holds), for the overlay to check against the id the message
 * claims. On an open network *sender is left alone. */
int ovl_transport_recv (ovl_transport_t *t, uint8_t **bytes, size_t *len, ovl_id_t *sender);

/* 1 if the network is closed (keys were given), else 0. */
int ovl_transport_keyed (const ovl_transport_t *t);

/* Why a connection or a message was refused. */
typedef enum {
    OVL_REFUSED_MECHANISM = 1, /* one side has a network key, the other none */
    OVL_REFUSED_CRYPTO,        /* the CURVE handshake failed: another key */
    OVL_REFUSED_UNVOUCHED,     /* a CURVE client the secret does not vouch for */
    OVL_REFUSED_HANDSHAKE,     /* the handshake failed otherwise */
} ovl_refusal_t;

/* A source refused: its address (IP, no port: a client reconnects from
 * new ports), why, and how many connections or messages from it were
 * refused since the last report of it. */
typedef struct {
    char source[64];
    ovl_refusal_t why;
    uint64_t attempts;
} ovl_transport_refusal_t;

/* Refusals to report, at most one per source per
 * OVL_TRANSPORT_REFUSAL_QUIET_MS (a refused peer keeps reconnecting every
 * 100 ms; the log must not follow it). 1 with *out filled, or 0 if none is
 * waiting. A source whose address could not be read (its connection was
 * gone before it was looked at) is reported as "unknown". */
#define OVL_TRANSPORT_REFUSAL_QUIET_MS 60000
int ovl_transport_next_refusal (ovl_transport_t *t, ovl_transport_refusal_t *out);

/* Why, in words, from the side that refused (the inbox). */
const char *ovl_transport_refusal_text (const ovl_transport_t *t, ovl_refusal_t why);

/* Connections and messages refused, since _new. */
uint64_t ovl_transport_refused (const ovl_transport_t *t);

/* Follow the handshakes of the DEALERs to up to OVL_TRANSPORT_WATCH_MAX
 * endpoints (the bootstraps a node joins through), each from before its
 * DEALER connects: watch them before sending to them, since a handshake
 * libzmq finishes before its socket's monitor is attached is never
 * reported (watching an open DEALER sees only what follows). 0, or -1 if
 * the watch is full or the endpoint too long; NULL stops every watch.
 *
 * ovl_transport_watch_failures then says how many handshakes failed in a
 * row (since the last that succeeded) at the worst endpoint watched -- one
 * that failed for good if any, else the one with the most -- which one
 * (*endpoint, if not NULL; NULL when none failed), why its last handshake
 * failed (*why, if not NULL and the count is not 0), and whether one
 * failed for good (*final, if not NULL: a protocol error -- a mechanism
 * mismatch, a CURVE error -- after which libzmq does not reconnect; a
 * server that hangs up mid-handshake is retried every 100 ms). A joiner
 * the network refuses thus learns so in a fraction of a second rather than
 * at its join timeout, through whichever of its addresses it tried. */
#define OVL_TRANSPORT_WATCH_MAX 8 /* a node's bootstraps (OVL_BOOTSTRAPS_MAX) */
int ovl_transport_watch (ovl_transport_t *t, const char *endpoint);
unsigned ovl_transport_watch_failures (ovl_transport_t *t, ovl_refusal_t *why, int *final,
                                       const char **endpoint);

/* Close the DEALER to endpoint, dropping what it still queues (call it
 * when the overlay declares that peer lost). No-op if none is open. */
void ovl_transport_forget (ovl_transport_t *t, const char *endpoint);

/* Close every DEALER whose endpoint is not in keep (n_keep endpoints) and
 * that nothing was sent on since the previous prune, and return how many
 * were closed. The driver calls it every few seconds with the endpoints of
 * the nodes in its state (leaf set, routing table, tree links, master), so
 * open connections follow that state, not everyone ever heard from, while a
 * reply just queued to a stranger (a joiner, a worker) still goes out. */
size_t ovl_transport_prune (ovl_transport_t *t, const char *const *keep, size_t n_keep);

/* DEALERs open. */
size_t ovl_transport_peer_count (const ovl_transport_t *t);

/* Sends dropped (any reason) and received messages rejected, since _new. */
uint64_t ovl_transport_send_dropped (const ovl_transport_t *t);
uint64_t ovl_transport_recv_rejected (const ovl_transport_t *t);

/* Payload bytes and messages queued for sending and received whole, since
 * _new (ZeroMQ's and TCP's framing not counted): what the traffic
 * benchmark compares against the image's size. */
typedef struct {
    uint64_t sent_msgs, sent_bytes;
    uint64_t recv_msgs, recv_bytes;
} ovl_transport_traffic_t;
void ovl_transport_traffic (const ovl_transport_t *t, ovl_transport_traffic_t *out);

#endif
