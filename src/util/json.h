/*
 * json.h - a small JSON writer and reader, enough for run.json and the other
 * settings/summary files ogem writes and replays.
 *
 * Library code: nothing here prints or exits; errors come back as an
 * ogem_status plus a one-line message.
 *
 * The writer builds the text in memory (the caller decides where it goes, so
 * a file can be written atomically). Numbers are printed with %.17g, which
 * round-trips every finite double; NaN and Inf, which JSON cannot hold, are
 * written as null.
 *
 * The reader builds a tree. Every number keeps its source text (`text`), so an
 * integer such as a 64-bit seed, or a double written with %.17g, reaches the
 * caller exactly as written, without a detour through a double.
 */
#ifndef OGEM_JSON_H
#define OGEM_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "ogem/ogem.h"

/* ---- writer -------------------------------------------------------------------- */

#define OGEM_JSON_MAX_DEPTH 32

typedef struct ogem_json_writer {
    char *buf;          /* NUL-terminated text written so far            */
    size_t len, cap;
    int depth;          /* open objects/arrays                           */
    int count[OGEM_JSON_MAX_DEPTH];   /* members written at each depth    */
    char compact[OGEM_JSON_MAX_DEPTH]; /* 1: this container is on one line */
    char object[OGEM_JSON_MAX_DEPTH];  /* 1: object (members need keys)    */
    int done;           /* a complete top-level value has been written   */
    int failed;         /* out of memory or misuse: the text is invalid  */
} ogem_json_writer;

void ogem_jw_init(ogem_json_writer *w);
/* Releases the buffer. */
void ogem_jw_free(ogem_json_writer *w);
/* The finished text (NULL if anything failed or a container is still open). */
const char *ogem_jw_text(const ogem_json_writer *w, size_t *len);

/* `key` names the member inside an object and must be NULL inside an array. */
void ogem_jw_begin_object(ogem_json_writer *w, const char *key);
void ogem_jw_end_object(ogem_json_writer *w);
/* A compact array prints all its elements on one line (for number lists). */
void ogem_jw_begin_array(ogem_json_writer *w, const char *key, int compact);
void ogem_jw_end_array(ogem_json_writer *w);

void ogem_jw_string(ogem_json_writer *w, const char *key, const char *value);
void ogem_jw_double(ogem_json_writer *w, const char *key, double value);
void ogem_jw_int(ogem_json_writer *w, const char *key, long long value);
void ogem_jw_uint(ogem_json_writer *w, const char *key, uint64_t value);
void ogem_jw_bool(ogem_json_writer *w, const char *key, int value);
void ogem_jw_null(ogem_json_writer *w, const char *key);
void ogem_jw_double_array(ogem_json_writer *w, const char *key, const double *v, long n);

/* ---- reader -------------------------------------------------------------------- */

typedef enum ogem_json_type {
    OGEM_JSON_NULL = 0,
    OGEM_JSON_BOOL,
    OGEM_JSON_NUMBER,
    OGEM_JSON_STRING,
    OGEM_JSON_ARRAY,
    OGEM_JSON_OBJECT
} ogem_json_type;

typedef struct ogem_json ogem_json;
struct ogem_json {
    ogem_json_type type;
    char *key;         /* member name when the parent is an object, else NULL      */
    char *text;        /* STRING: the decoded UTF-8 value; NUMBER: the source text */
    double number;     /* NUMBER: strtod of text                                   */
    int boolean;       /* BOOL                                                     */
    ogem_json *child;  /* ARRAY/OBJECT: first element or member                    */
    ogem_json *next;   /* next sibling                                             */
    long count;        /* ARRAY/OBJECT: number of children                         */
    int line;          /* 1-based source line where the value starts               */
};

/* Parses len bytes of text (which need not be NUL-terminated). On error *out is
 * NULL and msg holds "line L, column C: what". Duplicate keys are an error. */
ogem_status ogem_json_parse(const char *text, size_t len, ogem_json **out, char *msg, size_t msglen);
void ogem_json_free(ogem_json *v);

/* Member `key` of an object, or NULL (also when obj is not an object). */
const ogem_json *ogem_json_get(const ogem_json *obj, const char *key);
/* Element i of an array, or NULL. */
const ogem_json *ogem_json_at(const ogem_json *arr, long i);
/* The type's name, for messages ("number", "object", ...). */
const char *ogem_json_type_name(ogem_json_type t);

#endif /* OGEM_JSON_H */
