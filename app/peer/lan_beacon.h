/* lan_beacon.h: the bytes of a `peer --lan` beacon, and what a peer
 * looking for its network makes of the beacons it hears -- no socket, no
 * clock (lan.c does the I/O with czmq's zbeacon), so both are unit tested.
 *
 * A beacon is 48 bytes: "P2PF", version 1, flags (member, leaving), the
 * TCP port (big-endian), the network's tag (8 bytes), the node id (16)
 * and a MAC (16, BLAKE2b over the first 32). The tag of an open network is
 * a hash of its name; a closed network's tag and MAC are keyed with its
 * secret, so keyed peers ignore foreign beacons and an outsider can
 * neither forge one nor tell which network a beacon is from. */
#ifndef APP_LAN_BEACON_H
#define APP_LAN_BEACON_H

#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "id.h"

#define APP_LAN_BEACON_BYTES 48
#define APP_LAN_BEACON_PREFIX 5 /* "P2PF" and the version: zbeacon's filter */
#define APP_LAN_MEMBER 1        /* flag: part of the network (else looking for it) */
#define APP_LAN_LEAVING 2       /* flag: leaving it -- a goodbye */
#define APP_LAN_PEERS_MAX 64    /* peers a looking peer keeps track of */

extern const uint8_t app_lan_beacon_prefix[APP_LAN_BEACON_PREFIX];

/* What every beacon of one network is made and checked with. */
typedef struct {
    uint8_t tag[8];  /* the network's, in every beacon */
    uint8_t key[32]; /* the MAC's */
} app_lan_keys_t;

/* The keys of network `name`, closed with secret (32 bytes; NULL: open). */
void app_lan_keys (app_lan_keys_t *k, const char *name, const uint8_t *secret);

/* A beacon of node id, listening on TCP port, with flags. */
void app_lan_beacon_encode (const app_lan_keys_t *k, int flags, ovl_id_t id, int port,
                            uint8_t out[APP_LAN_BEACON_BYTES]);

/* 0 with *flags, *id and *port (1..65535) if b is a beacon of this
 * network; -1 if it is anything else (junk, another network or version, a
 * bad MAC, port 0). */
int app_lan_beacon_decode (const app_lan_keys_t *k, const uint8_t *b, size_t len, int *flags,
                           ovl_id_t *id, int *port);

/* A peer looking for its network: every peer heard, and when to decide.
 *
 * Members heard become its bootstraps, 300 ms after the first (to hear a
 * few more); with none within wait_ms, the smallest id among the peers
 * looking starts the network, and the others wait for its member beacon
 * up to four times wait_ms, then start one too. A goodbye (APP_LAN_LEAVING)
 * takes its sender out: a member leaving is not joined through, and a
 * looking peer giving up no longer holds the others back. */
typedef struct {
    ovl_id_t id;             /* who */
    char addr[OVL_ADDR_MAX]; /* "tcp://IP:PORT" */
    int member;              /* its last beacon said it is a member */
    int gone;                /* it said goodbye */
} app_lan_peer_t;

typedef struct {
    ovl_id_t self;                           /* our own beacons echo back */
    uint64_t start_ms;                       /* looking since */
    uint64_t wait_ms;                        /* for a member */
    uint64_t settle_ms;                      /* decide then, once a member is heard */
    app_lan_peer_t peers[APP_LAN_PEERS_MAX]; /* heard (the first ones, if more) */
    size_t n_peers;                          /* entries used */
} app_lan_look_t;

typedef enum {
    APP_LAN_WAIT = 0, /* nothing decided yet: ask again by app_lan_look_deadline_ms */
    APP_LAN_JOIN,     /* join through the members heard */
    APP_LAN_START,    /* start the network */
} app_lan_verdict_t;

void app_lan_look_init (app_lan_look_t *l, ovl_id_t self, uint64_t now_ms, uint32_t wait_ms);

/* A beacon of our network, decoded, from addr ("tcp://IP:PORT"). */
void app_lan_look_heard (app_lan_look_t *l, uint64_t now_ms, int flags, ovl_id_t id,
                         const char *addr);

/* What to do at now_ms. APP_LAN_JOIN fills boots (at most max, *n of
 * them) with the members heard and still there, and lists them in shown
 * ("IP:PORT, ..."). */
app_lan_verdict_t app_lan_look_verdict (const app_lan_look_t *l, uint64_t now_ms,
                                        ovl_handle_t *boots, size_t max, size_t *n, char *shown,
                                        size_t shown_size);

/* When, after now_ms, the verdict may change if nothing more is heard. */
uint64_t app_lan_look_deadline_ms (const app_lan_look_t *l, uint64_t now_ms);

#endif
