//  check_zyn_expr - Check suite for zyn_expr: table-driven cases for the
//  parser, conditions, projections, key conditions, updates and the legacy
//  parameters, each asserting the exact result or the exact message

#include "zyn_prelude.h"
#include "../core/zyn_expr.h"
#include "../core/zyn_reserved.h"
#include "../tests/zyn_testutil.h"

//  The item most condition cases run against
static const char *s_item_json =
    "{\"pk\":{\"S\":\"k1\"},\"a\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"},"
    "\"b\":{\"B\":\"AQID\"},"
    "\"m\":{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"L\":[{\"S\":\"p\"},"
    "{\"N\":\"2\"}]}}},"
    "\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"},{\"M\":{\"z\":"
    "{\"BOOL\":true}}}]},"
    "\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},"
    "\"bs\":{\"BS\":[\"AQ==\"]},\"t\":{\"BOOL\":true},\"n\":{\"NULL\":true},"
    "\"status\":{\"S\":\"on\"},\"e\":{\"S\":\"\"}}";

static zyn_value_t *
s_json (const char *json, bool is_map)
{
    zyn_error_t err = { 0 };
    zyn_value_t *value = zyn_value_from_json (json, is_map, &err);
    ck_assert_msg (value, "bad test JSON %s: %s", json, err.message);
    return value;
}

//  Build ExpressionAttributeNames from "#a=x;#b=y"
static zyn_value_t *
s_names (const char *spec)
{
    zyn_value_t *names = zyn_value_new_m ();
    char buf [1024];
    snprintf (buf, sizeof (buf), "%s", spec);
    char *save = NULL;
    for (char *entry = strtok_r (buf, ";", &save); entry;
         entry = strtok_r (NULL, ";", &save)) {
        char *eq = strchr (entry, '=');
        ck_assert (eq);
        *eq = 0;
        zyn_value_map_put_s (names, entry, eq + 1);
    }
    return names;
}

//  A request map: kind is the expression parameter
static zyn_value_t *
s_request (const char *param, const char *expr, const char *names,
           const char *values)
{
    zyn_value_t *request = zyn_value_new_m ();
    if (expr)
        zyn_value_map_put_s (request, param, expr);
    if (names) {
        zyn_value_t *map = s_names (names);
        zyn_value_map_put (request, "ExpressionAttributeNames", &map);
    }
    if (values) {
        zyn_value_t *map = s_json (values, true);
        zyn_value_map_put (request, "ExpressionAttributeValues", &map);
    }
    return request;
}

//  --------------------------------------------------------------------------
//  Conditions: expression, names, values, expected (1 true, 0 false, -1
//  error), message

typedef struct {
    const char *expr;
    const char *names;
    const char *values;
    int expected;
    const char *message;
} cond_case_t;

#define N5 "{\":v\":{\"N\":\"5\"}}"
#define SV(x) "{\":v\":{\"S\":\"" x "\"}}"

static const cond_case_t s_cond_cases [] = {
    //  Comparators on numbers
    { "a = :v", NULL, N5, 1, NULL },
    { "a <> :v", NULL, N5, 0, NULL },
    { "a < :v", NULL, N5, 0, NULL },
    { "a <= :v", NULL, N5, 1, NULL },
    { "a > :v", NULL, N5, 0, NULL },
    { "a >= :v", NULL, N5, 1, NULL },
    { "a = :v", NULL, "{\":v\":{\"N\":\"5.0\"}}", 1, NULL },
    { "a < :v", NULL, "{\":v\":{\"N\":\"10\"}}", 1, NULL },
    { "a > :v", NULL, "{\":v\":{\"N\":\"-10\"}}", 1, NULL },
    { ":v = a", NULL, N5, 1, NULL },
    { ":v < a", NULL, "{\":v\":{\"N\":\"4.99\"}}", 1, NULL },
    //  Strings and binaries compare bytewise
    { "s = :v", NULL, SV ("hello"), 1, NULL },
    { "s < :v", NULL, SV ("help"), 1, NULL },
    { "s > :v", NULL, SV ("Hello"), 1, NULL },
    { "s >= :v", NULL, SV ("hello"), 1, NULL },
    { "b = :v", NULL, "{\":v\":{\"B\":\"AQID\"}}", 1, NULL },
    { "b < :v", NULL, "{\":v\":{\"B\":\"AQIE\"}}", 1, NULL },
    //  Different types: false, and <> true
    { "a = :v", NULL, SV ("5"), 0, NULL },
    { "a <> :v", NULL, SV ("5"), 1, NULL },
    { "a < :v", NULL, SV ("9"), 0, NULL },
    { "s > :v", NULL, N5, 0, NULL },
    { "t = :v", NULL, "{\":v\":{\"BOOL\":true}}", 1, NULL },
    { "t = :v", NULL, "{\":v\":{\"BOOL\":false}}", 0, NULL },
    { "t < :v", NULL, "{\":v\":{\"BOOL\":true}}", -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: <, operand type: BOOLEAN" },
    { "a < :v", NULL, "{\":v\":{\"L\":[{\"N\":\"1\"}]}}", -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: <, operand type: LIST" },
    { ":v >= a", NULL, "{\":v\":{\"M\":{}}}", -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: >=, operand type: MAP" },
    { "a BETWEEN :v AND :v", NULL, "{\":v\":{\"NULL\":true}}", -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: BETWEEN, operand type: NULL" },
    { "l < :v", NULL, N5, 0, NULL },
    { "m > :v", NULL, N5, 0, NULL },
    { "n = :v", NULL, "{\":v\":{\"NULL\":true}}", 1, NULL },
    { "ss = :v", NULL, "{\":v\":{\"SS\":[\"y\",\"x\"]}}", 1, NULL },
    { "ns = :v", NULL, "{\":v\":{\"NS\":[\"2\",\"1.0\"]}}", 1, NULL },
    { "m.y = :v", NULL, "{\":v\":{\"L\":[{\"S\":\"p\"},{\"N\":\"2\"}]}}", 1,
      NULL },
    { "m = :v", NULL, "{\":v\":{\"M\":{\"y\":{\"L\":[{\"S\":\"p\"},"
                      "{\"N\":\"2\"}]},\"x\":{\"N\":\"1\"}}}}", 1, NULL },
    //  Missing paths
    { "nope = :v", NULL, N5, 0, NULL },
    { "nope <> :v", NULL, N5, 1, NULL },
    { "nope < :v", NULL, N5, 0, NULL },
    { "m.nope = :v", NULL, N5, 0, NULL },
    { "a.x = :v", NULL, N5, 0, NULL },
    { "l[7] = :v", NULL, N5, 0, NULL },
    { "m[0] = :v", NULL, N5, 0, NULL },
    { "l.x = :v", NULL, N5, 0, NULL },
    //  Nested paths
    { "m.x = :v", NULL, "{\":v\":{\"N\":\"1\"}}", 1, NULL },
    { "m.y[1] = :v", NULL, "{\":v\":{\"N\":\"2\"}}", 1, NULL },
    { "m.y[0] = :v", NULL, SV ("p"), 1, NULL },
    { "l[1] = :v", NULL, SV ("two"), 1, NULL },
    { "l[2].z = :v", NULL, "{\":v\":{\"BOOL\":true}}", 1, NULL },
    { "l [ 2 ] . z = :v", NULL, "{\":v\":{\"BOOL\":true}}", 1, NULL },
    { "#m.#x = :v", "#m=m;#x=x", "{\":v\":{\"N\":\"1\"}}", 1, NULL },
    { "#s = :v", "#s=status", SV ("on"), 1, NULL },
    { "#d = :v", "#d=a.b", N5, 0, NULL },
    { "#l[2].z = :v", "#l=l", "{\":v\":{\"BOOL\":true}}", 1, NULL },
    //  BETWEEN and IN
    { "a BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"N\":\"1\"},\":hi\":{\"N\":\"5\"}}", 1, NULL },
    { "a BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"N\":\"6\"},\":hi\":{\"N\":\"9\"}}", 0, NULL },
    { "a between :lo and :hi", NULL,
      "{\":lo\":{\"N\":\"5\"},\":hi\":{\"N\":\"5\"}}", 1, NULL },
    { "s BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"S\":\"a\"},\":hi\":{\"S\":\"i\"}}", 1, NULL },
    { "nope BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"N\":\"1\"},\":hi\":{\"N\":\"9\"}}", 0, NULL },
    { "s BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"N\":\"1\"},\":hi\":{\"N\":\"9\"}}", 0, NULL },
    { "a IN (:x, :y)", NULL,
      "{\":x\":{\"N\":\"1\"},\":y\":{\"N\":\"5\"}}", 1, NULL },
    { "a IN (:x)", NULL, "{\":x\":{\"N\":\"1\"}}", 0, NULL },
    { "a in (:x,:y)", NULL,
      "{\":x\":{\"S\":\"5\"},\":y\":{\"N\":\"6\"}}", 0, NULL },
    { "nope IN (:x)", NULL, "{\":x\":{\"N\":\"1\"}}", 0, NULL },
    { "s IN (:x, :y)", NULL,
      "{\":x\":{\"N\":\"1\"},\":y\":{\"S\":\"hello\"}}", 1, NULL },
    //  Logic and precedence: NOT > AND > OR
    { "a = :v AND s = :s", NULL,
      "{\":v\":{\"N\":\"5\"},\":s\":{\"S\":\"hello\"}}", 1, NULL },
    { "a = :v AND s = :s", NULL,
      "{\":v\":{\"N\":\"5\"},\":s\":{\"S\":\"x\"}}", 0, NULL },
    { "a = :v OR s = :s", NULL,
      "{\":v\":{\"N\":\"6\"},\":s\":{\"S\":\"hello\"}}", 1, NULL },
    { "a = :v or s = :s", NULL,
      "{\":v\":{\"N\":\"6\"},\":s\":{\"S\":\"x\"}}", 0, NULL },
    { "NOT a = :v", NULL, N5, 0, NULL },
    { "not a <> :v", NULL, N5, 1, NULL },
    { "NOT NOT a = :v", NULL, N5, 1, NULL },
    { "a = :t OR a = :f AND a = :f", NULL,
      "{\":t\":{\"N\":\"5\"},\":f\":{\"N\":\"0\"}}", 1, NULL },
    { "(a = :t OR a = :f) AND a = :f", NULL,
      "{\":t\":{\"N\":\"5\"},\":f\":{\"N\":\"0\"}}", 0, NULL },
    { "a = :f AND a = :f OR a = :t", NULL,
      "{\":t\":{\"N\":\"5\"},\":f\":{\"N\":\"0\"}}", 1, NULL },
    { "NOT a = :f AND a = :t", NULL,
      "{\":t\":{\"N\":\"5\"},\":f\":{\"N\":\"0\"}}", 1, NULL },
    { "NOT (a = :f OR a = :t)", NULL,
      "{\":t\":{\"N\":\"5\"},\":f\":{\"N\":\"0\"}}", 0, NULL },
    { "(a) = :v", NULL, N5, 1, NULL },
    { "(a = :v)", NULL, N5, 1, NULL },
    { "a = (:v)", NULL, N5, 1, NULL },
    { "((a = :v) AND (s = :s))", NULL,
      "{\":v\":{\"N\":\"5\"},\":s\":{\"S\":\"hello\"}}", 1, NULL },
    { "a=:v", NULL, N5, 1, NULL },
    { "\ta\n=\r:v ", NULL, N5, 1, NULL },
    //  Functions
    { "attribute_exists (a)", NULL, NULL, 1, NULL },
    { "attribute_exists(nope)", NULL, NULL, 0, NULL },
    { "attribute_exists(m.y[1])", NULL, NULL, 1, NULL },
    { "attribute_exists(m.y[2])", NULL, NULL, 0, NULL },
    { "attribute_not_exists(nope)", NULL, NULL, 1, NULL },
    { "attribute_not_exists(#s)", "#s=status", NULL, 0, NULL },
    { "attribute_exists(n)", NULL, NULL, 1, NULL },
    { "attribute_type(a, :t)", NULL, "{\":t\":{\"S\":\"N\"}}", 1, NULL },
    { "attribute_type(a, :t)", NULL, "{\":t\":{\"S\":\"S\"}}", 0, NULL },
    { "attribute_type(ss, :t)", NULL, "{\":t\":{\"S\":\"SS\"}}", 1, NULL },
    { "attribute_type(m, :t)", NULL, "{\":t\":{\"S\":\"M\"}}", 1, NULL },
    { "attribute_type(l, :t)", NULL, "{\":t\":{\"S\":\"L\"}}", 1, NULL },
    { "attribute_type(n, :t)", NULL, "{\":t\":{\"S\":\"NULL\"}}", 1, NULL },
    { "attribute_type(t, :t)", NULL, "{\":t\":{\"S\":\"BOOL\"}}", 1, NULL },
    { "attribute_type(nope, :t)", NULL, "{\":t\":{\"S\":\"S\"}}", 0, NULL },
    { "attribute_type(:t, :t)", NULL, "{\":t\":{\"S\":\"S\"}}", 1, NULL },
    { "attribute_type(a, s)", NULL, NULL, -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: attribute_type, operand type: "
      "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}" },
    { "begins_with(s, :v)", NULL, SV ("hel"), 1, NULL },
    { "begins_with(s, :v)", NULL, SV ("hello"), 1, NULL },
    { "begins_with(s, :v)", NULL, SV (""), 1, NULL },
    { "begins_with(s, :v)", NULL, SV ("hello!"), 0, NULL },
    { "begins_with(s, :v)", NULL, SV ("el"), 0, NULL },
    { "begins_with(b, :v)", NULL, "{\":v\":{\"B\":\"AQI=\"}}", 1, NULL },
    { "begins_with(b, :v)", NULL, "{\":v\":{\"B\":\"Ag==\"}}", 0, NULL },
    { "begins_with(a, :v)", NULL, SV ("5"), 0, NULL },
    { "begins_with(nope, :v)", NULL, SV ("h"), 0, NULL },
    { "contains(s, :v)", NULL, SV ("ell"), 1, NULL },
    { "contains(s, :v)", NULL, SV ("elo"), 0, NULL },
    { "contains(ss, :v)", NULL, SV ("x"), 1, NULL },
    { "contains(ss, :v)", NULL, SV ("z"), 0, NULL },
    { "contains(ns, :v)", NULL, "{\":v\":{\"N\":\"2.0\"}}", 1, NULL },
    { "contains(ns, :v)", NULL, SV ("2"), 0, NULL },
    { "contains(bs, :v)", NULL, "{\":v\":{\"B\":\"AQ==\"}}", 1, NULL },
    { "contains(b, :v)", NULL, "{\":v\":{\"B\":\"AgM=\"}}", 1, NULL },
    { "contains(l, :v)", NULL, SV ("two"), 1, NULL },
    { "contains(l, :v)", NULL, "{\":v\":{\"N\":\"1\"}}", 1, NULL },
    { "contains(l, :v)", NULL, "{\":v\":{\"M\":{\"z\":{\"BOOL\":true}}}}", 1,
      NULL },
    { "contains(l, :v)", NULL, SV ("three"), 0, NULL },
    { "contains(a, :v)", NULL, N5, 0, NULL },
    { "contains(m, :v)", NULL, SV ("x"), 0, NULL },
    { "contains(nope, :v)", NULL, SV ("x"), 0, NULL },
    { "size(s) = :v", NULL, N5, 1, NULL },
    { "size(e) = :v", NULL, "{\":v\":{\"N\":\"0\"}}", 1, NULL },
    { "size(b) = :v", NULL, "{\":v\":{\"N\":\"3\"}}", 1, NULL },
    { "size(ss) = :v", NULL, "{\":v\":{\"N\":\"2\"}}", 1, NULL },
    { "size(l) > :v", NULL, "{\":v\":{\"N\":\"2\"}}", 1, NULL },
    { "size(m) = :v", NULL, "{\":v\":{\"N\":\"2\"}}", 1, NULL },
    { "size(m.y) = :v", NULL, "{\":v\":{\"N\":\"2\"}}", 1, NULL },
    { "size(a) = :v", NULL, "{\":v\":{\"N\":\"1\"}}", 0, NULL },
    { "size(t) <> :v", NULL, "{\":v\":{\"N\":\"1\"}}", 1, NULL },
    { "size(nope) = :v", NULL, "{\":v\":{\"N\":\"0\"}}", 0, NULL },
    { ":v = size(s)", NULL, N5, 1, NULL },
    { "size(s) BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"N\":\"1\"},\":hi\":{\"N\":\"9\"}}", 1, NULL },
    { "size(s) IN (:v)", NULL, N5, 1, NULL },
    { "size(s) = size(#s)", "#s=status", NULL, 0, NULL },
    { "size(ss) = size(ns)", NULL, NULL, 1, NULL },
    { "a = a", NULL, NULL, -1,
      "Invalid ConditionExpression: The first operand must be distinct from "
      "the remaining operands for this operator or function; operator: =, "
      "first operand: [a]" },
    { "m.x < m.x", NULL, NULL, -1,
      "Invalid ConditionExpression: The first operand must be distinct from "
      "the remaining operands for this operator or function; operator: <, "
      "first operand: [m, x]" },
    { "begins_with(s, s)", NULL, NULL, -1,
      "Invalid ConditionExpression: The first operand must be distinct from "
      "the remaining operands for this operator or function; operator: "
      "begins_with, first operand: [s]" },
    { "a = s", NULL, NULL, 0, NULL },
    { ":v = :v", NULL, N5, 1, NULL },
    //  Syntax errors point at the token
    { "a AND", NULL, NULL, -1,
      "Invalid ConditionExpression: Syntax error; token: \"AND\", near: "
      "\"a AND\"" },
    { "a =", NULL, NULL, -1,
      "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: "
      "\"=\"" },
    { "a = :v AND", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: "
      "\"AND\"" },
    { "a = :v :w", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \":w\", near: "
      "\":v :w\"" },
    { "a == :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"=\", near: "
      "\"== :v\"" },
    { "a ! :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"!\", near: "
      "\"a ! :v\"" },
    { "a = :", NULL, NULL, -1,
      "Invalid ConditionExpression: Syntax error; token: \":\", near: "
      "\"= :\"" },
    { "# = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"#\", near: "
      "\"# =\"" },
    { "a", NULL, NULL, -1,
      "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: "
      "\"a\"" },
    { "(a = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: "
      "\":v\"" },
    { "a = :v)", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \")\", near: "
      "\":v)\"" },
    { "a.1 = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"1\", near: "
      "\".1 =\"" },
    { "a[x] = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"x\", near: "
      "\"[x]\"" },
    { "a BETWEEN :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: "
      "\":v\"" },
    { "a IN :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \":v\", near: "
      "\"IN :v\"" },
    { "a IN ()", NULL, NULL, -1,
      "Invalid ConditionExpression: Syntax error; token: \")\", near: "
      "\"()\"" },
    { "AND = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"AND\", near: "
      "\"AND =\"" },
    { "size() = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \")\", near: "
      "\"() =\"" },
    { "a = :v AND b - :v", NULL, N5, -1,
      "Invalid ConditionExpression: Syntax error; token: \"-\", near: "
      "\"b - :v\"" },
    { "", NULL, NULL, -1,
      "Invalid ConditionExpression: The expression can not be empty;" },
    //  Reserved words, placeholders
    { "status = :v", NULL, SV ("on"), -1,
      "Invalid ConditionExpression: Attribute name is a reserved keyword; "
      "reserved keyword: status" },
    { "m.Size = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Attribute name is a reserved keyword; "
      "reserved keyword: Size" },
    { "#s = :v", NULL, SV ("on"), -1,
      "Invalid ConditionExpression: An expression attribute name used in "
      "the document path is not defined; attribute name: #s" },
    { "a = :x", NULL, N5, -1,
      "Invalid ConditionExpression: An expression attribute value used in "
      "expression is not defined; attribute value: :x" },
    { "a = :x", NULL, NULL, -1,
      "Invalid ConditionExpression: An expression attribute value used in "
      "expression is not defined; attribute value: :x" },
    { "#n = :x", NULL, NULL, -1,
      "Invalid ConditionExpression: An expression attribute name used in "
      "the document path is not defined; attribute name: #n" },
    //  Functions checked at parse time
    { "nosuch(a)", NULL, NULL, -1,
      "Invalid ConditionExpression: Invalid function name; function: "
      "nosuch" },
    { "if_not_exists(a, :v) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: The function is not allowed to be used "
      "this way in an expression; function: if_not_exists" },
    { "list_append(a, a) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: The function is not allowed to be used "
      "this way in an expression; function: list_append" },
    { "Size(a) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Invalid function name; function: Size" },
    { "size(a)", NULL, NULL, -1,
      "Invalid ConditionExpression: The function is not allowed to be used "
      "this way in an expression; function: size" },
    { "attribute_exists(a) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: The function is not allowed to be used "
      "this way in an expression; function: attribute_exists" },
    { "size(attribute_exists(a)) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: The function is not allowed to be used "
      "this way in an expression; function: attribute_exists" },
    { "attribute_exists(a, s)", NULL, NULL, -1,
      "Invalid ConditionExpression: Incorrect number of operands for "
      "operator or function; operator or function: attribute_exists, number "
      "of operands: 2" },
    { "begins_with(s)", NULL, NULL, -1,
      "Invalid ConditionExpression: Incorrect number of operands for "
      "operator or function; operator or function: begins_with, number of "
      "operands: 1" },
    { "size(a, s) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Incorrect number of operands for "
      "operator or function; operator or function: size, number of "
      "operands: 2" },
    { "begins_with(s, :v)", NULL, N5, -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: begins_with, operand type: N" },
    { "begins_with(s, size(a))", NULL, NULL, -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: begins_with, operand type: N" },
    { "attribute_exists(:v)", NULL, N5, -1,
      "Invalid ConditionExpression: Operator or function requires a "
      "document path; operator or function: attribute_exists" },
    { "attribute_not_exists(:v)", NULL, N5, -1,
      "Invalid ConditionExpression: Operator or function requires a "
      "document path; operator or function: attribute_not_exists" },
    { "attribute_type(a, :v)", NULL, N5, -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: attribute_type, operand type: N" },
    { "attribute_type(a, :v)", NULL, SV ("STRING"), -1,
      "Invalid ConditionExpression: Invalid attribute type name found; type: "
      "STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}" },
    { "size(:v) = :v", NULL, N5, -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: size, operand type: N" },
    { "size(:v) = :v", NULL, "{\":v\":{\"BOOL\":true}}", -1,
      "Invalid ConditionExpression: Incorrect operand type for operator or "
      "function; operator or function: size, operand type: BOOL" },
    { "size(:v) = :w", NULL, "{\":v\":{\"S\":\"abc\"},\":w\":{\"N\":\"3\"}}",
      1, NULL },
    //  size () counts UTF-16 code units: U+00E9 is one, U+1D11E two
    { "size(:v) = :w", NULL, "{\":v\":{\"S\":\"\xc3\xa9\xf0\x9d\x84\x9e\"},"
      "\":w\":{\"N\":\"3\"}}", 1, NULL },
    { "a BETWEEN :hi AND :lo", NULL,
      "{\":lo\":{\"N\":\"1\"},\":hi\":{\"N\":\"5\"}}", -1,
      "Invalid ConditionExpression: The BETWEEN operator requires upper "
      "bound to be greater than or equal to lower bound; lower bound "
      "operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: "
      "{N:1}" },
    { "a BETWEEN :lo AND :hi", NULL,
      "{\":lo\":{\"N\":\"1\"},\":hi\":{\"S\":\"5\"}}", -1,
      "Invalid ConditionExpression: The BETWEEN operator requires same data "
      "type for lower and upper bounds; lower bound operand: AttributeValue: "
      "{N:1}, upper bound operand: AttributeValue: {S:5}" },
    { "((a = :v))", NULL, N5, -1,
      "Invalid ConditionExpression: The expression has redundant "
      "parentheses;" },
    { "a = ((:v))", NULL, N5, -1,
      "Invalid ConditionExpression: The expression has redundant "
      "parentheses;" },
    //  Error priority: parentheses before function before reserved words
    { "((nosuch(a)))", NULL, NULL, -1,
      "Invalid ConditionExpression: The expression has redundant "
      "parentheses;" },
    { "nosuch(status)", NULL, NULL, -1,
      "Invalid ConditionExpression: Invalid function name; function: "
      "nosuch" },
    { "status = :x", NULL, NULL, -1,
      "Invalid ConditionExpression: Attribute name is a reserved keyword; "
      "reserved keyword: status" },
    { "#n = :x", NULL, N5, -1,
      "Invalid ConditionExpression: An expression attribute name used in "
      "the document path is not defined; attribute name: #n" },
};

START_TEST (test_conditions)
{
    const cond_case_t *test = &s_cond_cases [_i];
    zyn_value_t *request = s_request ("ConditionExpression", test->expr,
                                      test->names, test->values);
    zyn_value_t *item = s_json (s_item_json, true);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("PutItem", request, &err);
    if (test->expected < 0) {
        ck_assert_msg (expr == NULL, "case %d (%s) parsed", _i, test->expr);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_msg (streq (err.message, test->message),
                       "case %d (%s):\n got: %s\nwant: %s", _i, test->expr,
                       err.message, test->message);
    }
    else {
        ck_assert_msg (expr, "case %d (%s): %s", _i, test->expr, err.message);
        ck_assert (zyn_expr_has_condition (expr));
        bool result = false;
        ck_assert_int_eq (zyn_expr_check_condition (expr, item, &result, &err),
                          0);
        ck_assert_msg (result == (test->expected == 1),
                       "case %d (%s): got %d", _i, test->expr, result);
        //  A filter evaluates the same way
        zyn_value_t *filter = s_request ("FilterExpression", test->expr,
                                         test->names, test->values);
        zyn_expr_t *scan = zyn_expr_new ("Scan", filter, &err);
        ck_assert_msg (scan, "case %d: %s", _i, err.message);
        ck_assert (zyn_expr_has_filter (scan));
        ck_assert_int_eq (zyn_expr_check_filter (scan, item, &result, &err), 0);
        ck_assert (result == (test->expected == 1));
        zyn_expr_destroy (&scan);
        zyn_value_destroy (&filter);
    }
    zyn_expr_destroy (&expr);
    ck_assert (expr == NULL);
    zyn_value_destroy (&item);
    zyn_value_destroy (&request);
}
END_TEST

//  Conditions against no item at all
START_TEST (test_condition_no_item)
{
    zyn_value_t *request = s_request ("ConditionExpression",
                                      "attribute_not_exists(pk)", NULL, NULL);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert (expr);
    bool result = false;
    ck_assert_int_eq (zyn_expr_check_condition (expr, NULL, &result, &err), 0);
    ck_assert (result);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);

    request = s_request ("ConditionExpression", "a <> :v", NULL, N5);
    expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert (expr);
    ck_assert_int_eq (zyn_expr_check_condition (expr, NULL, &result, &err), 0);
    ck_assert (result);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);

    //  No condition: true
    request = zyn_value_new_m ();
    expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert (expr);
    ck_assert (!zyn_expr_has_condition (expr));
    ck_assert (!zyn_expr_has_filter (expr));
    ck_assert (!zyn_expr_has_projection (expr));
    ck_assert (!zyn_expr_has_update (expr));
    result = false;
    ck_assert_int_eq (zyn_expr_check_condition (expr, NULL, &result, &err), 0);
    ck_assert (result);
    zyn_expr_destroy (&expr);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
}
END_TEST

//  --------------------------------------------------------------------------
//  Request-level checks: placeholders across expressions, mixing, limits

typedef struct {
    const char *operation;
    const char *request;        //  Request as DynamoDB JSON map, see below
    const char *message;        //  NULL: accepted
} request_case_t;

//  Requests are written as JSON whose string members are plain S values
//  ("ConditionExpression":{"S":"a = :v"}) and whose placeholder maps are M.
static const request_case_t s_request_cases [] = {
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"},"
      "\":x\":{\"N\":\"2\"}}}}",
      "Value provided in ExpressionAttributeValues unused in expressions: "
      "keys: {:x}" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"},"
      "\":x\":{\"N\":\"2\"},\":y\":{\"N\":\"2\"}}}}",
      "Value provided in ExpressionAttributeValues unused in expressions: "
      "keys: {:x, :y}" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"ExpressionAttributeNames\":{\"M\":{\"#n\":{\"S\":\"a\"}}},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      "Value provided in ExpressionAttributeNames unused in expressions: "
      "keys: {#n}" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"ExpressionAttributeValues\":{\"M\":{}}}",
      "ExpressionAttributeValues must not be empty" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"attribute_exists(a)\"},"
      "\"ExpressionAttributeNames\":{\"M\":{}}}",
      "ExpressionAttributeNames must not be empty" },
    { "PutItem",
      "{\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      "ExpressionAttributeValues can only be specified when using "
      "expressions: ConditionExpression is null" },
    { "UpdateItem",
      "{\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      "ExpressionAttributeValues can only be specified when using "
      "expressions: UpdateExpression and ConditionExpression are null" },
    { "Scan",
      "{\"ProjectionExpression\":{\"S\":\"a\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      "ExpressionAttributeValues can only be specified when using "
      "expressions: FilterExpression is null" },
    { "GetItem",
      "{\"ExpressionAttributeNames\":{\"M\":{\"#n\":{\"S\":\"a\"}}}}",
      "ExpressionAttributeNames can only be specified when using "
      "expressions" },
    { "GetItem",
      "{\"ProjectionExpression\":{\"S\":\"a\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      "ExpressionAttributeValues can only be specified when using "
      "expressions" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\"v\":{\"N\":\"1\"}}}}",
      "ExpressionAttributeValues contains invalid key: Syntax error; key: "
      "\"v\"" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"attribute_exists(#a)\"},"
      "\"ExpressionAttributeNames\":{\"M\":{\"#a\":{\"S\":\"\"}}}}",
      "ExpressionAttributeNames contains invalid value: Empty attribute name "
      "for key #a" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"#a = #a\"},"
      "\"ExpressionAttributeNames\":{\"M\":{\"#a-b\":{\"S\":\"a\"}}}}",
      "ExpressionAttributeNames contains invalid key: Syntax error; key: "
      "\"#a-b\"" },
    { "PutItem",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"Expected\":{\"M\":{\"a\":{\"M\":{\"Exists\":{\"BOOL\":false}}}}}}",
      "Can not use both expression and non-expression parameters in the "
      "same request: Non-expression parameters: {Expected} Expression "
      "parameters: {ConditionExpression}" },
    { "UpdateItem",
      "{\"UpdateExpression\":{\"S\":\"SET a = :v\"},"
      "\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"Expected\":{\"M\":{\"a\":{\"M\":{\"Exists\":{\"BOOL\":false}}}}},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      "Can not use both expression and non-expression parameters in the "
      "same request: Non-expression parameters: {Expected} Expression "
      "parameters: {UpdateExpression, ConditionExpression}" },
    { "GetItem",
      "{\"ProjectionExpression\":{\"S\":\"a\"},"
      "\"AttributesToGet\":{\"L\":[{\"S\":\"a\"}]}}",
      "Can not use both expression and non-expression parameters in the "
      "same request: Non-expression parameters: {AttributesToGet} Expression "
      "parameters: {ProjectionExpression}" },
    //  Placeholders are shared by all expressions of a request
    { "UpdateItem",
      "{\"UpdateExpression\":{\"S\":\"SET #a = :v\"},"
      "\"ConditionExpression\":{\"S\":\"#b = :w\"},"
      "\"ExpressionAttributeNames\":{\"M\":{\"#a\":{\"S\":\"a\"},"
      "\"#b\":{\"S\":\"b\"}}},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"},"
      "\":w\":{\"N\":\"2\"}}}}",
      NULL },
    { "Query",
      "{\"KeyConditionExpression\":{\"S\":\"pk = :v\"},"
      "\"FilterExpression\":{\"S\":\"a = :w\"},"
      "\"ProjectionExpression\":{\"S\":\"#p\"},"
      "\"ExpressionAttributeNames\":{\"M\":{\"#p\":{\"S\":\"a\"}}},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"},"
      "\":w\":{\"N\":\"2\"}}}}",
      NULL },
    { "Query",
      "{\"KeyConditionExpression\":{\"S\":\"pk = :v\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"},"
      "\":w\":{\"N\":\"2\"}}}}",
      "Value provided in ExpressionAttributeValues unused in expressions: "
      "keys: {:w}" },
    //  Transaction actions take the expressions of their operation
    { "Update",
      "{\"UpdateExpression\":{\"S\":\"SET a = :v\"},"
      "\"ConditionExpression\":{\"S\":\"attribute_exists(a)\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      NULL },
    { "ConditionCheck",
      "{\"ConditionExpression\":{\"S\":\"a = :v\"},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"},"
      "\":x\":{\"N\":\"2\"}}}}",
      "Value provided in ExpressionAttributeValues unused in expressions: "
      "keys: {:x}" },
    { "Put",
      "{\"ExpressionAttributeNames\":{\"M\":{\"#n\":{\"S\":\"a\"}}},"
      "\"ExpressionAttributeValues\":{\"M\":{\":v\":{\"N\":\"1\"}}}}",
      NULL },
    { "Get",
      "{\"ProjectionExpression\":{\"S\":\"a, #b\"}}",
      "Invalid ProjectionExpression: An expression attribute name used in "
      "the document path is not defined; attribute name: #b" },
    //  The update is parsed first, then the condition
    { "UpdateItem",
      "{\"UpdateExpression\":{\"S\":\"SET a = :x\"},"
      "\"ConditionExpression\":{\"S\":\"a = :y\"}}",
      "Invalid UpdateExpression: An expression attribute value used in "
      "expression is not defined; attribute value: :x" },
    { "UpdateItem",
      "{\"UpdateExpression\":{\"S\":\"\"}}",
      "Invalid UpdateExpression: The expression can not be empty;" },
    { "Scan",
      "{\"ProjectionExpression\":{\"S\":\"\"}}",
      "Invalid ProjectionExpression: The expression can not be empty;" },
    { "Query",
      "{\"KeyConditionExpression\":{\"S\":\"pk = \"}}",
      "Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: "
      "\"=\"" },
};

START_TEST (test_requests)
{
    const request_case_t *test = &s_request_cases [_i];
    zyn_value_t *typed = s_json (test->request, true);
    //  Unwrap the S and L members into a native request map
    zyn_value_t *request = zyn_value_new_m ();
    for (size_t i = 0; i < zyn_value_size (typed); i++) {
        zyn_value_t *member = zyn_value_dup (zyn_value_map_value (typed, i));
        zyn_value_map_put (request, zyn_value_map_name (typed, i), &member);
    }
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new (test->operation, request, &err);
    if (test->message) {
        ck_assert_msg (expr == NULL, "case %d accepted", _i);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_msg (streq (err.message, test->message),
                       "case %d:\n got: %s\nwant: %s", _i, err.message,
                       test->message);
    }
    else
        ck_assert_msg (expr, "case %d: %s", _i, err.message);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
    zyn_value_destroy (&typed);
}
END_TEST

//  Limits: expression size, IN operands, operator count
START_TEST (test_limits)
{
    zyn_error_t err = { 0 };
    char *text = (char *) malloc (16384);
    //  4096 bytes is allowed, 4097 is not
    memset (text, ' ', 4096);
    memcpy (text, "a = :v", 6);
    text [4096] = 0;
    zyn_value_t *request = s_request ("ConditionExpression", text, NULL, N5);
    zyn_expr_t *expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert_msg (expr, "%s", err.message);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
    text [4096] = ' ';
    text [4097] = 0;
    request = s_request ("ConditionExpression", text, NULL, N5);
    expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert (!expr);
    ck_assert_str_eq (err.message,
                      "Invalid ConditionExpression: Expression size has "
                      "exceeded the maximum allowed size; expression size: "
                      "4097");
    zyn_value_destroy (&request);

    //  IN takes 100 operands, the one on its left included
    for (int count = 99; count <= 100; count++) {
        strcpy (text, "a IN (:v");
        for (int i = 1; i < count; i++)
            strcat (text, ", :v");
        strcat (text, ")");
        request = s_request ("ConditionExpression", text, NULL, N5);
        zyn_error_clear (&err);
        expr = zyn_expr_new ("PutItem", request, &err);
        if (count == 99)
            ck_assert_msg (expr, "%s", err.message);
        else {
            ck_assert (!expr);
            ck_assert_str_eq (err.message,
                              "Invalid ConditionExpression: The IN operator "
                              "is provided with too many operands; number of "
                              "operands: 101");
        }
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&request);
    }
    //  300 operators
    for (int count = 300; count <= 301; count++) {
        //  300: NOT, =, then 149 of OR and =; 301: =, then 150 of them
        strcpy (text, count == 300 ? "NOT a = :v" : "a = :v");
        for (int i = 0; i < (count == 300 ? 149 : 150); i++)
            strcat (text, " OR a=:v");
        request = s_request ("ConditionExpression", text, NULL, N5);
        zyn_error_clear (&err);
        expr = zyn_expr_new ("PutItem", request, &err);
        if (count == 300)
            ck_assert_msg (expr, "%s", err.message);
        else {
            ck_assert (!expr);
            ck_assert_str_eq (err.message,
                              "Invalid ConditionExpression: The expression "
                              "contains too many operators; operator count: "
                              "301");
        }
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&request);
    }
    //  Deep nesting within 4 KB gets DynamoDB's own answers
    struct {
        const char *open;
        const char *middle;
        const char *close;
        int depth;
        const char *message;
    } deep [] = {
        { "(", "a<b", ")", 2046,
          "Invalid ConditionExpression: The expression has redundant "
          "parentheses;" },
        { "f(", "b", ")", 1355,
          "Invalid ConditionExpression: Invalid function name; function: f" },
        { "size(", "b", ")", 680,
          "Invalid ConditionExpression: Incorrect operand type for operator "
          "or function; operator or function: size, operand type: N" },
        { "not ", "a<b", "", 1000,
          "Invalid ConditionExpression: The expression contains too many "
          "operators; operator count: 301" },
        { "a<b or (", "a<b", ")", 454,
          "Invalid ConditionExpression: The expression contains too many "
          "operators; operator count: 301" },
        { "a<b or (", "a<b", ")", 149, NULL },
        { "(", "", "", 4096,
          "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", "
          "near: \"(\"" },
    };
    for (size_t i = 0; i < sizeof (deep) / sizeof (deep [0]); i++) {
        strcpy (text, streq (deep [i].open, "f(") || streq (deep [i].open,
                                                              "size(")
                      ? "a < " : "");
        for (int level = 0; level < deep [i].depth; level++)
            strcat (text, deep [i].open);
        strcat (text, deep [i].middle);
        for (int level = 0; level < deep [i].depth; level++)
            strcat (text, deep [i].close);
        ck_assert_uint_le (strlen (text), 4096);
        request = s_request ("ConditionExpression", text, NULL, NULL);
        zyn_error_clear (&err);
        expr = zyn_expr_new ("PutItem", request, &err);
        if (deep [i].message) {
            ck_assert_msg (!expr, "deep case %zu accepted", i);
            ck_assert_str_eq (err.message, deep [i].message);
        }
        else
            ck_assert_msg (expr, "deep case %zu: %s", i, err.message);
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&request);
    }
    free (text);
}
END_TEST

