/* lan.h: `peer --lan` -- finding the other peers of a network on the LAN
 * with UDP broadcast beacons (czmq's zbeacon, in a thread of its own), so
 * nobody types an address. The beacon's bytes and what a looking peer
 * makes of them are lan_beacon.h; this is the I/O.
 *
 * Looking never blocks: the loop polls app_lan_socket beside its other
 * sockets, takes what was heard (app_lan_take) and asks for a verdict by
 * the deadline, so the window and the loop go on while the peer looks.
 *
 * Nothing is broadcast unless --lan is given (tests and `make demo` on a
 * shared machine must not); tests run it only inside network namespaces
 * they created (tests/net/lab.sh). */
#ifndef APP_LAN_H
#define APP_LAN_H

#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "id.h"
#include "lan_beacon.h"

#define APP_LAN_PORT 5670 /* UDP, every peer of every network */

typedef struct app_lan app_lan_t;

/* Starts the beacon on iface (NULL: the first broadcast-capable one) for
 * network `name`, closed with secret (32 bytes; NULL: open). host gets
 * this machine's address on that interface. NULL with a reason in err if
 * there is no such interface. */
app_lan_t *app_lan_new (const char *iface, const char *name, const uint8_t *secret, char *host,
                        size_t host_size, char *err, size_t err_size);

/* Stops beaconing. */
void app_lan_destroy (app_lan_t **lan_p);

/* Before joining: beacon as `looking` (every 250 ms) and listen, from
 * now_ms, waiting wait_ms for a member (see app_lan_look_t). */
void app_lan_look (app_lan_t *lan, ovl_id_t self, int port, uint64_t now_ms, uint32_t wait_ms);

/* The socket beacons arrive on, for zmq_poll (ZMQ_POLLIN). */
void *app_lan_socket (app_lan_t *lan);

/* Take every beacon waiting, without waiting. */
void app_lan_take (app_lan_t *lan, uint64_t now_ms);

/* The verdict on what was heard (app_lan_look_verdict), and when to ask
 * again if it is APP_LAN_WAIT. */
app_lan_verdict_t app_lan_verdict (const app_lan_t *lan, uint64_t now_ms, ovl_handle_t *boots,
                                   size_t max, size_t *n, char *shown, size_t shown_size);
uint64_t app_lan_deadline_ms (const app_lan_t *lan, uint64_t now_ms);

/* Once part of the network: beacon as a member every second, so that
 * later peers find it. Beacons heard from now on are ignored. */
void app_lan_member (app_lan_t *lan, ovl_id_t self, int port);

/* Leaving (gracefully): beacon a goodbye every 100 ms until destroyed, so
 * a peer looking now does not join through this one, nor wait for it. */
void app_lan_leave (app_lan_t *lan, ovl_id_t self, int port);

/* Beacons dropped as not ours: junk, another network, a bad MAC. */
uint64_t app_lan_foreign (const app_lan_t *lan);

#endif
