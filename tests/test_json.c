/* test_json.c - the JSON writer and reader behind run.json: exact round trips
 * of doubles and 64-bit integers, escapes, and errors with their position. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

static ogem_json *parse_ok(const char *text)
{
    ogem_json *v = NULL;
    char msg[256] = "";
    ogem_status st = ogem_json_parse(text, strlen(text), &v, msg, sizeof msg);
    cr_assert_eq(st, OGEM_OK, "parse failed: %s\n%s", msg, text);
    return v;
}

static void parse_fails(const char *text, const char *needle)
{
    ogem_json *v = (ogem_json *)1;
    char msg[256] = "";
    ogem_status st = ogem_json_parse(text, strlen(text), &v, msg, sizeof msg);
    cr_expect_eq(st, OGEM_ERR_PARSE, "accepted: %s", text);
    cr_expect_null(v);
    cr_expect_not_null(strstr(msg, needle), "message '%s' lacks '%s' for %s", msg, needle, text);
}

Test(json, writer_reader_round_trip)
{
    double values[] = { 0.1, 1.0 / 3.0, -2.5e-300, 1.7976931348623157e308, 4.9406564584124654e-324, -0.0, 1e22, 123456789.0 };
    const long nv = (long)(sizeof values / sizeof values[0]);
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "name", "quote \" backslash \\ newline \n tab \t ctrl \x01 utf8 \xc3\xa9");
    ogem_jw_uint(&w, "seed", UINT64_MAX);
    ogem_jw_int(&w, "neg", -42);
    ogem_jw_bool(&w, "yes", 1);
    ogem_jw_bool(&w, "no", 0);
    ogem_jw_null(&w, "nothing");
    ogem_jw_double(&w, "nan", NAN);
    ogem_jw_double_array(&w, "values", values, nv);
    ogem_jw_begin_object(&w, "empty");
    ogem_jw_end_object(&w);
    ogem_jw_begin_array(&w, "nested", 0);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_int(&w, "k", 1);
    ogem_jw_end_object(&w);
    ogem_jw_end_array(&w);
    ogem_jw_end_object(&w);
    size_t len;
    const char *text = ogem_jw_text(&w, &len);
    cr_assert_not_null(text);
    cr_expect_eq(strlen(text), len);
    cr_expect_eq(text[len - 1], '\n');

    ogem_json *root = parse_ok(text);
    cr_expect_str_eq(ogem_json_get(root, "name")->text,
                     "quote \" backslash \\ newline \n tab \t ctrl \x01 utf8 \xc3\xa9");
    cr_expect_str_eq(ogem_json_get(root, "seed")->text, "18446744073709551615");
    cr_expect_eq(ogem_json_get(root, "neg")->number, -42.0);
    cr_expect_eq(ogem_json_get(root, "yes")->type, OGEM_JSON_BOOL);
    cr_expect_eq(ogem_json_get(root, "yes")->boolean, 1);
    cr_expect_eq(ogem_json_get(root, "no")->boolean, 0);
    cr_expect_eq(ogem_json_get(root, "nothing")->type, OGEM_JSON_NULL);
    cr_expect_eq(ogem_json_get(root, "nan")->type, OGEM_JSON_NULL, "NaN is written as null");
    const ogem_json *arr = ogem_json_get(root, "values");
    cr_assert_eq(arr->count, nv);
    for (long i = 0; i < nv; i++) {
        double got = ogem_json_at(arr, i)->number;
        cr_expect(memcmp(&got, &values[i], sizeof got) == 0, "value %ld: %.17g != %.17g", i, got, values[i]);
    }
    cr_expect_eq(ogem_json_get(root, "empty")->count, 0);
    cr_expect_eq(ogem_json_get(ogem_json_at(ogem_json_get(root, "nested"), 0), "k")->number, 1.0);
    cr_expect_null(ogem_json_get(root, "absent"));
    ogem_json_free(root);
    ogem_jw_free(&w);
}

Test(json, writer_rejects_misuse)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_int(&w, NULL, 1); /* a member without a name */
    ogem_jw_end_object(&w);
    cr_expect_null(ogem_jw_text(&w, NULL));
    ogem_jw_free(&w);

    ogem_jw_init(&w);
    ogem_jw_begin_array(&w, NULL, 1);
    cr_expect_null(ogem_jw_text(&w, NULL), "an open array is not a document");
    ogem_jw_end_object(&w); /* wrong closer */
    cr_expect_null(ogem_jw_text(&w, NULL));
    ogem_jw_free(&w);
}

Test(json, reader_accepts_standard_json)
{
    ogem_json *v = parse_ok("\xEF\xBB\xBF [1, -0.5e+2, 3E-1, \"\\u00e9\\ud83d\\ude00\\/\", true, false, null, {}, []] ");
    cr_expect_eq(v->type, OGEM_JSON_ARRAY);
    cr_expect_eq(v->count, 9);
    cr_expect_eq(ogem_json_at(v, 1)->number, -50.0);
    cr_expect_str_eq(ogem_json_at(v, 1)->text, "-0.5e+2");
    cr_expect_str_eq(ogem_json_at(v, 3)->text, "\xc3\xa9\xf0\x9f\x98\x80/");
    ogem_json_free(v);
}

Test(json, reader_errors_have_positions)
{
    parse_fails("{\"a\": 1,\n \"b\": }", "line 2");
    parse_fails("{\"a\": 1, \"a\": 2}", "duplicate key");
    parse_fails("[1, 2,]", "unexpected character");
    parse_fails("[01]", "expected ','");
    parse_fails("[1.]", "digits must follow");
    parse_fails("{\"a\" 1}", "expected ':'");
    parse_fails("\"abc", "unterminated string");
    parse_fails("\"a\\qb\"", "bad escape");
    parse_fails("\"\\ud800\"", "surrogate");
    parse_fails("[1] x", "after the value");
    parse_fails("", "unexpected end");
    parse_fails("nul", "unexpected character");
    parse_fails("[NaN]", "unexpected character");
    char deep[300];
    memset(deep, '[', 200);
    deep[200] = '\0';
    parse_fails(deep, "nested too deeply");
}
