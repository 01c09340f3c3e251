/* route_source.c: the local address that routes to a host (see
 * route_source.h). */
#include "route_source.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The host's first IPv4 address: 0, or -1 with the reason in err. */
static int
s_resolve (const char *host, int port, struct sockaddr_in *out, char *err, size_t err_size)
{
    struct addrinfo hints, *res = NULL;
    memset (&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    char port_s[16];
    snprintf (port_s, sizeof port_s, "%d", port);
    int rc = getaddrinfo (host, port_s, &hints, &res);
    if (rc != 0 || !res) {
        snprintf (err, err_size, "cannot resolve %s: %s", host, gai_strerror (rc));
        return -1;
    }
    memcpy (out, res->ai_addr, sizeof *out);
    freeaddrinfo (res);
    return 0;
}

int
app_host_is_loopback (const char *host)
{
    if (strcmp (host, "localhost") == 0)
        return 1;
    struct in_addr a;
    return inet_pton (AF_INET, host, &a) == 1 && (ntohl (a.s_addr) >> 24) == 127;
}

int
app_route_source (const char *host, int port, char *out, size_t out_size, char *err,
                  size_t err_size)
{
    struct sockaddr_in to;
    if (s_resolve (host, port, &to, err, err_size))
        return -1;
    int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf (err, err_size, "socket: %s", strerror (errno));
        return -1;
    }
    struct sockaddr_in local;
    socklen_t len = sizeof local;
    int rc = -1;
    if (connect (fd, (struct sockaddr *)&to, sizeof to) != 0)
        snprintf (err, err_size, "no route to %s: %s", host, strerror (errno));
    else if (getsockname (fd, (struct sockaddr *)&local, &len) != 0)
        snprintf (err, err_size, "getsockname: %s", strerror (errno));
    else if (!inet_ntop (AF_INET, &local.sin_addr, out, (socklen_t)out_size))
        snprintf (err, err_size, "address too long");
    else
        rc = 0;
    close (fd);
    return rc;
}
