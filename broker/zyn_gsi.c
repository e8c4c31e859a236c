/*  =========================================================================
    zyn_gsi - global secondary indexes as hidden tables

    See zyn_gsi.h and docs/indexes.md.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_keycode.h"
#include "zyn_expr.h"
#include "zyn_catalog.h"
#include "zyn_router.h"
#include "zyn_gsi.h"

//  Largest sort key, as DynamoDB's
#define S_SORT_KEY_MAX 1024

//  The key names of a KeySchema list
static void
s_key_names (const zyn_value_t *schema, const char **pk, const char **sk)
{
    *pk = NULL;
    *sk = NULL;
    for (size_t i = 0; schema && i < zyn_value_size (schema); i++) {
        zyn_value_t *element = zyn_value_list_get (schema, i);
        const char *name = zyn_value_map_get_s (element, "AttributeName");
        const char *type = zyn_value_map_get_s (element, "KeyType");
        if (name && type && streq (type, "HASH"))
            *pk = name;
        else
        if (name && type && streq (type, "RANGE"))
            *sk = name;
    }
}

//  The type AttributeDefinitions of definition give name, or 0
static zyn_type_t
s_attr_type (const zyn_value_t *definition, const char *name)
{
    zyn_value_t *attrs = zyn_value_map_get (definition,
                                            "AttributeDefinitions");
    for (size_t i = 0; name && attrs && i < zyn_value_size (attrs); i++) {
        zyn_value_t *attr = zyn_value_list_get (attrs, i);
        const char *attr_name = zyn_value_map_get_s (attr, "AttributeName");
        const char *type = zyn_value_map_get_s (attr, "AttributeType");
        if (attr_name && type && streq (attr_name, name))
            return zyn_type_from_name (type);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The hidden table name of index of table

char *
zyn_gsi_table_name (const char *table, const char *index)
{
    return zsys_sprintf ("%s/index/%s", table, index);
}

//  --------------------------------------------------------------------------
//  True if name is a hidden index table's name

bool
zyn_gsi_is_hidden (const char *name)
{
    return name && strchr (name, '/') != NULL;
}

//  --------------------------------------------------------------------------
//  The GlobalSecondaryIndexes entry of table named index

zyn_value_t *
zyn_gsi_find (zyn_table_t *table, const char *index)
{
    zyn_value_t *gsis = zyn_value_map_get (table->definition,
                                           "GlobalSecondaryIndexes");
    for (size_t i = 0; index && gsis && i < zyn_value_size (gsis); i++) {
        zyn_value_t *gsi = zyn_value_list_get (gsis, i);
        const char *name = zyn_value_map_get_s (gsi, "IndexName");
        if (name && streq (name, index))
            return gsi;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The definition of the hidden table of gsi

zyn_value_t *
zyn_gsi_definition (zyn_table_t *base, const zyn_value_t *gsi)
{
    const char *pk, *sk;
    s_key_names (zyn_value_map_get (gsi, "KeySchema"), &pk, &sk);
    assert (pk);
    zyn_value_t *definition = zyn_value_new_m ();
    zyn_value_t *schema = zyn_value_new_l ();
    zyn_value_t *attrs = zyn_value_new_l ();
    const char *names [2] = { pk, ZYN_GSI_SORT_KEY };
    const char *types [2] = {
        zyn_type_name (s_attr_type (base->definition, pk)), "B"
    };
    for (int i = 0; i < 2; i++) {
        zyn_value_t *element = zyn_value_new_m ();
        zyn_value_map_put_s (element, "AttributeName", names [i]);
        zyn_value_map_put_s (element, "KeyType", i ? "RANGE" : "HASH");
        zyn_value_list_append (schema, &element);
        element = zyn_value_new_m ();
        zyn_value_map_put_s (element, "AttributeName", names [i]);
        zyn_value_map_put_s (element, "AttributeType", types [i]);
        zyn_value_list_append (attrs, &element);
    }
    zyn_value_map_put (definition, "KeySchema", &schema);
    zyn_value_map_put (definition, "AttributeDefinitions", &attrs);
    zyn_value_map_put_s (definition, "BillingMode", "PAY_PER_REQUEST");
    zyn_value_map_put_s (definition, "ZynIndexOf", base->name);
    zyn_value_map_put_s (definition, "IndexName",
                         zyn_value_map_get_s (gsi, "IndexName"));
    return definition;
}

//  Append enc(value) of a key attribute of type to buf. Returns 0, or -1
//  if value is missing or of another type.
static int
s_append_key (uint8_t *buf, size_t *size, const zyn_value_t *value,
              zyn_type_t type)
{
    if (!value || zyn_value_type (value) != type || *size > S_SORT_KEY_MAX)
        return -1;
    return zyn_keycode_append (buf, size, value, NULL);
}

//  --------------------------------------------------------------------------
//  The index row of item for gsi

zyn_value_t *
zyn_gsi_entry (zyn_table_t *base, const zyn_value_t *gsi,
               const zyn_value_t *item, bool keys_only)
{
    if (!item || zyn_value_type (item) != ZYN_TYPE_M)
        return NULL;
    const char *pk, *sk;
    s_key_names (zyn_value_map_get (gsi, "KeySchema"), &pk, &sk);
    const zyn_value_t *pk_value = pk ? zyn_value_map_get (item, pk) : NULL;
    if (!pk_value
        || zyn_value_type (pk_value) != s_attr_type (base->definition, pk))
        return NULL;
    uint8_t buf [ZYN_KEYCODE_MAX];
    size_t size = 0;
    if ((sk && s_append_key (buf, &size, zyn_value_map_get (item, sk),
                             s_attr_type (base->definition, sk)))
        || s_append_key (buf, &size, zyn_value_map_get (item, base->pk_name),
                         base->pk_type)
        || (base->sk_name
            && s_append_key (buf, &size,
                             zyn_value_map_get (item, base->sk_name),
                             base->sk_type))
        || size > S_SORT_KEY_MAX)
        return NULL;

    zyn_value_t *entry = zyn_value_new_m ();
    zyn_value_t *projection = zyn_value_map_get (gsi, "Projection");
    const char *type = zyn_value_map_get_s (projection, "ProjectionType");
    if (!keys_only && type && streq (type, "ALL")) {
        zyn_value_destroy (&entry);
        entry = zyn_value_dup (item);
    }
    else {
        const char *keys [4] = { pk, sk, base->pk_name, base->sk_name };
        for (int i = 0; i < (keys_only ? 1 : 4); i++) {
            zyn_value_t *value = keys [i] ? zyn_value_map_get (item, keys [i])
                                          : NULL;
            if (value) {
                zyn_value_t *copy = zyn_value_dup (value);
                zyn_value_map_put (entry, keys [i], &copy);
            }
        }
        zyn_value_t *extra = keys_only || !type || !streq (type, "INCLUDE")
            ? NULL : zyn_value_map_get (projection, "NonKeyAttributes");
        for (size_t i = 0; extra && i < zyn_value_size (extra); i++) {
            const char *name = zyn_value_data (zyn_value_list_get (extra, i));
            zyn_value_t *value = name ? zyn_value_map_get (item, name) : NULL;
            if (value) {
                zyn_value_t *copy = zyn_value_dup (value);
                zyn_value_map_put (entry, name, &copy);
            }
        }
    }
    zyn_value_t *isk = zyn_value_new_b (buf, size);
    zyn_value_map_put (entry, ZYN_GSI_SORT_KEY, &isk);
    return entry;
}

//  --------------------------------------------------------------------------
//  Rewriting requests

//  Make buf[0..*size) the smallest string above every string it prefixes
static void
s_successor (uint8_t *buf, size_t *size)
{
    while (*size > 0 && buf [*size - 1] == 0xff)
        (*size)--;
    if (*size > 0)
        buf [*size - 1]++;
}

//  A B value of enc(value), its successor, or its prefix encoding
static zyn_value_t *
s_encoded (const zyn_value_t *value, bool successor, bool prefix)
{
    uint8_t buf [ZYN_KEYCODE_MAX];
    size_t size = 0;
    int rc = prefix ? zyn_keycode_append_prefix (buf, &size, value, NULL)
                    : zyn_keycode_append (buf, &size, value, NULL);
    if (rc || size == 0)
        return NULL;
    if (successor)
        s_successor (buf, &size);
    return zyn_value_new_b (buf, size);
}

//  True if placeholder (with its '#' or ':') occurs as a token in text
static bool
s_uses (const char *text, const char *placeholder)
{
    size_t length = strlen (placeholder);
    const char *at = text;
    while (at && (at = strstr (at, placeholder))) {
        char next = at [length];
        if (!(isalnum ((unsigned char) next) || next == '_'))
            return true;
        at += length;
    }
    return false;
}

//  Keep only the entries of map (ExpressionAttributeNames or Values) that
//  the request's other expressions use
static zyn_value_t *
s_used_entries (const zyn_value_t *request, const zyn_value_t *map)
{
    zyn_value_t *kept = zyn_value_new_m ();
    const char *texts [3] = {
        zyn_value_map_get_s (request, "FilterExpression"),
        zyn_value_map_get_s (request, "ProjectionExpression"), NULL
    };
    for (size_t i = 0; map && i < zyn_value_size (map); i++) {
        const char *name = zyn_value_map_name (map, i);
        bool used = false;
        for (int t = 0; texts [t] || t < 2; t++)
            if (texts [t] && s_uses (texts [t], name))
                used = true;
        if (used) {
            zyn_value_t *copy = zyn_value_dup (zyn_value_map_value (map, i));
            zyn_value_map_put (kept, name, &copy);
        }
    }
    return kept;
}

//  Put the translated key condition into new_request: expression form
//  when the client used one, KeyConditions otherwise
static int
s_put_key_condition (zyn_value_t *new_request, const zyn_value_t *request,
                     const char *pk, const zyn_key_condition_t *cond,
                     zyn_error_t *err)
{
    zyn_value_t *op1 = NULL, *op2 = NULL;
    const char *op = NULL;
    switch (cond->sk_op) {
        case ZYN_SK_NONE:
            break;
        case ZYN_SK_EQ:
            op = "BEGINS_WITH";
            op1 = s_encoded (cond->sk1, false, false);
            break;
        case ZYN_SK_LT:
            op = "LT";
            op1 = s_encoded (cond->sk1, false, false);
            break;
        case ZYN_SK_LE:
            op = "LT";
            op1 = s_encoded (cond->sk1, true, false);
            break;
        case ZYN_SK_GT:
            op = "GE";
            op1 = s_encoded (cond->sk1, true, false);
            break;
        case ZYN_SK_GE:
            op = "GE";
            op1 = s_encoded (cond->sk1, false, false);
            break;
        case ZYN_SK_BETWEEN:
            op = "BETWEEN";
            op1 = s_encoded (cond->sk1, false, false);
            op2 = s_encoded (cond->sk2, true, false);
            break;
        case ZYN_SK_BEGINS_WITH:
            op = "BEGINS_WITH";
            op1 = s_encoded (cond->sk1, false, true);
            if (!op1)
                op = NULL;          //  An empty prefix matches all
            break;
    }
    if ((op && !op1) || (cond->sk_op == ZYN_SK_BETWEEN && !op2)) {
        zyn_value_destroy (&op1);
        zyn_value_destroy (&op2);
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "One or more parameter values were invalid: "
                              "Condition parameter type does not match "
                              "schema type");
    }
    if (zyn_value_map_get (request, "KeyConditions")) {
        zyn_value_t *conditions = zyn_value_new_m ();
        zyn_value_t *entry = zyn_value_new_m ();
        zyn_value_map_put_s (entry, "ComparisonOperator", "EQ");
        zyn_value_t *list = zyn_value_new_l ();
        zyn_value_t *copy = zyn_value_dup (cond->pk);
        zyn_value_list_append (list, &copy);
        zyn_value_map_put (entry, "AttributeValueList", &list);
        zyn_value_map_put (conditions, pk, &entry);
        if (op) {
            entry = zyn_value_new_m ();
            zyn_value_map_put_s (entry, "ComparisonOperator", op);
            list = zyn_value_new_l ();
            zyn_value_list_append (list, &op1);
            if (op2)
                zyn_value_list_append (list, &op2);
            zyn_value_map_put (entry, "AttributeValueList", &list);
            zyn_value_map_put (conditions, ZYN_GSI_SORT_KEY, &entry);
        }
        zyn_value_map_put (new_request, "KeyConditions", &conditions);
        return 0;
    }
    zyn_value_t *names = s_used_entries (
        request, zyn_value_map_get (request, "ExpressionAttributeNames"));
    zyn_value_t *values = s_used_entries (
        request, zyn_value_map_get (request, "ExpressionAttributeValues"));
    zyn_value_map_put_s (names, "#zyn_ipk", pk);
    zyn_value_t *copy = zyn_value_dup (cond->pk);
    zyn_value_map_put (values, ":zyn_ipk", &copy);
    char text [200] = "#zyn_ipk = :zyn_ipk";
    if (op) {
        zyn_value_map_put_s (names, "#zyn_isk", ZYN_GSI_SORT_KEY);
        zyn_value_map_put (values, ":zyn_isk1", &op1);
        if (streq (op, "BEGINS_WITH"))
            strcat (text, " AND begins_with (#zyn_isk, :zyn_isk1)");
        else
        if (streq (op, "LT"))
            strcat (text, " AND #zyn_isk < :zyn_isk1");
        else
        if (streq (op, "GE"))
            strcat (text, " AND #zyn_isk >= :zyn_isk1");
        else {
            zyn_value_map_put (values, ":zyn_isk2", &op2);
            strcat (text, " AND #zyn_isk BETWEEN :zyn_isk1 AND :zyn_isk2");
        }
    }
    zyn_value_map_put_s (new_request, "KeyConditionExpression", text);
    zyn_value_map_put (new_request, "ExpressionAttributeNames", &names);
    zyn_value_map_put (new_request, "ExpressionAttributeValues", &values);
    return 0;
}

//  Translate a client's ExclusiveStartKey on the index into the hidden
//  table's key
static int
s_rewrite_start_key (zyn_table_t *base, const zyn_value_t *gsi,
                     zyn_value_t *new_request, zyn_error_t *err)
{
    zyn_value_t *start = zyn_value_map_get (new_request, "ExclusiveStartKey");
    if (!start)
        return 0;
    zyn_value_t *key = zyn_gsi_entry (base, gsi, start, true);
    const char *pk, *sk;
    s_key_names (zyn_value_map_get (gsi, "KeySchema"), &pk, &sk);
    size_t expected = 1 + (sk ? 1 : 0) + 1 + (base->sk_name ? 1 : 0);
    if (sk && (streq (sk, base->pk_name)
               || (base->sk_name && streq (sk, base->sk_name))))
        expected--;
    if (streq (pk, base->pk_name)
        || (base->sk_name && streq (pk, base->sk_name)))
        expected--;
    if (!key || zyn_value_type (start) != ZYN_TYPE_M
        || zyn_value_size (start) != expected) {
        zyn_value_destroy (&key);
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "The provided starting key is invalid: The "
                              "provided key element does not match the "
                              "schema");
    }
    zyn_value_map_put (new_request, "ExclusiveStartKey", &key);
    return 0;
}

//  --------------------------------------------------------------------------
//  Rewrite a Query or Scan on gsi into one on its hidden table

zyn_value_t *
zyn_gsi_rewrite (zyn_table_t *base, const zyn_value_t *gsi,
                 const char *operation, const zyn_value_t *request,
                 const char *hidden_name, uint64_t *hash, zyn_error_t *err)
{
    bool is_query = streq (operation, "Query");
    const char *index_name = zyn_value_map_get_s (gsi, "IndexName");
    zyn_value_t *consistent = zyn_value_map_get (request, "ConsistentRead");
    if (consistent && zyn_value_type (consistent) == ZYN_TYPE_BOOL
        && zyn_value_bool (consistent)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Consistent reads are not supported on global "
                       "secondary indexes");
        return NULL;
    }
    zyn_value_t *backfilling = zyn_value_map_get (gsi, "ZynBackfilling");
    if (backfilling && zyn_value_bool (backfilling)) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Cannot read from backfilling global secondary "
                       "index");
        return NULL;
    }
    const char *projection = zyn_value_map_get_s (
        zyn_value_map_get (gsi, "Projection"), "ProjectionType");
    const char *select = zyn_value_map_get_s (request, "Select");
    if (select && streq (select, "ALL_ATTRIBUTES")
        && !(projection && streq (projection, "ALL"))) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "One or more parameter values were invalid: Select "
                       "type ALL_ATTRIBUTES is not supported for global "
                       "secondary index %s because its projection type is "
                       "not ALL", index_name);
        return NULL;
    }
    const char *pk, *sk;
    s_key_names (zyn_value_map_get (gsi, "KeySchema"), &pk, &sk);

    zyn_value_t *new_request = zyn_value_dup (request);
    zyn_value_t *dropped = zyn_value_map_take (new_request, "IndexName");
    zyn_value_destroy (&dropped);
    dropped = zyn_value_map_take (new_request, "ConsistentRead");
    zyn_value_destroy (&dropped);
    if (select && streq (select, "ALL_PROJECTED_ATTRIBUTES")) {
        dropped = zyn_value_map_take (new_request, "Select");
        zyn_value_destroy (&dropped);
    }
    zyn_value_map_put_s (new_request, "TableName", hidden_name);

    if (is_query) {
        //  Checked in full here against the index's keys: the worker sees
        //  only the translated condition
        zyn_key_condition_t cond;
        zyn_expr_t *expr = zyn_expr_new ("Query", request, err);
        int rc = !expr
              || zyn_expr_key_condition (expr, pk, sk, &cond, err)
              || zyn_expr_check_filter_keys (expr, pk, sk, err);
        if (!rc && zyn_value_type (cond.pk)
                       != s_attr_type (base->definition, pk))
            rc = zyn_error_set (err, ZYN_ERR_VALIDATION,
                                "One or more parameter values were "
                                "invalid: Condition parameter type does not "
                                "match schema type");
        if (!rc && ((cond.sk1 && zyn_value_type (cond.sk1)
                                     != s_attr_type (base->definition, sk))
                    || (cond.sk2 && zyn_value_type (cond.sk2)
                                        != s_attr_type (base->definition,
                                                        sk))))
            rc = zyn_error_set (err, ZYN_ERR_VALIDATION,
                                "One or more parameter values were "
                                "invalid: Condition parameter type does not "
                                "match schema type");
        if (!rc)
            rc = zyn_router_value_hash (cond.pk, hash, err);
        if (!rc) {
            const char *params [] = { "KeyConditionExpression",
                                      "KeyConditions",
                                      "ExpressionAttributeNames",
                                      "ExpressionAttributeValues", NULL };
            for (int i = 0; params [i]; i++) {
                dropped = zyn_value_map_take (new_request, params [i]);
                zyn_value_destroy (&dropped);
            }
            rc = s_put_key_condition (new_request, request, pk, &cond, err);
            //  Placeholders the rewrite left unused must go
            zyn_value_t *names = zyn_value_map_get (new_request,
                                                    "ExpressionAttributeNames");
            if (names && zyn_value_size (names) == 0) {
                dropped = zyn_value_map_take (new_request,
                                              "ExpressionAttributeNames");
                zyn_value_destroy (&dropped);
            }
        }
        zyn_expr_destroy (&expr);
        if (rc) {
            zyn_value_destroy (&new_request);
            return NULL;
        }
    }
    if (s_rewrite_start_key (base, gsi, new_request, err)) {
        zyn_value_destroy (&new_request);
        return NULL;
    }
    return new_request;
}

//  --------------------------------------------------------------------------
//  Rewrite the hidden table's reply for the client

void *
zyn_gsi_reply (zyn_table_t *base, const zyn_value_t *gsi, const void *data,
               size_t size, size_t *new_size)
{
    zyn_value_t *reply = zyn_value_decode (data, size, NULL);
    if (!reply || zyn_value_type (reply) != ZYN_TYPE_M) {
        zyn_value_destroy (&reply);
        return NULL;
    }
    zyn_value_t *items = zyn_value_map_get (reply, "Items");
    for (size_t i = 0; items && i < zyn_value_size (items); i++) {
        zyn_value_t *isk = zyn_value_map_take (zyn_value_list_get (items, i),
                                               ZYN_GSI_SORT_KEY);
        zyn_value_destroy (&isk);
    }
    zyn_value_t *last = zyn_value_map_get (reply, "LastEvaluatedKey");
    if (last) {
        const char *pk, *sk;
        s_key_names (zyn_value_map_get (gsi, "KeySchema"), &pk, &sk);
        zyn_value_t *key = zyn_value_new_m ();
        zyn_value_t *value = zyn_value_map_get (last, pk);
        value = value ? zyn_value_dup (value) : NULL;
        if (value)
            zyn_value_map_put (key, pk, &value);
        zyn_value_t *isk = zyn_value_map_get (last, ZYN_GSI_SORT_KEY);
        const uint8_t *at = isk ? (const uint8_t *) zyn_value_data (isk)
                                : NULL;
        size_t left = isk ? zyn_value_size (isk) : 0;
        const char *names [3] = { sk, base->pk_name, base->sk_name };
        zyn_type_t types [3] = { s_attr_type (base->definition, sk),
                                 base->pk_type, base->sk_type };
        for (int i = 0; at && i < 3; i++) {
            if (!names [i])
                continue;
            size_t used = 0;
            value = zyn_keycode_decode (types [i], at, left, &used);
            if (!value)
                break;
            zyn_value_map_put (key, names [i], &value);
            at += used;
            left -= used;
        }
        zyn_value_map_put (reply, "LastEvaluatedKey", &key);
    }
    void *result = zyn_value_encode (reply, new_size);
    zyn_value_destroy (&reply);
    return result;
}
