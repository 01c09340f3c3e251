/* netkey.h: the network secret of a closed lab network -- 32 random bytes
 * in a small text file (`p2pfractal keygen`), readable by its owner only.
 *
 *   p2pfractal-network-key 1
 *   <64 lowercase hex digits>
 *
 * Peers given the same file (--key) derive their CURVE keys from it
 * (app_netkey_transport_keys; docs/SECURITY.md says why that closes the
 * network). */
#ifndef APP_NETKEY_H
#define APP_NETKEY_H

#include <stddef.h>
#include <stdint.h>

#include "transport_zmq.h"

#define APP_NETKEY_BYTES 32

/* Writes a fresh secret to path, mode 0600: refuses (-1, "exists") if
 * path exists unless force, in which case it is replaced whole (a new
 * file renamed over it). 0, or -1 with a one-line reason in err naming
 * the file. */
int app_netkey_generate (const char *path, int force, char *err, size_t err_size);

/* Reads the secret in path into key. -1 with a one-line reason naming the
 * file if it cannot be read, is not a key file, or others may read it
 * (group or other permission bits set). */
int app_netkey_load (const char *path, uint8_t key[APP_NETKEY_BYTES], char *err, size_t err_size);

/* The transport keys of a closed network, for this node: the inbox key
 * pair and the vouch key derived from secret (libsodium's KDF, BLAKE2b,
 * under our own contexts; the inbox pair from a seed), and a fresh random
 * key pair of its own, whose public half gives the node its id
 * (ovl_id_from_public_key). 0, or -1 if libsodium cannot start. */
int app_netkey_transport_keys (const uint8_t secret[APP_NETKEY_BYTES], ovl_transport_keys_t *keys);

#endif
