/* cmd_sim.c: `p2pfractal sim` -- N overlay nodes in one process on the
 * deterministic simulated network: join them all, route lookups and check
 * each reached the numerically closest live node, multicast to a group,
 * optionally crash a fraction of the nodes and measure again after repair.
 * Same seed, same numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "id.h"
#include "jobsim.h"
#include "rng.h"
#include "simnet.h"

static const char s_usage[] =
    "Usage: p2pfractal sim --nodes N [--seed S] [--loss P] [--kill F] [--lookups K]\n"
    "         [--members M] [--json]\n"
    "   or: p2pfractal sim --job SCENARIO|all [--seeds N] [--seed S] [--nodes K]\n"
    "         [--loss P] [--json] [--trace]\n"
    "   or: p2pfractal sim -h|--help|-V|--version\n"
    "Simulate on one virtual clock, where the same seed gives the same run:\n"
    "the overlay alone (first form) -- N nodes (Pastry routing, Scribe groups)\n"
    "join one by one, route K lookups to random keys and publish to a group of\n"
    "M members; with --kill, crash that fraction of the nodes (the group's\n"
    "root among them), let failure detection and repair run, and measure\n"
    "again -- or the job protocol under faults (--job): one protocol stack per\n"
    "simulated peer (the wiring `p2pfractal peer` runs), renders in virtual\n"
    "time, crashes, loss and joiners; each run checks that every live peer\n"
    "ends with the whole image, bit-identical to a single render, that no term\n"
    "has two masters and that the scenario's faults happened.\n"
    "\n"
    "Overlay options:\n"
    "      --nodes N             nodes, 1..1000000\n"
    "      --seed S              PRNG seed (default 1)\n"
    "      --loss P              message loss during the measurements, 0..0.5\n"
    "                            (default 0)\n"
    "      --kill F              fraction of the nodes to crash, 0..0.5 (default 0)\n"
    "      --lookups K           lookups per measurement, 0..10000000 (default\n"
    "                            10000)\n"
    "      --members M           group members, 1..N (default: N, at most 1000)\n"
    "      --json                one JSON object instead of the table\n"
    "\n"
    "Job protocol options:\n"
    "      --job SCENARIO        a scenario (listed below), or all\n"
    "      --seeds N             seeds per scenario: S, S+1, ..., 1..10000000\n"
    "                            (default 1)\n"
    "      --seed S              the first seed (default: from the clock, printed)\n"
    "      --nodes K             peers at the start instead of the scenario's,\n"
    "                            2..10000\n"
    "      --loss P              message loss instead of the scenario's, 0..0.5\n"
    "      --json                one JSON object per scenario instead of the tally\n"
    "                            lines\n"
    "      --trace               every job message and event of every run (give\n"
    "                            one seed)\n"
    "\n"
    "Options:\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal sim --nodes 1000 --seed 1\n"
    "  p2pfractal sim --nodes 10000 --seed 7 --kill 0.1 --json\n"
    "  p2pfractal sim --job all --seeds 1000\n"
    "  p2pfractal sim --job kill-master --seed 700003 --trace\n"
    "\n"
    "Exit status: 0 done (--job: every seed passed); 1 a seed failed; 2 a bad\n"
    "command line.\n"
    "\n"
    "Scenarios (--job):\n";

void
app_help_sim (FILE *out)
{
    fputs (s_usage, out);
    /* Each scenario's line, wrapped at 79 columns under its text. */
    for (const char *const *n = app_jobsim_scenarios (); *n; n++) {
        const char *about = app_jobsim_about (*n);
        int col = fprintf (out, "  %-16s", *n);
        while (*about) {
            size_t len = strlen (about);
            if (col + 1 + (int)len > 79) {
                len = (size_t)(79 - col - 1);
                while (len > 0 && about[len] != ' ')
                    len--;
                if (len == 0)
                    len = strcspn (about, " ");
            }
            fprintf (out, " %.*s\n", (int)len, about);
            about += len;
            about += strspn (about, " ");
            if (*about)
                col = fprintf (out, "%18s", "");
        }
    }
}

