/* test_jsonlog.c: the peer's JSON Lines log (app/common/jsonlog.c) -- every line
 * one object with t, node and event first, strings escaped so that any
 * bytes (quotes, control characters, broken UTF-8) still make valid JSON,
 * and nothing at all when the log is off. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonlog.h"
#include "test_util.h"

static void
s_expect_escape (const char *in, const char *want)
{
    char buf[256];
    size_t need = app_json_escape (buf, sizeof buf, in);
    assert_string_equal (buf, want);
    assert_int_equal (need, strlen (want));
}

static void
test_escape (void **state)
{
    (void)state;
    s_expect_escape ("", "\"\"");
    s_expect_escape ("plain text", "\"plain text\"");
    s_expect_escape ("a\"b\\c", "\"a\\\"b\\\\c\"");
    s_expect_escape ("line\nnext\ttab\rcr", "\"line\\nnext\\ttab\\rcr\"");
    s_expect_escape ("\x01\x1f", "\"\\u0001\\u001f\"");
    /* Valid UTF-8 passes as it is; anything else becomes U+FFFD. */
    s_expect_escape ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa8",
                     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xa8\"");
    s_expect_escape ("\xff", "\"\\ufffd\"");
    s_expect_escape ("\xc3", "\"\\ufffd\"");                       /* truncated at the end */
    s_expect_escape ("\xc0\xaf", "\"\\ufffd\\ufffd\"");            /* overlong '/' */
    s_expect_escape ("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
    s_expect_escape ("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    /* A short buffer truncates, and says how much was needed. */
    char small[4];
    assert_int_equal (app_json_escape (small, sizeof small, "abcdef"), 8);
    assert_string_equal (small, "\"ab");
}

static void
test_lines (void **state)
{
    char path[256];
    tu_path_join (path, sizeof path, *state, "log.jsonl");
    char err[256];
    app_jsonlog_t *log = app_jsonlog_open (path, err, sizeof err);
    assert_non_null (log);
    app_jsonlog_begin (log, 1763737200123ull, "00112233445566778899aabbccddeeff", "job_started");
    app_jsonlog_str (log, "spec", "p2pfractal-params 1\nsize=8x8\n");
    app_jsonlog_u64 (log, "slices", 48);
    app_jsonlog_bool (log, "master", 1);
    app_jsonlog_bool (log, "root", 0);
    app_jsonlog_num (log, "busy_s", 2.5);
    app_jsonlog_num (log, "nan", NAN);
    assert_int_equal (app_jsonlog_end (log), 0);
    /* Each line is on disk once _end returns: a reader need not wait. */
    char buf[1024];
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    assert_non_null (fgets (buf, sizeof buf, f));
    assert_string_equal (buf, "{\"t\":1763737200123,\"node\":\"00112233445566778899aabbccddeeff\","
                              "\"event\":\"job_started\",\"spec\":\"p2pfractal-params "
                              "1\\nsize=8x8\\n\",\"slices\":48,\"master\":true,\"root\":false,"
                              "\"busy_s\":2.5,\"nan\":null}\n");
    fclose (f);
    app_jsonlog_begin (log, 1, "n", "second");
    assert_int_equal (app_jsonlog_end (log), 0);
    app_jsonlog_close (&log);
    assert_null (log);
    app_jsonlog_close (&log); /* idempotent */
    f = fopen (path, "r");
    assert_non_null (f);
    assert_non_null (fgets (buf, sizeof buf, f));
    assert_non_null (fgets (buf, sizeof buf, f));
    assert_string_equal (buf, "{\"t\":1,\"node\":\"n\",\"event\":\"second\"}\n");
    assert_null (fgets (buf, sizeof buf, f));
    fclose (f);
}

static void
test_off_and_errors (void **state)
{
    /* A NULL log takes every call and does nothing. */
    app_jsonlog_begin (NULL, 1, "n", "e");
    app_jsonlog_str (NULL, "k", "v");
    app_jsonlog_u64 (NULL, "k", 1);
    app_jsonlog_bool (NULL, "k", 1);
    app_jsonlog_num (NULL, "k", 1.0);
    assert_int_equal (app_jsonlog_end (NULL), 0);
    app_jsonlog_t *none = NULL;
    app_jsonlog_close (&none);
    char path[256], err[256];
    tu_path_join (path, sizeof path, *state, "no/such/dir.jsonl");
    assert_null (app_jsonlog_open (path, err, sizeof err));
    assert_non_null (strstr (err, "no/such/dir.jsonl"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_escape),
        cmocka_unit_test_setup_teardown (test_lines, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_off_and_errors, tu_setup_dir, tu_teardown_dir),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
