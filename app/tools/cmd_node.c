/* cmd_node.c: `p2pfractal node` -- a debug subcommand that runs one overlay
 * node on the real network through the ZeroMQ transport, and prints its
 * membership events, one machine-readable line each, for humans and for
 * the multi-process tests:
 *
 *   started endpoint=tcp://127.0.0.1:45123 id=<32 hex>
 *   joined hops=N
 *   leaves n=K                 (whenever the leaf set's size changes)
 *   peer_up id=<6 hex> endpoint=tcp://...
 *   peer_lost id=<6 hex> endpoint=tcp://...
 *   conns n=K                  (whenever the open connections change)
 *
 * It runs until SIGINT or SIGTERM (exit 0); nothing received ends it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "commands.h"
#include "handle.h"
#include "node.h"
#include "prune.h"
#include "rng.h"
#include "transport_zmq.h"

static const char s_usage[] =
    "Usage: p2pfractal node [--port P] [--bind ADDR] [--advertise HOST]\n"
    "         [--join HOST:PORT]... [--seed S] [--ping-ms N] [--fail-ms N]\n"
    "   or: p2pfractal node -h|--help|-V|--version\n"
    "Run one overlay node on the network (a debugging aid): start a ring, or\n"
    "join one through any member, and print membership events on stdout, one\n"
    "line each. Runs until interrupted.\n"
    "\n"
    "Options:\n"
    "      --port P              TCP port to listen on, 0..65535 (default 0: any\n"
    "                            free port)\n"
    "      --bind ADDR           IPv4 address or interface to listen on (default\n"
    "                            127.0.0.1; '*' for all)\n"
    "      --advertise HOST      host peers should connect to (default: the bind\n"
    "                            address, 127.0.0.1 for '*')\n"
    "      --join HOST:PORT      join the ring through the node listening there;\n"
    "                            repeat it or give a comma list, at most 8: a join\n"
    "                            that gets no answer tries the next address\n"
    "      --seed S              seed of the node's id and PRNG (default: from the\n"
    "                            clock)\n"
    "      --ping-ms N           probe a quiet neighbour every N ms, 1..600000\n"
    "                            (default 200)\n"
    "      --fail-ms N           declare a neighbour silent for N ms lost,\n"
    "                            1..600000, more than --ping-ms (default 1000)\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal node --port 5555\n"
    "  p2pfractal node --join 127.0.0.1:5555\n"
    "  p2pfractal node --join 127.0.0.1:5555,127.0.0.1:5556\n"
    "\n"
    "Exit status: 0 interrupted; 1 the sockets failed; 2 a bad command line.\n";

void
app_help_node (FILE *out)
{
    fputs (s_usage, out);
}

/* The longest the loop sleeps: bounds how late it notices a signal. */
#define S_POLL_MAX_MS 100
/* Messages handled per pass before timers get their turn. */
#define S_DRAIN_MAX_MSGS 1000

typedef struct {
    ovl_transport_t *transport; /* the sockets */
    int warned_peer_cap;        /* 1 once the DEALER cap was reported */
} s_ctx_t;

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    s_ctx_t *c = ctx;
    if (ovl_transport_send (c->transport, to->addr, bytes, len) != 0 && errno == EMFILE &&
        !c->warned_peer_cap) {
        c->warned_peer_cap = 1;
        fprintf (stderr,
                 "p2pfractal: node: cannot open more peer connections (%zu open); "
                 "dropping messages to new peers\n",
                 ovl_transport_peer_count (c->transport));
    }
}

static void
s_joined (void *ctx, int hops)
{
    (void)ctx;
    printf ("joined hops=%d\n", hops);
    fflush (stdout);
}

static void
s_node_up (void *ctx, const ovl_handle_t *h)
{
    (void)ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    printf ("peer_up id=%s endpoint=%s\n", id, h->addr);
    fflush (stdout);
}

static void
s_node_lost (void *ctx, const ovl_handle_t *h, uint64_t silent_ms)
{
    (void)silent_ms;
    s_ctx_t *c = ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    printf ("peer_lost id=%s endpoint=%s\n", id, h->addr);
    fflush (stdout);
    ovl_transport_forget (c->transport, h->addr);
}