#define S_HOPS_MAX 16

typedef struct {
    ovl_simnet_t *sim;
    /* lookups in the current round */
    int *lookup_dest; /* node the lookup was delivered at, -1 = not yet */
    int *lookup_hops; /* its hop count */
    int n_lookups;
    /* multicast */
    int *member_delivered; /* per node: deliveries of the current publication */
    uint64_t publication;  /* id of the current publication */
} s_state_t;

static void
s_deliver (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len, int hops)
{
    s_state_t *st = ctx;
    (void)key;
    uint32_t idx;
    if (len != sizeof idx)
        return;
    memcpy (&idx, payload, sizeof idx);
    if ((int)idx < st->n_lookups && st->lookup_dest[idx] < 0) {
        st->lookup_dest[idx] = node;
        st->lookup_hops[idx] = hops;
    }
}

static void
s_group_deliver (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len)
{
    s_state_t *st = ctx;
    (void)group;
    uint64_t pub;
    if (len != sizeof pub)
        return;
    memcpy (&pub, payload, sizeof pub);
    if (pub == st->publication)
        st->member_delivered[node]++;
}

typedef struct {
    int lookups;            /* issued */
    double delivered_ratio; /* delivered at the right node */
    double avg_hops;
    int max_hops;
    uint64_t hist[S_HOPS_MAX + 1];
    double multicast_delivered_ratio; /* live members that got it exactly once */
    int max_children;
    int tree_depth;
    double known_avg; /* distinct nodes a node knows: its connections */
    int known_max;
} s_round_t;

static void
s_lookups (s_state_t *st, ovl_rng_t *rng, int k, s_round_t *out)
{
    ovl_simnet_t *sim = st->sim;
    int n = ovl_simnet_count (sim);
    ovl_id_t *keys = malloc ((size_t)k * sizeof *keys);
    st->lookup_dest = malloc ((size_t)k * sizeof *st->lookup_dest);
    st->lookup_hops = malloc ((size_t)k * sizeof *st->lookup_hops);
    if (!keys || !st->lookup_dest || !st->lookup_hops) {
        fprintf (stderr, "p2pfractal: out of memory\n");
        exit (APP_EXIT_FAIL);
    }
    st->n_lookups = k;
    for (int i = 0; i < k; i++) {
        st->lookup_dest[i] = -1;
        int src;
        do
            src = (int)ovl_rng_below (rng, (uint64_t)n);
        while (!ovl_simnet_alive (sim, src));
        keys[i] = ovl_rng_id (rng);
        uint32_t idx = (uint32_t)i;
        ovl_simnet_route (sim, src, keys[i], (const uint8_t *)&idx, sizeof idx);
    }
    ovl_simnet_settle (sim, 60000);
    int ok = 0;
    uint64_t hops = 0;
    memset (out->hist, 0, sizeof out->hist);
    out->max_hops = 0;
    for (int i = 0; i < k; i++) {
        if (st->lookup_dest[i] < 0 || st->lookup_dest[i] != ovl_simnet_closest (sim, keys[i]))
            continue;
        ok++;
        int h = st->lookup_hops[i];
        hops += (uint64_t)h;
        out->hist[h > S_HOPS_MAX ? S_HOPS_MAX : h]++;
        if (h > out->max_hops)
            out->max_hops = h;
    }
    out->lookups = k;
    out->delivered_ratio = k ? (double)ok / k : 1.0;
    out->avg_hops = ok ? (double)hops / ok : 0.0;
    free (keys);
    free (st->lookup_dest);
    free (st->lookup_hops);
    st->lookup_dest = st->lookup_hops = NULL;
    st->n_lookups = 0;
}

