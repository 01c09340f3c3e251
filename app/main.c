/* main.c: the p2pfractal binary -- dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

#ifndef P2PF_VERSION
#define P2PF_VERSION "unknown"
#endif

static const char s_usage[] = "Usage: p2pfractal COMMAND [options]\n"
                              "A peer-to-peer Mandelbrot and Julia renderer.\n"
                              "\n"
                              "Commands:\n"
                              "  render   render an image on this machine to PNG (all cores)\n"
                              "  bench    benchmarks: 'bench kernel', 'bench deep'\n"
                              "  sim      simulate N overlay nodes on one virtual clock\n"
                              "  peer     be a peer of a rendering network ('--join' one)\n"
                              "  node     run one overlay node on the network (debugging)\n"
                              "  master   client/server baseline: hand out slices, write the PNG\n"
                              "  worker   client/server baseline: render a master's slices\n"
                              "  keygen   write a network secret for a closed network\n"
                              "\n"
                              "'p2pfractal COMMAND --help' describes a command.\n"
                              "  -h, --help      this text\n"
                              "  -V, --version   print the version\n";

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fputs (s_usage, stderr);
        return APP_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp (cmd, "-h") == 0 || strcmp (cmd, "--help") == 0 || strcmp (cmd, "help") == 0) {
        fputs (s_usage, stdout);
        return APP_EXIT_OK;
    }
    if (strcmp (cmd, "-V") == 0 || strcmp (cmd, "--version") == 0) {
        printf ("p2pfractal %s\n", P2PF_VERSION);
        return APP_EXIT_OK;
    }
    if (strcmp (cmd, "render") == 0)
        return app_cmd_render (argc - 1, argv + 1);
    if (strcmp (cmd, "bench") == 0)
        return app_cmd_bench (argc - 1, argv + 1);
    if (strcmp (cmd, "sim") == 0)
        return app_cmd_sim (argc - 1, argv + 1);
    if (strcmp (cmd, "peer") == 0)
        return app_cmd_peer (argc - 1, argv + 1);
    if (strcmp (cmd, "node") == 0)
        return app_cmd_node (argc - 1, argv + 1);
    if (strcmp (cmd, "master") == 0)
        return app_cmd_master (argc - 1, argv + 1);
    if (strcmp (cmd, "worker") == 0)
        return app_cmd_worker (argc - 1, argv + 1);
    if (strcmp (cmd, "keygen") == 0)
        return app_cmd_keygen (argc - 1, argv + 1);
    app_usage_error ("unknown command '%s' (try 'p2pfractal --help')", cmd);
}
