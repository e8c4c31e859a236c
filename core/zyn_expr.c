/*  =========================================================================
    zyn_expr - DynamoDB's expression language for one request

    zyn_expr_new checks a request's expression parameters as DynamoDB
    does, in DynamoDB's order: expression and legacy parameters not mixed,
    placeholders only with expressions, well-formed placeholder maps, each
    expression parsed (zyn_expr_parse.c), every placeholder used, then the
    key condition's shape and the legacy parameters (zyn_expr_legacy.c).
    The result evaluates conditions and filters (zyn_expr_eval.c), builds
    projections and applies updates (zyn_expr_update.c).
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_expr_ast.h"

//  Projection tree: one node per path element, children all names or all
//  indexes (ascending), so lists project compacted as DynamoDB does
typedef struct ptree ptree_t;
struct ptree {
    const char *name;           //  NULL for an index
    size_t index;
    bool leaf;
    ptree_t **children;
    size_t count;
    size_t capacity;
};

//  Which parameters an operation takes, in the order DynamoDB names them
typedef struct {
    const char *operation;
    const char *expressions [4];
    const char *legacy [5];
    bool transact;              //  An action of a transaction
} op_params_t;

static const op_params_t s_op_params [] = {
    { "GetItem", { "ProjectionExpression" }, { "AttributesToGet" }, false },
    { "PutItem", { "ConditionExpression" },
      { "Expected", "ConditionalOperator" }, false },
    { "DeleteItem", { "ConditionExpression" },
      { "Expected", "ConditionalOperator" }, false },
    { "UpdateItem", { "UpdateExpression", "ConditionExpression" },
      { "AttributeUpdates", "Expected", "ConditionalOperator" }, false },
    { "Query",
      { "ProjectionExpression", "FilterExpression", "KeyConditionExpression" },
      { "AttributesToGet", "QueryFilter", "ConditionalOperator",
        "KeyConditions" }, false },
    { "Scan", { "ProjectionExpression", "FilterExpression" },
      { "AttributesToGet", "ScanFilter", "ConditionalOperator" }, false },
    //  TransactWriteItems and TransactGetItems actions
    { "Put", { "ConditionExpression" }, { NULL }, true },
    { "Delete", { "ConditionExpression" }, { NULL }, true },
    { "ConditionCheck", { "ConditionExpression" }, { NULL }, true },
    { "Update", { "UpdateExpression", "ConditionExpression" }, { NULL },
      true },
    { "Get", { "ProjectionExpression" }, { NULL }, true },
    { NULL,
      { "UpdateExpression", "ConditionExpression", "ProjectionExpression",
        "FilterExpression" },
      { "AttributeUpdates", "Expected", "AttributesToGet",
        "ConditionalOperator", "ScanFilter" }, false },
};

static const op_params_t *
s_params_of (const char *operation)
{
    size_t i = 0;
    while (s_op_params [i].operation
           && !(operation && streq (s_op_params [i].operation, operation)))
        i++;
    return &s_op_params [i];
}

static bool
s_takes (const op_params_t *params, const char *name)
{
    for (size_t i = 0; i < 4 && params->expressions [i]; i++)
        if (streq (params->expressions [i], name))
            return true;
    return false;
}

//  Append ", name" style lists
static void
s_append (char *buf, size_t size, const char *separator, const char *text)
{
    size_t used = strlen (buf);
    if (used < size)
        snprintf (buf + used, size - used, "%s%s", used ? separator : "",
                  text);
}

static bool
s_placeholder_key_ok (const char *key, char lead)
{
    if (key [0] != lead || !key [1])
        return false;
    for (const char *c = key + 1; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '_')
            return false;
    return true;
}

//  Check ExpressionAttributeNames / ExpressionAttributeValues
static int
s_check_placeholders (zyn_placeholders_t *holders, zyn_arena_t *arena,
                      zyn_error_t *err)
{
    if (holders->names) {
        size_t count = zyn_value_size (holders->names);
        if (count == 0)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "ExpressionAttributeNames must not be empty");
        for (size_t i = 0; i < count; i++) {
            const char *key = zyn_value_map_name (holders->names, i);
            if (!s_placeholder_key_ok (key, '#'))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "ExpressionAttributeNames contains "
                                      "invalid key: Syntax error; key: \"%s\"",
                                      key);
            zyn_value_t *name = zyn_value_map_value (holders->names, i);
            if (zyn_value_type (name) != ZYN_TYPE_S)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "ExpressionAttributeNames contains "
                                      "invalid value for key %s", key);
            if (zyn_value_size (name) == 0)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "ExpressionAttributeNames contains "
                                      "invalid value: Empty attribute name "
                                      "for key %s", key);
        }
        holders->names_used = (bool *) zyn_arena_alloc (arena,
                                                        count * sizeof (bool));
    }
    if (holders->values) {
        size_t count = zyn_value_size (holders->values);
        if (count == 0)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "ExpressionAttributeValues must not be "
                                  "empty");
        for (size_t i = 0; i < count; i++) {
            const char *key = zyn_value_map_name (holders->values, i);
            if (!s_placeholder_key_ok (key, ':'))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "ExpressionAttributeValues contains "
                                      "invalid key: Syntax error; key: \"%s\"",
                                      key);
        }
        for (size_t i = 0; i < count; i++) {
            zyn_error_t inner = { 0 };
            if (zyn_value_validate (zyn_value_map_value (holders->values, i),
                                    &inner))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "ExpressionAttributeValues contains "
                                      "invalid value: %s for key %s",
                                      inner.message,
                                      zyn_value_map_name (holders->values, i));
        }
        holders->values_used = (bool *) zyn_arena_alloc (
            arena, count * sizeof (bool));
    }
    return 0;
}

static int
s_check_unused (const zyn_value_t *map, const bool *used, const char *param,
                zyn_error_t *err)
{
    if (!map)
        return 0;
    char keys [ZYN_ERROR_MESSAGE_MAX] = "";
    for (size_t i = 0; i < zyn_value_size (map); i++)
        if (!used [i])
            s_append (keys, sizeof (keys), ", ", zyn_value_map_name (map, i));
    if (*keys)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Value provided in %s unused in expressions: "
                              "keys: {%s}", param, keys);
    return 0;
}

static ptree_t *
s_ptree_child (zyn_arena_t *arena, ptree_t *parent, const zyn_path_elem_t *elem)
{
    size_t at = 0;
    for (; at < parent->count; at++) {
        ptree_t *child = parent->children [at];
        if (elem->name && child->name && streq (child->name, elem->name))
            return child;
        if (!elem->name && !child->name) {
            if (child->index == elem->index)
                return child;
            if (child->index > elem->index)
                break;
        }
    }
    if (parent->count == parent->capacity) {
        size_t capacity = parent->capacity ? 2 * parent->capacity : 4;
        ptree_t **bigger = (ptree_t **) zyn_arena_alloc (
            arena, capacity * sizeof (ptree_t *));
        if (parent->count)
            memcpy (bigger, parent->children,
                    parent->count * sizeof (ptree_t *));
        parent->children = bigger;
        parent->capacity = capacity;
    }
    ptree_t *child = (ptree_t *) zyn_arena_alloc (arena, sizeof (ptree_t));
    child->name = elem->name;
    child->index = elem->index;
    memmove (parent->children + at + 1, parent->children + at,
             (parent->count - at) * sizeof (ptree_t *));
    parent->children [at] = child;
    parent->count++;
    return child;
}

//  A tree of paths
static ptree_t *
s_ptree_build (zyn_arena_t *arena, const zyn_path_t *const *paths,
               size_t count)
{
    ptree_t *root = (ptree_t *) zyn_arena_alloc (arena, sizeof (ptree_t));
    for (size_t i = 0; i < count; i++) {
        ptree_t *node = root;
        for (size_t j = 0; j < paths [i]->count; j++)
            node = s_ptree_child (arena, node, &paths [i]->elems [j]);
        node->leaf = true;
    }
    return root;
}

static void
s_build_projection (zyn_expr_t *self)
{
    ptree_t *root = (ptree_t *) zyn_arena_alloc (self->arena, sizeof (ptree_t));
    self->projected_names = (const char **) zyn_arena_alloc (
        self->arena, (self->projection_count + 1) * sizeof (char *));
    size_t names = 0;
    for (size_t i = 0; i < self->projection_count; i++) {
        zyn_path_t *path = &self->projection [i];
        ptree_t *node = root;
        size_t before = root->count;
        for (size_t j = 0; j < path->count; j++)
            node = s_ptree_child (self->arena, node, &path->elems [j]);
        node->leaf = true;
        if (root->count > before)
            self->projected_names [names++] = path->elems [0].name;
    }
    self->ptree = root;
}

//  --------------------------------------------------------------------------
//  Key conditions: partition key equality and one sort key condition

static int
s_key_term (zyn_expr_t *self, zyn_node_t *node, zyn_error_t *err)
{
    const char *invalid = "Invalid operator used in KeyConditionExpression: %s";
    switch (node->type) {
        case ZYN_NODE_AND:
            if (s_key_term (self, node->args [0], err)
                || s_key_term (self, node->args [1], err))
                return -1;
            return 0;
        case ZYN_NODE_OR:
            return zyn_error_set (err, ZYN_ERR_VALIDATION, invalid, "OR");
        case ZYN_NODE_NOT:
            return zyn_error_set (err, ZYN_ERR_VALIDATION, invalid, "NOT");
        case ZYN_NODE_IN:
            return zyn_error_set (err, ZYN_ERR_VALIDATION, invalid, "IN");
        case ZYN_NODE_COMPARE:
            if (node->op == ZYN_CMP_NE)
                return zyn_error_set (err, ZYN_ERR_VALIDATION, invalid, "<>");
            break;
        case ZYN_NODE_FUNCTION:
            if (node->op == ZYN_FN_SIZE)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "KeyConditionExpressions cannot contain "
                                      "nested operations");
            if (node->op != ZYN_FN_BEGINS_WITH)
                return zyn_error_set (err, ZYN_ERR_VALIDATION, invalid,
                                      node->name);
            break;
        default:
            break;
    }
    if ((node->type == ZYN_NODE_BETWEEN || node->type == ZYN_NODE_FUNCTION)
        && node->args [0]->type != ZYN_NODE_PATH)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid condition in KeyConditionExpression: "
                              "%s operator must have the key attribute as its "
                              "first operand",
                              node->type == ZYN_NODE_BETWEEN ? "BETWEEN"
                                                             : node->name);
    const zyn_path_t *path = NULL;
    size_t path_at = 0;
    for (size_t i = 0; i < node->nargs; i++) {
        zyn_node_t *arg = node->args [i];
        if (arg->type == ZYN_NODE_FUNCTION)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "KeyConditionExpressions cannot contain "
                                  "nested operations");
        if (arg->type != ZYN_NODE_PATH)
            continue;
        if (path)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Invalid condition in KeyConditionExpression: "
                                  "Multiple attribute names used in one "
                                  "condition");
        if (arg->path.count > 1 || !arg->path.elems [0].name)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "KeyConditionExpressions cannot have "
                                  "conditions on nested attributes");
        path = &arg->path;
        path_at = i;
    }
    if (!path)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid condition in KeyConditionExpression: No "
                              "key attribute specified");
    const char *name = path->elems [0].name;
    for (size_t i = 0; i < self->key_term_count; i++)
        if (streq (self->key_terms [i].name, name))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "KeyConditionExpressions must only contain "
                                  "one condition per key");
    if (self->key_term_count == 2)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Conditions can be of length 1 or 2 only");
    zyn_key_term_t *term = &self->key_terms [self->key_term_count++];
    term->name = name;
    if (node->type == ZYN_NODE_BETWEEN) {
        term->op = ZYN_SK_BETWEEN;
        term->value1 = node->args [1]->value;
        term->value2 = node->args [2]->value;
    }
    else
    if (node->type == ZYN_NODE_FUNCTION) {
        term->op = ZYN_SK_BEGINS_WITH;
        term->value1 = node->args [1]->value;
    }
    else {
        //  ":v < sk" is "sk > :v"
        static const zyn_sk_op_t straight [] = {
            ZYN_SK_EQ, ZYN_SK_NONE, ZYN_SK_LT, ZYN_SK_LE, ZYN_SK_GT, ZYN_SK_GE
        };
        static const zyn_sk_op_t swapped [] = {
            ZYN_SK_EQ, ZYN_SK_NONE, ZYN_SK_GT, ZYN_SK_GE, ZYN_SK_LT, ZYN_SK_LE
        };
        term->op = path_at == 0 ? straight [node->op] : swapped [node->op];
        term->value1 = node->args [1 - path_at]->value;
    }
    return 0;
}

int
zyn_expr_key_terms (zyn_expr_t *self, zyn_node_t *root, zyn_error_t *err)
{
    self->key_term_count = 0;
    return s_key_term (self, root, err);
}

//  --------------------------------------------------------------------------
//  Parse and check every expression in request. Caller owns the result.

zyn_expr_t *
zyn_expr_new (const char *operation, const zyn_value_t *request,
              zyn_error_t *err)
{
    zyn_expr_t *self = (zyn_expr_t *) zmalloc (sizeof (zyn_expr_t));
    self->arena = zyn_arena_new ();
    if (!request || zyn_value_type (request) != ZYN_TYPE_M)
        return self;

    const op_params_t *params = s_params_of (operation);
    const char *texts [ZYN_KIND_COUNT] = { NULL };
    size_t sizes [ZYN_KIND_COUNT] = { 0 };
    char present [ZYN_ERROR_MESSAGE_MAX / 2] = "";
    for (size_t i = 0; i < 4 && params->expressions [i]; i++) {
        const zyn_value_t *text = zyn_value_map_get (request,
                                                     params->expressions [i]);
        if (text)
            s_append (present, sizeof (present), ", ",
                      params->expressions [i]);
    }
    for (int kind = 0; kind < ZYN_KIND_COUNT; kind++) {
        const char *param = zyn_expr_kind_param (kind);
        const zyn_value_t *text = zyn_value_map_get (request, param);
        if (!text || !s_takes (params, param))
            continue;
        if (zyn_value_type (text) != ZYN_TYPE_S) {
            //  What DynamoDB's JSON reader answers for a non-string
            zyn_error_set (err, ZYN_ERR_SERIALIZATION, "%s",
                           zyn_value_type (text) == ZYN_TYPE_N
                               ? "NUMBER_VALUE cannot be converted to String"
                               : "Unexpected value type in payload");
            goto failed;
        }
        texts [kind] = zyn_value_data (text);
        sizes [kind] = zyn_value_size (text);
    }
    if (*present) {
        char legacy [ZYN_ERROR_MESSAGE_MAX / 2] = "";
        bool key_conditions_only = !texts [ZYN_KIND_KEY_CONDITION];
        for (size_t i = 0; i < 5 && params->legacy [i]; i++)
            if (zyn_value_map_get (request, params->legacy [i])
                && !(key_conditions_only
                     && streq (params->legacy [i], "KeyConditions")))
                s_append (legacy, sizeof (legacy), ", ", params->legacy [i]);
        if (*legacy) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "Can not use both expression and non-expression "
                           "parameters in the same request: Non-expression "
                           "parameters: {%s} Expression parameters: {%s}",
                           legacy, present);
            goto failed;
        }
    }

    zyn_placeholders_t holders = { NULL, NULL, NULL, NULL };
    holders.names = zyn_value_map_get (request, "ExpressionAttributeNames");
    holders.values = zyn_value_map_get (request, "ExpressionAttributeValues");
    if (holders.names && zyn_value_type (holders.names) != ZYN_TYPE_M)
        holders.names = NULL;
    if (holders.values && zyn_value_type (holders.values) != ZYN_TYPE_M)
        holders.values = NULL;
    //  A transaction's action without expressions ignores placeholders
    if (params->transact && !*present)
        holders.names = holders.values = NULL;
    if (holders.names && !*present) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "ExpressionAttributeNames can only be specified when "
                       "using expressions");
        goto failed;
    }
    if (holders.values) {
        char value_exprs [ZYN_ERROR_MESSAGE_MAX / 2] = "";
        size_t value_expr_count = 0;
        bool used = false;
        for (size_t i = 0; i < 4 && params->expressions [i]; i++) {
            if (streq (params->expressions [i], "ProjectionExpression"))
                continue;
            s_append (value_exprs, sizeof (value_exprs), " and ",
                      params->expressions [i]);
            value_expr_count++;
            if (zyn_value_map_get (request, params->expressions [i]))
                used = true;
        }
        //  An operation with no expression that takes values (GetItem)
        //  never takes them
        if (value_expr_count == 0) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "ExpressionAttributeValues can only be specified "
                           "when using expressions");
            goto failed;
        }
        if (!used) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "ExpressionAttributeValues can only be specified "
                           "when using expressions: %s %s null",
                           value_exprs, value_expr_count > 1 ? "are" : "is");
            goto failed;
        }
    }
    if (s_check_placeholders (&holders, self->arena, err))
        goto failed;

    zyn_parsed_t parsed [ZYN_KIND_COUNT];
    memset (parsed, 0, sizeof (parsed));
    for (int kind = 0; kind < ZYN_KIND_COUNT; kind++)
        if (texts [kind]
            && zyn_expr_parse (self->arena, kind, texts [kind], sizes [kind],
                               &holders, &parsed [kind], err))
            goto failed;
    if (s_check_unused (holders.names, holders.names_used,
                        "ExpressionAttributeNames", err)
        || s_check_unused (holders.values, holders.values_used,
                           "ExpressionAttributeValues", err))
        goto failed;

    if (texts [ZYN_KIND_UPDATE]) {
        self->has_update = true;
        self->actions = parsed [ZYN_KIND_UPDATE].actions;
        self->action_count = parsed [ZYN_KIND_UPDATE].action_count;
    }
    self->condition = parsed [ZYN_KIND_CONDITION].root;
    self->filter = parsed [ZYN_KIND_FILTER].root;
    if (texts [ZYN_KIND_PROJECTION]) {
        self->has_projection = true;
        self->projection = parsed [ZYN_KIND_PROJECTION].paths;
        self->projection_count = parsed [ZYN_KIND_PROJECTION].path_count;
    }
    if (texts [ZYN_KIND_KEY_CONDITION]) {
        self->has_key_condition = true;
        if (zyn_expr_key_terms (self, parsed [ZYN_KIND_KEY_CONDITION].root,
                                err))
            goto failed;
    }
    if (zyn_expr_legacy (self, operation, request, err))
        goto failed;
    if (self->has_projection)
        s_build_projection (self);
    return self;

failed:
    zyn_expr_destroy (&self);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Destroy. Sets *self_p to NULL.

void
zyn_expr_destroy (zyn_expr_t **self_p)
{
    assert (self_p);
    zyn_expr_t *self = *self_p;
    if (self) {
        zyn_arena_destroy (&self->arena);
        free (self);
        *self_p = NULL;
    }
}

bool
zyn_expr_has_condition (zyn_expr_t *self)
{
    assert (self);
    return self->condition != NULL;
}

bool
zyn_expr_has_filter (zyn_expr_t *self)
{
    assert (self);
    return self->filter != NULL;
}

bool
zyn_expr_has_projection (zyn_expr_t *self)
{
    assert (self);
    return self->has_projection;
}

bool
zyn_expr_has_update (zyn_expr_t *self)
{
    assert (self);
    return self->has_update;
}

//  --------------------------------------------------------------------------
//  Evaluate the condition against item. No condition: *result = true.

int
zyn_expr_check_condition (zyn_expr_t *self, const zyn_value_t *item,
                          bool *result, zyn_error_t *err)
{
    assert (self);
    (void) err;
    *result = self->condition ? zyn_condition_eval (self->condition, item)
                              : true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Evaluate the filter against item.

int
zyn_expr_check_filter (zyn_expr_t *self, const zyn_value_t *item,
                       bool *result, zyn_error_t *err)
{
    assert (self);
    (void) err;
    *result = self->filter ? zyn_condition_eval (self->filter, item) : true;
    return 0;
}

static zyn_value_t *
s_project (const zyn_value_t *value, const ptree_t *node)
{
    if (node->leaf)
        return zyn_value_dup (value);
    if (node->count == 0)
        return NULL;
    bool by_name = node->children [0]->name != NULL;
    zyn_type_t type = zyn_value_type (value);
    if (type != (by_name ? ZYN_TYPE_M : ZYN_TYPE_L))
        return NULL;
    zyn_value_t *result = by_name ? zyn_value_new_m () : zyn_value_new_l ();
    for (size_t i = 0; i < node->count; i++) {
        const ptree_t *child = node->children [i];
        const zyn_value_t *inner = by_name
                                 ? zyn_value_map_get (value, child->name)
                                 : zyn_value_list_get (value, child->index);
        zyn_value_t *projected = inner ? s_project (inner, child) : NULL;
        if (!projected)
            continue;
        if (by_name)
            zyn_value_map_put (result, child->name, &projected);
        else
            zyn_value_list_append (result, &projected);
    }
    if (zyn_value_size (result) == 0)
        zyn_value_destroy (&result);
    return result;
}

//  --------------------------------------------------------------------------
//  Return a new item holding only the projected paths of item.

zyn_value_t *
zyn_expr_project (zyn_expr_t *self, const zyn_value_t *item)
{
    assert (self);
    if (!item)
        return NULL;
    if (!self->has_projection)
        return zyn_value_dup (item);
    zyn_value_t *result = s_project (item, self->ptree);
    return result ? result : zyn_value_new_m ();
}

//  --------------------------------------------------------------------------
//  The top-level attribute names the projection reads.

const char **
zyn_expr_projected_names (zyn_expr_t *self)
{
    assert (self);
    return self->has_projection ? self->projected_names : NULL;
}

//  --------------------------------------------------------------------------
//  Apply the update to a copy of item and return the new item.

zyn_value_t *
zyn_expr_update (zyn_expr_t *self, const zyn_value_t *item,
                 const zyn_value_t *key, const char **key_names,
                 zyn_value_t **updated_names, zyn_error_t *err)
{
    assert (self);
    return zyn_expr_apply_update (self, item, key, key_names, updated_names,
                                  err);
}

//  --------------------------------------------------------------------------
//  Resolve the key condition for a table keyed pk_name (and sk_name).

int
zyn_expr_key_condition (zyn_expr_t *self, const char *pk_name,
                        const char *sk_name, zyn_key_condition_t *cond,
                        zyn_error_t *err)
{
    assert (self);
    assert (pk_name);
    memset (cond, 0, sizeof (*cond));
    if (!self->has_key_condition)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Either the KeyConditions or "
                              "KeyConditionExpression parameter must be "
                              "specified in the request.");
    const zyn_key_term_t *pk = NULL;
    const zyn_key_term_t *sk = NULL;
    for (size_t i = 0; i < self->key_term_count; i++) {
        const zyn_key_term_t *term = &self->key_terms [i];
        if (streq (term->name, pk_name))
            pk = term;
        else
        if (sk_name && streq (term->name, sk_name))
            sk = term;
    }
    if (!pk)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Query condition missed key schema element: %s",
                              pk_name);
    if (self->key_term_count > (sk ? 2u : 1u)) {
        if (sk_name && !sk)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Query condition missed key schema element: "
                                  "%s", sk_name);
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Query key condition not supported");
    }
    if (pk->op != ZYN_SK_EQ)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Query key condition not supported");
    cond->pk = pk->value1;
    if (sk) {
        cond->sk_op = sk->op;
        cond->sk1 = sk->value1;
        cond->sk2 = sk->value2;
    }
    return 0;
}

//  True if any path in node starts with name
static bool
s_names_attribute (const zyn_node_t *node, const char *name)
{
    if (node->type == ZYN_NODE_PATH)
        return node->path.count && node->path.elems [0].name
            && streq (node->path.elems [0].name, name);
    for (size_t i = 0; i < node->nargs; i++)
        if (s_names_attribute (node->args [i], name))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  For Query: check that the filter names no key attribute.

int
zyn_expr_check_filter_keys (zyn_expr_t *self, const char *pk_name,
                            const char *sk_name, zyn_error_t *err)
{
    assert (self);
    if (!self->filter)
        return 0;
    const char *names [2] = { pk_name, sk_name };
    for (int i = 0; i < 2; i++)
        if (names [i] && s_names_attribute (self->filter, names [i]))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "%s can only contain non-primary key "
                                  "attributes: Primary key attribute: %s",
                                  self->filter_legacy ? "QueryFilter"
                                                      : "Filter Expression",
                                  names [i]);
    return 0;
}

//  --------------------------------------------------------------------------
//  For ReturnValues UPDATED_*: only the paths the update touched.

zyn_value_t *
zyn_expr_project_updated (zyn_expr_t *self, const zyn_value_t *item)
{
    assert (self);
    if (!self->has_update || !item || self->action_count == 0)
        return NULL;
    if (!self->update_ptree) {
        const zyn_path_t **paths = (const zyn_path_t **) zyn_arena_alloc (
            self->arena, self->action_count * sizeof (zyn_path_t *));
        for (size_t i = 0; i < self->action_count; i++)
            paths [i] = &self->actions [i].path;
        self->update_ptree = s_ptree_build (self->arena, paths,
                                            self->action_count);
    }
    return s_project (item, self->update_ptree);
}

//  --------------------------------------------------------------------------
//  True if applying the update to a missing item creates it.

bool
zyn_expr_update_creates (zyn_expr_t *self)
{
    assert (self);
    if (self->action_count == 0)
        return true;
    for (size_t i = 0; i < self->action_count; i++)
        if (self->actions [i].action == ZYN_ACTION_SET
            || self->actions [i].action == ZYN_ACTION_ADD)
            return true;
    return false;
}
