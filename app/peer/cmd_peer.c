/* cmd_peer.c: `p2pfractal peer` -- its options, and starting and stopping one peer of the network.
 *
 * A peer drives the overlay node (overlay/node.h) and the job protocol
 * (election/peer.h), wired together by election/stack.h, over the ZeroMQ
 * transport, with render threads (peer_render.h) computing the slices the
 * protocol asks for, and a window (app/window/gui.h) showing it all. This
 * file checks the command line, opens the log, the render threads, the
 * window and the transport, starts the stack, and runs the loop (loop.c):
 * on a thread of its own when there is a window, since SDL wants its video
 * on the main thread; the two share only an app_peer_view_t, so a slow X
 * server never delays a heartbeat. Humans get one line per event and a
 * progress line about once a second on stderr; --log-json writes the same
 * events as JSON Lines for tests and benchmarks (events.c). A finished
 * image is written by writer.c's thread. */
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sodium.h>

#include "cli.h"
#include "commands.h"
#include "gui.h"
#include "hooks.h"
#include "lan.h"
#include "netkey.h"
#include "outname.h"
#include "peer_ctx.h"
#include "render_pool.h"
#include "route_source.h"
#include "rng.h"
#include "slice.h"

static const char s_usage[] =
    "Usage: p2pfractal peer [--slices K] [--port P] [--bind ADDR] [--advertise HOST]\n"
    "         [--join HOST:PORT]... [--join-timeout S] [--headless]\n"
    "         [--geometry GEOM] [-t N] [-k KERNEL] [-o FILE] [--exit-when-done]\n"
    "         [--log-json FILE] [--throttle F] [--network NAME] [--seed S]\n"
    "         [--key FILE] [--lan [--iface NAME]]\n" APP_VIEW_USAGE
    "   or: p2pfractal peer -h|--help|-V|--version\n"
    "Be one peer of a rendering network. Without --join it starts the network\n"
    "and a job from the view options, as its master; with --join it joins the\n"
    "network through any peer and helps with the job under way. Every peer\n"
    "ends up with the whole image and writes it as a PNG, then keeps serving\n"
    "(a newer job on the network restarts the work) until interrupted.\n"
    "\n"
    "Options:\n"
    "      --slices K            tiles the job is cut into, 1..4096, rendered\n"
    "                            from the centre out (default: ~32x32-px tiles,\n"
    "                            at least 16; not with --join)\n"
    "      --port P              TCP port to listen on, 0..65535 (default 0: any\n"
    "                            free port)\n"
    "      --bind ADDR           IPv4 address or interface to listen on (default\n"
    "                            127.0.0.1; joining another machine, the local\n"
    "                            address that routes to it; '*' for all)\n"
    "      --advertise HOST      host other peers should connect to (default: the\n"
    "                            bind address, 127.0.0.1 for '*')\n"
    "      --join HOST:PORT      join the network through the peer listening there;\n"
    "                            repeat it or give a comma list, at most 8: a join\n"
    "                            that gets no answer tries the next address\n"
    "      --join-timeout S      exit 1 if not joined within S seconds, 0.001..1e6\n"
    "                            (default: 60 with --exit-when-done, else keep\n"
    "                            trying)\n"
    "      --lan                 find the network's peers on the LAN (UDP broadcast\n"
    "                            beacons, port 5670): join those heard, else start\n"
    "                            the network; listen on the interface's address\n"
    "      --iface NAME          the interface --lan uses (default: the first that\n"
    "                            can broadcast)\n"
    "      --headless            no window: log to stderr only\n"
    "      --geometry GEOM       the window's size and place, WxH or WxH+X+Y (W, H\n"
    "                            64..16384; default: the image's size, shrunk to\n"
    "                            fit the screen)\n"
    "  -t, --threads N           render threads, 1..1024 (default: one per CPU)\n"
    "  -k, --kernel KERNEL       auto, scalar, avx2 or avx512 (default auto: the\n"
    "                            fastest this CPU runs)\n"
    "  -o, --output FILE         PNG to write when the image is complete (default\n"
    "                            p2pfractal-<short id>.png)\n"
    "      --exit-when-done      leave the network once the PNG is written (exit 0)\n"
    "      --log-json FILE       also write every event as one JSON object per line\n"
    "                            ('-': stdout)\n"
    "      --throttle F          wait F-1 times each slice's render time before\n"
    "                            sending it, as a machine F times slower would,\n"
    "                            1..1e6 (default 1)\n"
    "      --network NAME        the network to be part of (default \"default\"):\n"
    "                            1..64 letters, digits, '.', '_' or '-'\n"
    "      --seed S              seed of the peer's PRNGs, and of its id on an open\n"
    "                            network (default: from the clock)\n"
    "      --key FILE            the network secret (p2pfractal keygen): every\n"
    "                            connection is encrypted and only peers holding the\n"
    "                            same secret are let in; without it the network is\n"
    "                            open\n" APP_HELP_HELP "\n" APP_VIEW_HELP "\n"
    "A joining peer adopts the network's job: view options and --slices given\n"
    "to it are checked but not used (but --colouring, which only changes this\n"
    "peer's PNG).\n"
    "\n"
    "In the window: ? lists every key, q/Esc leave, s save a PNG, p next\n"
    "palette, o who computed what, h HUD, Tab big numbers, f/F11 full screen,\n"
    "k crash now (as SIGKILL); left click or drag zooms in, right click zooms\n"
    "out, the wheel zooms at the cursor, +/- zoom at the centre, Backspace/u\n"
    "goes back a view, Home to the first: a new job for everyone.\n"
    "\n"
    "Examples:\n"
    "  p2pfractal peer --port 5555 --size 1280x720 -o a.png\n"
    "  p2pfractal peer --join 127.0.0.1:5555 --geometry 960x540+0+0\n"
    "  p2pfractal peer --headless --join 127.0.0.1:5555 --exit-when-done\n"
    "\n"
    "Exit status: 0 left gracefully; 1 the sockets, the window or the PNG failed,\n"
    "or --join-timeout passed; 2 a bad command line.\n";

