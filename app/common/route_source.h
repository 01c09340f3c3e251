/* route_source.h: which local address the kernel would use to reach a
 * host -- what a joiner listens on and advertises when --bind and
 * --advertise are not given (so no lab machine has to type its own
 * address). */
#ifndef APP_ROUTE_SOURCE_H
#define APP_ROUTE_SOURCE_H

#include <stddef.h>

/* 1 if host (a name or IPv4 address) is this machine's loopback
 * (127.0.0.0/8, "localhost"): then the defaults stay as they are. */
int app_host_is_loopback (const char *host);

/* The local IPv4 address that routes to host:port, as a dotted quad in
 * out: 0, or -1 with the reason in err. Sends nothing: connect() on a UDP
 * socket only looks the route up. */
int app_route_source (const char *host, int port, char *out, size_t out_size, char *err,
                      size_t err_size);

#endif
