/* test_cli_table.c: every subcommand speaks the same language. Driven by
 * tables: each command's --help, `help CMD` and --version (same text, same
 * GNU layout: a usage line naming every option, aligned columns, -h and -V,
 * examples); a list of bad command lines, each of which must exit 2 with
 * one line naming the option (and the range, for a number); runtime
 * failures that exit 1 naming the file or address; plurals and a peer's
 * closing lines; the man page built from the same help texts; the README
 * quoting the general help word for word. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "view.h"

/* The subcommands, as app/main.c's table lists them in --help. */
static const char *const s_commands[] = { "render", "peer", "keygen", "bench",
                                          "sim",    "node", "master", "worker" };
#define S_N_COMMANDS (sizeof s_commands / sizeof s_commands[0])

/* The column every option's description starts at, in every help text. */
#define S_HELP_COLUMN 28

static char *s_dir;

typedef struct {
    int status;      /* exit status, or 128 + signal */
    char out[32768]; /* stdout */
    char err[8192];  /* stderr */
} s_run_t;

/* Run the binary with args (NULL-terminated, without the program) and env
 * (NULL or tu_proc_opts_t's list); kill it after 60 s. */
static void
s_runv (s_run_t *r, const char *const *args, const char *const *env)
{
    const char *argv[64] = { P2PF_BINARY };
    for (int i = 0; args[i] && i < 62; i++)
        argv[i + 1] = args[i];
    char err_path[256];
    tu_path_join (err_path, sizeof err_path, s_dir, "stderr");
    tu_proc_opts_t opts = { .dir = s_dir, .err = TU_IO_FILE, .err_path = err_path, .env = env };
    r->status = tu_run_capture (argv, &opts, r->out, sizeof r->out, 60000);
    if (r->status < 0)
        fail_msg ("p2pfractal %s: still running after 60 s", args[0] ? args[0] : "");
    tu_slurp (err_path, r->err, sizeof r->err);
}

#define S_RUN(r, ...) s_runv ((r), (const char *const[]){ __VA_ARGS__, NULL }, NULL)

/* Exit 2, exactly one line "p2pfractal: ..." on stderr, containing every
 * needle (NULL-terminated). */
static void
s_expect_usage (const s_run_t *r, const char *what, const char *const *needles)
{
    if (r->status != 2)
        fail_msg ("%s: exit %d, wanted 2; stderr: %s", what, r->status, r->err);
    const char *nl = strchr (r->err, '\n');
    if (strncmp (r->err, "p2pfractal: ", 12) != 0 || !nl || nl[1] != '\0')
        fail_msg ("%s: stderr is not one line 'p2pfractal: ...': %s", what, r->err);
    for (int i = 0; needles[i]; i++)
        if (!strstr (r->err, needles[i]))
            fail_msg ("%s: stderr does not say '%s': %s", what, needles[i], r->err);
}

static int
s_setup (void **state)
{
    int rc = tu_setup_dir (state);
    s_dir = *state;
    return rc;
}

/* The help's lines up to the first that is not part of the usage:
 * "Usage: ..." and its indented continuations and "   or: ..." lines. */
static size_t
s_usage_len (const char *help)
{
    const char *p = help;
    while (*p) {
        const char *nl = strchr (p, '\n');
        if (!nl)
            return strlen (help);
        if (p != help && p[0] != ' ')
            break;
        p = nl + 1;
    }
    return (size_t)(p - help);
}

/* One option line's option: "  -o, --output FILE    ..." gives "--output"
 * and "-o"; returns 0 if the line is not an option line. */
