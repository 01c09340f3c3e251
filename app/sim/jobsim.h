/* jobsim.h: the job-protocol simulator -- `p2pfractal sim --job` and
 * tests/test_election.c run these scenarios.
 *
 * Each run puts one el_stack_t (the product's wiring of an overlay node and
 * the job protocol) on every node of the deterministic simulated network,
 * renders as seeded delays that yield the slice's real pixels, spot checks
 * answered with the reference kernel, and a scenario's faults: crashes of
 * workers, masters, roots and new masters, loss, jitter, slow peers, late
 * joiners, new jobs mid-job. The same scenario and seed give the same run,
 * bit for bit.
 *
 * Checked as it runs (every 10 virtual ms): no two masters for one term
 * (a (counter, elector) pair), no election outlasting a bound, no peer
 * holding more renders than render_slots + ahead. At the end: every live
 * peer holds every slice, bit-identical to a single-process render, each
 * credited to a node that exists, within the scenario's bound; nothing
 * malformed, no honest slice rejected. And each scenario checks that its
 * faults happened: a kill scenario fails if nobody was killed. */
#ifndef APP_JOBSIM_H
#define APP_JOBSIM_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    int nodes;   /* peers at the start; 0: the scenario's own */
    double loss; /* message loss once the ring is built; < 0: the scenario's */
    FILE *out;   /* one line per run and the diagnosis of a failure; NULL: none */
    FILE *trace; /* every job message and event (long); NULL: none */
} app_jobsim_opts_t;

/* Defaults: the scenario's own nodes and loss, nothing printed. */
void app_jobsim_opts_default (app_jobsim_opts_t *opts);

/* What one run measured. */
typedef struct {
    int failed;           /* 1 if an invariant or a precondition broke */
    char fail[768];       /* the first that broke */
    int nodes;            /* nodes ever added */
    uint64_t done_ms;     /* job start -> every live peer complete */
    uint64_t reassign_ms; /* last master kill -> first new assignment (UINT64_MAX: n/a) */
    int terms;            /* terms elected after a fault (hand-overs not counted) */
    uint64_t elections;   /* ElectionQuery published, all peers */
    uint64_t dup_max;     /* most duplicate slices one peer received */
    uint64_t msgs;        /* messages handed to the network */
    uint64_t trace_hash;  /* the simulator's trace hash */
    uint64_t events_hash; /* FNV-1a over every job event of every peer */
    uint64_t events;      /* their count */
} app_jobsim_result_t;

/* The scenarios, in the order `--job all` runs them: NULL-terminated. */
const char *const *app_jobsim_scenarios (void);
/* One line on what a scenario does; NULL if there is no such scenario. */
const char *app_jobsim_about (const char *scenario);

/* Run one scenario with one seed: 0 if every check held, 1 if one broke
 * (res->fail says which), -1 if there is no such scenario. */
int app_jobsim_run (const char *scenario, uint64_t seed, const app_jobsim_opts_t *opts,
                    app_jobsim_result_t *res);

#endif
