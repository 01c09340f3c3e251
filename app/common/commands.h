/* commands.h: the subcommands of the p2pfractal binary. Each takes the
 * arguments after the program name (argv[0] is the subcommand) and returns
 * the process exit status; each has a help text, printed by both
 * `p2pfractal CMD --help` and `p2pfractal help CMD`. app/main.c holds the
 * table of them (app_commands), which the general help, `help CMD` and
 * the man page (scripts/man-page) all read. */
#ifndef APP_COMMANDS_H
#define APP_COMMANDS_H

#include <stdio.h>

typedef struct {
    const char *name;                   /* the word after p2pfractal */
    const char *summary;                /* its line in p2pfractal --help */
    int (*run) (int argc, char **argv); /* the command itself */
    void (*help) (FILE *out);           /* prints its --help text, GNU layout */
} app_command_t;

int app_cmd_render (int argc, char **argv);
int app_cmd_bench (int argc, char **argv);
/* `bench deep`: perturbation throughput (app/tools/cmd_bench_deep.c). */
int app_cmd_bench_deep (int argc, char **argv);
int app_cmd_sim (int argc, char **argv);
/* `sim --job`: the job protocol's scenarios (app/sim/cmd_sim_job.c). */
int app_cmd_sim_job (int argc, char **argv);
int app_cmd_node (int argc, char **argv);
int app_cmd_peer (int argc, char **argv);
int app_cmd_master (int argc, char **argv);
int app_cmd_worker (int argc, char **argv);
int app_cmd_keygen (int argc, char **argv);

/* The help texts, each defined beside its command's options. */
void app_help_render (FILE *out);
void app_help_bench (FILE *out);
void app_help_sim (FILE *out);
void app_help_node (FILE *out);
void app_help_peer (FILE *out);
void app_help_master (FILE *out);
void app_help_worker (FILE *out);
void app_help_keygen (FILE *out);

#endif