/* Tree shape, from every node's view of itself. */
static void
s_tree_shape (ovl_simnet_t *sim, ovl_id_t group, int *max_children, int *depth)
{
    int n = ovl_simnet_count (sim);
    *max_children = 0;
    *depth = 0;
    for (int i = 0; i < n; i++) {
        if (!ovl_simnet_alive (sim, i))
            continue;
        int children = 0, has_parent = 0;
        ovl_handle_t parent;
        if (!ovl_node_group_info (ovl_simnet_node (sim, i), group, NULL, NULL, &parent, &has_parent,
                                  &children))
            continue;
        if (children > *max_children)
            *max_children = children;
        /* walk to the root; a cycle or a dangling parent stops the walk */
        int d = 0, cur = i;
        while (has_parent && d < n) {
            unsigned next;
            if (sscanf (parent.addr, "sim:%u", &next) != 1 || !ovl_simnet_alive (sim, (int)next))
                break;
            cur = (int)next;
            d++;
            if (!ovl_node_group_info (ovl_simnet_node (sim, cur), group, NULL, NULL, &parent,
                                      &has_parent, NULL))
                break;
        }
        if (d > *depth)
            *depth = d;
    }
}

static void
s_multicast (s_state_t *st, ovl_rng_t *rng, ovl_id_t group, const int *members, int m,
             s_round_t *out)
{
    ovl_simnet_t *sim = st->sim;
    int n = ovl_simnet_count (sim);
    memset (st->member_delivered, 0, (size_t)n * sizeof *st->member_delivered);
    st->publication = ovl_rng_next (rng);
    int pub;
    do
        pub = members[ovl_rng_below (rng, (uint64_t)m)];
    while (!ovl_simnet_alive (sim, pub));
    ovl_simnet_group_publish (sim, pub, group, (const uint8_t *)&st->publication,
                              sizeof st->publication);
    ovl_simnet_settle (sim, 60000);
    int live = 0, once = 0;
    for (int i = 0; i < m; i++) {
        if (!ovl_simnet_alive (sim, members[i]))
            continue;
        live++;
        once += st->member_delivered[members[i]] == 1;
    }
    out->multicast_delivered_ratio = live ? (double)once / live : 1.0;
    s_tree_shape (sim, group, &out->max_children, &out->tree_depth);
    uint64_t known = 0;
    int counted = 0;
    out->known_max = 0;
    for (int i = 0; i < n; i++) {
        if (!ovl_simnet_alive (sim, i))
            continue;
        int k = (int)ovl_node_known_count (ovl_simnet_node (sim, i));
        known += (uint64_t)k;
        counted++;
        if (k > out->known_max)
            out->known_max = k;
    }
    out->known_avg = counted ? (double)known / counted : 0.0;
}

/* One round, as a table line or as the JSON object (keys exactly those
 * the overlay issue lists). */
static void
s_print (const char *label, int nodes, const s_round_t *r, double msgs_per_node, uint64_t virt_ms,
         double wall_ms, int json)
{
    int top = S_HOPS_MAX;
    while (top > 0 && r->hist[top] == 0)
        top--;
    if (json) {
        printf ("{\"nodes\": %d, \"lookups\": %d, \"delivered_ratio\": %.6f, \"avg_hops\": %.4f, "
                "\"max_hops\": %d, \"hops_histogram\": [",
                nodes, r->lookups, r->delivered_ratio, r->avg_hops, r->max_hops);
        for (int h = 0; h <= top; h++)
            printf ("%s%llu", h ? ", " : "", (unsigned long long)r->hist[h]);
        printf ("], \"multicast_delivered_ratio\": %.6f, \"max_children\": %d, \"tree_depth\": %d, "
                "\"messages_per_node\": %.1f, \"virtual_ms\": %llu, \"wall_ms\": %.0f}\n",
                r->multicast_delivered_ratio, r->max_children, r->tree_depth, msgs_per_node,
                (unsigned long long)virt_ms, wall_ms);
        return;
    }
    printf ("%-7s nodes %d  lookups %d  delivered %.4f  hops avg %.3f max %d  multicast %.4f  "
            "max_children %d  depth %d  msgs/node %.1f  virtual %.1f s  wall %.1f s\n",
            label, nodes, r->lookups, r->delivered_ratio, r->avg_hops, r->max_hops,
            r->multicast_delivered_ratio, r->max_children, r->tree_depth, msgs_per_node,
            virt_ms / 1000.0, wall_ms / 1000.0);
    printf ("        nodes known per node (a peer's connections): avg %.1f, max %d\n", r->known_avg,
            r->known_max);
    printf ("        hops histogram:");
    for (int h = 0; h <= top; h++)
        printf (" %d:%llu", h, (unsigned long long)r->hist[h]);
    printf ("\n");
}

