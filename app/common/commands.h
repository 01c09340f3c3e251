/* commands.h: the subcommands of the p2pfractal binary. Each takes the
 * arguments after the program name (argv[0] is the subcommand) and returns
 * the process exit status. */
#ifndef APP_COMMANDS_H
#define APP_COMMANDS_H

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

#endif
