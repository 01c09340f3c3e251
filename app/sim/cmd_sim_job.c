/* cmd_sim_job.c: `p2pfractal sim --job` -- the job-protocol scenarios
 * (app/sim/scenarios.c) over many seeds: a tally per scenario, every
 * failing seed with its diagnosis and the command that replays it, exit 1
 * if any failed. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "jobsim.h"

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The replay command of one seed, with the options that shaped it. */
static void
s_replay (char *buf, size_t size, const char *scenario, uint64_t seed, int nodes, double loss)
{
    int n = snprintf (buf, size, "p2pfractal sim --job %s --seed %" PRIu64, scenario, seed);
    if (nodes > 0)
        n += snprintf (buf + n, size - (size_t)n, " --nodes %d", nodes);
    if (loss >= 0)
        snprintf (buf + n, size - (size_t)n, " --loss %g", loss);
}

/* One scenario over n seeds from seed. Returns the failures. */
static uint64_t
s_sweep (const char *scenario, uint64_t seed, uint64_t n, const app_jobsim_opts_t *opts, int json)
{
    double t0 = app_now_s ();
    uint64_t *done = malloc ((size_t)n * sizeof *done);
    uint64_t n_done = 0, failed = 0, reassign_max = 0, terms_max = 0;
    for (uint64_t k = 0; k < n; k++) {
        app_jobsim_result_t res;
        uint64_t s = seed + k;
        if (app_jobsim_run (scenario, s, opts, &res) == 0) {
            if (done)
                done[n_done++] = res.done_ms;
            if (res.reassign_ms != UINT64_MAX && res.reassign_ms > reassign_max)
                reassign_max = res.reassign_ms;
            if ((uint64_t)res.terms > terms_max)
                terms_max = (uint64_t)res.terms;
            continue;
        }
        failed++;
        char cmd[256];
        s_replay (cmd, sizeof cmd, scenario, s, opts->nodes, opts->loss);
        printf ("FAILED %s seed %" PRIu64 ": %s\n  replay: %s\n", scenario, s, res.fail, cmd);
        if (!opts->out && !opts->trace) {
            /* The run again, deterministically, telling what it saw. */
            app_jobsim_opts_t again = *opts;
            again.out = stdout;
            app_jobsim_run (scenario, s, &again, &res);
        }
        fflush (stdout);
    }
    double wall = app_now_s () - t0;
    uint64_t med = 0, lo = 0, hi = 0;
    if (n_done) {
        qsort (done, (size_t)n_done, sizeof *done, s_cmp_u64);
        med = done[n_done / 2];
        lo = done[0];
        hi = done[n_done - 1];
    }
    free (done);
    if (json)
        printf ("{\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"seeds\":%" PRIu64
                ",\"failed\":%" PRIu64 ",\"done_ms_median\":%" PRIu64 ",\"done_ms_min\":%" PRIu64
                ",\"done_ms_max\":%" PRIu64 ",\"kill_assign_ms_max\":%" PRIu64
                ",\"terms_max\":%" PRIu64 ",\"wall_s\":%.3f}\n",
                scenario, seed, n, failed, med, lo, hi, reassign_max, terms_max, wall);
    else
        printf ("%-16s %8" PRIu64 " seeds %6" PRIu64 " failed   done in %" PRIu64 " ms (%" PRIu64
                "..%" PRIu64 ")   kill->assign max %" PRIu64 " ms   %.1f s\n",
                scenario, n, failed, med, lo, hi, reassign_max, wall);
    fflush (stdout);
    return failed;
}

int
app_cmd_sim_job (int argc, char **argv)
{
    static const struct option opts[] = {
        { "job", required_argument, 0, 'J' },
        { "seeds", required_argument, 0, 'N' },
        { "seed", required_argument, 0, 's' },
        { "nodes", required_argument, 0, 'n' },
        { "loss", required_argument, 0, 'l' },
        { "json", no_argument, 0, 'j' },
        { "trace", no_argument, 0, 't' },
        APP_HELP_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    const char *job = NULL;
    int seeds = 1, json = 0, seed_set = 0, opt;
    uint64_t seed = 0;
    app_jobsim_opts_t o;
    app_jobsim_opts_default (&o);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'J':
            job = optarg;
            if (strcmp (job, "all") != 0 && !app_jobsim_about (job))
                app_usage_error ("--job: no scenario '%s' (try 'p2pfractal sim --help')", job);
            break;
        case 'N':
            seeds = app_opt_int ("--seeds", optarg, "a seed count", 1, 10000000);
            break;
        case 's':
            seed = app_opt_seed ("--seed", optarg);
            seed_set = 1;
            break;
        case 'n':
            o.nodes = app_opt_int ("--nodes", optarg, "a peer count", 2, 10000);
            break;
        case 'l':
            if (app_parse_double (optarg, &o.loss) || o.loss < 0 || o.loss > 0.5)
                app_usage_error ("--loss: '%s' is not a probability (0..0.5)", optarg);
            break;
        case 'j':
            json = 1;
            break;
        case 't':
            o.trace = stdout;
            o.out = stdout;
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
    if (!job)
        app_usage_error ("--job: needs a value");
    if (!seed_set) {
        seed = app_seed_from_clock ();
        if (!json)
            printf ("seeds from %" PRIu64 " (--seed %" PRIu64 " runs them again)\n", seed, seed);
    }
    uint64_t failed = 0;
    for (const char *const *n = app_jobsim_scenarios (); *n; n++)
        if (strcmp (job, "all") == 0 || strcmp (job, *n) == 0)
            failed += s_sweep (*n, seed, (uint64_t)seeds, &o, json);
    if (!json)
        printf ("%s\n", failed ? "FAILED" : "all passed");
    return failed ? APP_EXIT_FAIL : APP_EXIT_OK;
}
