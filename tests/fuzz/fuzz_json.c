/* fuzz_json.c - libFuzzer harness for the JSON reader (util/json.c), with the
 * writer as its oracle: a document that parses is written back with the
 * ogem_jw_* calls and parsed again, and the two trees must agree (types, keys,
 * strings, child counts, and numbers wherever the writer keeps them: it
 * writes %.17g of the double, null for what overflowed to inf). */
#include "fuzz_input.h"

#include <math.h>
#include <string.h>
#include "util/json.h"

static int depth_of(const ogem_json *v)
{
    int d = 0;
    for (const ogem_json *c = v->child; c; c = c->next) {
        int k = depth_of(c);
        if (k > d) d = k;
    }
    return d + (v->type == OGEM_JSON_ARRAY || v->type == OGEM_JSON_OBJECT);
}

static void write_value(ogem_json_writer *w, const ogem_json *v, const char *key)
{
    switch (v->type) {
    case OGEM_JSON_NULL: ogem_jw_null(w, key); break;
    case OGEM_JSON_BOOL: ogem_jw_bool(w, key, v->boolean); break;
    case OGEM_JSON_NUMBER: ogem_jw_double(w, key, v->number); break;
    case OGEM_JSON_STRING: ogem_jw_string(w, key, v->text); break;
    case OGEM_JSON_ARRAY:
    case OGEM_JSON_OBJECT:
        if (v->type == OGEM_JSON_ARRAY) ogem_jw_begin_array(w, key, 0);
        else ogem_jw_begin_object(w, key);
        for (const ogem_json *c = v->child; c; c = c->next) write_value(w, c, v->type == OGEM_JSON_OBJECT ? c->key : NULL);
        if (v->type == OGEM_JSON_ARRAY) ogem_jw_end_array(w);
        else ogem_jw_end_object(w);
        break;
    }
}

static void check_tree(const ogem_json *v, int in_object)
{
    FUZZ_CHECK((v->key != NULL) == in_object);
    FUZZ_CHECK(v->line >= 1);
    if (v->type == OGEM_JSON_NUMBER || v->type == OGEM_JSON_STRING) FUZZ_CHECK(v->text != NULL);
    long n = 0;
    for (const ogem_json *c = v->child; c; c = c->next, n++) check_tree(c, v->type == OGEM_JSON_OBJECT);
    FUZZ_CHECK(n == v->count);
    if (v->type == OGEM_JSON_OBJECT)
        for (const ogem_json *c = v->child; c; c = c->next) FUZZ_CHECK(ogem_json_get(v, c->key) == c);  /* keys unique */
}

static void same_tree(const ogem_json *a, const ogem_json *b)
{
    if (a->type == OGEM_JSON_NUMBER && !isfinite(a->number)) {
        FUZZ_CHECK(b->type == OGEM_JSON_NULL);
        return;
    }
    FUZZ_CHECK(a->type == b->type && a->count == b->count);
    FUZZ_CHECK((a->key == NULL) == (b->key == NULL) && (!a->key || strcmp(a->key, b->key) == 0));
    if (a->type == OGEM_JSON_STRING) FUZZ_CHECK(strcmp(a->text, b->text) == 0);
    if (a->type == OGEM_JSON_NUMBER) FUZZ_CHECK(a->number == b->number);
    if (a->type == OGEM_JSON_BOOL) FUZZ_CHECK(a->boolean == b->boolean);
    const ogem_json *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next) same_tree(x, y);
    FUZZ_CHECK(!x && !y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ogem_json *root = NULL;
    char msg[512] = "";
    ogem_status st = ogem_json_parse((const char *)data, size, &root, msg, sizeof msg);
    if (st != OGEM_OK) {
        FUZZ_CHECK(root == NULL && strncmp(msg, "line ", 5) == 0);
        return 0;
    }
    check_tree(root, 0);
    if (depth_of(root) < OGEM_JSON_MAX_DEPTH) {
        ogem_json_writer w;
        ogem_jw_init(&w);
        write_value(&w, root, NULL);
        size_t len = 0;
        const char *text = ogem_jw_text(&w, &len);
        FUZZ_CHECK(text != NULL);
        ogem_json *again = NULL;
        FUZZ_CHECK(ogem_json_parse(text, len, &again, msg, sizeof msg) == OGEM_OK);
        same_tree(root, again);
        ogem_json_free(again);
        ogem_jw_free(&w);
    }
    ogem_json_free(root);
    return 0;
}
