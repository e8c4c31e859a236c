//  check_zyn_expr - Check suite for zyn_expr: table-driven cases for the
//  parser, placeholders, conditions, projections and key conditions, each
//  asserting the exact result or the exact message. Updates and the legacy
//  parameters are in check_zyn_expr_update.c.

#include "zyn_prelude.h"
#include "../core/zyn_expr.h"
#include "../core/zyn_reserved.h"
#include "../tests/zyn_testutil.h"
#include "../tests/zyn_expr_testutil.h"

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
    return suite;
}

ZYN_TEST_MAIN (zyn_expr_suite)