static int
s_option_line (const char *line, size_t len, char *lng, char *shrt, size_t *desc_col)
{
    *lng = *shrt = '\0';
    size_t i;
    if (len > 4 && strncmp (line, "  -", 3) == 0 && line[3] != '-') {
        shrt[0] = '-';
        shrt[1] = line[3];
        shrt[2] = '\0';
        if (strncmp (line + 4, ", --", 4) != 0)
            return 0;
        i = 6;
    } else if (len > 8 && strncmp (line, "      --", 8) == 0) {
        i = 6;
    } else {
        return 0;
    }
    size_t n = 0;
    while (i < len && line[i] != ' ' && line[i] != '=' && n < 63)
        lng[n++] = line[i++];
    lng[n] = '\0';
    /* The description: after the first run of two or more spaces. */
    while (i < len && !(line[i] == ' ' && i + 1 < len && line[i + 1] == ' '))
        i++;
    while (i < len && line[i] == ' ')
        i++;
    *desc_col = i < len ? i : 0;
    return 1;
}

/* The layout every help text shares (GNU): a usage naming every option
 * the text describes and an "or:" line for -h|--help|-V|--version, lines
 * of at most 79 columns, every description at S_HELP_COLUMN (or on the next
 * line there, when the option is wider), -h and -V described, and an
 * "Examples:" section of commands. */