START_TEST (test_reserved)
{
    ck_assert_int_eq (zyn_reserved_count (), 573);
    ck_assert (zyn_reserved_is ("ABORT", 5));
    ck_assert (zyn_reserved_is ("zone", 4));
    ck_assert (zyn_reserved_is ("Status", 6));
    ck_assert (zyn_reserved_is ("size", 4));
    ck_assert (zyn_reserved_is ("TIMESTAMP", 9));
    ck_assert (zyn_reserved_is ("LOCALTIMESTAMP", 14));
    ck_assert (!zyn_reserved_is ("statuses", 8));
    ck_assert (!zyn_reserved_is ("pk", 2));
    ck_assert (!zyn_reserved_is ("", 0));
    ck_assert (!zyn_reserved_is ("AAAAAAAAAAAAAAAAAAAAAAAAA", 25));
    ck_assert (zyn_reserved_is ("statusx", 6));
}
END_TEST

//  Build ExpressionAttributeValues holding only the placeholders expr uses,
//  from a fixed pool (so no case trips over unused values)
static const char *const s_pool [][2] = {
    { ":p", "{\"S\":\"k1\"}" }, { ":s", "{\"S\":\"s1\"}" },
    { ":a", "{\"N\":\"1\"}" }, { ":b", "{\"N\":\"2\"}" },
    { ":v", "{\"N\":\"2\"}" }, { ":w", "{\"N\":\"3\"}" },
    { ":str", "{\"S\":\"str\"}" }, { ":bool", "{\"BOOL\":false}" },
    { ":l", "{\"L\":[{\"N\":\"4\"}]}" }, { ":m", "{\"M\":{}}" },
    { ":ss", "{\"SS\":[\"b\",\"c\"]}" }, { ":ssa", "{\"SS\":[\"a\"]}" },
    { ":ssab", "{\"SS\":[\"b\",\"a\"]}" }, { ":ns", "{\"NS\":[\"3\",\"1\"]}" },
    { ":bs", "{\"BS\":[\"AQ==\"]}" }, { ":nul", "{\"NULL\":true}" },
    { ":bin", "{\"B\":\"AQ==\"}" }, { ":tenth", "{\"N\":\"0.1\"}" },
    { ":big", "{\"N\":\"99999999999999999999999999999999999999\"}" },
    { ":huge", "{\"N\":\"9.9999999999999999999999999999999999999E+125\"}" },
    { ":tiny", "{\"N\":\"1E-130\"}" },
};

