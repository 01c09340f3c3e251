/* main.c: the p2pfractal binary -- the table of subcommands, the general
 * help, and dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

/* Every subcommand, in the order the help lists them. */
static const app_command_t s_commands[] = {
    { "render", "render an image on this machine to PNG, on all cores", app_cmd_render,
      app_help_render },
    { "peer", "be a peer of a rendering network: start one, or --join one", app_cmd_peer,
      app_help_peer },
    { "keygen", "write a network secret for a closed network", app_cmd_keygen, app_help_keygen },
    { "bench", "measure the kernels: 'bench kernel', 'bench deep'", app_cmd_bench, app_help_bench },
    { "sim", "simulate the overlay, or the job protocol under faults", app_cmd_sim, app_help_sim },
    { "node", "run one overlay node on the network (a debugging aid)", app_cmd_node,
      app_help_node },
    { "master", "client/server baseline: hand out slices, write the PNG", app_cmd_master,
      app_help_master },
    { "worker", "client/server baseline: render a master's slices", app_cmd_worker,
      app_help_worker },
};
#define S_N_COMMANDS (sizeof s_commands / sizeof s_commands[0])

static void
s_help (FILE *out)
{
    fputs ("Usage: p2pfractal COMMAND [OPTION]...\n"
           "   or: p2pfractal help COMMAND\n"
           "   or: p2pfractal -h|--help|-V|--version\n"
           "A peer-to-peer Mandelbrot and Julia renderer: peers on many machines split\n"
           "an image into slices, render them and share every finished slice, so each\n"
           "ends up with the whole image, identical to a render on one machine.\n"
           "\n"
           "Commands:\n",
           out);
    for (size_t i = 0; i < S_N_COMMANDS; i++)
        fprintf (out, "  %-8s  %s\n", s_commands[i].name, s_commands[i].summary);
    fputs ("  help      describe a command: 'help COMMAND' is 'COMMAND --help'\n"
           "\n"
           "Options:\n" APP_HELP_HELP "\n"
           "Examples:\n"
           "  p2pfractal render -o seahorse.png\n"
           "  p2pfractal peer --port 5555 --size 1280x720\n"
           "  p2pfractal peer --join 127.0.0.1:5555\n"
           "  p2pfractal help peer\n"
           "\n"
           "Exit status: 0 done; 1 a runtime failure, naming the file or address; 2 a\n"
           "bad command line, naming the option.\n",
           out);
}

static const app_command_t *
s_find (const char *name)
{
    for (size_t i = 0; i < S_N_COMMANDS; i++)
        if (strcmp (s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

/* `help [COMMAND]`: the same text as `COMMAND --help`. */
static int
s_cmd_help (int argc, char **argv)
{
    if (argc < 2) {
        s_help (stdout);
        return APP_EXIT_OK;
    }
    if (argc > 2)
        app_usage_error ("%s: unexpected argument (help takes one command)", argv[2]);
    if (strcmp (argv[1], "help") == 0) {
        s_help (stdout);
        return APP_EXIT_OK;
    }
    const app_command_t *c = s_find (argv[1]);
    if (!c)
        app_usage_error ("%s: unknown command (try 'p2pfractal --help')", argv[1]);
    c->help (stdout);
    return APP_EXIT_OK;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        char names[256] = "";
        for (size_t i = 0; i < S_N_COMMANDS; i++)
            snprintf (names + strlen (names), sizeof names - strlen (names), "%s%s",
                      i ? (i + 1 < S_N_COMMANDS ? ", " : " or ") : "", s_commands[i].name);
        app_usage_error ("a command is missing: %s (try 'p2pfractal --help')", names);
    }
    const char *cmd = argv[1];
    if (strcmp (cmd, "-h") == 0 || strcmp (cmd, "--help") == 0) {
        s_help (stdout);
        return APP_EXIT_OK;
    }
    if (strcmp (cmd, "-V") == 0 || strcmp (cmd, "--version") == 0)
        return app_version_print ();
    if (strcmp (cmd, "help") == 0)
        return s_cmd_help (argc - 1, argv + 1);
    const app_command_t *c = s_find (cmd);
    if (c)
        return c->run (argc - 1, argv + 1);
    if (cmd[0] == '-')
        app_usage_error ("%s: unknown option (try 'p2pfractal --help')", cmd);
    app_usage_error ("%s: unknown command (try 'p2pfractal --help')", cmd);
}