static void
s_check_layout (const char *cmd, const char *help)
{
    char prefix[64], or_line[128];
    snprintf (prefix, sizeof prefix, "Usage: p2pfractal %s", cmd ? cmd : "COMMAND");
    if (strncmp (help, prefix, strlen (prefix)) != 0)
        fail_msg ("%s: help does not start with '%s'", cmd, prefix);
    size_t usage_len = s_usage_len (help);
    char usage[4096];
    snprintf (usage, sizeof usage, "%.*s", (int)usage_len, help);
    snprintf (or_line, sizeof or_line, "   or: p2pfractal %s%s-h|--help|-V|--version\n",
              cmd ? cmd : "", cmd ? (strcmp (cmd, "bench") == 0 ? " [kernel|deep] " : " ") : "");
    if (!strstr (usage, or_line))
        fail_msg ("%s: the usage has no line '%s'", cmd, or_line);
    int has_help = 0, has_version = 0, examples = 0, in_examples = 0;
    const char *line = help;
    int lineno = 0;
    while (*line) {
        const char *nl = strchr (line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen (line);
        lineno++;
        if (len > 79)
            fail_msg ("%s: help line %d is %zu columns wide: %.*s", cmd, lineno, len, (int)len,
                      line);
        char lng[64], shrt[3];
        size_t col;
        if (s_option_line (line, len, lng, shrt, &col)) {
            if (col && col != S_HELP_COLUMN)
                fail_msg ("%s: help line %d: description at column %zu, not %d: %.*s", cmd, lineno,
                          col, S_HELP_COLUMN, (int)len, line);
            if (!col && nl) {
                /* The description goes on the next line, at the column. */
                size_t k = 0;
                while (nl[1 + k] == ' ')
                    k++;
                if (k != S_HELP_COLUMN)
                    fail_msg ("%s: help line %d: no description at column %d", cmd, lineno,
                              S_HELP_COLUMN);
            }
            has_help |= strcmp (lng, "--help") == 0 && strcmp (shrt, "-h") == 0;
            has_version |= strcmp (lng, "--version") == 0 && strcmp (shrt, "-V") == 0;
            /* Every option in the usage, by its long or its short name. */
            char as_long[80], as_short[8];
            snprintf (as_long, sizeof as_long, "[%s", lng);
            snprintf (as_short, sizeof as_short, "[%s", shrt);
            int in_usage = strstr (usage, as_long) || (*shrt && strstr (usage, as_short)) ||
                           strcmp (lng, "--help") == 0 || strcmp (lng, "--version") == 0;
            /* a required option is not bracketed */
            char bare[80];
            snprintf (bare, sizeof bare, " %s ", lng);
            in_usage |= strstr (usage, bare) != NULL;
            snprintf (bare, sizeof bare, " %s ", shrt);
            in_usage |= *shrt && strstr (usage, bare) != NULL;
            if (!in_usage)
                fail_msg ("%s: option %s is described but not in the usage", cmd, lng);
        }
        if (len == 0)
            in_examples = 0;
        else if (in_examples && strncmp (line, "  p2pfractal ", 13) == 0)
            examples++;
        if (len == 9 && strncmp (line, "Examples:", 9) == 0)
            in_examples = 1;
        line = nl ? nl + 1 : line + len;
    }
    if (!has_help || !has_version)
        fail_msg ("%s: help lacks '-h, --help' (%d) or '-V, --version' (%d)", cmd, has_help,
                  has_version);
    if (examples < 1)
        fail_msg ("%s: help has no example under 'Examples:'", cmd);
    /* And every option in the usage is described. */
    for (const char *p = strstr (usage, "[--"); p; p = strstr (p + 1, "[--")) {
        char opt[64], described[80];
        size_t n = strcspn (p + 1, " ]");
        snprintf (opt, sizeof opt, "%.*s", (int)n, p + 1);
        snprintf (described, sizeof described, "%s ", opt);
        char described_eol[80];
        snprintf (described_eol, sizeof described_eol, "%s\n", opt);
        if (!strstr (help + usage_len, described) && !strstr (help + usage_len, described_eol))
            fail_msg ("%s: %s is in the usage but not described", cmd, opt);
    }
}

/* The general help lists exactly the commands of s_commands (and help). */
static void
test_general_help (void **state)
{
    (void)state;
    s_run_t r;
    S_RUN (&r, "--help");
    assert_int_equal (r.status, 0);
    s_check_layout (NULL, r.out);
    const char *list = strstr (r.out, "\nCommands:\n");
    assert_non_null (list);
    list += strlen ("\nCommands:\n");
    size_t n = 0;
    while (strncmp (list, "  ", 2) == 0) {
        char name[32];
        assert_int_equal (sscanf (list, " %31s", name), 1);
        if (strcmp (name, "help") != 0) {
            if (n >= S_N_COMMANDS || strcmp (name, s_commands[n]) != 0)
                fail_msg ("--help lists '%s' where this test has '%s'", name,
                          n < S_N_COMMANDS ? s_commands[n] : "nothing");
            n++;
        }
        list = strchr (list, '\n') + 1;
    }
    assert_int_equal (n, S_N_COMMANDS);
    s_run_t h;
    S_RUN (&h, "help");
    assert_int_equal (h.status, 0);
    assert_string_equal (h.out, r.out);
    S_RUN (&h, "-h");
    assert_string_equal (h.out, r.out);
}

/* Every command: --help and -h print the same text as `help CMD`, in the
 * shared layout, on stdout, exit 0; --version and -V print the version. */
static void
test_every_command_help_and_version (void **state)
{
    (void)state;
    s_run_t top, r, h;
    S_RUN (&top, "--version");
    assert_int_equal (top.status, 0);
    if (strncmp (top.out, "p2pfractal ", 11) != 0 || !strchr (top.out, '\n'))
        fail_msg ("--version printed '%s'", top.out);
    for (size_t i = 0; i < S_N_COMMANDS; i++) {
        const char *cmd = s_commands[i];
        S_RUN (&r, cmd, "--help");
        if (r.status != 0 || r.err[0])
            fail_msg ("%s --help: exit %d, stderr '%s'", cmd, r.status, r.err);
        s_check_layout (cmd, r.out);
        S_RUN (&h, "help", cmd);
        assert_int_equal (h.status, 0);
        if (strcmp (h.out, r.out) != 0)
            fail_msg ("'help %s' is not '%s --help'", cmd, cmd);
        S_RUN (&h, cmd, "-h");
        assert_int_equal (h.status, 0);
        assert_string_equal (h.out, r.out);
        const char *const version_args[][3] = { { cmd, "--version", NULL }, { cmd, "-V", NULL } };
        for (int v = 0; v < 2; v++) {
            s_runv (&h, version_args[v], NULL);
            if (h.status != 0 || strcmp (h.out, top.out) != 0 || h.err[0])
                fail_msg ("%s %s: exit %d, '%s' (wanted '%s'), stderr '%s'", cmd,
                          version_args[v][1], h.status, h.out, top.out, h.err);
        }
    }
    /* The commands with a second word answer the same. */
    S_RUN (&r, "bench", "--help");
    S_RUN (&h, "bench", "kernel", "--help");
    assert_string_equal (h.out, r.out);
    S_RUN (&h, "bench", "kernel", "--version");
    assert_string_equal (h.out, top.out);
    /* bench deep has a help of its own, in the same layout. */
    S_RUN (&h, "bench", "deep", "--help");
    assert_int_equal (h.status, 0);
    s_check_layout ("bench deep", h.out);
    S_RUN (&h, "bench", "deep", "--version");
    assert_string_equal (h.out, top.out);
    S_RUN (&r, "sim", "--help");
    S_RUN (&h, "sim", "--job", "all", "--help");
    assert_string_equal (h.out, r.out);
    assert_non_null (strstr (r.out, "  kill-new-master "));
    S_RUN (&h, "sim", "--job", "all", "--version");
    assert_string_equal (h.out, top.out);
}

/* The limits the help states are the ones the code enforces. */
static void
test_help_states_the_real_limits (void **state)
{
    (void)state;
    s_run_t r;
    S_RUN (&r, "render", "--help");
    char want[128];
    snprintf (want, sizeof want, "W and H 1..%d, W*H at most\n                            %ld",
              RND_VIEW_SIZE_MAX_PX, (long)RND_VIEW_PIXELS_MAX);
    if (!strstr (r.out, want))
        fail_msg ("render --help does not state the size limits '%s'", want);
    snprintf (want, sizeof want, "sub-pixels a pixel, 1..%d", RND_VIEW_SAMPLES_MAX);
    assert_non_null (strstr (r.out, want));
    snprintf (want, sizeof want, "W*K * H*K at most %ld", (long)RND_VIEW_PIXELS_MAX);
    assert_non_null (strstr (r.out, want));
    snprintf (want, sizeof want, "maximum iterations, 1..%d", RND_VIEW_ITER_MAX);
    assert_non_null (strstr (r.out, want));
    /* The largest size the help names is accepted, one more pixel is not. */
    snprintf (want, sizeof want, "%dx%ld", RND_VIEW_SIZE_MAX_PX,
              (long)RND_VIEW_PIXELS_MAX / RND_VIEW_SIZE_MAX_PX);
    assert_non_null (strstr (r.out, want));
    S_RUN (&r, "render", "--size", want, "--iter", "0");
    s_expect_usage (&r, "the largest size", (const char *const[]){ "--iter", NULL });
    snprintf (want, sizeof want, "%dx%ld", RND_VIEW_SIZE_MAX_PX,
              (long)RND_VIEW_PIXELS_MAX / RND_VIEW_SIZE_MAX_PX + 1);
    S_RUN (&r, "render", "--size", want);
    s_expect_usage (&r, want, (const char *const[]){ "--size", "134217728", NULL });
}

/* One bad command line: the arguments, then what stderr must say. */
typedef struct {
    const char *args[10];   /* NULL-terminated */
    const char *needles[4]; /* NULL-terminated */
} s_bad_t;

static const s_bad_t s_bad[] = {
    /* the cases */
    { { "render", "-o", "" }, { "-o:", "empty" } },
    { { "render", "--iter", "99999999999" }, { "--iter:", "1..16000000" } },
    { { "peer", "--headless", "--bind", "999.1.1.1" }, { "--bind:", "999.1.1.1" } },
    { { "node", "--bind", "999.1.1.1" }, { "--bind:", "999.1.1.1" } },
    { { "master", "--port", "0", "--bind", "999.1.1.1" }, { "--bind:" } },
    { { "peer", "--headless", "--bind", "nosuchif0" }, { "--bind:", "nosuchif0" } },
    { { "node", "--bind", "lo" }, { "--advertise: missing", "lo" } },
    { { "--bogus" }, { "--bogus: unknown option" } },
    { { "frobnicate" }, { "frobnicate: unknown command" } },
    { { "render", "--size", "16384x16384" }, { "--size:", "134217728" } },
    { { "render", "--size", "16385x1" }, { "--size:", "16384" } },
    /* unknown options and missing values, in every command */
    { { "render", "--bogus" }, { "--bogus: unknown option" } },
    { { "render", "--bogus=1" }, { "--bogus: unknown option" } },
    { { "render", "-Z" }, { "-Z: unknown option" } },
    { { "peer", "--bogus" }, { "--bogus: unknown option" } },
    { { "keygen", "--bogus" }, { "--bogus: unknown option" } },
    { { "bench", "kernel", "--bogus" }, { "--bogus: unknown option" } },
    { { "bench", "--bogus" }, { "--bogus: unknown option" } },
    { { "bench", "frob" }, { "frob: unknown benchmark" } },
    { { "bench" }, { "bench:", "kernel" } },
    { { "sim", "--bogus" }, { "--bogus: unknown option" } },
    { { "sim", "--job", "mix", "--bogus" }, { "--bogus: unknown option" } },
    { { "node", "--bogus" }, { "--bogus: unknown option" } },
    { { "master", "--bogus" }, { "--bogus: unknown option" } },
    { { "worker", "--bogus" }, { "--bogus: unknown option" } },
    { { "render", "--width" }, { "--width: needs a value" } },
    { { "peer", "-o" }, { "-o: needs a value" } },
    { { "render", "stray" }, { "stray: unexpected argument" } },
    { { "help", "render", "extra" }, { "extra: unexpected argument" } },
    { { "help", "frobnicate" }, { "frobnicate: unknown command" } },
    /* required options */
    { { "keygen" }, { "-o: missing" } },
    { { "sim" }, { "--nodes: missing" } },
    { { "master" }, { "--port: missing" } },
    { { "worker" }, { "--connect: missing" } },
    /* numbers: the option, the value and the range */
    { { "render", "--threads", "0" }, { "--threads:", "'0'", "1..1024" } },
    { { "render", "--threads", "99999999999" }, { "--threads:", "1..1024" } },
    { { "render", "--iter", "0" }, { "--iter:", "1..16000000" } },
    { { "render", "--iter", "12x" }, { "--iter:", "'12x'", "1..16000000" } },
    { { "render", "--bailout", "x" }, { "--bailout:", "2..1e+50" } },
    { { "render", "--bailout", "1" }, { "--bailout:", "2..1e+50" } },
    { { "render", "--size", "abc" }, { "--size:", "'abc'", "1..16384" } },
    { { "render", "--width", "-1" }, { "--width:", "positive" } },
    { { "render", "--kernel", "sse9" }, { "--kernel:", "sse9", "auto" } },
    { { "render", "--samples", "0" }, { "--samples:", "'0'", "1..8" } },
    { { "render", "--samples", "9" }, { "--samples:", "'9'", "1..8" } },
    { { "render", "--samples", "2x" }, { "--samples:", "'2x'", "1..8" } },
    { { "peer", "--samples", "-1" }, { "--samples:", "'-1'", "1..8" } },
    /* the sub-pixels count against the pixel limit */
    { { "render", "--size", "16384x8192", "--samples", "2" }, { "--samples:", "134217728" } },
    { { "peer", "--size", "8193x4096", "--samples", "2" }, { "--samples:", "134217728" } },
    { { "master", "--port", "0", "--samples", "2" }, { "--samples:", "baseline" } },
    { { "peer", "--slices", "0" }, { "--slices:", "1..4096" } },
    { { "peer", "--port", "70000" }, { "--port:", "0..65535" } },
    { { "peer", "--threads", "2000" }, { "--threads:", "1..1024" } },
    { { "peer", "--throttle", "0.5" }, { "--throttle:", "1..1e6" } },
    { { "peer", "--join-timeout", "0" }, { "--join-timeout:", "0.001..1e6" } },
    { { "peer", "--seed", "-1" }, { "--seed:", "0..18446744073709551615" } },
    { { "peer", "--geometry", "32x32" }, { "--geometry:", "64..16384" } },
    { { "peer", "--network", "a b" }, { "--network:", "1..64" } },
    { { "peer", "--log-json", "" }, { "--log-json:", "empty" } },
    { { "peer", "--key", "" }, { "--key:", "empty" } },
    { { "peer", "--join", "nohost" }, { "--join:", "HOST:PORT" } },
    { { "peer", "--advertise", "*" }, { "--advertise:" } },
    { { "bench", "kernel", "--runs", "0" }, { "--runs:", "1..1000" } },
    { { "bench", "deep", "--runs", "0" }, { "--runs:", "1..64" } },
    { { "bench", "deep", "--bogus" }, { "--bogus: unknown option" } },
    { { "bench", "kernel", "--size", "16384x16384" }, { "--size:", "134217728" } },
    { { "sim", "--nodes", "0" }, { "--nodes:", "1..1000000" } },
    { { "sim", "--nodes", "10", "--loss", "0.9" }, { "--loss:", "0..0.5" } },
    { { "sim", "--nodes", "10", "--kill", "0.9" }, { "--kill:", "0..0.5" } },
    { { "sim", "--nodes", "10", "--lookups", "-1" }, { "--lookups:", "0..10000000" } },
    { { "sim", "--nodes", "10", "--members", "0" }, { "--members:", "1..1000000" } },
    { { "sim", "--nodes", "10", "--seed", "x" }, { "--seed:", "0..18446744073709551615" } },
    { { "sim", "--job", "mix", "--seeds", "0" }, { "--seeds:", "1..10000000" } },
    { { "sim", "--job", "mix", "--nodes", "1" }, { "--nodes:", "2..10000" } },
    { { "sim", "--job", "nosuch" }, { "--job:", "nosuch" } },
    { { "node", "--ping-ms", "0" }, { "--ping-ms:", "1..600000" } },
    { { "node", "--fail-ms", "100", "--ping-ms", "200" }, { "--fail-ms:", "--ping-ms" } },
    { { "master", "--port", "0", "--slices", "0" }, { "--slices:", "1..4096" } },
    { { "master", "--port", "0", "--workers", "0" }, { "--workers:", "1..4096" } },
    { { "master", "--port", "0", "-o", "" }, { "-o:", "empty" } },
    { { "worker", "--connect", "127.0.0.1:9", "--timeout-ms", "0" },
      { "--timeout-ms:", "1..600000" } },
    { { "worker", "--connect", "127.0.0.1:9", "--threads", "0" }, { "--threads:", "1..1024" } },
    { { "keygen", "-o", "" }, { "-o:", "empty" } },
    /* files */
    { { "render", "-o", "/" }, { "-o /:", "directory" } },
    { { "render", "-o", "/nonexistent-dir/x.png" }, { "-o /nonexistent-dir/x.png" } },
    { { "render", "--params", "missing.params" }, { "--params:", "missing.params" } },
    { { "render", "--params", "" }, { "--params:", "empty" } },
    { { "render", "--palette", "nosuch" }, { "--palette:", "nosuch" } },
};

static void
test_bad_command_lines_exit_2_naming_the_option (void **state)
{
    (void)state;
    s_run_t r;
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad[0]; i++) {
        char what[256] = "p2pfractal";
        for (int k = 0; s_bad[i].args[k]; k++)
            snprintf (what + strlen (what), sizeof what - strlen (what), " '%s'", s_bad[i].args[k]);
        s_runv (&r, s_bad[i].args, NULL);
        s_expect_usage (&r, what, s_bad[i].needles);
    }
    /* No command at all: one line that lists them. */
    s_runv (&r, (const char *const[]){ NULL }, NULL);
    s_expect_usage (&r, "p2pfractal", (const char *const[]){ "render", "worker", NULL });
}