static zyn_value_t *
s_pool_values (const char *expr)
{
    zyn_value_t *values = zyn_value_new_m ();
    for (size_t i = 0; i < sizeof (s_pool) / sizeof (s_pool [0]); i++) {
        const char *name = s_pool [i][0];
        size_t len = strlen (name);
        for (const char *at = strstr (expr, name); at;
             at = strstr (at + 1, name))
            if (!isalnum ((unsigned char) at [len]) && at [len] != '_') {
                zyn_value_t *value = s_json (s_pool [i][1], false);
                zyn_value_map_put (values, name, &value);
                break;
            }
    }
    if (zyn_value_size (values) == 0)
        zyn_value_destroy (&values);
    return values;
}

static zyn_value_t *
s_pool_request (const char *param, const char *expr, const char *names)
{
    zyn_value_t *request = s_request (param, expr, names, NULL);
    zyn_value_t *values = s_pool_values (expr);
    if (values)
        zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    return request;
}

//  --------------------------------------------------------------------------
//  Projections: expression, names, projected item or error

typedef struct {
    const char *expr;
    const char *names;
    const char *expected;       //  DynamoDB JSON map, or NULL for error
    const char *message;
} proj_case_t;

static const proj_case_t s_proj_cases [] = {
    { "a", NULL, "{\"a\":{\"N\":\"5\"}}", NULL },
    { "a, s", NULL, "{\"a\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"}}", NULL },
    { "s,a", NULL, "{\"a\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"}}", NULL },
    { "m.x", NULL, "{\"m\":{\"M\":{\"x\":{\"N\":\"1\"}}}}", NULL },
    { "m", NULL, "{\"m\":{\"M\":{\"x\":{\"N\":\"1\"},\"y\":{\"L\":["
                 "{\"S\":\"p\"},{\"N\":\"2\"}]}}}}", NULL },
    { "m.y[1]", NULL, "{\"m\":{\"M\":{\"y\":{\"L\":[{\"N\":\"2\"}]}}}}",
      NULL },
    { "m.y[1], m.x", NULL, "{\"m\":{\"M\":{\"x\":{\"N\":\"1\"},"
                           "\"y\":{\"L\":[{\"N\":\"2\"}]}}}}", NULL },
    { "l[2].z, l[0]", NULL, "{\"l\":{\"L\":[{\"N\":\"1\"},"
                            "{\"M\":{\"z\":{\"BOOL\":true}}}]}}", NULL },
    { "l[1], l[5]", NULL, "{\"l\":{\"L\":[{\"S\":\"two\"}]}}", NULL },
    { "l[2].nope", NULL, "{}", NULL },
    { "nope", NULL, "{}", NULL },
    { "nope, a", NULL, "{\"a\":{\"N\":\"5\"}}", NULL },
    { "m.nope", NULL, "{}", NULL },
    { "a.b", NULL, "{}", NULL },
    { "a[0]", NULL, "{}", NULL },
    { "#s", "#s=status", "{\"status\":{\"S\":\"on\"}}", NULL },
    { "#m.#x", "#m=m;#x=x", "{\"m\":{\"M\":{\"x\":{\"N\":\"1\"}}}}", NULL },
    { "#d", "#d=m.x", "{}", NULL },
    { "ss, ns, bs, t, n", NULL,
      "{\"ss\":{\"SS\":[\"x\",\"y\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},"
      "\"bs\":{\"BS\":[\"AQ==\"]},\"t\":{\"BOOL\":true},"
      "\"n\":{\"NULL\":true}}", NULL },
    { "a, a", NULL, NULL,
      "Invalid ProjectionExpression: Two document paths overlap with each "
      "other; must remove or rewrite one of these paths; path one: [a], path "
      "two: [a]" },
    { "m, m.x", NULL, NULL,
      "Invalid ProjectionExpression: Two document paths overlap with each "
      "other; must remove or rewrite one of these paths; path one: [m], path "
      "two: [m, x]" },
    { "m.y[0], m.y", NULL, NULL,
      "Invalid ProjectionExpression: Two document paths overlap with each "
      "other; must remove or rewrite one of these paths; path one: [m, y, "
      "[0]], path two: [m, y]" },
    { "l[0], l.x", NULL, NULL,
      "Invalid ProjectionExpression: Two document paths conflict with each "
      "other; must remove or rewrite one of these paths; path one: [l, [0]], "
      "path two: [l, x]" },
    { "#a, a", "#a=a", NULL,
      "Invalid ProjectionExpression: Two document paths overlap with each "
      "other; must remove or rewrite one of these paths; path one: [a], path "
      "two: [a]" },
    { "status", NULL, NULL,
      "Invalid ProjectionExpression: Attribute name is a reserved keyword; "
      "reserved keyword: status" },
    { "#x", NULL, NULL,
      "Invalid ProjectionExpression: An expression attribute name used in "
      "the document path is not defined; attribute name: #x" },
    { "a.", NULL, NULL,
      "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: "
      "\".\"" },
    { "a,", NULL, NULL,
      "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: "
      "\",\"" },
    { "a b", NULL, NULL,
      "Invalid ProjectionExpression: Syntax error; token: \"b\", near: "
      "\"a b\"" },
    { "size(a)", NULL, NULL,
      "Invalid ProjectionExpression: Syntax error; token: \"(\", near: "
      "\"size(a\"" },
    { "!!! INVALID !!!", NULL, NULL,
      "Invalid ProjectionExpression: Syntax error; token: \"!\", near: "
      "\"!!\"" },
    { "a-b", NULL, NULL,
      "Invalid ProjectionExpression: Syntax error; token: \"-\", near: "
      "\"a-b\"" },
};

