/*  =========================================================================
    zyn_expr_eval - evaluating conditions and filters against an item

    DynamoDB's rules: a path that leads nowhere has no value, and any
    comparison with no value is false (except <>, which is then true); a
    comparison between values of different types is false, not an error;
    size () of a number, boolean or null has no value.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_expr_ast.h"

//  --------------------------------------------------------------------------
//  The value at path in item, or NULL if there is none. Borrowed.

const zyn_value_t *
zyn_path_get (const zyn_value_t *item, const zyn_path_t *path)
{
    if (!item || zyn_value_type (item) != ZYN_TYPE_M || path->count == 0
        || !path->elems [0].name)
        return NULL;
    const zyn_value_t *value = zyn_value_map_get (item, path->elems [0].name);
    for (size_t i = 1; value && i < path->count; i++) {
        const zyn_path_elem_t *elem = &path->elems [i];
        if (elem->name)
            value = zyn_value_type (value) == ZYN_TYPE_M
                  ? zyn_value_map_get (value, elem->name) : NULL;
        else
            value = zyn_value_type (value) == ZYN_TYPE_L
                  ? zyn_value_list_get (value, elem->index) : NULL;
    }
    return value;
}

//  Length of a string as DynamoDB's size () counts it: UTF-16 code units
static size_t
s_string_length (const char *data, size_t size)
{
    size_t length = 0;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char) data [i];
        if ((c & 0xC0) != 0x80)
            length += c >= 0xF0 ? 2 : 1;
    }
    return length;
}

//  --------------------------------------------------------------------------
//  An operand's value: borrowed, or owned (*owned set, caller destroys).

const zyn_value_t *
zyn_operand_eval (const zyn_node_t *node, const zyn_value_t *item,
                  zyn_value_t **owned)
{
    *owned = NULL;
    if (node->type == ZYN_NODE_PATH)
        return zyn_path_get (item, &node->path);
    if (node->type == ZYN_NODE_VALUE)
        return node->value;
    if (node->type == ZYN_NODE_FUNCTION && node->op == ZYN_FN_SIZE
        && node->nargs == 1) {
        zyn_value_t *inner_owned;
        const zyn_value_t *value = zyn_operand_eval (node->args [0], item,
                                                     &inner_owned);
        if (!value)
            return NULL;
        int64_t size = -1;
        switch (zyn_value_type (value)) {
            case ZYN_TYPE_S:
                size = (int64_t) s_string_length (zyn_value_data (value),
                                                  zyn_value_size (value));
                break;
            case ZYN_TYPE_B:
            case ZYN_TYPE_M:
            case ZYN_TYPE_L:
            case ZYN_TYPE_SS:
            case ZYN_TYPE_NS:
            case ZYN_TYPE_BS:
                size = (int64_t) zyn_value_size (value);
                break;
            default:
                break;
        }
        zyn_value_destroy (&inner_owned);
        if (size < 0)
            return NULL;
        *owned = zyn_value_new_n_int (size);
        return *owned;
    }
    return NULL;
}

static bool
s_is_scalar (zyn_type_t type)
{
    return type == ZYN_TYPE_S || type == ZYN_TYPE_N || type == ZYN_TYPE_B;
}

static bool
s_compare (int op, const zyn_value_t *a, const zyn_value_t *b)
{
    if (op == ZYN_CMP_EQ)
        return a && b && zyn_value_equal (a, b);
    if (op == ZYN_CMP_NE)
        return !(a && b && zyn_value_equal (a, b));
    if (!a || !b || zyn_value_type (a) != zyn_value_type (b)
        || !s_is_scalar (zyn_value_type (a)))
        return false;
    int order = zyn_value_compare (a, b);
    switch (op) {
        case ZYN_CMP_LT: return order < 0;
        case ZYN_CMP_LE: return order <= 0;
        case ZYN_CMP_GT: return order > 0;
        case ZYN_CMP_GE: return order >= 0;
        default: return false;
    }
}

static bool
s_begins_with (const zyn_value_t *a, const zyn_value_t *b)
{
    if (!a || !b || zyn_value_type (a) != zyn_value_type (b)
        || (zyn_value_type (a) != ZYN_TYPE_S
            && zyn_value_type (a) != ZYN_TYPE_B))
        return false;
    size_t size = zyn_value_size (b);
    return size <= zyn_value_size (a)
        && memcmp (zyn_value_data (a), zyn_value_data (b), size) == 0;
}

static bool
s_contains (const zyn_value_t *a, const zyn_value_t *b)
{
    if (!a || !b)
        return false;
    zyn_type_t type = zyn_value_type (a);
    zyn_type_t other = zyn_value_type (b);
    if ((type == ZYN_TYPE_S && other == ZYN_TYPE_S)
        || (type == ZYN_TYPE_B && other == ZYN_TYPE_B)) {
        size_t size = zyn_value_size (a);
        size_t needle = zyn_value_size (b);
        const char *data = zyn_value_data (a);
        if (needle == 0)
            return true;
        for (size_t i = 0; i + needle <= size; i++)
            if (memcmp (data + i, zyn_value_data (b), needle) == 0)
                return true;
        return false;
    }
    if ((type == ZYN_TYPE_SS && other == ZYN_TYPE_S)
        || (type == ZYN_TYPE_NS && other == ZYN_TYPE_N)
        || (type == ZYN_TYPE_BS && other == ZYN_TYPE_B)
        || type == ZYN_TYPE_L) {
        size_t count = zyn_value_size (a);
        for (size_t i = 0; i < count; i++)
            if (zyn_value_equal (zyn_value_list_get (a, i), b))
                return true;
    }
    return false;
}

static bool
s_function (const zyn_node_t *node, const zyn_value_t *item)
{
    if (node->op == ZYN_FN_ATTRIBUTE_EXISTS)
        return zyn_path_get (item, &node->args [0]->path) != NULL;
    if (node->op == ZYN_FN_ATTRIBUTE_NOT_EXISTS)
        return zyn_path_get (item, &node->args [0]->path) == NULL;
    zyn_value_t *owned_a, *owned_b;
    const zyn_value_t *a = zyn_operand_eval (node->args [0], item, &owned_a);
    const zyn_value_t *b = node->nargs > 1
                         ? zyn_operand_eval (node->args [1], item, &owned_b)
                         : (owned_b = NULL);
    bool result = false;
    if (node->op == ZYN_FN_ATTRIBUTE_TYPE)
        result = a && b && zyn_value_type (b) == ZYN_TYPE_S
              && streq (zyn_type_name (zyn_value_type (a)),
                        zyn_value_data (b));
    else
    if (node->op == ZYN_FN_BEGINS_WITH)
        result = s_begins_with (a, b);
    else
    if (node->op == ZYN_FN_CONTAINS)
        result = s_contains (a, b);
    zyn_value_destroy (&owned_a);
    zyn_value_destroy (&owned_b);
    return result;
}

//  --------------------------------------------------------------------------
//  Evaluate a condition node against item (NULL: no item).

bool
zyn_condition_eval (const zyn_node_t *node, const zyn_value_t *item)
{
    switch (node->type) {
        case ZYN_NODE_AND:
            return zyn_condition_eval (node->args [0], item)
                && zyn_condition_eval (node->args [1], item);
        case ZYN_NODE_OR:
            return zyn_condition_eval (node->args [0], item)
                || zyn_condition_eval (node->args [1], item);
        case ZYN_NODE_NOT:
            return !zyn_condition_eval (node->args [0], item);
        case ZYN_NODE_FUNCTION:
            return s_function (node, item);
        case ZYN_NODE_COMPARE: {
            zyn_value_t *owned_a, *owned_b;
            const zyn_value_t *a = zyn_operand_eval (node->args [0], item,
                                                     &owned_a);
            const zyn_value_t *b = zyn_operand_eval (node->args [1], item,
                                                     &owned_b);
            bool result = s_compare (node->op, a, b);
            zyn_value_destroy (&owned_a);
            zyn_value_destroy (&owned_b);
            return result;
        }
        case ZYN_NODE_BETWEEN: {
            zyn_value_t *owned [3];
            const zyn_value_t *values [3];
            for (int i = 0; i < 3; i++)
                values [i] = zyn_operand_eval (node->args [i], item,
                                               &owned [i]);
            bool result = s_compare (ZYN_CMP_GE, values [0], values [1])
                       && s_compare (ZYN_CMP_LE, values [0], values [2]);
            for (int i = 0; i < 3; i++)
                zyn_value_destroy (&owned [i]);
            return result;
        }
        case ZYN_NODE_IN: {
            zyn_value_t *owned;
            const zyn_value_t *value = zyn_operand_eval (node->args [0], item,
                                                         &owned);
            bool result = false;
            for (size_t i = 1; value && !result && i < node->nargs; i++) {
                zyn_value_t *owned_other;
                const zyn_value_t *other = zyn_operand_eval (
                    node->args [i], item, &owned_other);
                result = other && zyn_value_equal (value, other);
                zyn_value_destroy (&owned_other);
            }
            zyn_value_destroy (&owned);
            return result;
        }
        default:
            return false;
    }
}
