/* json.c - the JSON writer and reader declared in json.h. */
#include "util/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================ writer ===================================== */

void ogem_jw_init(ogem_json_writer *w)
{
    memset(w, 0, sizeof *w);
}

void ogem_jw_free(ogem_json_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

const char *ogem_jw_text(const ogem_json_writer *w, size_t *len)
{
    if (w->failed || w->depth != 0 || !w->done) return NULL;
    if (len) *len = w->len;
    return w->buf;
}

static void put(ogem_json_writer *w, const char *s, size_t n)
{
    if (w->failed) return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (w->len + n + 1 > cap) cap *= 2;
        char *b = realloc(w->buf, cap);
        if (!b) { w->failed = 1; return; }
        w->buf = b;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void puts_(ogem_json_writer *w, const char *s) { put(w, s, strlen(s)); }

static void put_string(ogem_json_writer *w, const char *s)
{
    put(w, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': puts_(w, "\\\""); break;
        case '\\': puts_(w, "\\\\"); break;
        case '\n': puts_(w, "\\n"); break;
        case '\r': puts_(w, "\\r"); break;
        case '\t': puts_(w, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                puts_(w, esc);
            } else {
                put(w, (const char *)p, 1); /* UTF-8 passes through unchanged */
            }
        }
    }
    put(w, "\"", 1);
}

/* Separator, indentation and key before a value. Misuse (a key inside an array,
 * none inside an object, a second top-level value) marks the writer failed
 * rather than producing invalid JSON silently. */
static void begin_value(ogem_json_writer *w, const char *key)
{
    if (w->failed) return;
    if (w->depth == 0) {
        if (w->done || key) { w->failed = 1; return; }
        return;
    }
    int lvl = w->depth - 1;
    if (w->count[lvl] > 0) put(w, ",", 1);
    if (w->compact[lvl]) {
        if (w->count[lvl] > 0) put(w, " ", 1);
    } else {
        put(w, "\n", 1);
        for (int i = 0; i < w->depth; i++) put(w, "  ", 2);
    }
    w->count[lvl]++;
    if ((key != NULL) != (w->object[lvl] != 0)) { w->failed = 1; return; }
    if (key) {
        put_string(w, key);
        put(w, ": ", 2);
    }
}

static void end_value(ogem_json_writer *w)
{
    if (w->depth == 0) {
        put(w, "\n", 1);
        w->done = 1;
    }
}

static void open_container(ogem_json_writer *w, const char *key, const char *bracket, int compact, int object)
{
    begin_value(w, key);
    if (w->failed) return;
    if (w->depth >= OGEM_JSON_MAX_DEPTH) { w->failed = 1; return; }
    int parent_compact = w->depth > 0 && w->compact[w->depth - 1];
    puts_(w, bracket);
    w->compact[w->depth] = (char)(compact || parent_compact);
    w->object[w->depth] = (char)object;
    w->count[w->depth] = 0;
    w->depth++;
}

static void close_container(ogem_json_writer *w, const char *bracket, int object)
{
    if (w->failed) return;
    if (w->depth == 0 || w->object[w->depth - 1] != object) { w->failed = 1; return; }
    w->depth--;
    if (!w->compact[w->depth] && w->count[w->depth] > 0) {
        put(w, "\n", 1);
        for (int i = 0; i < w->depth; i++) put(w, "  ", 2);
    }
    puts_(w, bracket);
    end_value(w);
}

void ogem_jw_begin_object(ogem_json_writer *w, const char *key) { open_container(w, key, "{", 0, 1); }
void ogem_jw_end_object(ogem_json_writer *w) { close_container(w, "}", 1); }
void ogem_jw_begin_array(ogem_json_writer *w, const char *key, int compact) { open_container(w, key, "[", compact, 0); }
void ogem_jw_end_array(ogem_json_writer *w) { close_container(w, "]", 0); }

void ogem_jw_string(ogem_json_writer *w, const char *key, const char *value)
{
    begin_value(w, key);
    if (value) put_string(w, value);
    else puts_(w, "null");
    end_value(w);
}

void ogem_jw_double(ogem_json_writer *w, const char *key, double value)
{
    char b[40];
    begin_value(w, key);
    if (isfinite(value)) {
        snprintf(b, sizeof b, "%.17g", value);
        puts_(w, b);
    } else {
        puts_(w, "null"); /* JSON has no NaN/Inf */
    }
    end_value(w);
}

void ogem_jw_int(ogem_json_writer *w, const char *key, long long value)
{
    char b[32];
    begin_value(w, key);
    snprintf(b, sizeof b, "%lld", value);
    puts_(w, b);
    end_value(w);
}

void ogem_jw_uint(ogem_json_writer *w, const char *key, uint64_t value)
{
    char b[32];
    begin_value(w, key);
    snprintf(b, sizeof b, "%llu", (unsigned long long)value);
    puts_(w, b);
    end_value(w);
}

void ogem_jw_bool(ogem_json_writer *w, const char *key, int value)
{
    begin_value(w, key);
    puts_(w, value ? "true" : "false");
    end_value(w);
}

void ogem_jw_null(ogem_json_writer *w, const char *key)
{
    begin_value(w, key);
    puts_(w, "null");
    end_value(w);
}

void ogem_jw_double_array(ogem_json_writer *w, const char *key, const double *v, long n)
{
    ogem_jw_begin_array(w, key, 1);
    for (long i = 0; i < n; i++) ogem_jw_double(w, NULL, v[i]);
    ogem_jw_end_array(w);
}

/* ================================ reader ===================================== */

#define MAX_PARSE_DEPTH 64

typedef struct parser {
    const char *p, *end, *line_start;
    int line;
    char *msg;
    size_t msglen;
    int failed;
} parser;

static void perr(parser *ps, const char *fmt, ...)
{
    if (ps->failed) return;
    ps->failed = 1;
    if (!ps->msg || ps->msglen == 0) return;
    int col = (int)(ps->p - ps->line_start) + 1;
    int k = snprintf(ps->msg, ps->msglen, "line %d, column %d: ", ps->line, col);
    if (k < 0 || (size_t)k >= ps->msglen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->msg + k, ps->msglen - (size_t)k, fmt, ap);
    va_end(ap);
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == '\n') {
            ps->line++;
            ps->line_start = ps->p + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        ps->p++;
    }
}