START_TEST (test_projections)
{
    const proj_case_t *test = &s_proj_cases [_i];
    zyn_value_t *request = s_request ("ProjectionExpression", test->expr,
                                      test->names, NULL);
    zyn_value_t *item = s_json (s_item_json, true);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("GetItem", request, &err);
    if (!test->expected) {
        ck_assert_msg (expr == NULL, "case %d (%s) parsed", _i, test->expr);
        ck_assert_msg (streq (err.message, test->message),
                       "case %d (%s):\n got: %s\nwant: %s", _i, test->expr,
                       err.message, test->message);
    }
    else {
        ck_assert_msg (expr, "case %d (%s): %s", _i, test->expr, err.message);
        ck_assert (zyn_expr_has_projection (expr));
        zyn_value_t *projected = zyn_expr_project (expr, item);
        zyn_value_t *expected = s_json (test->expected, true);
        char *json = zyn_value_to_json (projected, true);
        ck_assert_msg (zyn_value_equal (projected, expected),
                       "case %d (%s): got %s", _i, test->expr, json);
        free (json);
        zyn_value_destroy (&expected);
        zyn_value_destroy (&projected);
    }
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&item);
    zyn_value_destroy (&request);
}
END_TEST

START_TEST (test_projection_names)
{
    zyn_value_t *request = s_request ("ProjectionExpression",
                                      "m.x, a, m.y[0], #s", "#s=status", NULL);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("Query", request, &err);
    ck_assert_msg (expr, "%s", err.message);
    const char **names = zyn_expr_projected_names (expr);
    ck_assert_str_eq (names [0], "m");
    ck_assert_str_eq (names [1], "a");
    ck_assert_str_eq (names [2], "status");
    ck_assert (names [3] == NULL);
    //  No item, no projection
    ck_assert (zyn_expr_project (expr, NULL) == NULL);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);

    //  Without a projection: a copy, and no names
    request = zyn_value_new_m ();
    expr = zyn_expr_new ("GetItem", request, &err);
    ck_assert (zyn_expr_projected_names (expr) == NULL);
    zyn_value_t *item = s_json (s_item_json, true);
    zyn_value_t *copy = zyn_expr_project (expr, item);
    ck_assert (copy != item);
    ck_assert (zyn_value_equal (copy, item));
    zyn_value_destroy (&copy);
    zyn_value_destroy (&item);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
}
END_TEST

//  --------------------------------------------------------------------------
//  Key conditions against a table keyed pk (S) and sk, or pk alone

typedef struct {
    const char *expr;
    const char *names;
    const char *sk_name;
    int sk_op;                  //  zyn_sk_op_t, or -1 for an error
    const char *sk1;            //  Expected sk1 / sk2 as JSON values
    const char *sk2;
    const char *message;
} key_case_t;

#define KS "{\"S\":\"s1\"}"

static const key_case_t s_key_cases [] = {
    { "pk = :p", NULL, "sk", ZYN_SK_NONE, NULL, NULL, NULL },
    { "pk = :p", NULL, NULL, ZYN_SK_NONE, NULL, NULL, NULL },
    { ":p = pk", NULL, "sk", ZYN_SK_NONE, NULL, NULL, NULL },
    { "#p = :p", "#p=pk", "sk", ZYN_SK_NONE, NULL, NULL, NULL },
    { "pk = :p AND sk = :s", NULL, "sk", ZYN_SK_EQ, KS, NULL, NULL },
    { "sk < :s AND pk = :p", NULL, "sk", ZYN_SK_LT, KS, NULL, NULL },
    { "pk = :p and sk <= :s", NULL, "sk", ZYN_SK_LE, KS, NULL, NULL },
    { "pk = :p AND sk > :s", NULL, "sk", ZYN_SK_GT, KS, NULL, NULL },
    { "pk = :p AND sk >= :s", NULL, "sk", ZYN_SK_GE, KS, NULL, NULL },
    { "pk = :p AND :s < sk", NULL, "sk", ZYN_SK_GT, KS, NULL, NULL },
    { "pk = :p AND :s >= sk", NULL, "sk", ZYN_SK_LE, KS, NULL, NULL },
    { "pk = :p AND sk BETWEEN :a AND :b", NULL, "sk", ZYN_SK_BETWEEN,
      "{\"N\":\"1\"}", "{\"N\":\"2\"}", NULL },
    { "pk = :p AND begins_with(sk, :s)", NULL, "sk", ZYN_SK_BEGINS_WITH, KS,
      NULL, NULL },
    { "(pk = :p) AND (#s = :s)", "#s=sk", "sk", ZYN_SK_EQ, KS, NULL, NULL },
    { "((pk = :p)) AND ((sk = :s))", NULL, "sk", ZYN_SK_EQ, KS, NULL, NULL },
    { "(pk = :p AND sk = :s)", NULL, "sk", ZYN_SK_EQ, KS, NULL, NULL },
    { "pk = :p OR sk = :s", NULL, "sk", -1, NULL, NULL,
      "Invalid operator used in KeyConditionExpression: OR" },
    { "NOT pk = :p", NULL, "sk", -1, NULL, NULL,
      "Invalid operator used in KeyConditionExpression: NOT" },
    { "pk IN (:p)", NULL, "sk", -1, NULL, NULL,
      "Invalid operator used in KeyConditionExpression: IN" },
    { "pk <> :p", NULL, "sk", -1, NULL, NULL,
      "Invalid operator used in KeyConditionExpression: <>" },
    { "pk = :p AND attribute_exists(sk)", NULL, "sk", -1, NULL, NULL,
      "Invalid operator used in KeyConditionExpression: attribute_exists" },
    { "pk = :p AND contains(sk, :s)", NULL, "sk", -1, NULL, NULL,
      "Invalid operator used in KeyConditionExpression: contains" },
    { "size(pk) = :a", NULL, "sk", -1, NULL, NULL,
      "KeyConditionExpressions cannot contain nested operations" },
    { "pk = :p AND pk = :p", NULL, "sk", -1, NULL, NULL,
      "KeyConditionExpressions must only contain one condition per key" },
    { "pk.x = :p", NULL, "sk", -1, NULL, NULL,
      "KeyConditionExpressions cannot have conditions on nested attributes" },
    { "pk = sk", NULL, "sk", -1, NULL, NULL,
      "Invalid condition in KeyConditionExpression: Multiple attribute names "
      "used in one condition" },
    { ":p = :p", NULL, "sk", -1, NULL, NULL,
      "Invalid condition in KeyConditionExpression: No key attribute "
      "specified" },
    { "pk = :p AND begins_with(:s, sk)", NULL, "sk", -1, NULL, NULL,
      "Invalid condition in KeyConditionExpression: begins_with operator "
      "must have the key attribute as its first operand" },
    { "pk = :p AND :a BETWEEN sk AND :b", NULL, "sk", -1, NULL, NULL,
      "Invalid condition in KeyConditionExpression: BETWEEN operator must "
      "have the key attribute as its first operand" },
    { "pk = :p AND sk = :s AND x = :a", NULL, "sk", -1, NULL, NULL,
      "Conditions can be of length 1 or 2 only" },
    { "pk = :p AND begins_with(sk, :a)", NULL, "sk", -1, NULL, NULL,
      "Invalid KeyConditionExpression: Incorrect operand type for operator "
      "or function; operator or function: begins_with, operand type: N" },
    //  Resolved against the table's key schema
    { "sk = :s", NULL, "sk", -1, NULL, NULL,
      "Query condition missed key schema element: pk" },
    { "pk = :p AND x = :s", NULL, "sk", -1, NULL, NULL,
      "Query condition missed key schema element: sk" },
    { "pk = :p AND x = :s", NULL, NULL, -1, NULL, NULL,
      "Query key condition not supported" },
    { "pk = :p AND sk = :s", NULL, NULL, -1, NULL, NULL,
      "Query key condition not supported" },
    { "pk < :p", NULL, "sk", -1, NULL, NULL,
      "Query key condition not supported" },
    { "begins_with(pk, :p)", NULL, "sk", -1, NULL, NULL,
      "Query key condition not supported" },
};

START_TEST (test_key_conditions)
{
    const key_case_t *test = &s_key_cases [_i];
    zyn_value_t *request = s_pool_request ("KeyConditionExpression",
                                           test->expr, test->names);
    zyn_error_t err = { 0 };
    zyn_key_condition_t cond;
    zyn_expr_t *expr = zyn_expr_new ("Query", request, &err);
    int rc = expr ? zyn_expr_key_condition (expr, "pk", test->sk_name, &cond,
                                            &err)
                  : -1;
    if (test->sk_op < 0) {
        ck_assert_msg (rc == -1, "case %d (%s) accepted", _i, test->expr);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_msg (streq (err.message, test->message),
                       "case %d (%s):\n got: %s\nwant: %s", _i, test->expr,
                       err.message, test->message);
    }
    else {
        ck_assert_msg (rc == 0, "case %d (%s): %s", _i, test->expr,
                       err.message);
        zyn_value_t *pk = s_json ("{\"S\":\"k1\"}", false);
        ck_assert (zyn_value_equal (cond.pk, pk));
        zyn_value_destroy (&pk);
        ck_assert_int_eq (cond.sk_op, test->sk_op);
        const char *want [2] = { test->sk1, test->sk2 };
        const zyn_value_t *got [2] = { cond.sk1, cond.sk2 };
        for (int i = 0; i < 2; i++) {
            if (!want [i]) {
                ck_assert (got [i] == NULL);
                continue;
            }
            zyn_value_t *value = s_json (want [i], false);
            ck_assert_msg (got [i] && zyn_value_equal (got [i], value),
                           "case %d: sk%d", _i, i + 1);
            zyn_value_destroy (&value);
        }
    }
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
}
END_TEST

