/* transport_zmq.h: the overlay's ZeroMQ transport -- one ROUTER that every
 * peer's messages arrive on, and one DEALER per peer endpoint we send to.
 *
 * A node's address (the addr of its ovl_handle_t) is the endpoint its
 * ROUTER is reachable at, "tcp://HOST:PORT". Sending never blocks: a peer
 * whose queue is full (it is slow, or dead and not yet declared so) loses
 * the message, which the overlay's acks and probes are built to survive.
 * This is the only overlay code that links libzmq; the protocol core
 * (node.c) never sees a socket. */
#ifndef OVL_TRANSPORT_ZMQ_H
#define OVL_TRANSPORT_ZMQ_H

#include <stddef.h>
#include <stdint.h>

/* Messages queued per socket and direction before sends drop (DEALER) or
 * the peer is pushed back (ROUTER). */
#define OVL_TRANSPORT_HWM_MSGS 1000
/* DEALERs (peer endpoints) open at once. Each holds a TCP connection and
 * a file descriptor or two, so the process fd limit may bite first. */
#define OVL_TRANSPORT_PEERS_MAX 4096

typedef struct ovl_transport_t ovl_transport_t;

/* Bind a ROUTER on tcp://bind_addr:port (port 0: an ephemeral one).
 * advertise_host is the host peers are told to connect to; NULL means
 * bind_addr, or 127.0.0.1 when bind_addr is "*". NULL on failure, with a
 * one-line reason in err (if err_size > 0). */
ovl_transport_t *ovl_transport_new (const char *bind_addr, int port, const char *advertise_host,
                                    char *err, size_t err_size);
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
 * next message is tried. */
int ovl_transport_recv (ovl_transport_t *t, uint8_t **bytes, size_t *len);

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
