/*  =========================================================================
    zyn_expr_legacy - the legacy parameters translated into expressions

    Expected (with ConditionalOperator), QueryFilter, ScanFilter,
    KeyConditions, AttributesToGet and AttributeUpdates are checked with
    DynamoDB's messages and turned into the same trees the expression
    parser builds, so one evaluator serves both. Legacy names are always
    top-level attribute names. Values are borrowed from the request.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_expr_ast.h"

static const char *s_invalid = "One or more parameter values were invalid: ";

//  The comparison operators and what they take
typedef struct {
    const char *name;
    int min_values;
    int max_values;             //  -1: any number
    const char *types;          //  Allowed value types, "" for any
    bool key;                   //  Allowed in KeyConditions
} legacy_op_t;

static const legacy_op_t s_ops [] = {
    { "EQ", 1, 1, "", true },
    { "NE", 1, 1, "", false },
    { "LE", 1, 1, "S N B", true },
    { "LT", 1, 1, "S N B", true },
    { "GE", 1, 1, "S N B", true },
    { "GT", 1, 1, "S N B", true },
    { "NOT_NULL", 0, 0, "", false },
    { "NULL", 0, 0, "", false },
    { "CONTAINS", 1, 1, "S N B", false },
    { "NOT_CONTAINS", 1, 1, "S N B", false },
    { "BEGINS_WITH", 1, 1, "S B", true },
    { "IN", 1, -1, "S N B", false },
    { "BETWEEN", 2, 2, "S N B", true },
};

#define OP_COUNT (sizeof (s_ops) / sizeof (s_ops [0]))

static const legacy_op_t *
s_op_find (const char *name)
{
    for (size_t i = 0; i < OP_COUNT; i++)
        if (streq (s_ops [i].name, name))
            return &s_ops [i];
    return NULL;
}

static bool
s_type_allowed (const legacy_op_t *op, zyn_type_t type)
{
    if (!*op->types)
        return true;
    const char *name = zyn_type_name (type);
    size_t len = strlen (name);
    for (const char *at = op->types; (at = strstr (at, name)); at += len)
        if ((at == op->types || at [-1] == ' ')
            && (at [len] == 0 || at [len] == ' '))
            return true;
    return false;
}

static zyn_node_t *
s_path_node (zyn_arena_t *arena, const char *name)
{
    zyn_node_t *node = zyn_node_new (arena, ZYN_NODE_PATH, 0);
    node->path.elems = (zyn_path_elem_t *) zyn_arena_alloc (
        arena, sizeof (zyn_path_elem_t));
    node->path.elems [0].name = zyn_arena_strndup (arena, name, strlen (name));
    node->path.count = 1;
    return node;
}

static zyn_node_t *
s_value_node (zyn_arena_t *arena, const zyn_value_t *value)
{
    zyn_node_t *node = zyn_node_new (arena, ZYN_NODE_VALUE, 0);
    node->value = value;
    return node;
}

static zyn_node_t *
s_binary (zyn_arena_t *arena, zyn_node_type_t type, zyn_node_t *a,
          zyn_node_t *b)
{
    zyn_node_t *node = zyn_node_new (arena, type, b ? 2 : 1);
    node->args [0] = a;
    if (b)
        node->args [1] = b;
    return node;
}

static zyn_node_t *
s_function (zyn_arena_t *arena, zyn_fn_t fn, const char *name, size_t nargs)
{
    zyn_node_t *node = zyn_node_new (arena, ZYN_NODE_FUNCTION, nargs);
    node->op = fn;
    node->name = name;
    return node;
}

//  Build the condition for one attribute: name op values
static zyn_node_t *
s_condition (zyn_arena_t *arena, const char *name, const legacy_op_t *op,
             const zyn_value_t **values, size_t count)
{
    zyn_node_t *path = s_path_node (arena, name);
    const char *op_name = op->name;
    if (streq (op_name, "NOT_NULL") || streq (op_name, "NULL")) {
        bool exists = streq (op_name, "NOT_NULL");
        zyn_node_t *node = s_function (
            arena, exists ? ZYN_FN_ATTRIBUTE_EXISTS : ZYN_FN_ATTRIBUTE_NOT_EXISTS,
            exists ? "attribute_exists" : "attribute_not_exists", 1);
        node->args [0] = path;
        return node;
    }
    if (streq (op_name, "CONTAINS") || streq (op_name, "NOT_CONTAINS")
        || streq (op_name, "BEGINS_WITH")) {
        bool begins = streq (op_name, "BEGINS_WITH");
        zyn_node_t *node = s_function (
            arena, begins ? ZYN_FN_BEGINS_WITH : ZYN_FN_CONTAINS,
            begins ? "begins_with" : "contains", 2);
        node->args [0] = path;
        node->args [1] = s_value_node (arena, values [0]);
        if (streq (op_name, "NOT_CONTAINS")) {
            //  Unlike NE, NOT_CONTAINS is false for a missing attribute
            zyn_node_t *exists = s_function (arena, ZYN_FN_ATTRIBUTE_EXISTS,
                                             "attribute_exists", 1);
            exists->args [0] = path;
            node = s_binary (arena, ZYN_NODE_AND, exists,
                             s_binary (arena, ZYN_NODE_NOT, node, NULL));
        }
        return node;
    }
    if (streq (op_name, "IN") || streq (op_name, "BETWEEN")) {
        zyn_node_t *node = zyn_node_new (
            arena, streq (op_name, "IN") ? ZYN_NODE_IN : ZYN_NODE_BETWEEN,
            count + 1);
        node->args [0] = path;
        for (size_t i = 0; i < count; i++)
            node->args [i + 1] = s_value_node (arena, values [i]);
        return node;
    }
    static const char *const names [] = { "EQ", "NE", "LT", "LE", "GT", "GE" };
    zyn_node_t *node = s_binary (arena, ZYN_NODE_COMPARE, path,
                                 s_value_node (arena, values [0]));
    for (int i = 0; i < 6; i++)
        if (streq (names [i], op_name))
            node->op = i;
    return node;
}

//  Check and collect the values of a legacy condition. values must have
//  room for the list. Returns the count, or -1 with err.
static int
s_values (const zyn_value_t *list, const zyn_value_t *single,
          const zyn_value_t **values, size_t room, zyn_error_t *err)
{
    size_t count = 0;
    if (list) {
        if (zyn_value_type (list) != ZYN_TYPE_L)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sAttributeValueList must be a list",
                                  s_invalid);
        for (size_t i = 0; i < zyn_value_size (list) && count < room; i++)
            values [count++] = zyn_value_list_get (list, i);
    }
    else
    if (single)
        values [count++] = single;
    for (size_t i = 0; i < count; i++)
        if (zyn_value_validate (values [i], err))
            return -1;
    return (int) count;
}

//  Check op with its values, as DynamoDB checks a legacy condition
static int
s_check_op (const legacy_op_t *op, const zyn_value_t **values, size_t count,
            zyn_error_t *err)
{
    if ((int) count < op->min_values
        || (op->max_values >= 0 && (int) count > op->max_values))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "%sInvalid number of argument(s) for the %s "
                              "ComparisonOperator", s_invalid, op->name);
    for (size_t i = 1; i < count; i++)
        if (zyn_value_type (values [i]) != zyn_value_type (values [0]))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sAttributeValues inside AttributeValueList "
                                  "must be of same type", s_invalid);
    for (size_t i = 0; i < count; i++)
        if (!s_type_allowed (op, zyn_value_type (values [i])))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sComparisonOperator %s is not valid for %s "
                                  "AttributeValue type", s_invalid, op->name,
                                  zyn_type_name (zyn_value_type (values [i])));
    if (streq (op->name, "BETWEEN")
        && zyn_value_compare (values [0], values [1]) > 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The BETWEEN condition was provided a range where "
                              "the lower bound is greater than the upper bound");
    return 0;
}

static int
s_enum_error (const char *value, const char *where, const char *set,
              zyn_error_t *err)
{
    return zyn_error_set (err, ZYN_ERR_VALIDATION,
                          "1 validation error detected: Value '%s' at '%s' "
                          "failed to satisfy constraint: Member must satisfy "
                          "enum value set: [%s]", value, where, set);
}

static const char *s_op_set =
    "IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, "
    "BEGINS_WITH, GE, CONTAINS";

//  Find the ComparisonOperator of a condition map; param is the JSON name
//  of the parameter for messages ("scanFilter")
static const legacy_op_t *
s_condition_op (const zyn_value_t *condition, const char *param,
                const char *name, bool required, zyn_error_t *err)
{
    const zyn_value_t *op_value = zyn_value_map_get (condition,
                                                     "ComparisonOperator");
    char where [300];
    snprintf (where, sizeof (where), "%s.%s.member.comparisonOperator", param,
              name);
    if (!op_value) {
        if (required)
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "1 validation error detected: Value null at '%s' "
                           "failed to satisfy constraint: Member must not be "
                           "null", where);
        return NULL;
    }
    const char *text = zyn_value_type (op_value) == ZYN_TYPE_S
                     ? zyn_value_data (op_value) : "";
    const legacy_op_t *op = s_op_find (text);
    if (!op)
        s_enum_error (text, where, s_op_set, err);
    return op;
}

static bool
s_is_map (const zyn_value_t *value)
{
    return value && zyn_value_type (value) == ZYN_TYPE_M;
}

static int
s_map_param (const zyn_value_t *value, const char *param, zyn_error_t *err)
{
    if (!s_is_map (value))
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s must be a map",
                              param);
    return 0;
}

//  Combine two conditions with the request's ConditionalOperator
static zyn_node_t *
s_combine (zyn_arena_t *arena, zyn_node_t *left, zyn_node_t *right, bool use_or)
{
    if (!left)
        return right;
    return s_binary (arena, use_or ? ZYN_NODE_OR : ZYN_NODE_AND, left, right);
}

//  Expected: Value/Exists or ComparisonOperator/AttributeValueList
static int
s_expected (zyn_expr_t *self, const zyn_value_t *expected, bool use_or,
            zyn_error_t *err)
{
    if (s_map_param (expected, "Expected", err))
        return -1;
    for (size_t i = 0; i < zyn_value_size (expected); i++) {
        const char *name = zyn_value_map_name (expected, i);
        const zyn_value_t *entry = zyn_value_map_value (expected, i);
        if (!s_is_map (entry))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sExpected must map attribute names to "
                                  "conditions", s_invalid);
        const zyn_value_t *value = zyn_value_map_get (entry, "Value");
        const zyn_value_t *list = zyn_value_map_get (entry,
                                                     "AttributeValueList");
        const zyn_value_t *exists = zyn_value_map_get (entry, "Exists");
        bool has_op = zyn_value_map_get (entry, "ComparisonOperator") != NULL;
        if (list && value)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sValue and AttributeValueList cannot be "
                                  "used together for Attribute: %s",
                                  s_invalid, name);
        zyn_node_t *node = NULL;
        if (has_op) {
            const legacy_op_t *op = s_condition_op (entry, "expected", name,
                                                    true, err);
            if (!op)
                return -1;
            if (exists)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "%sExists and ComparisonOperator cannot "
                                      "be used together for Attribute: %s",
                                      s_invalid, name);
            if (op->max_values != 0 && !list && !value)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "%sValue or AttributeValueList must be "
                                      "used with ComparisonOperator: %s for "
                                      "Attribute: %s", s_invalid, op->name,
                                      name);
            size_t room = list && zyn_value_type (list) == ZYN_TYPE_L
                        ? zyn_value_size (list) + 1 : 2;
            const zyn_value_t **values = (const zyn_value_t **)
                zyn_arena_alloc (self->arena, room * sizeof (zyn_value_t *));
            int count = s_values (list, value, values, room, err);
            if (count < 0 || s_check_op (op, values, (size_t) count, err))
                return -1;
            node = s_condition (self->arena, name, op, values, (size_t) count);
        }
        else
        if (list)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sAttributeValueList can only be used with "
                                  "a ComparisonOperator for Attribute: %s",
                                  s_invalid, name);
        else {
            bool must_exist = !exists || zyn_value_bool (exists);
            if (must_exist && !value)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "%sValue must be provided when Exists is "
                                      "%s for Attribute: %s", s_invalid,
                                      exists ? "true" : "null", name);
            if (!must_exist && value)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "%sValue cannot be used when Exists is "
                                      "false for Attribute: %s", s_invalid,
                                      name);
            if (value) {
                if (zyn_value_validate (value, err))
                    return -1;
                const zyn_value_t *values [1] = { value };
                node = s_condition (self->arena, name, s_op_find ("EQ"),
                                    values, 1);
            }
            else
                node = s_condition (self->arena, name, s_op_find ("NULL"),
                                    NULL, 0);
        }
        self->condition = s_combine (self->arena, self->condition, node, use_or);
    }
    return 0;
}

//  QueryFilter, ScanFilter, KeyConditions: ComparisonOperator and
//  AttributeValueList per attribute
static int
s_conditions (zyn_expr_t *self, const zyn_value_t *conditions,
              const char *param, const char *json_name, bool use_or, bool key,
              zyn_error_t *err)
{
    if (s_map_param (conditions, param, err))
        return -1;
    if (key && zyn_value_size (conditions) > 2)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Conditions can be of length 1 or 2 only");
    for (size_t i = 0; i < zyn_value_size (conditions); i++) {
        const char *name = zyn_value_map_name (conditions, i);
        const zyn_value_t *entry = zyn_value_map_value (conditions, i);
        if (!s_is_map (entry))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%s%s must map attribute names to "
                                  "conditions", s_invalid, param);
        const legacy_op_t *op = s_condition_op (entry, json_name, name, true,
                                                err);
        if (!op)
            return -1;
        const zyn_value_t *list = zyn_value_map_get (entry,
                                                     "AttributeValueList");
        size_t room = list && zyn_value_type (list) == ZYN_TYPE_L
                    ? zyn_value_size (list) + 1 : 1;
        const zyn_value_t **values = (const zyn_value_t **) zyn_arena_alloc (
            self->arena, room * sizeof (zyn_value_t *));
        int count = s_values (list, NULL, values, room, err);
        if (count < 0 || s_check_op (op, values, (size_t) count, err))
            return -1;
        if (key) {
            if (!op->key)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Attempted conditional constraint is not "
                                      "an indexable operation");
            zyn_key_term_t *term = &self->key_terms [self->key_term_count++];
            term->name = zyn_arena_strndup (self->arena, name, strlen (name));
            term->op = streq (op->name, "EQ")        ? ZYN_SK_EQ
                     : streq (op->name, "LT")        ? ZYN_SK_LT
                     : streq (op->name, "LE")        ? ZYN_SK_LE
                     : streq (op->name, "GT")        ? ZYN_SK_GT
                     : streq (op->name, "GE")        ? ZYN_SK_GE
                     : streq (op->name, "BETWEEN")   ? ZYN_SK_BETWEEN
                                                     : ZYN_SK_BEGINS_WITH;
            term->value1 = values [0];
            term->value2 = count > 1 ? values [1] : NULL;
            continue;
        }
        zyn_node_t *node = s_condition (self->arena, name, op, values,
                                        (size_t) count);
        self->filter = s_combine (self->arena, self->filter, node, use_or);
    }
    return 0;
}

static int
s_attributes_to_get (zyn_expr_t *self, const zyn_value_t *names,
                     zyn_error_t *err)
{
    if (zyn_value_type (names) != ZYN_TYPE_L && zyn_value_type (names)
                                                    != ZYN_TYPE_SS)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "AttributesToGet must be a list of names");
    size_t count = zyn_value_size (names);
    if (count == 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "1 validation error detected: Value '[]' at "
                              "'attributesToGet' failed to satisfy constraint: "
                              "Member must have length greater than or equal "
                              "to 1");
    self->projection = (zyn_path_t *) zyn_arena_alloc (
        self->arena, count * sizeof (zyn_path_t));
    for (size_t i = 0; i < count; i++) {
        const zyn_value_t *name = zyn_value_list_get (names, i);
        if (zyn_value_type (name) != ZYN_TYPE_S)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "AttributesToGet must be a list of names");
        for (size_t j = 0; j < i; j++)
            if (streq (self->projection [j].elems [0].name,
                       zyn_value_data (name)))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "%sDuplicate value in attribute name: %s",
                                      s_invalid, zyn_value_data (name));
        self->projection [i] = s_path_node (self->arena,
                                            zyn_value_data (name))->path;
    }
    self->projection_count = count;
    self->has_projection = true;
    return 0;
}

static int
s_attribute_updates (zyn_expr_t *self, const zyn_value_t *updates,
                     zyn_error_t *err)
{
    if (s_map_param (updates, "AttributeUpdates", err))
        return -1;
    size_t count = zyn_value_size (updates);
    self->actions = (zyn_update_action_t *) zyn_arena_alloc (
        self->arena, (count + 1) * sizeof (zyn_update_action_t));
    for (size_t i = 0; i < count; i++) {
        const char *name = zyn_value_map_name (updates, i);
        const zyn_value_t *entry = zyn_value_map_value (updates, i);
        if (!s_is_map (entry))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sAttributeUpdates must map attribute names "
                                  "to updates", s_invalid);
        const zyn_value_t *action = zyn_value_map_get (entry, "Action");
        const zyn_value_t *value = zyn_value_map_get (entry, "Value");
        const char *verb = action && zyn_value_type (action) == ZYN_TYPE_S
                         ? zyn_value_data (action) : "PUT";
        if (!streq (verb, "PUT") && !streq (verb, "ADD")
            && !streq (verb, "DELETE")) {
            char where [300];
            snprintf (where, sizeof (where),
                      "attributeUpdates.%s.member.action", name);
            return s_enum_error (verb, where, "ADD, PUT, DELETE", err);
        }
        if (value && zyn_value_validate (value, err))
            return -1;
        if (!value && !streq (verb, "DELETE"))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sOnly DELETE action is allowed when no "
                                  "attribute value is specified", s_invalid);
        zyn_type_t type = value ? zyn_value_type (value) : 0;
        if (value && streq (verb, "DELETE") && type != ZYN_TYPE_SS
            && type != ZYN_TYPE_NS && type != ZYN_TYPE_BS)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sDELETE action with value is not supported "
                                  "for the type %s", s_invalid,
                                  zyn_type_name (type));
        if (streq (verb, "ADD") && type != ZYN_TYPE_N && type != ZYN_TYPE_SS
            && type != ZYN_TYPE_NS && type != ZYN_TYPE_BS
            && type != ZYN_TYPE_L)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%sADD action is not supported for the type "
                                  "%s", s_invalid, zyn_type_name (type));
        zyn_update_action_t *entry_out = &self->actions [self->action_count++];
        entry_out->path = s_path_node (self->arena, name)->path;
        entry_out->legacy = true;
        entry_out->value = value ? s_value_node (self->arena, value) : NULL;
        entry_out->action = streq (verb, "PUT") ? ZYN_ACTION_SET
                          : streq (verb, "ADD") ? ZYN_ACTION_ADD
                          : value               ? ZYN_ACTION_DELETE
                                                : ZYN_ACTION_REMOVE;
    }
    self->has_update = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Translate the legacy parameters of request into self.

int
zyn_expr_legacy (zyn_expr_t *self, const char *operation,
                 const zyn_value_t *request, zyn_error_t *err)
{
    bool query = operation && streq (operation, "Query");
    bool scan = operation && streq (operation, "Scan");
    bool read = query || scan || (operation && streq (operation, "GetItem"));
    bool use_or = false;
    const zyn_value_t *operator = zyn_value_map_get (request,
                                                     "ConditionalOperator");
    if (operator) {
        const char *text = zyn_value_type (operator) == ZYN_TYPE_S
                         ? zyn_value_data (operator) : "";
        if (!streq (text, "AND") && !streq (text, "OR"))
            return s_enum_error (text, "conditionalOperator", "OR, AND", err);
        use_or = streq (text, "OR");
        //  It combines the conditions of Expected or of the filter, so
        //  it needs two of them
        const zyn_value_t *conditions = zyn_value_map_get (
            request, query ? "QueryFilter" : scan ? "ScanFilter" : "Expected");
        if (read && !query && !scan)
            conditions = NULL;
        if (!conditions || !s_is_map (conditions)
            || zyn_value_size (conditions) < 2)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "ConditionalOperator can only be used when "
                                  "Filter or Expected has two or more "
                                  "elements");
    }
    const zyn_value_t *param;
    if (!read && (param = zyn_value_map_get (request, "Expected"))
        && s_expected (self, param, use_or, err))
        return -1;
    if (query && (param = zyn_value_map_get (request, "QueryFilter"))) {
        self->filter_legacy = true;
        if (s_conditions (self, param, "QueryFilter", "queryFilter", use_or,
                          false, err))
            return -1;
    }
    if (scan && (param = zyn_value_map_get (request, "ScanFilter"))
        && s_conditions (self, param, "ScanFilter", "scanFilter", use_or, false,
                         err))
        return -1;
    if (query && !self->has_key_condition
        && (param = zyn_value_map_get (request, "KeyConditions"))) {
        self->has_key_condition = true;
        if (s_conditions (self, param, "KeyConditions", "keyConditions", false,
                          true, err))
            return -1;
    }
    if ((param = zyn_value_map_get (request, "AttributesToGet"))
        && !self->has_projection && s_attributes_to_get (self, param, err))
        return -1;
    if (operation && streq (operation, "UpdateItem") && !self->has_update
        && (param = zyn_value_map_get (request, "AttributeUpdates"))
        && s_attribute_updates (self, param, err))
        return -1;
    return 0;
}