void
app_help_peer (FILE *out)
{
    fputs (s_usage, out);
}

#define S_JOIN_TIMEOUT_S 60 /* --join-timeout's default with --exit-when-done */
#define S_LAN_WAIT_MS 1500  /* --lan: listen this long for a network before starting one */
/* Longest --network name. */
#define S_NETWORK_MAX 64

/* One number of a geometry: digits, optionally after a '-' (no spaces, no
 * '+' sign: those separate the fields). */
static int
s_geometry_int (const char *text, size_t len, int *out)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy (buf, text, len);
    buf[len] = '\0';
    if (!isdigit ((unsigned char)buf[buf[0] == '-']))
        return -1;
    return app_parse_int (buf, out);
}

/* "WxH" or "WxH+X+Y" (X, Y may be negative: "+-10") into config. */
static int
s_parse_geometry (const char *text, app_gui_config_t *config)
{
    const char *x = strchr (text, 'x');
    if (!x)
        return -1;
    const char *plus = strchr (x, '+');
    const char *end = plus ? plus : x + strlen (x);
    int w, h, px = 0, py = 0;
    if (s_geometry_int (text, (size_t)(x - text), &w) ||
        s_geometry_int (x + 1, (size_t)(end - x - 1), &h) || w < 64 || h < 64 ||
        w > RND_VIEW_SIZE_MAX_PX || h > RND_VIEW_SIZE_MAX_PX)
        return -1;
    if (plus) {
        const char *plus2 = strchr (plus + 1, '+');
        if (!plus2 || s_geometry_int (plus + 1, (size_t)(plus2 - plus - 1), &px) ||
            s_geometry_int (plus2 + 1, strlen (plus2 + 1), &py) || px < -100000 || px > 100000 ||
            py < -100000 || py > 100000)
            return -1;
    }
    config->has_pos = plus != NULL;
    config->x = px;
    config->y = py;
    config->width = w;
    config->height = h;
    return 0;
}

/* A joiner of a peer on another machine listens on, and advertises, the
 * local address that routes to the first --join address (none typed:
 * --bind/--advertise say otherwise); joining this machine, routed stays
 * empty and the defaults (127.0.0.1) hold. 0, or -1 with err. */
static int
s_route_to_join (const char *joins, char *routed, size_t routed_size, char *err, size_t err_size)
{
    routed[0] = 0;
    char host[48];
    size_t len = strcspn (joins, ",");
    snprintf (host, sizeof host, "%.*s", (int)(len < sizeof host ? len : sizeof host - 1), joins);
    char *colon = strrchr (host, ':');
    if (!colon)
        return 0;
    *colon = 0;
    if (app_host_is_loopback (host))
        return 0;
    return app_route_source (host, atoi (colon + 1), routed, routed_size, err, err_size);
}