int
app_cmd_sim (int argc, char **argv)
{
    /* `sim --job` simulates the job protocol, not the bare overlay. */
    for (int i = 1; i < argc; i++)
        if (strcmp (argv[i], "--job") == 0 || strncmp (argv[i], "--job=", 6) == 0)
            return app_cmd_sim_job (argc, argv);
    static const struct option opts[] = {
        { "nodes", required_argument, 0, 'n' },
        { "seed", required_argument, 0, 's' },
        { "loss", required_argument, 0, 'l' },
        { "kill", required_argument, 0, 'k' },
        { "lookups", required_argument, 0, 'L' },
        { "members", required_argument, 0, 'm' },
        { "json", no_argument, 0, 'j' },
        APP_HELP_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    int nodes = 0, lookups = 10000, members = -1, json = 0, opt;
    double loss = 0.0, kill = 0.0;
    uint64_t seed = 1;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            nodes = app_opt_int ("--nodes", optarg, "a node count", 1, 1000000);
            break;
        case 's':
            seed = app_opt_seed ("--seed", optarg);
            break;
        case 'l':
            if (app_parse_double (optarg, &loss) || loss < 0 || loss > 0.5)
                app_usage_error ("--loss: '%s' is not a probability (0..0.5)", optarg);
            break;
        case 'k':
            if (app_parse_double (optarg, &kill) || kill < 0 || kill > 0.5)
                app_usage_error ("--kill: '%s' is not a fraction (0..0.5)", optarg);
            break;
        case 'L':
            lookups = app_opt_int ("--lookups", optarg, "a lookup count", 0, 10000000);
            break;
        case 'm':
            members = app_opt_int ("--members", optarg, "a member count", 1, 1000000);
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            app_help_sim (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        default:
            app_getopt_error ("sim", argv, opt);
        }
    }
    app_no_operands ("sim", argc, argv);
    if (nodes < 1) /* 0: not given (app_opt_int allows 1.. only) */
        app_usage_error ("--nodes: missing: sim needs --nodes N, or --job SCENARIO (try "
                         "'p2pfractal sim --help')");
    if (members < 0)
        members = nodes < 1000 ? nodes : 1000;
    if (members > nodes)
        app_usage_error ("--members: %d is more than --nodes %d", members, nodes);

    double t0 = app_now_s ();
    ovl_simnet_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    cfg.seed = seed;
    cfg.loss = 0.0; /* the ring is built loss-free; --loss applies to the measurements */
    cfg.latency_min_ms = 2;
    cfg.latency_max_ms = 20;
    ovl_config_default (&cfg.node);
    /* Probing is off while the ring is built: N nodes pinging their leaf sets
     * across the hours of virtual time sequential joins take would swamp the
     * simulation and prove nothing; it is switched on for the repair phase. */
    cfg.node.ping_interval_ms = 0;
    cfg.node.fail_timeout_ms = 0;
    cfg.node.ack_timeout_ms = 200;
    cfg.node.join_timeout_ms = 10000;
    cfg.node.dead_memory_ms = 60000;
    /* Routing-table maintenance every ~17 virtual minutes: a few rounds per
     * node over the build, enough to fill the tables as a long-lived ring
     * would, without drowning the run in requests. */
    cfg.node.table_maint_ms = 1000000;
    s_state_t st;
    memset (&st, 0, sizeof st);
    st.member_delivered = calloc ((size_t)nodes, sizeof *st.member_delivered);
    ovl_simnet_hooks_t hooks;
    memset (&hooks, 0, sizeof hooks);
    hooks.ctx = &st;
    hooks.deliver = s_deliver;
    hooks.group_deliver = s_group_deliver;
    st.sim = ovl_simnet_new (&cfg, &hooks);
    if (!st.sim || !st.member_delivered) {
        fprintf (stderr, "p2pfractal: out of memory\n");
        return APP_EXIT_FAIL;
    }
    ovl_simnet_t *sim = st.sim;
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed ^ 0x5eed5eed5eed5eedull);

    /* 1. join, one node at a time, each through a random member */
    for (int i = 0; i < nodes; i++) {
        int via = i == 0 ? -1 : (int)ovl_rng_below (&rng, (uint64_t)i);
        if (ovl_simnet_add (sim, via) < 0) {
            fprintf (stderr, "p2pfractal: out of memory at node %d\n", i);
            return APP_EXIT_FAIL;
        }
        ovl_simnet_settle (sim, 60000);
        if (!json && nodes >= 10000 && (i + 1) % (nodes / 10) == 0)
            fprintf (stderr, "sim: %d node%s joined (%.0f s)\n", i + 1,
                     app_plural_s ((unsigned)(i + 1)), app_now_s () - t0);
    }
    /* 2. the group: M random distinct members */
    ovl_id_t group = ovl_id_from_name ("sim/group", 9);
    int *member_list = malloc ((size_t)members * sizeof *member_list);
    int *perm = malloc ((size_t)nodes * sizeof *perm);
    if (!member_list || !perm)
        return APP_EXIT_FAIL;
    for (int i = 0; i < nodes; i++)
        perm[i] = i;
    for (int i = 0; i < members; i++) {
        int j = i + (int)ovl_rng_below (&rng, (uint64_t)(nodes - i));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        member_list[i] = perm[i];
        ovl_simnet_group_join (sim, perm[i], group);
    }
    ovl_simnet_settle (sim, 60000);

    ovl_simnet_set_loss (sim, loss);
    s_round_t before;
    memset (&before, 0, sizeof before);
    s_lookups (&st, &rng, lookups, &before);
    s_multicast (&st, &rng, group, member_list, members, &before);
    uint64_t msgs_before = ovl_simnet_messages (sim);
    double wall_before = (app_now_s () - t0) * 1000.0;
    /* With --json, one object: the round after repair when there was a
     * kill (the one that matters), else this one. */
    if (!json || kill <= 0.0)
        s_print ("before", nodes, &before, (double)msgs_before / nodes, ovl_simnet_now (sim),
                 wall_before, json);

    if (kill > 0.0) {
        /* 3. crash a fraction, the root of the group among them */
        int n_kill = (int)(kill * nodes + 0.5);
        int root = ovl_simnet_closest (sim, group);
        int killed = 0;
        if (root >= 0 && n_kill > 0) {
            ovl_simnet_kill (sim, root);
            killed++;
        }
        while (killed < n_kill) {
            int v = (int)ovl_rng_below (&rng, (uint64_t)nodes);
            if (!ovl_simnet_alive (sim, v))
                continue;
            ovl_simnet_kill (sim, v);
            killed++;
        }
        /* switch failure detection on and let it run */
        ovl_config_t live = cfg.node;
        live.ping_interval_ms = 1000;
        live.fail_timeout_ms = 3000;
        ovl_simnet_set_node_config (sim, &live);
        ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 8000);
        ovl_simnet_settle (sim, 60000);
        s_round_t after;
        memset (&after, 0, sizeof after);
        s_lookups (&st, &rng, lookups, &after);
        s_multicast (&st, &rng, group, member_list, members, &after);
        s_print ("after", nodes - killed, &after, (double)ovl_simnet_messages (sim) / nodes,
                 ovl_simnet_now (sim), (app_now_s () - t0) * 1000.0, json);
    }
    free (member_list);
    free (perm);
    free (st.member_delivered);
    ovl_simnet_destroy (&st.sim);
    return APP_EXIT_OK;
}
