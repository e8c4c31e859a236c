/*  =========================================================================
    zyn_expr_update - applying an update expression to an item

    As DynamoDB does: every SET value is computed from the item as it was
    before the update, then the actions are applied: SET (a list index
    past the end appends), ADD and DELETE, and REMOVE last, list elements
    from the highest index down so each index means what it meant in the
    original item. Key attributes may not be touched. Runtime type errors
    are ValidationExceptions with DynamoDB's messages.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_expr_ast.h"
#include "zyn_decimal.h"

static const char *s_incorrect_type =
    "An operand in the update expression has an incorrect data type";
static const char *s_invalid_path =
    "The document path provided in the update expression is invalid for update";
static const char *s_missing_attribute =
    "The provided expression refers to an attribute that does not exist in "
    "the item";

//  Mutable value at path in item (item is ours)
static zyn_value_t *
s_get (zyn_value_t *item, const zyn_path_t *path)
{
    return (zyn_value_t *) zyn_path_get (item, path);
}

static zyn_value_t *
s_arith (const zyn_value_t *a, const zyn_value_t *b, bool plus,
         zyn_error_t *err)
{
    if (zyn_value_type (a) != ZYN_TYPE_N || zyn_value_type (b) != ZYN_TYPE_N) {
        zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_incorrect_type);
        return NULL;
    }
    zyn_decimal_t x, y, sum;
    if (zyn_decimal_parse (&x, zyn_value_data (a), zyn_value_size (a), err)
        || zyn_decimal_parse (&y, zyn_value_data (b), zyn_value_size (b), err))
        return NULL;
    int rc = plus ? zyn_decimal_add (&x, &y, &sum, err)
                  : zyn_decimal_subtract (&x, &y, &sum, err);
    if (rc)
        return NULL;
    char text [ZYN_DECIMAL_TEXT_MAX];
    zyn_decimal_format (&sum, text);
    return zyn_value_new_n (text, err);
}

//  Compute a SET value from the original item. Caller owns the result.
static zyn_value_t *
s_eval (const zyn_node_t *node, const zyn_value_t *item, zyn_error_t *err)
{
    switch (node->type) {
        case ZYN_NODE_VALUE:
            return zyn_value_dup (node->value);
        case ZYN_NODE_PATH: {
            const zyn_value_t *value = zyn_path_get (item, &node->path);
            if (!value) {
                zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                               s_missing_attribute);
                return NULL;
            }
            return zyn_value_dup (value);
        }
        case ZYN_NODE_PLUS:
        case ZYN_NODE_MINUS: {
            zyn_value_t *a = s_eval (node->args [0], item, err);
            zyn_value_t *b = a ? s_eval (node->args [1], item, err) : NULL;
            zyn_value_t *result = b ? s_arith (a, b,
                                               node->type == ZYN_NODE_PLUS,
                                               err)
                                    : NULL;
            zyn_value_destroy (&a);
            zyn_value_destroy (&b);
            return result;
        }
        case ZYN_NODE_FUNCTION:
            if (node->op == ZYN_FN_IF_NOT_EXISTS) {
                const zyn_value_t *value = zyn_path_get (
                    item, &node->args [0]->path);
                return value ? zyn_value_dup (value)
                             : s_eval (node->args [1], item, err);
            }
            if (node->op == ZYN_FN_LIST_APPEND) {
                zyn_value_t *a = s_eval (node->args [0], item, err);
                zyn_value_t *b = a ? s_eval (node->args [1], item, err) : NULL;
                if (!b) {
                    zyn_value_destroy (&a);
                    return NULL;
                }
                if (zyn_value_type (a) != ZYN_TYPE_L
                    || zyn_value_type (b) != ZYN_TYPE_L) {
                    zyn_value_destroy (&a);
                    zyn_value_destroy (&b);
                    zyn_error_set (err, ZYN_ERR_VALIDATION, "%s",
                                   s_incorrect_type);
                    return NULL;
                }
                while (zyn_value_size (b)) {
                    zyn_value_t *element = zyn_value_list_take (b, 0);
                    zyn_value_list_append (a, &element);
                }
                zyn_value_destroy (&b);
                return a;
            }
            break;
        default:
            break;
    }
    zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_incorrect_type);
    return NULL;
}

//  The parent container of path's last element, or NULL
static zyn_value_t *
s_parent (zyn_value_t *item, const zyn_path_t *path)
{
    if (path->count == 1)
        return item;
    zyn_path_t prefix = { path->elems, path->count - 1 };
    return s_get (item, &prefix);
}

//  Put value at path. Takes ownership of *value_p.
static int
s_put (zyn_value_t *item, const zyn_path_t *path, zyn_value_t **value_p,
       zyn_error_t *err)
{
    zyn_value_t *parent = s_parent (item, path);
    const zyn_path_elem_t *last = &path->elems [path->count - 1];
    if (parent && last->name && zyn_value_type (parent) == ZYN_TYPE_M) {
        zyn_value_map_put (parent, last->name, value_p);
        return 0;
    }
    if (parent && !last->name && zyn_value_type (parent) == ZYN_TYPE_L) {
        if (last->index < zyn_value_size (parent))
            return zyn_value_list_set (parent, last->index, value_p);
        return zyn_value_list_append (parent, value_p);
    }
    zyn_value_destroy (value_p);
    return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_invalid_path);
}

static int
s_remove (zyn_value_t *item, const zyn_path_t *path, zyn_error_t *err)
{
    zyn_value_t *parent = s_parent (item, path);
    const zyn_path_elem_t *last = &path->elems [path->count - 1];
    zyn_value_t *removed = NULL;
    if (parent && last->name && zyn_value_type (parent) == ZYN_TYPE_M)
        removed = zyn_value_map_take (parent, last->name);
    else
    if (parent && !last->name && zyn_value_type (parent) == ZYN_TYPE_L)
        removed = zyn_value_list_take (parent, last->index);
    else
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_invalid_path);
    zyn_value_destroy (&removed);
    return 0;
}

static bool
s_is_set (zyn_type_t type)
{
    return type == ZYN_TYPE_SS || type == ZYN_TYPE_NS || type == ZYN_TYPE_BS;
}

static int
s_add (zyn_value_t *item, const zyn_update_action_t *entry, zyn_error_t *err)
{
    const zyn_value_t *operand = entry->value->value;
    zyn_value_t *existing = s_get (item, &entry->path);
    if (!existing) {
        zyn_value_t *copy = zyn_value_dup (operand);
        return s_put (item, &entry->path, &copy, err);
    }
    zyn_type_t type = zyn_value_type (existing);
    zyn_type_t other = zyn_value_type (operand);
    if (type == ZYN_TYPE_N && other == ZYN_TYPE_N) {
        zyn_value_t *sum = s_arith (existing, operand, true, err);
        if (!sum)
            return -1;
        return s_put (item, &entry->path, &sum, err);
    }
    if (s_is_set (type) && type == other) {
        for (size_t i = 0; i < zyn_value_size (operand); i++) {
            const zyn_value_t *element = zyn_value_list_get (operand, i);
            bool found = false;
            for (size_t j = 0; j < zyn_value_size (existing) && !found; j++)
                found = zyn_value_equal (zyn_value_list_get (existing, j),
                                         element);
            if (!found) {
                zyn_value_t *copy = zyn_value_dup (element);
                zyn_value_list_append (existing, &copy);
            }
        }
        return 0;
    }
    if (entry->legacy && type == ZYN_TYPE_L && other == ZYN_TYPE_L) {
        for (size_t i = 0; i < zyn_value_size (operand); i++) {
            zyn_value_t *copy = zyn_value_dup (zyn_value_list_get (operand, i));
            zyn_value_list_append (existing, &copy);
        }
        return 0;
    }
    return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_incorrect_type);
}

static int
s_delete (zyn_value_t *item, const zyn_update_action_t *entry,
          zyn_error_t *err)
{
    const zyn_value_t *operand = entry->value->value;
    zyn_value_t *existing = s_get (item, &entry->path);
    if (!existing)
        return 0;
    if (zyn_value_type (existing) != zyn_value_type (operand)
        || !s_is_set (zyn_value_type (existing)))
        return zyn_error_set (err, ZYN_ERR_VALIDATION, "%s", s_incorrect_type);
    for (size_t i = 0; i < zyn_value_size (operand); i++) {
        const zyn_value_t *element = zyn_value_list_get (operand, i);
        for (size_t j = 0; j < zyn_value_size (existing); j++)
            if (zyn_value_equal (zyn_value_list_get (existing, j), element)) {
                zyn_value_t *gone = zyn_value_list_take (existing, j);
                zyn_value_destroy (&gone);
                break;
            }
    }
    if (zyn_value_size (existing) == 0)
        return s_remove (item, &entry->path, err);
    return 0;
}

//  Order SET actions so that list elements go by ascending index: several
//  appends to one list land in index order, as DynamoDB documents
static int
s_set_order (const void *a, const void *b)
{
    const zyn_update_action_t *x = *(const zyn_update_action_t *const *) a;
    const zyn_update_action_t *y = *(const zyn_update_action_t *const *) b;
    const zyn_path_elem_t *ex = &x->path.elems [x->path.count - 1];
    const zyn_path_elem_t *ey = &y->path.elems [y->path.count - 1];
    size_t ix = ex->name ? 0 : ex->index + 1;
    size_t iy = ey->name ? 0 : ey->index + 1;
    return ix < iy ? -1 : ix > iy ? 1 : (x < y ? -1 : x > y);
}

//  Order REMOVE actions so that list elements go from the highest index
static int
s_remove_order (const void *a, const void *b)
{
    const zyn_update_action_t *x = *(const zyn_update_action_t *const *) a;
    const zyn_update_action_t *y = *(const zyn_update_action_t *const *) b;
    const zyn_path_elem_t *ex = &x->path.elems [x->path.count - 1];
    const zyn_path_elem_t *ey = &y->path.elems [y->path.count - 1];
    size_t ix = ex->name ? 0 : ex->index + 1;
    size_t iy = ey->name ? 0 : ey->index + 1;
    return ix < iy ? 1 : ix > iy ? -1 : (x < y ? -1 : x > y);
}

//  --------------------------------------------------------------------------
//  Check that the update touches no key attribute.

int
zyn_expr_check_update_keys (zyn_expr_t *self, const char **key_names,
                            zyn_error_t *err)
{
    assert (self);
    for (size_t i = 0; i < self->action_count; i++) {
        const char *top = self->actions [i].path.elems [0].name;
        for (size_t k = 0; key_names && key_names [k]; k++)
            if (streq (key_names [k], top))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "One or more parameter values were "
                                      "invalid: Cannot update attribute %s. "
                                      "This attribute is part of the key",
                                      top);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Apply the update (see zyn_expr_update in zyn_expr.h).

zyn_value_t *
zyn_expr_apply_update (zyn_expr_t *self, const zyn_value_t *item,
                       const zyn_value_t *key, const char **key_names,
                       zyn_value_t **updated_names, zyn_error_t *err)
{
    const zyn_value_t *original = item ? item : key;
    if (zyn_expr_check_update_keys (self, key_names, err))
        return NULL;
    zyn_value_t *result = original ? zyn_value_dup (original)
                                   : zyn_value_new_m ();
    size_t count = self->action_count;
    zyn_value_t **values = (zyn_value_t **) zmalloc (
        (count + 1) * sizeof (zyn_value_t *));
    const zyn_update_action_t **removes = (const zyn_update_action_t **)
        zmalloc ((count + 1) * sizeof (zyn_update_action_t *));
    const zyn_update_action_t **sets = (const zyn_update_action_t **)
        zmalloc ((count + 1) * sizeof (zyn_update_action_t *));
    size_t remove_count = 0;

    for (size_t i = 0; i < count; i++)
        if (self->actions [i].action == ZYN_ACTION_SET) {
            values [i] = s_eval (self->actions [i].value, original, err);
            if (!values [i])
                goto failed;
        }
    //  SET first, by ascending list index, while every index still means
    //  what it meant in the original item; then ADD and DELETE; REMOVE last
    size_t set_count = 0;
    for (size_t i = 0; i < count; i++)
        if (self->actions [i].action == ZYN_ACTION_SET)
            sets [set_count++] = &self->actions [i];
    qsort (sets, set_count, sizeof (sets [0]), s_set_order);
    for (size_t i = 0; i < set_count; i++) {
        size_t at = (size_t) (sets [i] - self->actions);
        if (s_put (result, &sets [i]->path, &values [at], err))
            goto failed;
    }
    for (size_t i = 0; i < count; i++) {
        const zyn_update_action_t *entry = &self->actions [i];
        int rc = 0;
        if (entry->action == ZYN_ACTION_ADD)
            rc = s_add (result, entry, err);
        else
        if (entry->action == ZYN_ACTION_DELETE)
            rc = s_delete (result, entry, err);
        else
        if (entry->action == ZYN_ACTION_REMOVE)
            removes [remove_count++] = entry;
        if (rc)
            goto failed;
    }
    qsort (removes, remove_count, sizeof (removes [0]), s_remove_order);
    for (size_t i = 0; i < remove_count; i++) {
        //  DynamoDB ignores a REMOVE of any path when there is no item
        zyn_error_t ignored = { 0 };
        if (s_remove (result, &removes [i]->path, item ? err : &ignored)
            && item)
            goto failed;
    }

    if (updated_names) {
        *updated_names = zyn_value_new_l ();
        for (size_t i = 0; i < count; i++) {
            const char *top = self->actions [i].path.elems [0].name;
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = streq (self->actions [j].path.elems [0].name, top);
            if (!seen) {
                zyn_value_t *name = zyn_value_new_s (top);
                zyn_value_list_append (*updated_names, &name);
            }
        }
    }
    free (values);
    free (removes);
    free (sets);
    return result;

failed:
    for (size_t i = 0; i < count; i++)
        zyn_value_destroy (&values [i]);
    free (values);
    free (removes);
    free (sets);
    zyn_value_destroy (&result);
    return NULL;
}