int
app_cmd_peer (int argc, char **argv)
{
    enum {
        S_OPT_SLICES = APP_OPT_VIEW_END,
        S_OPT_PORT,
        S_OPT_BIND,
        S_OPT_ADVERTISE,
        S_OPT_JOIN,
        S_OPT_HEADLESS,
        S_OPT_EXIT_WHEN_DONE,
        S_OPT_JOIN_TIMEOUT,
        S_OPT_LOG_JSON,
        S_OPT_THROTTLE,
        S_OPT_NETWORK,
        S_OPT_SEED,
        S_OPT_GEOMETRY,
        S_OPT_KEY,
        S_OPT_LAN,
        S_OPT_IFACE,
    };
    static const struct option opts[] = {
        { "slices", required_argument, 0, S_OPT_SLICES },
        { "port", required_argument, 0, S_OPT_PORT },
        { "bind", required_argument, 0, S_OPT_BIND },
        { "advertise", required_argument, 0, S_OPT_ADVERTISE },
        { "join", required_argument, 0, S_OPT_JOIN },
        { "headless", no_argument, 0, S_OPT_HEADLESS },
        { "threads", required_argument, 0, 't' },
        { "kernel", required_argument, 0, 'k' },
        { "output", required_argument, 0, 'o' },
        { "exit-when-done", no_argument, 0, S_OPT_EXIT_WHEN_DONE },
        { "join-timeout", required_argument, 0, S_OPT_JOIN_TIMEOUT },
        { "log-json", required_argument, 0, S_OPT_LOG_JSON },
        { "throttle", required_argument, 0, S_OPT_THROTTLE },
        { "network", required_argument, 0, S_OPT_NETWORK },
        { "seed", required_argument, 0, S_OPT_SEED },
        { "geometry", required_argument, 0, S_OPT_GEOMETRY },
        { "key", required_argument, 0, S_OPT_KEY },
        { "lan", no_argument, 0, S_OPT_LAN },
        { "iface", required_argument, 0, S_OPT_IFACE },
        APP_HELP_LONG_OPTIONS,
        APP_VIEW_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    app_view_opts_t vo;
    app_view_opts_init (&vo);
    vo.deep_ok = 1; /* deep views: every peer renders them by perturbation */
    app_gui_config_t geometry;
    memset (&geometry, 0, sizeof geometry);
    int port = 0, slices = 0, threads = app_cpu_count (), headless = 0, exit_when_done = 0;
    int seed_set = 0, opt, longindex;
    const char *bind_addr = "127.0.0.1", *advertise = NULL, *join = NULL, *out_path = NULL;
    int bind_given = 0, lan_on = 0;
    const char *iface = NULL;               /* --iface */
    app_lan_t *lan = NULL;                  /* --lan's beacon */
    uint8_t lan_secret[32] = { 0 };         /* a closed network's, for its beacons */
    char lan_host[64] = "";                 /* this machine's address on the LAN */
    char routed[INET_ADDRSTRLEN];           /* the local address that routes to --join */
    ovl_handle_t boots[OVL_BOOTSTRAPS_MAX]; /* --join's addresses */
    size_t n_boots = 0;
    char joins[OVL_BOOTSTRAPS_MAX * 48] = ""; /* and as the messages name them */
    const char *log_path = NULL, *network = "default", *key_path = NULL;
    const char *job_opt = NULL; /* the first option that only a first peer takes */
    double throttle = 1.0;
    double join_timeout_s = 0; /* --join-timeout; 0: the default */
    uint64_t seed = 0;
    rnd_kernel_t kernel = RND_KERNEL_AUTO;
    optind = 1;
    opterr = 0;
    while ((longindex = -1, opt = getopt_long (argc, argv, ":o:t:k:hV", opts, &longindex)) != -1) {
        switch (opt) {
        case S_OPT_SLICES:
            slices = app_opt_int ("--slices", optarg, "a slice count", 1, RND_SLICES_MAX);
            job_opt = job_opt ? job_opt : "slices";
            break;
        case S_OPT_PORT:
            port = app_opt_port ("--port", optarg);
            break;
        case S_OPT_BIND:
            bind_addr = app_opt_bind ("--bind", optarg);
            bind_given = 1;
            break;
        case S_OPT_ADVERTISE:
            advertise = app_opt_advertise ("--advertise", optarg);
            break;
        case S_OPT_JOIN:
            app_opt_join ("--join", optarg, boots, &n_boots, OVL_BOOTSTRAPS_MAX, joins,
                          sizeof joins);
            join = joins;
            break;
        case S_OPT_HEADLESS:
            headless = 1;
            break;
        case 't':
            threads = app_opt_int ("--threads", optarg, "a thread count", 1, 1024);
            break;
        case 'k':
            kernel = app_opt_kernel ("--kernel", optarg);
            break;
        case 'o':
            out_path = app_opt_file ("-o", optarg);
            break;
        case S_OPT_EXIT_WHEN_DONE:
            exit_when_done = 1;
            break;
        case S_OPT_JOIN_TIMEOUT:
            if (app_parse_double (optarg, &join_timeout_s) || !(join_timeout_s >= 0.001) ||
                join_timeout_s > 1e6)
                app_usage_error ("--join-timeout: '%s' is not a number of seconds (0.001..1e6)",
                                 optarg);
            break;
        case S_OPT_LOG_JSON:
            log_path = app_opt_file ("--log-json", optarg);
            break;
        case S_OPT_THROTTLE:
            if (app_parse_double (optarg, &throttle) || !(throttle >= 1.0) || throttle > 1e6)
                app_usage_error ("--throttle: '%s' is not a slowdown factor (1..1e6)", optarg);
            break;
        case S_OPT_NETWORK: {
            size_t len = strlen (optarg);
            int ok = len >= 1 && len <= S_NETWORK_MAX;
            for (size_t i = 0; ok && i < len; i++)
                ok = (optarg[i] >= 'a' && optarg[i] <= 'z') ||
                     (optarg[i] >= 'A' && optarg[i] <= 'Z') ||
                     (optarg[i] >= '0' && optarg[i] <= '9') || strchr ("._-", optarg[i]);
            if (!ok)
                app_usage_error (
                    "--network: '%s' is not a network name (1..%d of A-Z a-z 0-9 . _ -)", optarg,
                    S_NETWORK_MAX);
            network = optarg;
            break;
        }
        case S_OPT_SEED:
            seed = app_opt_seed ("--seed", optarg);
            seed_set = 1;
            break;
        case S_OPT_GEOMETRY:
            if (s_parse_geometry (optarg, &geometry))
                app_usage_error ("--geometry: '%s' is not WxH or WxH+X+Y (W, H 64..%d; X, Y "
                                 "-100000..100000)",
                                 optarg, RND_VIEW_SIZE_MAX_PX);
            break;
        case S_OPT_LAN:
            lan_on = 1;
            break;
        case S_OPT_IFACE:
            if (!*optarg || strlen (optarg) >= 16 || strchr (optarg, '/'))
                app_usage_error ("--iface: '%s' is not an interface name", optarg);
            iface = optarg;
            break;
        case S_OPT_KEY:
            key_path = app_opt_file ("--key", optarg);
            break;
        case 'h':
            app_help_peer (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        case '?':
        case ':':
            app_getopt_error ("peer", argv, opt);
        default:
            app_view_opts_apply (&vo, opt, optarg);
            /* The colouring is this peer's own; the rest is the job's. */
            if (opt != APP_OPT_COLOURING && !job_opt && longindex >= 0)
                job_opt = opts[longindex].name;
        }
    }
    app_no_operands ("peer", argc, argv);
    app_check_advertise (bind_addr, advertise);

    app_peer_ctx_t c;
    memset (&c, 0, sizeof c);
    /* p2pfractal-test only (test_verify): a peer that lies. */
    c.test_corrupt = app_peer_hook_corrupt_slices ();
    c.colouring_set = vo.colouring_set;
    c.colouring = vo.colouring;
    c.exit_when_done = exit_when_done;
    /* Refuse a bad view before opening any socket -- also from a joiner,
     * which does not use it: one command line for every peer of a swarm
     * should fail on each peer alike. */
    app_view_opts_finish (&vo, &c.palette);
    snprintf (c.own_palette, sizeof c.own_palette, "%s", vo.view.palette);
    el_job_t first_job;
    char err[512];
    if (el_job_init (&first_job, &vo.view, slices, 0, err, sizeof err) != 0)
        app_usage_error ("%s%s", strncmp (err, "slices:", 7) == 0 ? "--" : "", err);
    if (join && job_opt)
        fprintf (stderr,
                 "p2pfractal: peer: joining: the network's job is adopted, --%s and the other "
                 "view options are not used\n",
                 job_opt);
    if (out_path)
        app_check_writable ("-o", out_path);
    if (log_path && strcmp (log_path, "-") != 0)
        app_check_writable ("--log-json", log_path);
    if (!seed_set)
        seed = app_seed_from_clock ();
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    c.self.id = ovl_rng_id (&rng);
    ovl_transport_keys_t keys;
    if (key_path) {
        /* A closed network: the id is the hash of our own public key. */
        uint8_t secret[APP_NETKEY_BYTES];
        if (app_netkey_load (key_path, secret, err, sizeof err) != 0)
            app_usage_error ("--key: %s", err);
        int rc = app_netkey_transport_keys (secret, &keys);
        memcpy (lan_secret, secret, sizeof lan_secret);
        sodium_memzero (secret, sizeof secret);
        if (rc != 0) {
            fprintf (stderr, "p2pfractal: peer: libsodium cannot start\n");
            return APP_EXIT_FAIL;
        }
        c.self.id = ovl_id_from_public_key (keys.node_public);
        sodium_bin2hex (c.public_key, sizeof c.public_key, keys.node_public,
                        sizeof keys.node_public);
    } else {
        fprintf (stderr, "p2pfractal: peer: warning: no --key: this network is open -- anyone "
                         "who can reach its ports can join, read the image and send pixels "
                         "(see docs/SECURITY.md)\n");
    }
    ovl_id_hex (c.self.id, c.hex);
    ovl_id_short (c.self.id, c.short_id);
    char default_out[64];
    snprintf (default_out, sizeof default_out, "p2pfractal-%s.png", c.short_id);
    if (!out_path) {
        out_path = default_out;
        app_check_writable ("output", out_path);
    }
    c.out_path = out_path;

    int status = APP_EXIT_FAIL;
    app_gui_t *gui = NULL;
    /* Later jobs' images (<stem>-2.png, ...), the window's saves
     * (<stem>-saved-1.png, ...) and a partial image (<stem>.partial.png)
     * go beside the -o file. */
    app_outname_stem (out_path, c.out_stem, sizeof c.out_stem);
    if (log_path && !(c.log = app_jsonlog_open (log_path, err, sizeof err))) {
        fprintf (stderr, "p2pfractal: peer: --log-json %s\n", err);
        goto done;
    }
    c.render = app_peer_render_new (threads, kernel, throttle, err, sizeof err);
    if (!c.render) {
        fprintf (stderr, "p2pfractal: peer: render threads: %s\n", err);
        goto done;
    }
    if (!headless) {
        /* The window opens before the peer joins anything: without a
         * display it fails here, and no network ever saw this peer. */
        rnd_kernel_t used = kernel == RND_KERNEL_AUTO ? rnd_kernel_best () : kernel;
        c.view = app_peer_view_new (c.self.id, rnd_kernel_name (used),
                                    app_peer_render_threads (c.render));
        if (!c.view) {
            fprintf (stderr, "p2pfractal: peer: out of memory\n");
            goto done;
        }
        geometry.hud = 1;
        geometry.save_stem = c.out_stem;
        /* A palette on this command line colours this window, whatever the
         * job's; without one, the window follows the job. */
        geometry.palette = vo.source[RND_FIELD_PALETTE] ? c.own_palette : NULL;
        geometry.colouring_set = vo.colouring_set;
        geometry.colouring = vo.colouring;
        geometry.log = c.log;
        geometry.node_hex = c.hex;
        gui = app_gui_open (&geometry, c.view, err, sizeof err);
        if (!gui) {
            fprintf (stderr, "p2pfractal: peer: %s\n", err);
            goto done;
        }
    }
    if (lan_on) {
        lan = app_lan_new (iface, network, key_path ? lan_secret : NULL, lan_host, sizeof lan_host,
                           err, sizeof err);
        sodium_memzero (lan_secret, sizeof lan_secret);
        if (!lan) {
            fprintf (stderr, "p2pfractal: peer: --lan: %s\n", err);
            goto done;
        }
        /* Listen on, and advertise, the address the beacons go out on. */
        if (!bind_given && !advertise)
            bind_addr = lan_host;
    }
    sodium_memzero (lan_secret, sizeof lan_secret);
    if (n_boots > 0 && !bind_given && !advertise && !lan &&
        s_route_to_join (joins, routed, sizeof routed, err, sizeof err)) {
        fprintf (stderr, "p2pfractal: peer: --join: %s\n", err);
        goto done;
    }
    if (n_boots > 0 && !bind_given && !advertise && !lan && routed[0])
        bind_addr = routed;
    c.transport =
        ovl_transport_new (bind_addr, port, advertise, key_path ? &keys : NULL, err, sizeof err);
    sodium_memzero (&keys, sizeof keys);
    if (!c.transport) {
        fprintf (stderr, "p2pfractal: peer: %s\n", err);
        goto done;
    }
    const char *endpoint = ovl_transport_endpoint (c.transport);
    if (strlen (endpoint) >= sizeof c.self.addr) {
        fprintf (stderr, "p2pfractal: peer: endpoint %s is too long\n", endpoint);
        goto done;
    }
    strcpy (c.self.addr, endpoint);
    if (c.view)
        app_peer_view_host (c.view, c.self.id, c.self.addr);

    el_stack_config_t scfg;
    ovl_config_default (&scfg.overlay);
    el_config_default (&scfg.job);
    scfg.job.render_slots = (uint32_t)app_peer_render_threads (c.render);
    /* p2pfractal-test only (benchmarks): pixels checked per slice. */
    app_peer_hook_check_pixels (&scfg.job.check_pixels);
    char net_name[S_NETWORK_MAX + 8];
    snprintf (net_name, sizeof net_name, "net/%s", network);
    scfg.network = ovl_id_from_name (net_name, strlen (net_name));
    el_stack_driver_t drv;
    app_peer_events_driver (&c, &drv);
    uint64_t node_seed = ovl_rng_next (&rng);
    c.stack = el_stack_new (&scfg, &c.self, &drv, node_seed, ovl_rng_next (&rng));
    if (c.stack) {
        c.node = el_stack_node (c.stack);
        c.peer = el_stack_peer (c.stack);
    }
    if (!c.stack) {
        fprintf (stderr, "p2pfractal: peer: out of memory\n");
        goto done;
    }

    app_catch_stop_signals ();
    /* stderr may be a pipe whose reader went away: a lost log line must
     * not kill the peer. */
    signal (SIGPIPE, SIG_IGN);

    const char *colon = strrchr (c.self.addr, ':');
    int n_threads = app_peer_render_threads (c.render);
    app_peer_say (&c, "listening on %s (id %s, network %s, %s, %d render thread%s)", c.self.addr,
                  c.hex, network, key_path ? "closed: CURVE" : "open", n_threads,
                  app_plural_s ((unsigned)n_threads));
    app_jsonlog_t *log = app_peer_json (&c, "started");
    app_jsonlog_str (log, "endpoint", c.self.addr);
    app_jsonlog_u64 (log, "port", colon ? strtoull (colon + 1, NULL, 10) : 0);
    app_jsonlog_str (log, "network", network);
    /* The key the id is the hash of: anyone can check it. */
    app_jsonlog_str (log, "public_key", c.public_key);
    app_jsonlog_u64 (log, "threads", (uint64_t)app_peer_render_threads (c.render));
    app_jsonlog_num (log, "throttle", throttle);
    app_jsonlog_end (log);

    if (join_timeout_s == 0 && exit_when_done)
        join_timeout_s = S_JOIN_TIMEOUT_S;
    c.join_timeout_ms = (uint64_t)(join_timeout_s * 1000.0);
    c.own_port = atoi (strrchr (endpoint, ':') + 1);
    c.network = network;
    c.first_view = vo.view;
    c.first_slices = slices;
    c.lan = lan;
    snprintf (c.lan_host, sizeof c.lan_host, "%s", lan_host);
    /* --lan and no --join: the loop looks on the LAN, the window already
     * up, and then joins or starts the network. */
    if (lan && n_boots == 0)
        app_peer_lan_look (&c, S_LAN_WAIT_MS);
    else if (app_peer_start (&c, boots, n_boots, joins) != 0)
        goto done;

    if (gui) {
        /* The loop gets a thread; this one draws until the loop closes
         * the view (it left: q, a signal, --exit-when-done, an error). */
        pthread_t loop_tid;
        if (pthread_create (&loop_tid, NULL, app_peer_loop_thread, &c) != 0) {
            fprintf (stderr, "p2pfractal: peer: cannot start the loop thread\n");
            goto done;
        }
        int gui_failed = app_gui_run (gui) != 0;
        if (gui_failed)
            app_peer_view_post_leave (c.view);
        pthread_join (loop_tid, NULL);
        status = gui_failed ? APP_EXIT_FAIL : c.status;
    } else {
        status = app_peer_loop (&c);
    }
done:
    /* Threads first: nothing may post while the cores go. */
    app_gui_close (&gui);
    app_peer_render_destroy (&c.render);
    el_stack_destroy (&c.stack);
    app_lan_destroy (&lan);
    ovl_transport_destroy (&c.transport);
    app_peer_view_destroy (&c.view);
    app_jsonlog_close (&c.log);
    return status;
}
