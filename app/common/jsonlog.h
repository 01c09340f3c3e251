/* jsonlog.h: machine-readable events, one JSON object per line (JSON
 * Lines), each flushed as it is written so a test or a tail -f sees it at
 * once:
 *
 *   {"t":1763737200123,"node":"<32 hex>","event":"slice_done","slice":7,...}
 *
 * "t" is Unix time in milliseconds. A line is built with _begin, the field
 * setters and _end; every call on a NULL log does nothing, so logging costs
 * nothing when it is off. Strings are escaped as JSON requires (quotes,
 * backslashes, control characters; bytes that are not UTF-8 become
 * U+FFFD), whatever they came from.
 *
 * Threads may share a log: _begin takes a lock that _end releases, so a
 * line is built whole by one thread while another's _begin waits. Every
 * _begin must therefore be followed by _end on the same thread. */
#ifndef APP_JSONLOG_H
#define APP_JSONLOG_H

#include <stddef.h>
#include <stdint.h>

typedef struct app_jsonlog_t app_jsonlog_t;

/* Open (truncate) path for writing; "-" is stdout. NULL with a reason in
 * err on failure. */
app_jsonlog_t *app_jsonlog_open (const char *path, char *err, size_t err_size);
/* Close the file (stdout stays open). Idempotent. */
void app_jsonlog_close (app_jsonlog_t **self_p);

/* Start a line: t, node and event. */
void app_jsonlog_begin (app_jsonlog_t *log, uint64_t t_ms, const char *node, const char *event);
void app_jsonlog_str (app_jsonlog_t *log, const char *key, const char *value);
void app_jsonlog_u64 (app_jsonlog_t *log, const char *key, uint64_t value);
void app_jsonlog_bool (app_jsonlog_t *log, const char *key, int value);
/* A number to 9 significant digits (non-finite values are written as
 * null: JSON has no NaN). */
void app_jsonlog_num (app_jsonlog_t *log, const char *key, double value);
/* End the line, write and flush it. 0, or -1 if it could not be written
 * (then the log stays usable: later lines are tried again). */
int app_jsonlog_end (app_jsonlog_t *log);

/* Append value JSON-escaped, in quotes, to buf (NUL-terminated, of size
 * bytes); returns the length it needs, like snprintf, so a short buf
 * truncates safely. */
size_t app_json_escape (char *buf, size_t size, const char *value);

#endif