START_TEST (test_key_condition_missing)
{
    zyn_value_t *request = zyn_value_new_m ();
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("Query", request, &err);
    zyn_key_condition_t cond;
    ck_assert_int_eq (zyn_expr_key_condition (expr, "pk", NULL, &cond, &err),
                      -1);
    ck_assert_str_eq (err.message,
                      "Either the KeyConditions or KeyConditionExpression "
                      "parameter must be specified in the request.");
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
}
END_TEST

//  --------------------------------------------------------------------------
//  Updates: expression, names, changed attributes (DynamoDB JSON map, put
//  over the base item), removed attributes ("s,n"), or an error

static const char *s_base_json =
    "{\"pk\":{\"S\":\"k\"},\"n\":{\"N\":\"5\"},\"s\":{\"S\":\"x\"},"
    "\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"}]},"
    "\"m\":{\"M\":{\"a\":{\"N\":\"1\"}}},\"ss\":{\"SS\":[\"a\",\"b\"]},"
    "\"ns\":{\"NS\":[\"1\",\"2\"]}}";

typedef struct {
    const char *expr;
    const char *names;
    const char *changed;        //  NULL: an error is expected
    const char *removed;
    const char *message;
} update_case_t;

#define INCORRECT "An operand in the update expression has an incorrect data " \
                  "type"
#define BADPATH "The document path provided in the update expression is " \
                "invalid for update"
#define MISSING "The provided expression refers to an attribute that does " \
                "not exist in the item"
#define OVERLAP "Invalid UpdateExpression: Two document paths overlap with " \
                "each other; must remove or rewrite one of these paths; "

