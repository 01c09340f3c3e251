/* lan.h: `peer --lan` -- finding the other peers of a network on the LAN
 * with UDP broadcast beacons (czmq's zbeacon), so nobody types an address.
 *
 * A beacon is 48 bytes: "P2PF", version 1, flags (member / looking), the
 * TCP port, the network's tag, the node id and a MAC. The tag of an open
 * network is a hash of its name; a closed network's tag and MAC are keyed
 * with its secret, so keyed peers ignore foreign beacons and an outsider
 * can neither forge one nor tell which network a beacon is from.
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

/* Before joining: beacon as `looking` and listen. Returns the members
 * heard (their endpoints in boots, at most max, and listed in shown), or 0
 * if this peer should start the network: no member answered, and no peer
 * looking at the same time has a smaller id (that one starts it; the rest
 * wait for its beacon, up to four times wait_ms). */
size_t app_lan_discover (app_lan_t *lan, ovl_id_t self, int port, uint32_t wait_ms,
                         ovl_handle_t *boots, size_t max, char *shown, size_t shown_size);

/* Once part of the network: beacon as a member every second, so that
 * later peers find it. Beacons heard from now on are ignored. */
void app_lan_member (app_lan_t *lan, ovl_id_t self, int port);

/* Beacons dropped as not ours: junk, another network, a bad MAC. */
uint64_t app_lan_foreign (const app_lan_t *lan);

#endif