static ogem_json *new_node(parser *ps, ogem_json_type t)
{
    ogem_json *v = calloc(1, sizeof *v);
    if (!v) { perr(ps, "out of memory"); return NULL; }
    v->type = t;
    v->line = ps->line;
    return v;
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

static int hex4(parser *ps, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (ps->p >= ps->end) { perr(ps, "unterminated \\u escape"); return 0; }
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else { perr(ps, "bad hex digit in \\u escape"); return 0; }
    }
    *out = v;
    return 1;
}

/* Appends code point cp as UTF-8 to b (b has room: at most 4 bytes per escape,
 * and an escape takes at least 6 source bytes). */
static size_t utf8(char *b, unsigned cp)
{
    if (cp < 0x80) { b[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string starting at the opening quote; returns a malloc'd UTF-8 copy. */
static char *parse_string(parser *ps)
{
    const char *start = ++ps->p; /* past the quote */
    /* The decoded text is never longer than the source, so one pass sizes it. */
    const char *q = start;
    while (q < ps->end && *q != '"') {
        if (*q == '\\') q++;
        q++;
    }
    if (q >= ps->end) { perr(ps, "unterminated string"); return NULL; }
    char *out = malloc((size_t)(q - start) + 1);
    if (!out) { perr(ps, "out of memory"); return NULL; }
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) { perr(ps, "control character in string"); free(out); return NULL; }
        if (c != '\\') { out[n++] = (char)c; ps->p++; continue; }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!hex4(ps, &cp)) { free(out); return NULL; }
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* high surrogate: a low one must follow */
                unsigned lo;
                if (!literal(ps, "\\u") || !hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    perr(ps, "unpaired surrogate in \\u escape");
                    free(out);
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                perr(ps, "unpaired surrogate in \\u escape");
                free(out);
                return NULL;
            } else if (cp == 0) {
                /* C strings end at NUL; refuse rather than truncate silently. */
                perr(ps, "\\u0000 in a string is not supported");
                free(out);
                return NULL;
            }
            n += utf8(out + n, cp);
            break;
        }
        default:
            ps->p--;
            perr(ps, "bad escape '\\%c' in string", e);
            free(out);
            return NULL;
        }
    }
    ps->p++; /* closing quote */
    out[n] = '\0';
    return out;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Strict JSON number grammar; keeps the source text. */
static ogem_json *parse_number(parser *ps)
{
    const char *s = ps->p;
    const char *q = s;
    if (q < ps->end && *q == '-') q++;
    if (q >= ps->end || !is_digit(*q)) { perr(ps, "bad number"); return NULL; }
    if (*q == '0') q++;
    else while (q < ps->end && is_digit(*q)) q++;
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || !is_digit(*q)) { ps->p = q; perr(ps, "bad number: digits must follow '.'"); return NULL; }
        while (q < ps->end && is_digit(*q)) q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || !is_digit(*q)) { ps->p = q; perr(ps, "bad number: digits must follow the exponent"); return NULL; }
        while (q < ps->end && is_digit(*q)) q++;
    }
    ogem_json *v = new_node(ps, OGEM_JSON_NUMBER);
    if (!v) return NULL;
    size_t n = (size_t)(q - s);
    v->text = malloc(n + 1);
    if (!v->text) { free(v); perr(ps, "out of memory"); return NULL; }
    memcpy(v->text, s, n);
    v->text[n] = '\0';
    v->number = strtod(v->text, NULL); /* overflow gives +-HUGE_VAL; text stays exact */
    ps->p = q;
    return v;
}

