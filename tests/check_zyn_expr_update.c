//  check_zyn_expr_update - Check suite for zyn_expr's update expressions
//  and legacy parameters (Expected, ScanFilter, QueryFilter, KeyConditions,
//  AttributesToGet, AttributeUpdates): table-driven cases, each asserting
//  the exact result or the exact message

#include "zyn_prelude.h"
#include "../core/zyn_expr.h"
#include "../tests/zyn_testutil.h"
#include "../tests/zyn_expr_testutil.h"

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
//  Legacy parameters: requests in typed JSON (see test_requests in
//  check_zyn_expr.c); the condition or filter is evaluated against
//  s_item_json

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

Suite *
zyn_expr_update_suite (void)
{
    Suite *suite = suite_create ("zyn_expr_update");
    TCase *tc = tcase_create ("updates");
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
    return suite;
}

ZYN_TEST_MAIN (zyn_expr_update_suite)