static const update_case_t s_update_cases [] = {
    //  SET
    { "SET n = :w", NULL, "{\"n\":{\"N\":\"3\"}}", NULL, NULL },
    { "SET x = :str", NULL, "{\"x\":{\"S\":\"str\"}}", NULL, NULL },
    { "set x = :m, y = :bool, z = :nul", NULL,
      "{\"x\":{\"M\":{}},\"y\":{\"BOOL\":false},\"z\":{\"NULL\":true}}",
      NULL, NULL },
    { "SET n = n + :v", NULL, "{\"n\":{\"N\":\"7\"}}", NULL, NULL },
    { "SET n = n - :v", NULL, "{\"n\":{\"N\":\"3\"}}", NULL, NULL },
    { "SET n = :v - n", NULL, "{\"n\":{\"N\":\"-3\"}}", NULL, NULL },
    { "SET n = :v + :w", NULL, "{\"n\":{\"N\":\"5\"}}", NULL, NULL },
    { "SET n=n+:tenth", NULL, "{\"n\":{\"N\":\"5.1\"}}", NULL, NULL },
    { "SET s = n + n", NULL, "{\"s\":{\"N\":\"10\"}}", NULL, NULL },
    { "SET n = n + :v, s = n", NULL,
      "{\"n\":{\"N\":\"7\"},\"s\":{\"N\":\"5\"}}", NULL, NULL },
    { "SET x = :big + :a", NULL,
      "{\"x\":{\"N\":\"100000000000000000000000000000000000000\"}}", NULL,
      NULL },
    { "SET x = :big + :tenth", NULL, NULL, NULL,
      "Number overflow. Attempting to store a number with magnitude larger "
      "than supported range" },
    { "SET x = :huge + :huge", NULL, NULL, NULL,
      "Number overflow. Attempting to store a number with magnitude larger "
      "than supported range" },
    { "SET x = :tiny - :tiny", NULL, "{\"x\":{\"N\":\"0\"}}", NULL, NULL },
    { "SET s = s + :v", NULL, NULL, NULL, INCORRECT },
    { "SET n = n + m", NULL, NULL, NULL, INCORRECT },
    { "SET x = nope + :v", NULL, NULL, NULL, MISSING },
    { "SET x = nope", NULL, NULL, NULL, MISSING },
    { "SET x = m.nope", NULL, NULL, NULL, MISSING },
    { "SET x = if_not_exists(nope, :v)", NULL, "{\"x\":{\"N\":\"2\"}}", NULL,
      NULL },
    { "SET n = if_not_exists(n, :v)", NULL, "{}", NULL, NULL },
    { "SET n = if_not_exists(n, :v) + :w", NULL, "{\"n\":{\"N\":\"8\"}}",
      NULL, NULL },
    { "SET x = if_not_exists(x, :a) + :w", NULL, "{\"x\":{\"N\":\"4\"}}",
      NULL, NULL },
    { "SET l = list_append(l, :l)", NULL,
      "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"},"
      "{\"N\":\"4\"}]}}", NULL, NULL },
    { "SET l = list_append(:l, l)", NULL,
      "{\"l\":{\"L\":[{\"N\":\"4\"},{\"N\":\"1\"},{\"N\":\"2\"},"
      "{\"N\":\"3\"}]}}", NULL, NULL },
    { "SET x = list_append(if_not_exists(x, :l), :l)", NULL,
      "{\"x\":{\"L\":[{\"N\":\"4\"},{\"N\":\"4\"}]}}", NULL, NULL },
    { "SET s = list_append(s, :l)", NULL, NULL, NULL, INCORRECT },
    { "SET m.b = :v", NULL,
      "{\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"2\"}}}}", NULL, NULL },
    { "SET m.a = m.a + :v", NULL, "{\"m\":{\"M\":{\"a\":{\"N\":\"3\"}}}}",
      NULL, NULL },
    { "SET #m.#a = :v", "#m=m;#a=a", "{\"m\":{\"M\":{\"a\":{\"N\":\"2\"}}}}",
      NULL, NULL },
    { "SET #d = :v", "#d=m.a", "{\"m.a\":{\"N\":\"2\"}}", NULL, NULL },
    { "SET m.a.c = :v", NULL, NULL, NULL, BADPATH },
    { "SET nope.x = :v", NULL, NULL, NULL, BADPATH },
    { "SET l[0].x = :v", NULL, NULL, NULL, BADPATH },
    { "SET m[0] = :v", NULL, NULL, NULL, BADPATH },
    { "SET l[1] = :str", NULL,
      "{\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"str\"},{\"N\":\"3\"}]}}", NULL,
      NULL },
    { "SET l[10] = :str", NULL,
      "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"},"
      "{\"S\":\"str\"}]}}", NULL, NULL },
    { "SET l[3] = :a, l[9] = :b", NULL,
      "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"},"
      "{\"N\":\"1\"},{\"N\":\"2\"}]}}", NULL, NULL },
    { "SET l[9] = :w, l[5] = :v, l[7] = :a", NULL,
      "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"},"
      "{\"N\":\"2\"},{\"N\":\"1\"},{\"N\":\"3\"}]}}", NULL, NULL },
    { "REMOVE l[0] SET l[2] = :w", NULL,
      "{\"l\":{\"L\":[{\"N\":\"2\"},{\"N\":\"3\"}]}}", NULL, NULL },
    { "SET n = (n + :v)", NULL, "{\"n\":{\"N\":\"7\"}}", NULL, NULL },
    { "SET n = (:v)", NULL, "{\"n\":{\"N\":\"2\"}}", NULL, NULL },
    { "SET x = list_append(if_not_exists(x, :l), :l)", NULL,
      "{\"x\":{\"L\":[{\"N\":\"4\"},{\"N\":\"4\"}]}}", NULL, NULL },
    { "SET x = list_append(list_append(:l, :l), :l)", NULL, NULL, NULL,
      "Invalid UpdateExpression: The function is not allowed to be used "
      "this way in an expression; function: list_append" },
    { "SET x = if_not_exists(x, :v + :w)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"+\", near: "
      "\":v + :w\"" },
    { "SET _x = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"_\", near: "
      "\"SET _x\"" },
    { "SET _123 = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"_\", near: "
      "\"SET _123\"" },
    { "SET a = _f(b)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"_\", near: "
      "\"= _f\"" },
    { "SET a = f(b, :v)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Invalid function name; function: f" },
    { "SET a = LIST_APPEND(l, :l)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Invalid function name; function: "
      "LIST_APPEND" },
    { "SET a[:v] = :w", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \":v\", near: "
      "\"[:v]\"" },
    { "SET :v = :w", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \":v\", near: "
      "\"SET :v =\"" },
    { "SET x = :v, y = x", NULL, NULL, NULL, MISSING },
    { "REMOVE s SET x = s", NULL, "{\"x\":{\"S\":\"x\"}}", "s", NULL },
    { "SET a.b = :v, a[1] = :w", NULL, NULL, NULL,
      "Invalid UpdateExpression: Two document paths conflict with each "
      "other; must remove or rewrite one of these paths; path one: [a, b], "
      "path two: [a, [1]]" },
    { "SET a[1][1] = :v, a[1] = :w", NULL, NULL, NULL,
      OVERLAP "path one: [a, [1], [1]], path two: [a, [1]]" },
    { "SET l[0] = :a REMOVE l[2]", NULL,
      "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"}]}}", NULL, NULL },
    { "SET pk = :str", NULL, NULL, NULL,
      "One or more parameter values were invalid: Cannot update attribute "
      "pk. This attribute is part of the key" },
    { "REMOVE #k", "#k=pk", NULL, NULL,
      "One or more parameter values were invalid: Cannot update attribute "
      "pk. This attribute is part of the key" },
    //  REMOVE
    { "REMOVE s", NULL, "{}", "s", NULL },
    { "REMOVE s, n", NULL, "{}", "s,n", NULL },
    { "REMOVE nope", NULL, "{}", NULL, NULL },
    { "REMOVE l[0]", NULL, "{\"l\":{\"L\":[{\"N\":\"2\"},{\"N\":\"3\"}]}}",
      NULL, NULL },
    { "REMOVE l[0], l[2]", NULL, "{\"l\":{\"L\":[{\"N\":\"2\"}]}}", NULL,
      NULL },
    { "REMOVE l[2], l[0]", NULL, "{\"l\":{\"L\":[{\"N\":\"2\"}]}}", NULL,
      NULL },
    { "REMOVE l[1], l[0], l[2]", NULL, "{\"l\":{\"L\":[]}}", NULL, NULL },
    { "REMOVE l[9]", NULL, "{}", NULL, NULL },
    { "REMOVE m.a", NULL, "{\"m\":{\"M\":{}}}", NULL, NULL },
    { "REMOVE m.nope", NULL, "{}", NULL, NULL },
    { "REMOVE nope.x", NULL, NULL, NULL, BADPATH },
    { "REMOVE s.x", NULL, NULL, NULL, BADPATH },
    //  ADD
    { "ADD n :v", NULL, "{\"n\":{\"N\":\"7\"}}", NULL, NULL },
    { "ADD x :v", NULL, "{\"x\":{\"N\":\"2\"}}", NULL, NULL },
    { "ADD ss :ss", NULL, "{\"ss\":{\"SS\":[\"a\",\"b\",\"c\"]}}", NULL,
      NULL },
    { "ADD ns :ns", NULL, "{\"ns\":{\"NS\":[\"1\",\"2\",\"3\"]}}", NULL,
      NULL },
    { "ADD x :bs", NULL, "{\"x\":{\"BS\":[\"AQ==\"]}}", NULL, NULL },
    { "ADD m.c :v", NULL,
      "{\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"c\":{\"N\":\"2\"}}}}", NULL, NULL },
    { "ADD s :v", NULL, NULL, NULL, INCORRECT },
    { "ADD ss :ns", NULL, NULL, NULL, INCORRECT },
    { "ADD l :ss", NULL, NULL, NULL, INCORRECT },
    { "ADD n :str", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator: ADD, operand type: STRING" },
    { "ADD n :l", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator: ADD, operand type: LIST" },
    { "ADD n :m", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator: ADD, operand type: MAP" },
    { "ADD n :bool", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator: ADD, operand type: BOOLEAN" },
    //  DELETE
    { "DELETE ss :ssa", NULL, "{\"ss\":{\"SS\":[\"b\"]}}", NULL, NULL },
    { "DELETE ss :ssab", NULL, "{}", "ss", NULL },
    { "DELETE ss :ss", NULL, "{\"ss\":{\"SS\":[\"a\"]}}", NULL, NULL },
    { "DELETE ns :ns", NULL, "{\"ns\":{\"NS\":[\"2\"]}}", NULL, NULL },
    { "DELETE nope :ss", NULL, "{}", NULL, NULL },
    { "DELETE s :ss", NULL, NULL, NULL, INCORRECT },
    { "DELETE ss :ns", NULL, NULL, NULL, INCORRECT },
    { "DELETE n :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator: DELETE, operand type: NUMBER" },
    { "DELETE n :bin", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator: DELETE, operand type: BINARY" },
    //  All four
    { "SET n = n + :v REMOVE s ADD ns :ns DELETE ss :ssa", NULL,
      "{\"n\":{\"N\":\"7\"},\"ns\":{\"NS\":[\"1\",\"2\",\"3\"]},"
      "\"ss\":{\"SS\":[\"b\"]}}", "s", NULL },
    { "DELETE ss :ssa ADD ns :ns REMOVE s SET n = n + :v", NULL,
      "{\"n\":{\"N\":\"7\"},\"ns\":{\"NS\":[\"1\",\"2\",\"3\"]},"
      "\"ss\":{\"SS\":[\"b\"]}}", "s", NULL },
    //  Parse-time errors
    { "SET x = :v, x = :w", NULL, NULL, NULL,
      OVERLAP "path one: [x], path two: [x]" },
    { "SET m = :v REMOVE m.a", NULL, NULL, NULL,
      OVERLAP "path one: [m], path two: [m, a]" },
    { "REMOVE l[0], l[0]", NULL, NULL, NULL,
      OVERLAP "path one: [l, [0]], path two: [l, [0]]" },
    { "SET l[0] = :v REMOVE l.a", NULL, NULL, NULL,
      "Invalid UpdateExpression: Two document paths conflict with each "
      "other; must remove or rewrite one of these paths; path one: [l, [0]], "
      "path two: [l, a]" },
    { "SET a = :v SET b = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: The \"SET\" section can only be used once "
      "in an update expression;" },
    { "REMOVE a REMOVE b", NULL, NULL, NULL,
      "Invalid UpdateExpression: The \"REMOVE\" section can only be used once "
      "in an update expression;" },
    { "SET status = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Attribute name is a reserved keyword; "
      "reserved keyword: status" },
    { "SET a = size(s)", NULL, NULL, NULL,
      "Invalid UpdateExpression: The function is not allowed to be used "
      "this way in an expression; function: size" },
    { "SET a = if_not_exists(:v, :v)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Operator or function requires a document "
      "path; operator or function: if_not_exists" },
    { "SET a = if_not_exists(a)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect number of operands for operator "
      "or function; operator or function: if_not_exists, number of "
      "operands: 1" },
    { "SET l = list_append(l, :v)", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator or function: list_append, operand type: N" },
    { "SET n = n + :str", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator or function: +, operand type: S" },
    { "SET n = :l - n", NULL, NULL, NULL,
      "Invalid UpdateExpression: Incorrect operand type for operator or "
      "function; operator or function: -, operand type: L" },
    { "SET #x = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: An expression attribute name used in the "
      "document path is not defined; attribute name: #x" },
    { "SET a", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: "
      "\"a\"" },
    { "SET a = :v,", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: "
      "\",\"" },
    { "a = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"a\", near: \"a =\"" },
    { "ADD hits : incr", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \":\", near: "
      "\"hits : incr\"" },
    { "INVALID SYNTAX HERE", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: "
      "\"INVALID SYNTAX\"" },
    { "SET a = :v, REMOVE b", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"REMOVE\", near: "
      "\", REMOVE b\"" },
    { "SET a = :v + :w + :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"+\", near: "
      "\":w + :v\"" },
    { "ADD a b", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"b\", near: \"a b\"" },
    { "REMOVE a = :v", NULL, NULL, NULL,
      "Invalid UpdateExpression: Syntax error; token: \"=\", near: "
      "\"a = :v\"" },
};

static void
s_check_update (const update_case_t *test, int index, const char *item_json)
{
    zyn_value_t *request = s_pool_request ("UpdateExpression", test->expr,
                                           test->names);
    zyn_value_t *item = item_json ? s_json (item_json, true) : NULL;
    zyn_value_t *key = s_json ("{\"pk\":{\"S\":\"k\"}}", true);
    const char *key_names [] = { "pk", NULL };
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("UpdateItem", request, &err);
    zyn_value_t *updated = NULL;
    //  The key check alone agrees with the whole update on key errors
    zyn_error_t key_err = { 0 };
    if (expr && zyn_expr_check_update_keys (expr, key_names, &key_err))
        ck_assert (test->message && streq (key_err.message, test->message));
    zyn_value_t *result = expr ? zyn_expr_update (expr, item, key, key_names,
                                                  &updated, &err)
                               : NULL;
    if (!test->changed) {
        ck_assert_msg (result == NULL, "case %d (%s) accepted", index,
                       test->expr);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_msg (streq (err.message, test->message),
                       "case %d (%s):\n got: %s\nwant: %s", index, test->expr,
                       err.message, test->message);
    }
    else {
        ck_assert_msg (result, "case %d (%s): %s", index, test->expr,
                       err.message);
        zyn_value_t *expected = item ? zyn_value_dup (item)
                                     : zyn_value_dup (key);
        zyn_value_t *changed = s_json (test->changed, true);
        for (size_t i = 0; i < zyn_value_size (changed); i++) {
            zyn_value_t *value = zyn_value_dup (zyn_value_map_value (changed,
                                                                     i));
            zyn_value_map_put (expected, zyn_value_map_name (changed, i),
                               &value);
        }
        char removed [256];
        snprintf (removed, sizeof (removed), "%s",
                  test->removed ? test->removed : "");
        char *save = NULL;
        for (char *name = strtok_r (removed, ",", &save); name;
             name = strtok_r (NULL, ",", &save)) {
            zyn_value_t *gone = zyn_value_map_take (expected, name);
            ck_assert_msg (gone, "case %d: %s not in item", index, name);
            zyn_value_destroy (&gone);
        }
        char *json = zyn_value_to_json (result, true);
        ck_assert_msg (zyn_value_equal (result, expected),
                       "case %d (%s): got %s", index, test->expr, json);
        free (json);
        ck_assert (updated && zyn_value_type (updated) == ZYN_TYPE_L);
        zyn_value_destroy (&changed);
        zyn_value_destroy (&expected);
    }
    zyn_value_destroy (&updated);
    zyn_value_destroy (&result);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&key);
    zyn_value_destroy (&item);
    zyn_value_destroy (&request);
}

START_TEST (test_updates)
{
    s_check_update (&s_update_cases [_i], _i, s_base_json);
}
END_TEST

//  Updates of an item that does not exist start from its key
static const update_case_t s_new_item_cases [] = {
    { "SET n = :v", NULL, "{\"n\":{\"N\":\"2\"}}", NULL, NULL },
    { "ADD n :v, ss :ss", NULL,
      "{\"n\":{\"N\":\"2\"},\"ss\":{\"SS\":[\"b\",\"c\"]}}", NULL, NULL },
    { "SET n = if_not_exists(n, :a) + :v", NULL, "{\"n\":{\"N\":\"3\"}}",
      NULL, NULL },
    { "REMOVE n DELETE ss :ss", NULL, "{}", NULL, NULL },
    { "REMOVE x.y, z[0]", NULL, "{}", NULL, NULL },
    { "SET n = n + :v", NULL, NULL, NULL, MISSING },
    { "SET m.a = :v", NULL, NULL, NULL, BADPATH },
};

START_TEST (test_updates_new_item)
{
    s_check_update (&s_new_item_cases [_i], _i, NULL);
}
END_TEST

START_TEST (test_updated_names)
{
    zyn_value_t *request = s_pool_request (
        "UpdateExpression", "SET n = :v, m.a = :w, m.b = :v REMOVE s ADD x :v",
        NULL);
    zyn_value_t *item = s_json (s_base_json, true);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("UpdateItem", request, &err);
    ck_assert_msg (expr, "%s", err.message);
    ck_assert (zyn_expr_has_update (expr));
    zyn_value_t *updated = NULL;
    zyn_value_t *result = zyn_expr_update (expr, item, NULL, NULL, &updated,
                                           &err);
    ck_assert (result);
    ck_assert_int_eq (zyn_value_size (updated), 4);
    const char *want [] = { "n", "m", "s", "x" };
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq (zyn_value_data (zyn_value_list_get (updated, i)),
                          want [i]);
    //  The item passed in is untouched
    zyn_value_t *base = s_json (s_base_json, true);
    ck_assert (zyn_value_equal (item, base));
    zyn_value_destroy (&base);
    zyn_value_destroy (&updated);
    zyn_value_destroy (&result);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&item);
    zyn_value_destroy (&request);
}
END_TEST

//  --------------------------------------------------------------------------
//  Legacy parameters: requests in typed JSON (see test_requests); the
//  condition or filter is evaluated against s_item_json

typedef struct {
    const char *operation;
    const char *request;
    int expected;               //  1 true, 0 false, -1 error
    const char *message;
} legacy_case_t;

#define EXP(name, body) "{\"Expected\":{\"M\":{\"" name "\":{\"M\":{" body \
                        "}}}}}"
#define SCAN(name, body) "{\"ScanFilter\":{\"M\":{\"" name "\":{\"M\":{" \
                         body "}}}}}"
#define VALUE(t, v) "\"Value\":{\"" t "\":\"" v "\"}"
#define OPER(o) "\"ComparisonOperator\":{\"S\":\"" o "\"}"
#define AVL(list) "\"AttributeValueList\":{\"L\":[" list "]}"
#define NUM(v) "{\"N\":\"" v "\"}"
#define STR(v) "{\"S\":\"" v "\"}"
#define EXISTS(b) "\"Exists\":{\"BOOL\":" b "}"
#define INV "One or more parameter values were invalid: "

static const legacy_case_t s_legacy_cases [] = {
    { "PutItem", EXP ("a", VALUE ("N", "5")), 1, NULL },
    { "PutItem", EXP ("a", VALUE ("N", "6")), 0, NULL },
    { "PutItem", EXP ("a", VALUE ("S", "5")), 0, NULL },
    { "PutItem", EXP ("nope", VALUE ("N", "5")), 0, NULL },
    { "PutItem", EXP ("nope", EXISTS ("false")), 1, NULL },
    { "PutItem", EXP ("a", EXISTS ("false")), 0, NULL },
    { "PutItem", EXP ("a", EXISTS ("true") "," VALUE ("N", "5")), 1, NULL },
    { "PutItem", EXP ("a", OPER ("EQ") "," AVL (NUM ("5"))), 1, NULL },
    { "PutItem", EXP ("a", OPER ("EQ") "," VALUE ("N", "5")), 1, NULL },
    { "PutItem", EXP ("a", OPER ("NE") "," AVL (NUM ("5"))), 0, NULL },
    { "PutItem", EXP ("nope", OPER ("NE") "," AVL (NUM ("5"))), 1, NULL },
    { "PutItem", EXP ("a", OPER ("LT") "," AVL (NUM ("6"))), 1, NULL },
    { "PutItem", EXP ("a", OPER ("LE") "," AVL (NUM ("4"))), 0, NULL },
    { "PutItem", EXP ("a", OPER ("GT") "," AVL (NUM ("4"))), 1, NULL },
    { "PutItem", EXP ("a", OPER ("GE") "," AVL (NUM ("5"))), 1, NULL },
    { "PutItem", EXP ("s", OPER ("GT") "," AVL (NUM ("5"))), 0, NULL },
    { "PutItem", EXP ("a", OPER ("NOT_NULL")), 1, NULL },
    { "PutItem", EXP ("a", OPER ("NULL")), 0, NULL },
    { "PutItem", EXP ("nope", OPER ("NULL")), 1, NULL },
    { "PutItem", EXP ("s", OPER ("CONTAINS") "," AVL (STR ("ell"))), 1,
      NULL },
    { "PutItem", EXP ("ss", OPER ("CONTAINS") "," AVL (STR ("y"))), 1, NULL },
    { "PutItem", EXP ("s", OPER ("NOT_CONTAINS") "," AVL (STR ("ell"))), 0,
      NULL },
    { "PutItem", EXP ("ss", OPER ("NOT_CONTAINS") "," AVL (STR ("z"))), 1,
      NULL },
    { "PutItem", EXP ("nope", OPER ("NOT_CONTAINS") "," AVL (STR ("z"))), 0,
      NULL },
    { "PutItem", EXP ("nope", OPER ("CONTAINS") "," AVL (STR ("z"))), 0,
      NULL },
    { "PutItem", EXP ("s", OPER ("NOT_CONTAINS") "," AVL (NUM ("1"))), 1,
      NULL },
    { "PutItem", EXP ("s", OPER ("CONTAINS") "," AVL ("{\"L\":[]}")), -1,
      INV "ComparisonOperator CONTAINS is not valid for L AttributeValue "
      "type" },
    { "PutItem", EXP ("a", OPER ("IN") "," AVL ("{\"L\":[]}")), -1,
      INV "ComparisonOperator IN is not valid for L AttributeValue type" },
    { "PutItem", EXP ("s", OPER ("BEGINS_WITH") "," AVL (STR ("he"))), 1,
      NULL },
    { "PutItem", EXP ("a", OPER ("IN") "," AVL (NUM ("1") "," NUM ("5"))), 1,
      NULL },
    { "PutItem", EXP ("a", OPER ("IN") "," AVL (NUM ("1"))), 0, NULL },
    { "PutItem", EXP ("a", OPER ("BETWEEN") "," AVL (NUM ("1") "," NUM ("9"))),
      1, NULL },
    { "DeleteItem", EXP ("a", OPER ("BETWEEN") "," AVL (NUM ("6") ","
                                                          NUM ("9"))), 0,
      NULL },
    { "PutItem", "{\"Expected\":{\"M\":{\"a\":{\"M\":{" VALUE ("N", "5")
                 "}},\"s\":{\"M\":{" VALUE ("S", "no") "}}}}}", 0, NULL },
    { "PutItem", "{\"Expected\":{\"M\":{\"a\":{\"M\":{" VALUE ("N", "5")
                 "}},\"s\":{\"M\":{" VALUE ("S", "no") "}}}},"
                 "\"ConditionalOperator\":{\"S\":\"OR\"}}", 1, NULL },
    { "PutItem", "{\"Expected\":{\"M\":{\"a\":{\"M\":{" VALUE ("N", "5")
                 "}},\"s\":{\"M\":{" VALUE ("S", "hello") "}}}},"
                 "\"ConditionalOperator\":{\"S\":\"AND\"}}", 1, NULL },
    //  Checks
    { "PutItem", EXP ("a", VALUE ("N", "5") "," AVL (NUM ("5"))), -1,
      INV "Value and AttributeValueList cannot be used together for "
      "Attribute: a" },
    { "PutItem", EXP ("a", EXISTS ("true") "," OPER ("EQ") ","
                      AVL (NUM ("5"))), -1,
      INV "Exists and ComparisonOperator cannot be used together for "
      "Attribute: a" },
    { "PutItem", EXP ("a", OPER ("EQ")), -1,
      INV "Value or AttributeValueList must be used with ComparisonOperator: "
      "EQ for Attribute: a" },
    { "PutItem", EXP ("a", AVL (NUM ("5"))), -1,
      INV "AttributeValueList can only be used with a ComparisonOperator for "
      "Attribute: a" },
    { "PutItem", "{\"Expected\":{\"M\":{\"a\":{\"M\":{}}}}}", -1,
      INV "Value must be provided when Exists is null for Attribute: a" },
    { "PutItem", EXP ("a", EXISTS ("true")), -1,
      INV "Value must be provided when Exists is true for Attribute: a" },
    { "PutItem", EXP ("a", EXISTS ("false") "," VALUE ("N", "5")), -1,
      INV "Value cannot be used when Exists is false for Attribute: a" },
    { "PutItem", EXP ("a", OPER ("BETWEEN") "," AVL (NUM ("5"))), -1,
      INV "Invalid number of argument(s) for the BETWEEN ComparisonOperator" },
    { "PutItem", EXP ("a", OPER ("NULL") "," AVL (NUM ("5"))), -1,
      INV "Invalid number of argument(s) for the NULL ComparisonOperator" },
    { "PutItem", EXP ("a", OPER ("EQ") "," AVL (NUM ("5") "," NUM ("6"))), -1,
      INV "Invalid number of argument(s) for the EQ ComparisonOperator" },
    { "PutItem", EXP ("a", OPER ("IN") "," AVL (NUM ("5") "," STR ("6"))), -1,
      INV "AttributeValues inside AttributeValueList must be of same type" },
    { "PutItem", EXP ("a", OPER ("LT") "," AVL ("{\"BOOL\":true}")), -1,
      INV "ComparisonOperator LT is not valid for BOOL AttributeValue type" },
    { "PutItem", EXP ("a", OPER ("BEGINS_WITH") "," AVL (NUM ("5"))), -1,
      INV "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue "
      "type" },
    { "PutItem", EXP ("a", OPER ("BETWEEN") "," AVL (NUM ("9") "," NUM ("1"))),
      -1, "The BETWEEN condition was provided a range where the lower bound "
      "is greater than the upper bound" },
    { "PutItem", EXP ("a", OPER ("FOO") "," AVL (NUM ("5"))), -1,
      "1 validation error detected: Value 'FOO' at "
      "'expected.a.member.comparisonOperator' failed to satisfy constraint: "
      "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, "
      "NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]" },
    { "PutItem", "{\"Expected\":{\"M\":{\"a\":{\"M\":{" VALUE ("N", "5")
                 "}}}},\"ConditionalOperator\":{\"S\":\"XOR\"}}", -1,
      "1 validation error detected: Value 'XOR' at 'conditionalOperator' "
      "failed to satisfy constraint: Member must satisfy enum value set: "
      "[OR, AND]" },
    { "PutItem", "{\"Expected\":{\"M\":{\"a\":{\"M\":{" VALUE ("N", "5")
                 "}}}},\"ConditionalOperator\":{\"S\":\"AND\"}}", -1,
      "ConditionalOperator can only be used when Filter or Expected has two "
      "or more elements" },
    { "UpdateItem", "{\"Expected\":{\"M\":{}},"
                    "\"ConditionalOperator\":{\"S\":\"OR\"}}", -1,
      "ConditionalOperator can only be used when Filter or Expected has two "
      "or more elements" },
    { "Scan", "{\"ConditionalOperator\":{\"S\":\"OR\"}}", -1,
      "ConditionalOperator can only be used when Filter or Expected has two "
      "or more elements" },
    { "Scan", "{\"ScanFilter\":{\"M\":{\"a\":{\"M\":{" OPER ("GT") ","
              AVL (NUM ("1")) "}}}},\"ConditionalOperator\":{\"S\":\"AND\"}}",
      -1, "ConditionalOperator can only be used when Filter or Expected has "
      "two or more elements" },
    //  Filters
    { "Scan", SCAN ("a", OPER ("GT") "," AVL (NUM ("1"))), 1, NULL },
    { "Scan", SCAN ("a", OPER ("LT") "," AVL (NUM ("1"))), 0, NULL },
    { "Scan", SCAN ("m", OPER ("NOT_NULL")), 1, NULL },
    { "Scan", "{\"ScanFilter\":{\"M\":{\"a\":{\"M\":{" OPER ("EQ") ","
              AVL (NUM ("1")) "}},\"s\":{\"M\":{" OPER ("EQ") ","
              AVL (STR ("hello")) "}}}},\"ConditionalOperator\":{\"S\":\"OR\"}}",
      1, NULL },
    { "Query", "{\"QueryFilter\":{\"M\":{\"a\":{\"M\":{" OPER ("EQ") ","
               AVL (NUM ("1")) "}},\"s\":{\"M\":{" OPER ("EQ") ","
               AVL (STR ("hello")) "}}}}}", 0, NULL },
    { "Scan", SCAN ("a", AVL (NUM ("1"))), -1,
      "1 validation error detected: Value null at "
      "'scanFilter.a.member.comparisonOperator' failed to satisfy "
      "constraint: Member must not be null" },
    { "Scan", SCAN ("a", OPER ("GT")), -1,
      INV "Invalid number of argument(s) for the GT ComparisonOperator" },
    { "Scan", "{\"ScanFilter\":{\"M\":{}},"
              "\"FilterExpression\":{\"S\":\"a = a\"}}", -1,
      "Can not use both expression and non-expression parameters in the "
      "same request: Non-expression parameters: {ScanFilter} Expression "
      "parameters: {FilterExpression}" },
    { "Query", "{\"KeyConditions\":{\"M\":{\"pk\":{\"M\":{" OPER ("EQ") ","
               AVL (STR ("k1")) "}}}},\"FilterExpression\":{\"S\":\"a = :v\"},"
               "\"ExpressionAttributeValues\":{\"M\":{\":v\":" NUM ("5")
               "}}}", 1, NULL },
    { "Query", "{\"KeyConditions\":{\"M\":{\"pk\":{\"M\":{" OPER ("EQ") ","
               AVL (STR ("k1")) "}}}},"
               "\"KeyConditionExpression\":{\"S\":\"pk = :v\"},"
               "\"ExpressionAttributeValues\":{\"M\":{\":v\":" NUM ("5")
               "}}}", -1,
      "Can not use both expression and non-expression parameters in the "
      "same request: Non-expression parameters: {KeyConditions} Expression "
      "parameters: {KeyConditionExpression}" },
};

START_TEST (test_legacy)
{
    const legacy_case_t *test = &s_legacy_cases [_i];
    zyn_value_t *request = s_json (test->request, true);
    zyn_value_t *item = s_json (s_item_json, true);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new (test->operation, request, &err);
    if (test->expected < 0) {
        ck_assert_msg (expr == NULL, "case %d accepted", _i);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_msg (streq (err.message, test->message),
                       "case %d:\n got: %s\nwant: %s", _i, err.message,
                       test->message);
    }
    else {
        ck_assert_msg (expr, "case %d: %s", _i, err.message);
        bool result = false;
        bool read = streq (test->operation, "Scan")
                 || streq (test->operation, "Query");
        ck_assert (read ? zyn_expr_has_filter (expr)
                        : zyn_expr_has_condition (expr));
        if (read)
            ck_assert_int_eq (zyn_expr_check_filter (expr, item, &result, &err),
                              0);
        else
            ck_assert_int_eq (zyn_expr_check_condition (expr, item, &result,
                                                        &err), 0);
        ck_assert_msg (result == (test->expected == 1), "case %d: got %d", _i,
                       result);
    }
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&item);
    zyn_value_destroy (&request);
}
END_TEST

#define KEYC(body) "{\"KeyConditions\":{\"M\":{" body "}}}"
#define KTERM(name, op, list) "\"" name "\":{\"M\":{" OPER (op) "," \
                              AVL (list) "}}"

START_TEST (test_legacy_key_conditions)
{
    static const struct {
        const char *request;
        int sk_op;
        const char *message;
    } cases [] = {
        { KEYC (KTERM ("pk", "EQ", STR ("k1"))), ZYN_SK_NONE, NULL },
        { KEYC (KTERM ("pk", "EQ", STR ("k1")) ","
                KTERM ("sk", "BEGINS_WITH", STR ("s1"))),
          ZYN_SK_BEGINS_WITH, NULL },
        { KEYC (KTERM ("sk", "BETWEEN", STR ("a") "," STR ("b")) ","
                KTERM ("pk", "EQ", STR ("k1"))), ZYN_SK_BETWEEN, NULL },
        { KEYC (KTERM ("pk", "EQ", STR ("k1")) ","
                KTERM ("sk", "CONTAINS", STR ("s1"))), -1,
          "Attempted conditional constraint is not an indexable operation" },
        { KEYC (KTERM ("pk", "EQ", STR ("k1")) "," KTERM ("sk", "EQ", STR ("a"))
                "," KTERM ("x", "EQ", STR ("a"))), -1,
          "Conditions can be of length 1 or 2 only" },
        { KEYC (KTERM ("sk", "EQ", STR ("a"))), -1,
          "Query condition missed key schema element: pk" },
        { KEYC (KTERM ("pk", "GT", STR ("a"))), -1,
          "Query key condition not supported" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *request = s_json (cases [i].request, true);
        zyn_error_t err = { 0 };
        zyn_key_condition_t cond;
        zyn_expr_t *expr = zyn_expr_new ("Query", request, &err);
        int rc = expr ? zyn_expr_key_condition (expr, "pk", "sk", &cond, &err)
                      : -1;
        if (cases [i].sk_op < 0) {
            ck_assert_msg (rc == -1, "case %zu accepted", i);
            ck_assert_str_eq (err.message, cases [i].message);
        }
        else {
            ck_assert_msg (rc == 0, "case %zu: %s", i, err.message);
            ck_assert_str_eq (zyn_value_data (cond.pk), "k1");
            ck_assert_int_eq (cond.sk_op, cases [i].sk_op);
            if (cond.sk_op == ZYN_SK_BETWEEN) {
                ck_assert_str_eq (zyn_value_data (cond.sk1), "a");
                ck_assert_str_eq (zyn_value_data (cond.sk2), "b");
            }
        }
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&request);
    }
}
END_TEST

START_TEST (test_legacy_attributes_to_get)
{
    zyn_error_t err = { 0 };
    zyn_value_t *request = s_json (
        "{\"AttributesToGet\":{\"L\":[{\"S\":\"a\"},{\"S\":\"m\"},"
        "{\"S\":\"nope\"},{\"S\":\"status\"}]}}", true);
    zyn_expr_t *expr = zyn_expr_new ("GetItem", request, &err);
    ck_assert_msg (expr, "%s", err.message);
    ck_assert (zyn_expr_has_projection (expr));
    zyn_value_t *item = s_json (s_item_json, true);
    zyn_value_t *projected = zyn_expr_project (expr, item);
    zyn_value_t *expected = s_json (
        "{\"a\":{\"N\":\"5\"},\"status\":{\"S\":\"on\"},\"m\":{\"M\":{\"x\":"
        "{\"N\":\"1\"},\"y\":{\"L\":[{\"S\":\"p\"},{\"N\":\"2\"}]}}}}", true);
    ck_assert (zyn_value_equal (projected, expected));
    const char **names = zyn_expr_projected_names (expr);
    ck_assert_str_eq (names [3], "status");
    ck_assert (names [4] == NULL);
    zyn_value_destroy (&expected);
    zyn_value_destroy (&projected);
    zyn_value_destroy (&item);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);

    request = s_json ("{\"AttributesToGet\":{\"L\":[{\"S\":\"a\"},"
                      "{\"S\":\"a\"}]}}", true);
    expr = zyn_expr_new ("Scan", request, &err);
    ck_assert (!expr);
    ck_assert_str_eq (err.message,
                      INV "Duplicate value in attribute name: a");
    zyn_value_destroy (&request);

    request = s_json ("{\"AttributesToGet\":{\"L\":[]}}", true);
    expr = zyn_expr_new ("Query", request, &err);
    ck_assert (!expr);
    ck_assert_str_eq (err.message,
                      "1 validation error detected: Value '[]' at "
                      "'attributesToGet' failed to satisfy constraint: Member "
                      "must have length greater than or equal to 1");
    zyn_value_destroy (&request);
}
END_TEST

#define UPD(name, body) "\"" name "\":{\"M\":{" body "}}"
#define ACTION(a) "\"Action\":{\"S\":\"" a "\"}"

START_TEST (test_legacy_attribute_updates)
{
    static const struct {
        const char *updates;
        const char *changed;
        const char *removed;
        const char *message;
    } cases [] = {
        { UPD ("n", VALUE ("N", "7")), "{\"n\":{\"N\":\"7\"}}", NULL, NULL },
        { UPD ("n", ACTION ("PUT") "," VALUE ("S", "x")),
          "{\"n\":{\"S\":\"x\"}}", NULL, NULL },
        { UPD ("n", ACTION ("ADD") "," VALUE ("N", "2")),
          "{\"n\":{\"N\":\"7\"}}", NULL, NULL },
        { UPD ("x", ACTION ("ADD") "," VALUE ("N", "2")),
          "{\"x\":{\"N\":\"2\"}}", NULL, NULL },
        { UPD ("l", ACTION ("ADD") ",\"Value\":{\"L\":[{\"N\":\"4\"}]}"),
          "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"},"
          "{\"N\":\"4\"}]}}", NULL, NULL },
        { UPD ("ss", ACTION ("ADD") ",\"Value\":{\"SS\":[\"c\"]}"),
          "{\"ss\":{\"SS\":[\"a\",\"b\",\"c\"]}}", NULL, NULL },
        { UPD ("s", ACTION ("DELETE")), "{}", "s", NULL },
        { UPD ("ss", ACTION ("DELETE") ",\"Value\":{\"SS\":[\"a\"]}"),
          "{\"ss\":{\"SS\":[\"b\"]}}", NULL, NULL },
        { UPD ("n", VALUE ("N", "1")) "," UPD ("s", ACTION ("DELETE")),
          "{\"n\":{\"N\":\"1\"}}", "s", NULL },
        { UPD ("n", ACTION ("PUT")), NULL, NULL,
          INV "Only DELETE action is allowed when no attribute value is "
          "specified" },
        { UPD ("n", ACTION ("ADD")), NULL, NULL,
          INV "Only DELETE action is allowed when no attribute value is "
          "specified" },
        { UPD ("n", ACTION ("DELETE") "," VALUE ("N", "1")), NULL, NULL,
          INV "DELETE action with value is not supported for the type N" },
        { UPD ("n", ACTION ("ADD") "," VALUE ("S", "1")), NULL, NULL,
          INV "ADD action is not supported for the type S" },
        { UPD ("n", ACTION ("BUMP") "," VALUE ("N", "1")), NULL, NULL,
          "1 validation error detected: Value 'BUMP' at "
          "'attributeUpdates.n.member.action' failed to satisfy constraint: "
          "Member must satisfy enum value set: [ADD, PUT, DELETE]" },
        { UPD ("pk", VALUE ("S", "z")), NULL, NULL,
          INV "Cannot update attribute pk. This attribute is part of the key" },
        { UPD ("s", ACTION ("ADD") "," VALUE ("N", "1")), NULL, NULL,
          INCORRECT },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        char json [1024];
        snprintf (json, sizeof (json), "{\"AttributeUpdates\":{\"M\":{%s}}}",
                  cases [i].updates);
        zyn_value_t *request = s_json (json, true);
        zyn_value_t *item = s_json (s_base_json, true);
        const char *key_names [] = { "pk", NULL };
        zyn_error_t err = { 0 };
        zyn_expr_t *expr = zyn_expr_new ("UpdateItem", request, &err);
        zyn_value_t *result = expr ? zyn_expr_update (expr, item, NULL,
                                                      key_names, NULL, &err)
                                   : NULL;
        if (!cases [i].changed) {
            ck_assert_msg (!result, "case %zu accepted", i);
            ck_assert_msg (streq (err.message, cases [i].message),
                           "case %zu:\n got: %s\nwant: %s", i, err.message,
                           cases [i].message);
        }
        else {
            ck_assert_msg (result, "case %zu: %s", i, err.message);
            zyn_value_t *changed = s_json (cases [i].changed, true);
            for (size_t j = 0; j < zyn_value_size (changed); j++) {
                zyn_value_t *value = zyn_value_dup (
                    zyn_value_map_value (changed, j));
                zyn_value_map_put (item, zyn_value_map_name (changed, j),
                                   &value);
            }
            if (cases [i].removed) {
                zyn_value_t *gone = zyn_value_map_take (item,
                                                        cases [i].removed);
                zyn_value_destroy (&gone);
            }
            ck_assert_msg (zyn_value_equal (result, item), "case %zu", i);
            zyn_value_destroy (&changed);
        }
        zyn_value_destroy (&result);
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&item);
        zyn_value_destroy (&request);
    }
}
END_TEST