static ogem_json *parse_value(parser *ps, int depth);

static ogem_json *parse_container(parser *ps, int depth, int is_object)
{
    ogem_json *v = new_node(ps, is_object ? OGEM_JSON_OBJECT : OGEM_JSON_ARRAY);
    if (!v) return NULL;
    char close = is_object ? '}' : ']';
    ps->p++; /* opening bracket */
    ogem_json **tail = &v->child;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) { ps->p++; return v; }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (is_object) {
            if (ps->p >= ps->end || *ps->p != '"') { perr(ps, "expected a member name in quotes"); goto fail; }
            key = parse_string(ps);
            if (!key) goto fail;
            for (ogem_json *c = v->child; c; c = c->next) {
                if (strcmp(c->key, key) == 0) {
                    perr(ps, "duplicate key \"%s\"", key);
                    free(key);
                    goto fail;
                }
            }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') { perr(ps, "expected ':' after a member name"); free(key); goto fail; }
            ps->p++;
        }
        ogem_json *c = parse_value(ps, depth + 1);
        if (!c) { free(key); goto fail; }
        c->key = key;
        *tail = c;
        tail = &c->next;
        v->count++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; return v; }
        perr(ps, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto fail;
    }
fail:
    ogem_json_free(v);
    return NULL;
}

static ogem_json *parse_value(parser *ps, int depth)
{
    if (depth > MAX_PARSE_DEPTH) { perr(ps, "nested too deeply"); return NULL; }
    skip_ws(ps);
    if (ps->p >= ps->end) { perr(ps, "unexpected end of text"); return NULL; }
    char c = *ps->p;
    if (c == '{' || c == '[') return parse_container(ps, depth, c == '{');
    if (c == '"') {
        ogem_json *v = new_node(ps, OGEM_JSON_STRING);
        if (!v) return NULL;
        v->text = parse_string(ps);
        if (!v->text) { free(v); return NULL; }
        return v;
    }
    if (c == '-' || is_digit(c)) return parse_number(ps);
    int truth = literal(ps, "true");
    if (truth || literal(ps, "false")) {
        ogem_json *v = new_node(ps, OGEM_JSON_BOOL);
        if (v) v->boolean = truth;
        return v;
    }
    if (literal(ps, "null")) return new_node(ps, OGEM_JSON_NULL);
    perr(ps, "unexpected character '%c'", c);
    return NULL;
}

ogem_status ogem_json_parse(const char *text, size_t len, ogem_json **out, char *msg, size_t msglen)
{
    parser ps = { text, text + len, text, 1, msg, msglen, 0 };
    *out = NULL;
    if (msg && msglen) msg[0] = '\0';
    /* A UTF-8 byte order mark is harmless; skip it. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) ps.p += 3, ps.line_start += 3;
    ogem_json *v = parse_value(&ps, 0);
    if (!v) {
        if (!ps.failed) perr(&ps, "out of memory");
        return OGEM_ERR_PARSE;
    }
    skip_ws(&ps);
    if (ps.p != ps.end) {
        perr(&ps, "unexpected text after the value");
        ogem_json_free(v);
        return OGEM_ERR_PARSE;
    }
    *out = v;
    return OGEM_OK;
}

void ogem_json_free(ogem_json *v)
{
    /* Siblings iteratively, children recursively (depth is bounded by the parser). */
    while (v) {
        ogem_json *next = v->next;
        ogem_json_free(v->child);
        free(v->key);
        free(v->text);
        free(v);
        v = next;
    }
}

const ogem_json *ogem_json_get(const ogem_json *obj, const char *key)
{
    if (!obj || obj->type != OGEM_JSON_OBJECT) return NULL;
    for (const ogem_json *c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0) return c;
    return NULL;
}

const ogem_json *ogem_json_at(const ogem_json *arr, long i)
{
    if (!arr || arr->type != OGEM_JSON_ARRAY || i < 0) return NULL;
    const ogem_json *c = arr->child;
    while (c && i-- > 0) c = c->next;
    return c;
}

const char *ogem_json_type_name(ogem_json_type t)
{
    switch (t) {
    case OGEM_JSON_NULL: return "null";
    case OGEM_JSON_BOOL: return "boolean";
    case OGEM_JSON_NUMBER: return "number";
    case OGEM_JSON_STRING: return "string";
    case OGEM_JSON_ARRAY: return "array";
    case OGEM_JSON_OBJECT: return "object";
    }
    return "?";
}