/* --params on a PNG whose Comment chunk has a bad CRC: corrupt, named. */
static void
test_params_from_a_corrupt_png (void **state)
{
    (void)state;
    s_run_t r;
    S_RUN (&r, "render", "--size", "32x18", "--iter", "50", "-q", "-o", "good.png");
    assert_int_equal (r.status, 0);
    char path[256];
    tu_path_join (path, sizeof path, s_dir, "good.png");
    FILE *f = fopen (path, "rb");
    assert_non_null (f);
    static uint8_t png[1 << 16];
    size_t n = fread (png, 1, sizeof png, f);
    fclose (f);
    /* The tEXt chunk holding the Comment: flip a bit of its CRC. */
    uint8_t *key = NULL;
    for (size_t i = 4; !key && i + 11 <= n; i++)
        if (memcmp (png + i, "tEXtComment", 11) == 0)
            key = png + i;
    assert_non_null (key);
    uint32_t len =
        (uint32_t)key[-4] << 24 | (uint32_t)key[-3] << 16 | (uint32_t)key[-2] << 8 | key[-1];
    key[4 + len] ^= 0x01;
    tu_file_write (tu_path_join (path, sizeof path, s_dir, "bad-crc.png"), png, n);
    S_RUN (&r, "render", "--params", "bad-crc.png");
    s_expect_usage (&r, "--params bad-crc.png",
                    (const char *const[]){ "--params:", "bad-crc.png", "corrupt", "CRC", NULL });
}

