/* cmd_keygen.c: `p2pfractal keygen` -- write a fresh network secret for a
 * closed lab network (app/common/netkey.h). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "netkey.h"

static const char s_usage[] =
    "Usage: p2pfractal keygen -o FILE [--force]\n"
    "   or: p2pfractal keygen -h|--help|-V|--version\n"
    "Write a fresh network secret (32 random bytes, as text) to FILE, readable\n"
    "by its owner only (mode 0600). Every peer of a closed network is given the\n"
    "same file; anyone who has it can join that network, so hand it out like a\n"
    "password.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE         where to write it (refused if it exists)\n"
    "      --force               replace FILE if it exists (the old key stops\n"
    "                            working)\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal keygen -o lab.key\n"
    "  p2pfractal peer --key lab.key --port 5555\n"
    "\n"
    "Exit status: 0 written; 1 FILE exists or cannot be written; 2 a bad command\n"
    "line.\n";

void
app_help_keygen (FILE *out)
{
    fputs (s_usage, out);
}

int
app_cmd_keygen (int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, 0, 'o' },
        { "force", no_argument, 0, 'f' },
        APP_HELP_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    const char *out = NULL;
    int force = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":ho:V", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            out = app_opt_file ("-o", optarg);
            break;
        case 'f':
            force = 1;
            break;
        case 'h':
            app_help_keygen (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        default:
            app_getopt_error ("keygen", argv, opt);
        }
    }
    app_no_operands ("keygen", argc, argv);
    if (!out)
        app_usage_error ("-o: missing: keygen needs the FILE to write (-o FILE)");
    char err[4200];
    if (app_netkey_generate (out, force, err, sizeof err) != 0) {
        fprintf (stderr, "p2pfractal: keygen: %s\n", err);
        return APP_EXIT_FAIL;
    }
    fprintf (stderr,
             "p2pfractal: wrote a network key to %s (mode 0600): give it to every peer of the "
             "network, and to nobody else\n",
             out);
    return APP_EXIT_OK;
}
