/* cmd_keygen.c: `p2pfractal keygen` -- write a fresh network secret for a
 * closed lab network (app/common/netkey.h). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "netkey.h"

static const char s_usage[] =
    "Usage: p2pfractal keygen -o FILE [--force]\n"
    "Write a fresh network secret (32 random bytes, as text) to FILE, readable\n"
    "by its owner only (mode 0600). Every peer of a closed network is given the\n"
    "same file; anyone who has it can join that network, so hand it out like a\n"
    "password.\n"
    "\n"
    "  -o, --output FILE  where to write it (refused if it exists)\n"
    "  --force            replace FILE if it exists (the old key stops working)\n";

int
app_cmd_keygen (int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, 0, 'o' },
        { "force", no_argument, 0, 'f' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *out = NULL;
    int force = 0, opt;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            if (!*optarg)
                app_usage_error ("-o: the file name is empty");
            out = optarg;
            break;
        case 'f':
            force = 1;
            break;
        case 'h':
            fputs (s_usage, stdout);
            return APP_EXIT_OK;
        default:
            app_getopt_error ("keygen", argv, opt);
        }
    }
    if (optind < argc)
        app_usage_error ("keygen: unexpected argument '%s'", argv[optind]);
    if (!out)
        app_usage_error ("keygen: -o FILE is required");
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