/* Runtime failures exit 1 and name the file or the address. */
static void
test_runtime_failures_exit_1_naming_what (void **state)
{
    (void)state;
    s_run_t r;
    /* An address no interface here has (TEST-NET-1): binding it fails;
     * nothing is sent anywhere. */
    S_RUN (&r, "node", "--bind", "192.0.2.1");
    if (r.status != 1 || !strstr (r.err, "192.0.2.1"))
        fail_msg ("node --bind 192.0.2.1: exit %d, stderr '%s'", r.status, r.err);
    S_RUN (&r, "keygen", "-o", "k.key");
    assert_int_equal (r.status, 0);
    S_RUN (&r, "keygen", "-o", "k.key");
    if (r.status != 1 || !strstr (r.err, "k.key"))
        fail_msg ("keygen over an existing key: exit %d, stderr '%s'", r.status, r.err);
}

/* A window wanted without a display: exit 1 in our words, without the
 * libraries' own ("error: XDG_RUNTIME_DIR is invalid ..."). */
static void
test_no_display_in_our_words (void **state)
{
    (void)state;
    s_run_t r;
    const char *const env[] = { "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "XDG_RUNTIME_DIR",
                                NULL };
    s_runv (&r, (const char *const[]){ "peer", "--size", "64x36", "--key", "/nonexistent", NULL },
            env);
    /* a bad --key is refused before any window: a bad command line first */
    s_expect_usage (&r, "peer --key /nonexistent", (const char *const[]){ "--key", NULL });
    s_runv (&r, (const char *const[]){ "peer", "--size", "64x36", NULL }, env);
    if (r.status != 1 || !strstr (r.err, "--headless") || strstr (r.err, "XDG_RUNTIME_DIR") ||
        strstr (r.err, "error:"))
        fail_msg ("peer without a display: exit %d, stderr '%s'", r.status, r.err);
}