START_TEST (test_filter_keys)
{
    static const struct {
        const char *request;
        const char *message;
    } cases [] = {
        { "{\"FilterExpression\":{\"S\":\"a = :v\"}}", NULL },
        { "{\"FilterExpression\":{\"S\":\"pk = :v\"}}",
          "Filter Expression can only contain non-primary key attributes: "
          "Primary key attribute: pk" },
        { "{\"FilterExpression\":{\"S\":\"a = :v OR contains(sk.x, :v)\"}}",
          "Filter Expression can only contain non-primary key attributes: "
          "Primary key attribute: sk" },
        { "{\"FilterExpression\":{\"S\":\"sk = :v AND pk = :v\"}}",
          "Filter Expression can only contain non-primary key attributes: "
          "Primary key attribute: pk" },
        { "{\"QueryFilter\":{\"M\":{\"sk\":{\"M\":{" OPER ("EQ") ","
          AVL (NUM ("1")) "}}}}}",
          "QueryFilter can only contain non-primary key attributes: "
          "Primary key attribute: sk" },
        { "{\"QueryFilter\":{\"M\":{\"a\":{\"M\":{" OPER ("EQ") ","
          AVL (NUM ("1")) "}}}}}", NULL },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *request = s_json (cases [i].request, true);
        if (strstr (cases [i].request, ":v")) {
            zyn_value_t *values = s_json ("{\":v\":{\"N\":\"1\"}}", true);
            zyn_value_map_put (request, "ExpressionAttributeValues", &values);
        }
        zyn_error_t err = { 0 };
        zyn_expr_t *expr = zyn_expr_new ("Query", request, &err);
        ck_assert_msg (expr, "case %zu: %s", i, err.message);
        int rc = zyn_expr_check_filter_keys (expr, "pk", "sk", &err);
        if (cases [i].message) {
            ck_assert_int_eq (rc, -1);
            ck_assert_str_eq (err.message, cases [i].message);
        }
        else
            ck_assert_int_eq (rc, 0);
        //  A table without a sort key only refuses the partition key
        ck_assert_int_eq (zyn_expr_check_filter_keys (expr, "other", NULL,
                                                      &err), 0);
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&request);
    }
}
END_TEST