int
app_cmd_node (int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, 0, 'p' },
        { "bind", required_argument, 0, 'b' },
        { "advertise", required_argument, 0, 'a' },
        { "join", required_argument, 0, 'j' },
        { "seed", required_argument, 0, 's' },
        { "ping-ms", required_argument, 0, 'P' },
        { "fail-ms", required_argument, 0, 'F' },
        APP_HELP_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    int port = 0, seed_set = 0, opt;
    const char *bind_addr = "127.0.0.1", *advertise = NULL;
    /* The bootstraps' ids are unknown until they answer; the core sends
     * the JOIN to an addr and treats an all-zero id as "not us". */
    ovl_handle_t boots[OVL_BOOTSTRAPS_MAX];
    size_t n_boots = 0;
    char joins[OVL_BOOTSTRAPS_MAX * 48] = "";
    uint64_t seed = 0;
    ovl_config_t config;
    ovl_config_default (&config);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            port = app_opt_port ("--port", optarg);
            break;
        case 'b':
            bind_addr = app_opt_bind ("--bind", optarg);
            break;
        case 'a':
            advertise = app_opt_advertise ("--advertise", optarg);
            break;
        case 'j':
            app_opt_join ("--join", optarg, boots, &n_boots, OVL_BOOTSTRAPS_MAX, joins,
                          sizeof joins);
            break;
        case 's':
            seed = app_opt_seed ("--seed", optarg);
            seed_set = 1;
            break;
        case 'P':
            config.ping_interval_ms =
                (uint32_t)app_opt_int ("--ping-ms", optarg, "a time in ms", 1, 600000);
            break;
        case 'F':
            config.fail_timeout_ms =
                (uint32_t)app_opt_int ("--fail-ms", optarg, "a time in ms", 1, 600000);
            break;
        case 'h':
            app_help_node (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        default:
            app_getopt_error ("node", argv, opt);
        }
    }
    app_no_operands ("node", argc, argv);
    app_check_advertise (bind_addr, advertise);
    if (config.fail_timeout_ms <= config.ping_interval_ms)
        app_usage_error ("--fail-ms: %u is not more than --ping-ms %u", config.fail_timeout_ms,
                         config.ping_interval_ms);
    if (!seed_set)
        seed = app_seed_from_clock ();

    char err[256];
    s_ctx_t ctx;
    memset (&ctx, 0, sizeof ctx);
    ctx.transport = ovl_transport_new (bind_addr, port, advertise, NULL, err, sizeof err);
    if (!ctx.transport) {
        fprintf (stderr, "p2pfractal: node: %s\n", err);
        return APP_EXIT_FAIL;
    }
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    ovl_handle_t self;
    memset (&self, 0, sizeof self);
    self.id = ovl_rng_id (&rng);
    const char *endpoint = ovl_transport_endpoint (ctx.transport);
    if (strlen (endpoint) >= sizeof self.addr) {
        fprintf (stderr, "p2pfractal: node: endpoint %s is too long\n", endpoint);
        ovl_transport_destroy (&ctx.transport);
        return APP_EXIT_FAIL;
    }
    strcpy (self.addr, endpoint);

    ovl_upcalls_t up;
    memset (&up, 0, sizeof up);
    up.ctx = &ctx;
    up.send = s_send;
    up.joined = s_joined;
    up.node_up = s_node_up;
    up.node_lost = s_node_lost;
    ovl_node_t *node = ovl_node_new (&config, &self, &up, ovl_rng_next (&rng));
    if (!node) {
        fprintf (stderr, "p2pfractal: node: out of memory\n");
        ovl_transport_destroy (&ctx.transport);
        return APP_EXIT_FAIL;
    }

    app_catch_stop_signals ();

    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (self.id, hex);
    printf ("started endpoint=%s id=%s\n", self.addr, hex);
    fflush (stdout);

    ovl_node_start (node, app_now_ms (), n_boots ? boots : NULL, n_boots);

    void *inbox = ovl_transport_inbox_socket (ctx.transport);
    int status = APP_EXIT_OK;
    int last_leaves = -1;
    uint64_t next_prune_ms = app_now_ms () + APP_PRUNE_INTERVAL_MS;
    size_t last_conns = 0;
    while (!app_stop_requested) {
        uint64_t now = app_now_ms ();
        if (now >= next_prune_ms) {
            next_prune_ms = now + APP_PRUNE_INTERVAL_MS;
            app_prune_connections (ctx.transport, node, NULL);
        }
        uint64_t deadline = ovl_node_next_deadline_ms (node);
        if (deadline <= now) {
            ovl_node_on_tick (node, now);
            continue; /* the tick may have set a nearer deadline */
        }
        long timeout_ms = deadline - now > S_POLL_MAX_MS ? S_POLL_MAX_MS : (long)(deadline - now);
        zmq_pollitem_t item = { inbox, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, timeout_ms) < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "p2pfractal: node: zmq_poll: %s\n", zmq_strerror (errno));
            status = APP_EXIT_FAIL;
            break;
        }
        uint8_t *bytes;
        size_t len;
        for (int i = 0;
             i < S_DRAIN_MAX_MSGS && ovl_transport_recv (ctx.transport, &bytes, &len, NULL) == 0;
             i++) {
            ovl_node_on_msg (node, app_now_ms (), bytes, len);
            free (bytes);
        }
        /* The leaf set's size, when it changes: tests wait for the ring to
         * be complete before they kill anyone. */
        ovl_handle_t leaves[16];
        int n_leaves = ovl_node_leaf_list (node, leaves, 16);
        if (n_leaves != last_leaves) {
            last_leaves = n_leaves;
            printf ("leaves n=%d\n", n_leaves);
            fflush (stdout);
        }
        size_t conns = ovl_transport_peer_count (ctx.transport);
        if (conns != last_conns) {
            last_conns = conns;
            printf ("conns n=%zu\n", conns);
            fflush (stdout);
        }
    }
    ovl_node_destroy (&node);
    ovl_transport_destroy (&ctx.transport);
    return status;
}