/* Find "KEY <number>" in text; -1 if absent. */
static long
s_number_after (const char *text, const char *key)
{
    const char *p = strstr (text, key);
    return p ? strtol (p + strlen (key), NULL, 10) : -1;
}

/* One thread, one slice, one peer: the singular everywhere, and the closing
 * lines agree on what they count. */
static void
test_plurals_and_closing_lines (void **state)
{
    (void)state;
    s_run_t r;
    S_RUN (&r, "render", "--size", "32x18", "--iter", "50", "--threads", "1", "-o", "one.png");
    assert_int_equal (r.status, 0);
    if (!strstr (r.err, ", 1 thread)"))
        fail_msg ("render --threads 1 says: %s", r.err);
    S_RUN (&r, "peer", "--headless", "--threads", "1", "--slices", "1", "--size", "32x18", "--iter",
           "50", "--exit-when-done", "-o", "peer.png", "--port", "0");
    if (r.status != 0)
        fail_msg ("a lone peer: exit %d, stderr '%s'", r.status, r.err);
    const char *want[] = { "1 render thread)", "50 iterations, 1 slice\n",
                           "(1 of its 1 slice computed here", "left: rendered 1 slice here" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr (r.err, want[i]))
            fail_msg ("a lone peer's stderr lacks '%s': %s", want[i], r.err);
    const char *bad[] = { "1 threads", "1 slices", "1 peers", "1 render threads" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr (r.err, bad[i]))
            fail_msg ("a lone peer says '%s': %s", bad[i], r.err);
    /* The done line's count is the left line's "first": the same renders. */
    long computed = s_number_after (r.err, "wrote peer.png (");
    long first = s_number_after (r.err, "over all jobs (");
    assert_int_equal (computed, 1);
    assert_int_equal (first, computed);
}