//  ReturnValues UPDATED_OLD / UPDATED_NEW project the updated paths
START_TEST (test_project_updated)
{
    static const struct {
        const char *expr;
        const char *old_json;       //  NULL: nothing
        const char *new_json;
        bool creates;
    } cases [] = {
        { "SET a.b = :v", "{\"a\":{\"M\":{\"b\":{\"S\":\"dog\"}}}}",
          "{\"a\":{\"M\":{\"b\":{\"N\":\"2\"}}}}", true },
        { "SET a.c[1] = :v, a.b = :w",
          "{\"a\":{\"M\":{\"b\":{\"S\":\"dog\"},\"c\":{\"L\":["
          "{\"N\":\"2\"}]}}}}",
          "{\"a\":{\"M\":{\"b\":{\"N\":\"3\"},\"c\":{\"L\":["
          "{\"N\":\"2\"}]}}}}", true },
        { "REMOVE a.c[1], a.c[3]",
          "{\"a\":{\"M\":{\"c\":{\"L\":[{\"N\":\"2\"}]}}}}",
          "{\"a\":{\"M\":{\"c\":{\"L\":[{\"N\":\"3\"}]}}}}", false },
        { "SET a.x1 = :v", NULL,
          "{\"a\":{\"M\":{\"x1\":{\"N\":\"2\"}}}}", true },
        { "SET a.c[100] = :v", NULL, NULL, true },
        { "SET d = :v REMOVE a", "{\"d\":{\"S\":\"cat\"},\"a\":{\"M\":{"
          "\"b\":{\"S\":\"dog\"},\"c\":{\"L\":[{\"N\":\"1\"},"
          "{\"N\":\"2\"},{\"N\":\"3\"}]}}}}",
          "{\"d\":{\"N\":\"2\"}}", true },
        { "DELETE x :ss", NULL, NULL, false },
        { "ADD x :v", NULL, "{\"x\":{\"N\":\"2\"}}", true },
    };
    const char *item_json =
        "{\"pk\":{\"S\":\"k\"},\"a\":{\"M\":{\"b\":{\"S\":\"dog\"},"
        "\"c\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"}]}}},"
        "\"d\":{\"S\":\"cat\"}}";
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *request = s_pool_request ("UpdateExpression",
                                               cases [i].expr, NULL);
        zyn_value_t *item = s_json (item_json, true);
        zyn_error_t err = { 0 };
        zyn_expr_t *expr = zyn_expr_new ("UpdateItem", request, &err);
        ck_assert_msg (expr, "case %zu: %s", i, err.message);
        ck_assert (zyn_expr_update_creates (expr) == cases [i].creates);
        zyn_value_t *after = zyn_expr_update (expr, item, NULL, NULL, NULL,
                                              &err);
        ck_assert_msg (after, "case %zu: %s", i, err.message);
        const char *want [2] = { cases [i].old_json, cases [i].new_json };
        const zyn_value_t *from [2] = { item, after };
        for (int j = 0; j < 2; j++) {
            zyn_value_t *got = zyn_expr_project_updated (expr, from [j]);
            if (!want [j])
                ck_assert_msg (got == NULL, "case %zu/%d: not empty", i, j);
            else {
                zyn_value_t *expected = s_json (want [j], true);
                char *json = got ? zyn_value_to_json (got, true) : NULL;
                ck_assert_msg (got && zyn_value_equal (got, expected),
                               "case %zu/%d: got %s", i, j,
                               json ? json : "NULL");
                free (json);
                zyn_value_destroy (&expected);
            }
            zyn_value_destroy (&got);
        }
        zyn_value_destroy (&after);
        zyn_expr_destroy (&expr);
        zyn_value_destroy (&item);
        zyn_value_destroy (&request);
    }
    //  An empty AttributeUpdates still creates the item; no update at all
    //  projects nothing
    zyn_value_t *request = s_json ("{\"AttributeUpdates\":{\"M\":{}}}",
                                   true);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("UpdateItem", request, &err);
    ck_assert (expr);
    ck_assert (zyn_expr_has_update (expr));
    ck_assert (zyn_expr_update_creates (expr));
    zyn_value_t *item = s_json ("{\"a\":{\"N\":\"1\"}}", true);
    ck_assert (zyn_expr_project_updated (expr, item) == NULL);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
    request = zyn_value_new_m ();
    expr = zyn_expr_new ("UpdateItem", request, &err);
    ck_assert (zyn_expr_project_updated (expr, item) == NULL);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
    zyn_value_destroy (&item);
}
END_TEST


//  ExpressionAttributeValues are checked as attribute values
START_TEST (test_placeholder_values)
{
    zyn_value_t *request = s_request ("UpdateExpression", "SET x = :v", NULL,
                                      NULL);
    zyn_value_t *values = zyn_value_new_m ();
    zyn_value_t *empty = zyn_value_new_set (ZYN_TYPE_SS);
    zyn_value_map_put (values, ":v", &empty);
    zyn_value_map_put (request, "ExpressionAttributeValues", &values);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("UpdateItem", request, &err);
    ck_assert (!expr);
    ck_assert_str_eq (err.message,
                      "ExpressionAttributeValues contains invalid value: One "
                      "or more parameter values were invalid: An string set  "
                      "may not be empty for key :v");
    zyn_value_destroy (&request);

    //  Empty strings, lists and maps are fine outside keys
    request = s_request ("UpdateExpression", "SET x = :s, y = :l, z = :m",
                         NULL, "{\":s\":{\"S\":\"\"},\":l\":{\"L\":[]},"
                               "\":m\":{\"M\":{}}}");
    expr = zyn_expr_new ("UpdateItem", request, &err);
    ck_assert_msg (expr, "%s", err.message);
    zyn_value_t *key = s_json ("{\"pk\":{\"S\":\"k\"}}", true);
    zyn_value_t *item = zyn_expr_update (expr, NULL, key, NULL, NULL, &err);
    zyn_value_t *expected = s_json (
        "{\"pk\":{\"S\":\"k\"},\"x\":{\"S\":\"\"},\"y\":{\"L\":[]},"
        "\"z\":{\"M\":{}}}", true);
    ck_assert (item && zyn_value_equal (item, expected));
    zyn_value_destroy (&expected);
    zyn_value_destroy (&item);
    zyn_value_destroy (&key);
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
}
END_TEST


//  An expression parameter that is not a string is a serialization error
START_TEST (test_expression_not_string)
{
    zyn_value_t *request = s_json ("{\"ConditionExpression\":{\"N\":\"5\"}}",
                                   true);
    zyn_error_t err = { 0 };
    zyn_expr_t *expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert (!expr);
    ck_assert_int_eq (err.type, ZYN_ERR_SERIALIZATION);
    ck_assert_str_eq (err.message, "NUMBER_VALUE cannot be converted to String");
    zyn_value_destroy (&request);
    request = s_json ("{\"UpdateExpression\":{\"L\":[]}}", true);
    expr = zyn_expr_new ("UpdateItem", request, &err);
    ck_assert (!expr);
    ck_assert_int_eq (err.type, ZYN_ERR_SERIALIZATION);
    ck_assert_str_eq (err.message, "Unexpected value type in payload");
    zyn_value_destroy (&request);
    //  A request that is not a map holds no expression
    request = zyn_value_new_s ("x");
    expr = zyn_expr_new ("PutItem", request, &err);
    ck_assert (expr && !zyn_expr_has_condition (expr));
    zyn_expr_destroy (&expr);
    zyn_value_destroy (&request);
    expr = zyn_expr_new (NULL, NULL, &err);
    ck_assert (expr && !zyn_expr_has_update (expr));
    zyn_expr_destroy (&expr);
}
END_TEST

Suite *
zyn_expr_suite (void)
{
    Suite *suite = suite_create ("zyn_expr");
    TCase *tc = tcase_create ("conditions");
    tcase_add_loop_test (tc, test_conditions, 0,
                         sizeof (s_cond_cases) / sizeof (s_cond_cases [0]));
    tcase_add_test (tc, test_condition_no_item);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("requests");
    tcase_add_loop_test (tc, test_requests, 0,
                         sizeof (s_request_cases)
                             / sizeof (s_request_cases [0]));
    tcase_add_test (tc, test_limits);
    tcase_add_test (tc, test_reserved);
    tcase_add_test (tc, test_placeholder_values);
    tcase_add_test (tc, test_expression_not_string);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("projections");
    tcase_add_loop_test (tc, test_projections, 0,
                         sizeof (s_proj_cases) / sizeof (s_proj_cases [0]));
    tcase_add_test (tc, test_projection_names);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("key_conditions");
    tcase_add_loop_test (tc, test_key_conditions, 0,
                         sizeof (s_key_cases) / sizeof (s_key_cases [0]));
    tcase_add_test (tc, test_key_condition_missing);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("updates");
    tcase_add_loop_test (tc, test_updates, 0,
                         sizeof (s_update_cases) / sizeof (s_update_cases [0]));
    tcase_add_loop_test (tc, test_updates_new_item, 0,
                         sizeof (s_new_item_cases)
                             / sizeof (s_new_item_cases [0]));
    tcase_add_test (tc, test_updated_names);
    tcase_add_test (tc, test_project_updated);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("legacy");
    tcase_add_loop_test (tc, test_legacy, 0,
                         sizeof (s_legacy_cases) / sizeof (s_legacy_cases [0]));
    tcase_add_test (tc, test_legacy_key_conditions);
    tcase_add_test (tc, test_legacy_attributes_to_get);
    tcase_add_test (tc, test_legacy_attribute_updates);
    tcase_add_test (tc, test_filter_keys);
    suite_add_tcase (suite, tc);
//@@SUITE@@
    return suite;
}

ZYN_TEST_MAIN (zyn_expr_suite)
