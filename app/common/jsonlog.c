/* jsonlog.c: JSON Lines events (see jsonlog.h). */
#include "jsonlog.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing line; oom latches so one failed allocation drops the line, not
 * the process. */
typedef struct {
    char *data; /* the bytes, NUL-terminated when data is not NULL */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
    int oom;    /* 1 once an allocation failed */
} s_buf_t;

struct app_jsonlog_t {
    FILE *file;    /* where lines go */
    int own_file;  /* 1 if we close it */
    s_buf_t line;  /* the line being built */
    int open_line; /* 1 between _begin and _end */
    /* Held from _begin to _end: the window's thread logs too (a PNG
     * saved), and a line is built whole by one thread at a time. */
    pthread_mutex_t lock;
};

static void
s_put (s_buf_t *b, const char *bytes, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *data = realloc (b->data, cap);
        if (!data) {
            b->oom = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy (b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
s_puts (s_buf_t *b, const char *s)
{
    s_put (b, s, strlen (s));
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static int
s_utf8_len (const unsigned char *s)
{
    unsigned char c = s[0];
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

static void
s_escape (s_buf_t *b, const char *value)
{
    s_put (b, "\"", 1);
    const unsigned char *s = (const unsigned char *)(value ? value : "");
    /* The checks above read at most 3 bytes past a lead byte, and stop at
     * the NUL: a NUL fails every continuation test. */
    while (*s) {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            s_put (b, esc, 2);
            s++;
        } else if (c < 0x20) {
            char esc[8];
            if (c == '\n')
                strcpy (esc, "\\n");
            else if (c == '\t')
                strcpy (esc, "\\t");
            else if (c == '\r')
                strcpy (esc, "\\r");
            else
                snprintf (esc, sizeof esc, "\\u%04x", c);
            s_puts (b, esc);
            s++;
        } else if (c < 0x80) {
            s_put (b, (const char *)s, 1);
            s++;
        } else {
            int n = s_utf8_len (s);
            if (n) {
                s_put (b, (const char *)s, (size_t)n);
                s += n;
            } else {
                s_puts (b, "\\ufffd");
                s++;
            }
        }
    }
    s_put (b, "\"", 1);
}

size_t
app_json_escape (char *buf, size_t size, const char *value)
{
    s_buf_t b = { 0 };
    s_escape (&b, value);
    size_t need = b.oom ? 0 : b.len;
    if (size > 0) {
        size_t n = need < size - 1 ? need : size - 1;
        if (n)
            memcpy (buf, b.data, n);
        buf[n] = '\0';
    }
    free (b.data);
    return need;
}

app_jsonlog_t *
app_jsonlog_open (const char *path, char *err, size_t err_size)
{
    app_jsonlog_t *log = calloc (1, sizeof *log);
    if (!log) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    if (strcmp (path, "-") == 0) {
        log->file = stdout;
    } else {
        log->file = fopen (path, "w");
        if (!log->file) {
            snprintf (err, err_size, "%s: %s", path, strerror (errno));
            free (log);
            return NULL;
        }
        log->own_file = 1;
    }
    pthread_mutex_init (&log->lock, NULL);
    return log;
}

void
app_jsonlog_close (app_jsonlog_t **self_p)
{
    app_jsonlog_t *log = *self_p;
    if (!log)
        return;
    if (log->own_file)
        fclose (log->file);
    else
        fflush (log->file);
    free (log->line.data);
    pthread_mutex_destroy (&log->lock);
    free (log);
    *self_p = NULL;
}

static void
s_key (app_jsonlog_t *log, const char *key)
{
    s_put (&log->line, ",", 1);
    s_escape (&log->line, key);
    s_put (&log->line, ":", 1);
}

void
app_jsonlog_begin (app_jsonlog_t *log, uint64_t t_ms, const char *node, const char *event)
{
    if (!log)
        return;
    pthread_mutex_lock (&log->lock);
    log->line.len = 0;
    log->line.oom = 0;
    log->open_line = 1;
    char t[32];
    snprintf (t, sizeof t, "{\"t\":%llu", (unsigned long long)t_ms);
    s_puts (&log->line, t);
    app_jsonlog_str (log, "node", node);
    app_jsonlog_str (log, "event", event);
}

void
app_jsonlog_str (app_jsonlog_t *log, const char *key, const char *value)
{
    if (!log || !log->open_line)
        return;
    s_key (log, key);
    s_escape (&log->line, value);
}

void
app_jsonlog_u64 (app_jsonlog_t *log, const char *key, uint64_t value)
{
    if (!log || !log->open_line)
        return;
    char v[32];
    snprintf (v, sizeof v, "%llu", (unsigned long long)value);
    s_key (log, key);
    s_puts (&log->line, v);
}

void
app_jsonlog_bool (app_jsonlog_t *log, const char *key, int value)
{
    if (!log || !log->open_line)
        return;
    s_key (log, key);
    s_puts (&log->line, value ? "true" : "false");
}

void
app_jsonlog_num (app_jsonlog_t *log, const char *key, double value)
{
    if (!log || !log->open_line)
        return;
    char v[64];
    /* %g is locale-dependent only in its decimal point, and nothing in
     * this program calls setlocale, so it stays '.'. */
    if (isfinite (value))
        snprintf (v, sizeof v, "%.9g", value);
    else
        snprintf (v, sizeof v, "null");
    s_key (log, key);
    s_puts (&log->line, v);
}

int
app_jsonlog_end (app_jsonlog_t *log)
{
    if (!log || !log->open_line)
        return 0;
    log->open_line = 0;
    s_put (&log->line, "}\n", 2);
    int rc = 0;
    if (log->line.oom) {
        rc = -1;
    } else if (fwrite (log->line.data, 1, log->line.len, log->file) != log->line.len ||
               fflush (log->file) != 0) {
        clearerr (log->file);
        rc = -1;
    }
    pthread_mutex_unlock (&log->lock);
    return rc;
}