/* The man page builds from the help texts (scripts/man-page, which the
 * CMake target `man` runs) and has every command's help in it. */
static void
test_man_page (void **state)
{
    (void)state;
    char out[256], page[1 << 16];
    tu_path_join (out, sizeof out, s_dir, "p2pfractal.1");
    const char *argv[] = { P2PF_SOURCE_DIR "/scripts/man-page", P2PF_BINARY, out, NULL };
    tu_proc_opts_t opts = { .dir = s_dir };
    int status = tu_run_wait (tu_proc_start (argv, &opts, NULL), 60000);
    if (status != 0)
        fail_msg ("scripts/man-page: exit %d", status);
    for (int built = 0; built < 2; built++) {
        /* the page just written, then the build's own artifact */
        tu_slurp (built ? P2PF_MAN_PAGE : out, page, sizeof page);
        const char *name = built ? P2PF_MAN_PAGE : "scripts/man-page's page";
        if (!strstr (page, ".TH P2PFRACTAL \"1\""))
            fail_msg ("%s is not a man page", name);
        for (size_t i = 0; i < S_N_COMMANDS; i++) {
            char sub[64], usage[96];
            snprintf (sub, sizeof sub, ".SS \"p2pfractal %s\"", s_commands[i]);
            snprintf (usage, sizeof usage, "Usage: p2pfractal %s ", s_commands[i]);
            if (!strstr (page, sub) || !strstr (page, usage))
                fail_msg ("%s lacks the command %s", name, s_commands[i]);
        }
        assert_non_null (strstr (page, ".SH EXAMPLES"));
    }
}

/* README quotes the general help word for word. */
static void
test_readme_quotes_the_help (void **state)
{
    (void)state;
    s_run_t r;
    S_RUN (&r, "--help");
    static char readme[1 << 17];
    tu_slurp (P2PF_SOURCE_DIR "/README.md", readme, sizeof readme);
    char quoted[sizeof r.out + 64];
    snprintf (quoted, sizeof quoted, "```\n$ p2pfractal --help\n%s```\n", r.out);
    if (!strstr (readme, quoted))
        fail_msg ("README.md does not quote 'p2pfractal --help' as it is now:\n%s", quoted);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_general_help),
        cmocka_unit_test (test_every_command_help_and_version),
        cmocka_unit_test (test_help_states_the_real_limits),
        cmocka_unit_test (test_bad_command_lines_exit_2_naming_the_option),
        cmocka_unit_test (test_params_from_a_corrupt_png),
        cmocka_unit_test (test_runtime_failures_exit_1_naming_what),
        cmocka_unit_test (test_no_display_in_our_words),
        cmocka_unit_test (test_plurals_and_closing_lines),
        cmocka_unit_test (test_man_page),
        cmocka_unit_test (test_readme_quotes_the_help),
    };
    return cmocka_run_group_tests (tests, s_setup, tu_teardown_dir);
}
