/*  =========================================================================
    zyn_tables - the table operations' requests and responses

    DynamoDB checks a request in three passes and we follow it: parameter
    types first (a SerializationException, as its JSON decoder gives),
    then each parameter's constraints, gathered into one message ("2
    validation errors detected: ...; ..."), then the rules that tie
    parameters together, first failure wins.

    ItemCount and TableSizeBytes are the sums of what each partition's
    worker last reported with its heartbeat (DynamoDB refreshes them only
    every six hours).
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_error.h"
#include "zyn_catalog.h"
#include "zyn_tables.h"

//  Constraint failures gathered over one request
typedef struct {
    int count;
    char text [ZYN_ERROR_MESSAGE_MAX];
} s_constraints_t;

//  Record "Value 'value' at 'path' failed to satisfy constraint: rule";
//  value NULL means null. DynamoDB reports at most ten.
static void
s_constraint (s_constraints_t *self, const char *value, const char *path,
              const char *rule)
{
    if (self->count >= 10)
        return;
    size_t used = strlen (self->text);
    char quoted [300];
    if (value)
        snprintf (quoted, sizeof (quoted), "'%.280s'", value);
    else
        snprintf (quoted, sizeof (quoted), "null");
    snprintf (self->text + used, sizeof (self->text) - used,
              "%sValue %s at '%s' failed to satisfy constraint: %s",
              self->count ? "; " : "", quoted, path, rule);
    self->count++;
}

static int
s_constraints_check (s_constraints_t *self, zyn_error_t *err)
{
    if (self->count == 0)
        return 0;
    return zyn_error_set (err, ZYN_ERR_VALIDATION,
                          "%d validation error%s detected: %s", self->count,
                          self->count > 1 ? "s" : "", self->text);
}

//  Java-side names of our value types, for DynamoDB's decoder messages
typedef enum {
    S_STRING,
    S_LONG,
    S_BOOLEAN,
    S_LIST,
    S_STRUCT
} s_shape_t;

//  Check that value (may be NULL: absent is fine) has the shape DynamoDB's
//  decoder expects. Returns 0 or -1 with a SerializationException.
static int
s_check_shape (const zyn_value_t *value, s_shape_t shape, zyn_error_t *err)
{
    if (!value || zyn_value_type (value) == ZYN_TYPE_NULL)
        return 0;
    zyn_type_t type = zyn_value_type (value);
    const char *want = shape == S_STRING ? "String"
                     : shape == S_LONG ? "Long" : "Boolean";
    switch (shape) {
        case S_STRING:
        case S_LONG:
        case S_BOOLEAN:
            if ((shape == S_STRING && type == ZYN_TYPE_S)
                || (shape == S_LONG && type == ZYN_TYPE_N)
                || (shape == S_BOOLEAN && type == ZYN_TYPE_BOOL))
                return 0;
            if (type == ZYN_TYPE_M)
                return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                      "Start of structure or map found "
                                      "where not expected.");
            if (type == ZYN_TYPE_L)
                return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                      "Start of list found where not "
                                      "expected");
            if (type == ZYN_TYPE_S && shape == S_BOOLEAN)
                return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                      "'%.200s' can not be converted to an "
                                      "Boolean", zyn_value_data (value));
            return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                  "class java.lang.%s can not be converted "
                                  "to an %s",
                                  type == ZYN_TYPE_S ? "String"
                                  : type == ZYN_TYPE_N ? "Long"
                                  : type == ZYN_TYPE_BOOL ? "Boolean"
                                  : "Object",
                                  want);
        case S_LIST:
            if (type == ZYN_TYPE_L)
                return 0;
            if (type == ZYN_TYPE_M)
                return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                      "Start of structure or map found "
                                      "where not expected.");
            return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                  "Expected list or null");
        case S_STRUCT:
            if (type == ZYN_TYPE_M)
                return 0;
            if (type == ZYN_TYPE_L)
                return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                      "Start of list found where not "
                                      "expected");
            return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                                  "Expected null");
    }
    return 0;
}

//  The field of a structure, treating an explicit NULL as absent
static zyn_value_t *
s_field (const zyn_value_t *map, const char *name)
{
    if (!map || zyn_value_type (map) != ZYN_TYPE_M)
        return NULL;
    zyn_value_t *value = zyn_value_map_get (map, name);
    if (value && zyn_value_type (value) == ZYN_TYPE_NULL)
        return NULL;
    return value;
}

static const char *
s_field_s (const zyn_value_t *map, const char *name)
{
    zyn_value_t *value = s_field (map, name);
    return value && zyn_value_type (value) == ZYN_TYPE_S
         ? zyn_value_data (value) : NULL;
}

//  Check the shapes of a KeySchema list (the table's or an index's)
static int
s_check_key_schema_shape (const zyn_value_t *schema, zyn_error_t *err)
{
    if (s_check_shape (schema, S_LIST, err))
        return -1;
    for (size_t i = 0; schema && i < zyn_value_size (schema); i++) {
        zyn_value_t *element = zyn_value_list_get (schema, i);
        if (s_check_shape (element, S_STRUCT, err)
            || s_check_shape (s_field (element, "AttributeName"), S_STRING,
                              err)
            || s_check_shape (s_field (element, "KeyType"), S_STRING, err))
            return -1;
    }
    return 0;
}

static int
s_check_throughput_shape (const zyn_value_t *throughput, zyn_error_t *err)
{
    if (s_check_shape (throughput, S_STRUCT, err))
        return -1;
    if (s_check_shape (s_field (throughput, "ReadCapacityUnits"), S_LONG, err)
        || s_check_shape (s_field (throughput, "WriteCapacityUnits"), S_LONG,
                          err))
        return -1;
    return 0;
}

static int
s_check_indexes_shape (const zyn_value_t *indexes, bool global,
                       zyn_error_t *err)
{
    if (s_check_shape (indexes, S_LIST, err))
        return -1;
    for (size_t i = 0; indexes && i < zyn_value_size (indexes); i++) {
        zyn_value_t *index = zyn_value_list_get (indexes, i);
        if (s_check_shape (index, S_STRUCT, err)
            || s_check_shape (s_field (index, "IndexName"), S_STRING, err)
            || s_check_key_schema_shape (s_field (index, "KeySchema"), err))
            return -1;
        zyn_value_t *projection = s_field (index, "Projection");
        if (s_check_shape (projection, S_STRUCT, err)
            || s_check_shape (s_field (projection, "ProjectionType"),
                              S_STRING, err)
            || s_check_shape (s_field (projection, "NonKeyAttributes"),
                              S_LIST, err))
            return -1;
        if (global
            && s_check_throughput_shape (s_field (index,
                                                  "ProvisionedThroughput"),
                                         err))
            return -1;
    }
    return 0;
}

//  Pass 1: parameter types
static int
s_check_create_shapes (const zyn_value_t *request, zyn_error_t *err)
{
    if (s_check_shape (s_field (request, "TableName"), S_STRING, err)
        || s_check_shape (s_field (request, "BillingMode"), S_STRING, err)
        || s_check_key_schema_shape (s_field (request, "KeySchema"), err)
        || s_check_throughput_shape (
               s_field (request, "ProvisionedThroughput"), err)
        || s_check_indexes_shape (s_field (request, "LocalSecondaryIndexes"),
                                  false, err)
        || s_check_indexes_shape (
               s_field (request, "GlobalSecondaryIndexes"), true, err)
        || s_check_shape (s_field (request, "ZynPartitions"), S_LONG, err)
        || s_check_shape (s_field (request, "ZynItemCollectionLimit"),
                          S_LONG, err))
        return -1;
    zyn_value_t *attrs = s_field (request, "AttributeDefinitions");
    if (s_check_shape (attrs, S_LIST, err))
        return -1;
    for (size_t i = 0; attrs && i < zyn_value_size (attrs); i++) {
        zyn_value_t *attr = zyn_value_list_get (attrs, i);
        if (s_check_shape (attr, S_STRUCT, err)
            || s_check_shape (s_field (attr, "AttributeName"), S_STRING, err)
            || s_check_shape (s_field (attr, "AttributeType"), S_STRING,
                              err))
            return -1;
    }
    zyn_value_t *stream = s_field (request, "StreamSpecification");
    if (s_check_shape (stream, S_STRUCT, err)
        || s_check_shape (s_field (stream, "StreamEnabled"), S_BOOLEAN, err)
        || s_check_shape (s_field (stream, "StreamViewType"), S_STRING, err))
        return -1;
    return 0;
}

static bool
s_is_name_char (char c)
{
    return isalnum ((unsigned char) c) || c == '_' || c == '.' || c == '-';
}

//  Constraints of a table or index name at path
static void
s_check_name (s_constraints_t *constraints, const char *name,
              const char *path, bool required)
{
    if (!name) {
        if (required)
            s_constraint (constraints, NULL, path, "Member must not be null");
        return;
    }
    size_t length = strlen (name);
    bool pattern_ok = length > 0;
    for (size_t i = 0; i < length; i++)
        if (!s_is_name_char (name [i]))
            pattern_ok = false;
    if (!pattern_ok)
        s_constraint (constraints, name, path,
                      "Member must satisfy regular expression pattern: "
                      "[a-zA-Z0-9_.-]+");
    if (length < 3)
        s_constraint (constraints, name, path,
                      "Member must have length greater than or equal to 3");
    if (length > 255)
        s_constraint (constraints, name, path,
                      "Member must have length less than or equal to 255");
}

//  Render a KeySchema as DynamoDB's Java side prints it in a constraint
static void
s_render_key_schema (const zyn_value_t *schema, char *buf, size_t size)
{
    size_t used = (size_t) snprintf (buf, size, "[");
    for (size_t i = 0; i < zyn_value_size (schema) && used < size; i++) {
        zyn_value_t *element = zyn_value_list_get (schema, i);
        const char *name = s_field_s (element, "AttributeName");
        const char *key_type = s_field_s (element, "KeyType");
        used += (size_t) snprintf (buf + used, size - used,
                                   "%sKeySchemaElement(attributeName=%s, "
                                   "keyType=%s)",
                                   i ? ", " : "", name ? name : "null",
                                   key_type ? key_type : "null");
    }
    if (used < size)
        snprintf (buf + used, size - used, "]");
}

static void
s_check_key_schema_constraints (s_constraints_t *constraints,
                                const zyn_value_t *schema, const char *path)
{
    char element_path [300];
    if (!schema) {
        s_constraint (constraints, NULL, path, "Member must not be null");
        return;
    }
    char rendered [400];
    s_render_key_schema (schema, rendered, sizeof (rendered));
    if (zyn_value_size (schema) < 1)
        s_constraint (constraints, rendered, path,
                      "Member must have length greater than or equal to 1");
    if (zyn_value_size (schema) > 2)
        s_constraint (constraints, rendered, path,
                      "Member must have length less than or equal to 2");
    for (size_t i = 0; i < zyn_value_size (schema); i++) {
        zyn_value_t *element = zyn_value_list_get (schema, i);
        const char *name = s_field_s (element, "AttributeName");
        const char *key_type = s_field_s (element, "KeyType");
        if (!name) {
            snprintf (element_path, sizeof (element_path),
                      "%s.%zu.member.attributeName", path, i + 1);
            s_constraint (constraints, NULL, element_path,
                          "Member must not be null");
        }
        snprintf (element_path, sizeof (element_path),
                  "%s.%zu.member.keyType", path, i + 1);
        if (!key_type)
            s_constraint (constraints, NULL, element_path,
                          "Member must not be null");
        else
        if (!streq (key_type, "HASH") && !streq (key_type, "RANGE"))
            s_constraint (constraints, key_type, element_path,
                          "Member must satisfy enum value set: "
                          "[HASH, RANGE]");
    }
}

static void
s_check_throughput_constraints (s_constraints_t *constraints,
                                const zyn_value_t *throughput,
                                const char *path)
{
    const char *names [2] = { "ReadCapacityUnits", "WriteCapacityUnits" };
    const char *lower [2] = { "readCapacityUnits", "writeCapacityUnits" };
    for (int i = 0; i < 2; i++) {
        char field_path [300];
        snprintf (field_path, sizeof (field_path), "%s.%s", path, lower [i]);
        zyn_value_t *value = s_field (throughput, names [i]);
        if (!value)
            s_constraint (constraints, NULL, field_path,
                          "Member must not be null");
        else {
            int64_t units = 0;
            if (zyn_value_map_get_int (throughput, names [i], &units) == 0
                && units < 1)
                s_constraint (constraints, zyn_value_data (value),
                              field_path,
                              "Member must have value greater than or "
                              "equal to 1");
        }
    }
}

static void
s_check_index_constraints (s_constraints_t *constraints,
                           const zyn_value_t *indexes, const char *path,
                           bool global)
{
    for (size_t i = 0; i < zyn_value_size (indexes); i++) {
        zyn_value_t *index = zyn_value_list_get (indexes, i);
        char field_path [300];
        snprintf (field_path, sizeof (field_path), "%s.%zu.member.indexName",
                  path, i + 1);
        s_check_name (constraints, s_field_s (index, "IndexName"),
                      field_path, true);
        snprintf (field_path, sizeof (field_path), "%s.%zu.member.keySchema",
                  path, i + 1);
        s_check_key_schema_constraints (constraints,
                                        s_field (index, "KeySchema"),
                                        field_path);
        snprintf (field_path, sizeof (field_path),
                  "%s.%zu.member.projection", path, i + 1);
        zyn_value_t *projection = s_field (index, "Projection");
        if (!projection)
            s_constraint (constraints, NULL, field_path,
                          "Member must not be null");
        else {
            const char *projection_type
                = s_field_s (projection, "ProjectionType");
            if (projection_type && !streq (projection_type, "ALL")
                && !streq (projection_type, "INCLUDE")
                && !streq (projection_type, "KEYS_ONLY")) {
                snprintf (field_path, sizeof (field_path),
                          "%s.%zu.member.projection.projectionType", path,
                          i + 1);
                s_constraint (constraints, projection_type, field_path,
                              "Member must satisfy enum value set: "
                              "[ALL, INCLUDE, KEYS_ONLY]");
            }
        }
        zyn_value_t *throughput = s_field (index, "ProvisionedThroughput");
        if (global && throughput) {
            snprintf (field_path, sizeof (field_path),
                      "%s.%zu.member.provisionedThroughput", path, i + 1);
            s_check_throughput_constraints (constraints, throughput,
                                            field_path);
        }
    }
}

//  Pass 2: each parameter's constraints
static int
s_check_create_constraints (const zyn_value_t *request, zyn_error_t *err)
{
    s_constraints_t constraints = { 0 };
    zyn_value_t *attrs = s_field (request, "AttributeDefinitions");
    if (!attrs)
        s_constraint (&constraints, NULL, "attributeDefinitions",
                      "Member must not be null");
    for (size_t i = 0; attrs && i < zyn_value_size (attrs); i++) {
        zyn_value_t *attr = zyn_value_list_get (attrs, i);
        char path [100];
        if (!s_field_s (attr, "AttributeName")) {
            snprintf (path, sizeof (path),
                      "attributeDefinitions.%zu.member.attributeName", i + 1);
            s_constraint (&constraints, NULL, path,
                          "Member must not be null");
        }
        const char *attr_type = s_field_s (attr, "AttributeType");
        snprintf (path, sizeof (path),
                  "attributeDefinitions.%zu.member.attributeType", i + 1);
        if (!attr_type)
            s_constraint (&constraints, NULL, path,
                          "Member must not be null");
        else
        if (!streq (attr_type, "S") && !streq (attr_type, "N")
            && !streq (attr_type, "B"))
            s_constraint (&constraints, attr_type, path,
                          "Member must satisfy enum value set: [B, N, S]");
    }
    s_check_name (&constraints, s_field_s (request, "TableName"), "tableName",
                  true);
    s_check_key_schema_constraints (&constraints,
                                    s_field (request, "KeySchema"),
                                    "keySchema");
    zyn_value_t *lsis = s_field (request, "LocalSecondaryIndexes");
    if (lsis)
        s_check_index_constraints (&constraints, lsis,
                                   "localSecondaryIndexes", false);
    zyn_value_t *gsis = s_field (request, "GlobalSecondaryIndexes");
    if (gsis)
        s_check_index_constraints (&constraints, gsis,
                                   "globalSecondaryIndexes", true);
    const char *billing = s_field_s (request, "BillingMode");
    if (billing && !streq (billing, "PROVISIONED")
        && !streq (billing, "PAY_PER_REQUEST"))
        s_constraint (&constraints, billing, "billingMode",
                      "Member must satisfy enum value set: "
                      "[PROVISIONED, PAY_PER_REQUEST]");
    zyn_value_t *throughput = s_field (request, "ProvisionedThroughput");
    if (throughput)
        s_check_throughput_constraints (&constraints, throughput,
                                        "provisionedThroughput");
    const char *view_type = s_field_s (s_field (request,
                                                "StreamSpecification"),
                                       "StreamViewType");
    if (view_type && !streq (view_type, "NEW_IMAGE")
        && !streq (view_type, "OLD_IMAGE")
        && !streq (view_type, "NEW_AND_OLD_IMAGES")
        && !streq (view_type, "KEYS_ONLY"))
        s_constraint (&constraints, view_type,
                      "streamSpecification.streamViewType",
                      "Member must satisfy enum value set: [NEW_IMAGE, "
                      "OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]");
    return s_constraints_check (&constraints, err);
}

static bool
s_defined (const zyn_value_t *attrs, const char *name)
{
    for (size_t i = 0; i < zyn_value_size (attrs); i++) {
        const char *defined
            = s_field_s (zyn_value_list_get (attrs, i), "AttributeName");
        if (defined && name && streq (defined, name))
            return true;
    }
    return false;
}

//  "[a, b]" of the AttributeName fields of a list
static void
s_render_names (const zyn_value_t *list, char *buf, size_t size)
{
    size_t used = (size_t) snprintf (buf, size, "[");
    for (size_t i = 0; i < zyn_value_size (list) && used < size; i++) {
        const char *name
            = s_field_s (zyn_value_list_get (list, i), "AttributeName");
        used += (size_t) snprintf (buf + used, size - used, "%s%s",
                                   i ? ", " : "", name ? name : "null");
    }
    if (used < size)
        snprintf (buf + used, size - used, "]");
}

#define S_INVALID "One or more parameter values were invalid: "

//  The key schema rules shared by the table and its indexes
static int
s_check_key_schema_rules (const zyn_value_t *schema, const zyn_value_t *attrs,
                          zyn_error_t *err)
{
    for (size_t i = 0; i < zyn_value_size (schema); i++) {
        const char *name
            = s_field_s (zyn_value_list_get (schema, i), "AttributeName");
        if (!s_defined (attrs, name)) {
            char keys [200], defined [200];
            s_render_names (schema, keys, sizeof (keys));
            s_render_names (attrs, defined, sizeof (defined));
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "Some index key attributes are "
                                  "not defined in AttributeDefinitions. "
                                  "Keys: %s, AttributeDefinitions: %s",
                                  keys, defined);
        }
    }
    const char *first = s_field_s (zyn_value_list_get (schema, 0),
                                   "AttributeName");
    const char *first_type = s_field_s (zyn_value_list_get (schema, 0),
                                        "KeyType");
    if (zyn_value_size (schema) == 2) {
        const char *second = s_field_s (zyn_value_list_get (schema, 1),
                                        "AttributeName");
        if (first && second && streq (first, second))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Both the Hash Key and the Range Key "
                                  "element in the KeySchema have the same "
                                  "name");
    }
    if (!first_type || !streq (first_type, "HASH"))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid KeySchema: The first "
                              "KeySchemaElement is not a HASH key type");
    if (zyn_value_size (schema) == 2) {
        const char *second_type = s_field_s (zyn_value_list_get (schema, 1),
                                             "KeyType");
        if (!second_type || !streq (second_type, "RANGE"))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Invalid KeySchema: The second "
                                  "KeySchemaElement is not a RANGE key "
                                  "type");
    }
    return 0;
}

static int
s_check_projection (const zyn_value_t *index, zyn_error_t *err)
{
    zyn_value_t *projection = s_field (index, "Projection");
    const char *projection_type = s_field_s (projection, "ProjectionType");
    if (!projection_type)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              S_INVALID "Unknown ProjectionType: null");
    if (s_field (projection, "NonKeyAttributes")
        && !streq (projection_type, "INCLUDE"))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              S_INVALID "ProjectionType is %s, but "
                              "NonKeyAttributes is specified",
                              projection_type);
    return 0;
}

//  Pass 3, indexes
static int
s_check_index_rules (const zyn_value_t *request, zhashx_t *index_names,
                     zyn_error_t *err)
{
    zyn_value_t *attrs = s_field (request, "AttributeDefinitions");
    zyn_value_t *schema = s_field (request, "KeySchema");
    const char *table_hash
        = s_field_s (zyn_value_list_get (schema, 0), "AttributeName");
    const char *billing = s_field_s (request, "BillingMode");
    zyn_value_t *lsis = s_field (request, "LocalSecondaryIndexes");
    if (lsis) {
        if (zyn_value_size (lsis) == 0)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "List of LocalSecondaryIndexes "
                                  "is empty");
        if (zyn_value_size (schema) != 2)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "Table KeySchema does not have a "
                                  "range key, which is required when "
                                  "specifying a LocalSecondaryIndex");
        for (size_t i = 0; i < zyn_value_size (lsis); i++) {
            zyn_value_t *index = zyn_value_list_get (lsis, i);
            const char *index_name = s_field_s (index, "IndexName");
            zyn_value_t *index_schema = s_field (index, "KeySchema");
            if (s_check_key_schema_rules (index_schema, attrs, err))
                return -1;
            if (zyn_value_size (index_schema) != 2)
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "Index KeySchema does not "
                                      "have a range key for index: %s",
                                      index_name);
            const char *index_hash = s_field_s (
                zyn_value_list_get (index_schema, 0), "AttributeName");
            if (!streq (index_hash, table_hash))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "Index KeySchema does not "
                                      "have the same leading hash key as "
                                      "table KeySchema for index: %s. index "
                                      "hash key: %s, table hash key: %s",
                                      index_name, index_hash, table_hash);
            if (s_check_projection (index, err))
                return -1;
            if (zhashx_lookup (index_names, index_name))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "Duplicate index name: %s",
                                      index_name);
            zhashx_insert (index_names, index_name, (void *) index_name);
        }
        if (zyn_value_size (lsis) > 5)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "Number of LocalSecondaryIndexes "
                                  "exceeds per-table limit of 5");
    }
    zyn_value_t *gsis = s_field (request, "GlobalSecondaryIndexes");
    if (gsis) {
        if (zyn_value_size (gsis) == 0)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "List of GlobalSecondaryIndexes "
                                  "is empty");
        for (size_t i = 0; i < zyn_value_size (gsis); i++) {
            zyn_value_t *index = zyn_value_list_get (gsis, i);
            const char *index_name = s_field_s (index, "IndexName");
            if (s_check_key_schema_rules (s_field (index, "KeySchema"), attrs,
                                          err)
                || s_check_projection (index, err))
                return -1;
            bool on_demand = billing && streq (billing, "PAY_PER_REQUEST");
            if (on_demand && s_field (index, "ProvisionedThroughput"))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "ProvisionedThroughput should "
                                      "not be specified for index: %s when "
                                      "BillingMode is PAY_PER_REQUEST",
                                      index_name);
            if (!on_demand && !s_field (index, "ProvisionedThroughput"))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "ProvisionedThroughput must "
                                      "be specified for index: %s",
                                      index_name);
            if (zhashx_lookup (index_names, index_name))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "Duplicate index name: %s",
                                      index_name);
            zhashx_insert (index_names, index_name, (void *) index_name);
        }
        if (zyn_value_size (gsis) > 20)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "GlobalSecondaryIndex count "
                                  "exceeds the per-table limit of 20");
    }
    //  DynamoDB caps the NonKeyAttributes of all indexes together
    size_t projected = 0;
    zyn_value_t *lists [2] = { lsis, gsis };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists [l] && i < zyn_value_size (lists [l]);
             i++) {
            zyn_value_t *attributes = s_field (
                s_field (zyn_value_list_get (lists [l], i), "Projection"),
                "NonKeyAttributes");
            projected += attributes ? zyn_value_size (attributes) : 0;
        }
    if (projected > 100)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              S_INVALID "Number of projected attributes in "
                              "all indexes exceeds limit of 100, number of "
                              "projected attributes:%zu",
                              projected);
    return 0;
}

//  True if some index key uses name
static bool
s_index_uses (const zyn_value_t *request, const char *name)
{
    const char *lists [2] = { "LocalSecondaryIndexes",
                              "GlobalSecondaryIndexes" };
    for (int l = 0; l < 2; l++) {
        zyn_value_t *indexes = s_field (request, lists [l]);
        for (size_t i = 0; indexes && i < zyn_value_size (indexes); i++) {
            zyn_value_t *schema
                = s_field (zyn_value_list_get (indexes, i), "KeySchema");
            for (size_t j = 0; schema && j < zyn_value_size (schema); j++) {
                const char *key = s_field_s (zyn_value_list_get (schema, j),
                                             "AttributeName");
                if (key && streq (key, name))
                    return true;
            }
        }
    }
    return false;
}

static int
s_compare_strings (void *item1, void *item2)
{
    return strcmp ((const char *) item1, (const char *) item2);
}

//  "[a, b]" of the distinct key attribute names of the table and indexes
static void
s_render_keys_used (const zyn_value_t *request, char *buf, size_t size)
{
    zlist_t *names = zlist_new ();
    zlist_comparefn (names, s_compare_strings);
    zyn_value_t *schemas [1 + 2 * 32];
    size_t schema_count = 0;
    schemas [schema_count++] = s_field (request, "KeySchema");
    const char *lists [2] = { "LocalSecondaryIndexes",
                              "GlobalSecondaryIndexes" };
    for (int l = 0; l < 2; l++) {
        zyn_value_t *indexes = s_field (request, lists [l]);
        for (size_t i = 0; indexes && i < zyn_value_size (indexes)
                           && schema_count < 1 + 2 * 32; i++)
            schemas [schema_count++]
                = s_field (zyn_value_list_get (indexes, i), "KeySchema");
    }
    size_t used = (size_t) snprintf (buf, size, "[");
    for (size_t s = 0; s < schema_count; s++) {
        for (size_t j = 0; schemas [s] && j < zyn_value_size (schemas [s]);
             j++) {
            const char *key = s_field_s (zyn_value_list_get (schemas [s], j),
                                         "AttributeName");
            if (!key || zlist_exists (names, (void *) key))
                continue;
            zlist_append (names, (void *) key);
            if (used < size)
                used += (size_t) snprintf (buf + used, size - used, "%s%s",
                                           zlist_size (names) > 1 ? ", " : "",
                                           key);
        }
    }
    if (used < size)
        snprintf (buf + used, size - used, "]");
    zlist_destroy (&names);
}

//  Pass 3: the rules between parameters
static int
s_check_create_rules (const zyn_value_t *request, zyn_error_t *err)
{
    const char *billing = s_field_s (request, "BillingMode");
    zyn_value_t *throughput = s_field (request, "ProvisionedThroughput");
    if (billing && streq (billing, "PAY_PER_REQUEST")) {
        if (throughput)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "Neither ReadCapacityUnits nor "
                                  "WriteCapacityUnits can be specified when "
                                  "BillingMode is PAY_PER_REQUEST");
    }
    else {
        if (!throughput)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "No provisioned throughput specified for "
                                  "the table");
        const char *names [2] = { "ReadCapacityUnits", "WriteCapacityUnits" };
        for (int i = 0; i < 2; i++) {
            int64_t units = 0;
            if (zyn_value_map_get_int (throughput, names [i], &units)
                || units > 1000000000000LL)
                return zyn_error_set (
                    err, ZYN_ERR_VALIDATION,
                    "Given value %s for %s is out of bounds",
                    zyn_value_data (zyn_value_map_get (throughput,
                                                       names [i])),
                    names [i]);
        }
    }
    zyn_value_t *attrs = s_field (request, "AttributeDefinitions");
    zyn_value_t *schema = s_field (request, "KeySchema");
    if (zyn_value_size (schema) > zyn_value_size (attrs))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid KeySchema: Some index key attribute "
                              "have no definition");
    if (s_check_key_schema_rules (schema, attrs, err))
        return -1;

    //  Every definition must be used by a key, and each defined once
    for (size_t i = 0; i < zyn_value_size (attrs); i++) {
        const char *name
            = s_field_s (zyn_value_list_get (attrs, i), "AttributeName");
        for (size_t j = 0; j < i; j++) {
            const char *other
                = s_field_s (zyn_value_list_get (attrs, j), "AttributeName");
            if (streq (name, other))
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      "Cannot have two attributes with the "
                                      "same name");
        }
    }
    bool has_indexes = s_field (request, "LocalSecondaryIndexes")
                    || s_field (request, "GlobalSecondaryIndexes");
    if (!has_indexes && zyn_value_size (schema) != zyn_value_size (attrs))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              S_INVALID "Number of attributes in KeySchema "
                              "does not exactly match number of attributes "
                              "defined in AttributeDefinitions");

    zhashx_t *index_names = zhashx_new ();
    int rc = s_check_index_rules (request, index_names, err);
    zhashx_destroy (&index_names);
    if (rc)
        return -1;
    if (has_indexes) {
        for (size_t i = 0; i < zyn_value_size (attrs); i++) {
            const char *name
                = s_field_s (zyn_value_list_get (attrs, i), "AttributeName");
            bool in_table = false;
            for (size_t j = 0; j < zyn_value_size (schema); j++) {
                const char *key = s_field_s (zyn_value_list_get (schema, j),
                                             "AttributeName");
                if (key && streq (key, name))
                    in_table = true;
            }
            if (!in_table && !s_index_uses (request, name)) {
                char defined [200], used [200];
                s_render_names (attrs, defined, sizeof (defined));
                s_render_keys_used (request, used, sizeof (used));
                return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                      S_INVALID "Some AttributeDefinitions "
                                      "are not used. AttributeDefinitions: "
                                      "%s, keys used: %s", defined, used);
            }
        }
    }
    zyn_value_t *stream = s_field (request, "StreamSpecification");
    if (stream) {
        zyn_value_t *enabled = s_field (stream, "StreamEnabled");
        const char *view_type = s_field_s (stream, "StreamViewType");
        if (!enabled)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "1 validation error detected: Value null at "
                                  "'streamSpecification.streamEnabled' "
                                  "failed to satisfy constraint: Member must "
                                  "not be null");
        if (zyn_value_bool (enabled) && !view_type)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "You must specify a "
                                  "StreamViewType when you enable a "
                                  "DynamoDB stream");
        if (!zyn_value_bool (enabled) && view_type)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  S_INVALID "You cannot specify a "
                                  "StreamViewType when you disable a "
                                  "DynamoDB stream");
    }
    zyn_value_t *partitions = s_field (request, "ZynPartitions");
    if (partitions) {
        int64_t count = 0;
        if (zyn_value_map_get_int (request, "ZynPartitions", &count)
            || count < 1 || count > ZYN_TABLES_PARTITIONS_MAX)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "ZynPartitions must be between 1 and %d",
                                  ZYN_TABLES_PARTITIONS_MAX);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Check a CreateTable request as DynamoDB does

int
zyn_tables_check_create (const zyn_value_t *request, zyn_error_t *err)
{
    if (!request || zyn_value_type (request) != ZYN_TYPE_M)
        return zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                              "Request body must be a map");
    if (s_check_create_shapes (request, err)
        || s_check_create_constraints (request, err)
        || s_check_create_rules (request, err))
        return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  The definition the catalog stores for a checked CreateTable request

zyn_value_t *
zyn_tables_definition (const zyn_value_t *request)
{
    static const char *names [] = {
        "KeySchema", "AttributeDefinitions", "LocalSecondaryIndexes",
        "GlobalSecondaryIndexes", "BillingMode", "ProvisionedThroughput",
        "StreamSpecification", "ZynItemCollectionLimit", NULL
    };
    zyn_value_t *definition = zyn_value_new_m ();
    for (int i = 0; names [i]; i++) {
        zyn_value_t *value = s_field (request, names [i]);
        if (value) {
            zyn_value_t *copy = zyn_value_dup (value);
            zyn_value_map_put (definition, names [i], &copy);
        }
    }
    return definition;
}

//  --------------------------------------------------------------------------
//  The TableName of any request, checked as DynamoDB checks it

const char *
zyn_tables_name (const zyn_value_t *request, zyn_error_t *err)
{
    if (!request || zyn_value_type (request) != ZYN_TYPE_M) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "Request body must be a map");
        return NULL;
    }
    if (s_check_shape (s_field (request, "TableName"), S_STRING, err))
        return NULL;
    const char *name = s_field_s (request, "TableName");
    s_constraints_t constraints = { 0 };
    s_check_name (&constraints, name, "tableName", true);
    if (s_constraints_check (&constraints, err))
        return NULL;
    return name;
}

//  Epoch seconds with milliseconds, as DynamoDB gives CreationDateTime
static zyn_value_t *
s_epoch_seconds (int64_t msecs)
{
    char text [40];
    snprintf (text, sizeof (text), "%" PRId64 ".%03d", msecs / 1000,
              (int) (msecs % 1000));
    zyn_value_t *value = zyn_value_new_n (text, NULL);
    return value ? value : zyn_value_new_n_int (msecs / 1000);
}

static void
s_put_copy (zyn_value_t *map, const char *name, const zyn_value_t *value)
{
    if (value) {
        zyn_value_t *copy = zyn_value_dup (value);
        zyn_value_map_put (map, name, &copy);
    }
}

static void
s_put_int_from (zyn_value_t *map, const char *name, const zyn_value_t *from,
                const char *from_name)
{
    int64_t number = 0;
    if (from)
        zyn_value_map_get_int (from, from_name, &number);
    zyn_value_map_put_int (map, name, number);
}

static zyn_value_t *
s_describe_throughput (const zyn_value_t *given)
{
    zyn_value_t *throughput = zyn_value_new_m ();
    zyn_value_map_put_int (throughput, "NumberOfDecreasesToday", 0);
    s_put_int_from (throughput, "ReadCapacityUnits", given,
                    "ReadCapacityUnits");
    s_put_int_from (throughput, "WriteCapacityUnits", given,
                    "WriteCapacityUnits");
    return throughput;
}

static zyn_value_t *
s_describe_indexes (const zyn_value_t *indexes, const char *table_arn,
                    bool global)
{
    zyn_value_t *list = zyn_value_new_l ();
    for (size_t i = 0; i < zyn_value_size (indexes); i++) {
        zyn_value_t *given = zyn_value_list_get (indexes, i);
        zyn_value_t *index = zyn_value_new_m ();
        const char *index_name = s_field_s (given, "IndexName");
        zyn_value_map_put_s (index, "IndexName", index_name);
        s_put_copy (index, "KeySchema", s_field (given, "KeySchema"));
        s_put_copy (index, "Projection", s_field (given, "Projection"));
        if (global) {
            //  The broker sets IndexStatus (zyn_broker_gsi_refresh)
            const char *status = s_field_s (given, "IndexStatus");
            zyn_value_map_put_s (index, "IndexStatus",
                                 status ? status : "ACTIVE");
            zyn_value_t *backfilling = s_field (given, "ZynBackfilling");
            if (backfilling && zyn_value_bool (backfilling))
                zyn_value_map_put_bool (index, "Backfilling", true);
            zyn_value_t *throughput = s_describe_throughput (
                s_field (given, "ProvisionedThroughput"));
            zyn_value_map_put (index, "ProvisionedThroughput", &throughput);
        }
        zyn_value_map_put_int (index, "IndexSizeBytes", 0);
        //  A global index's count: its hidden table's (zyn_broker_gsi_refresh)
        int64_t item_count = 0;
        if (s_field (given, "ZynItemCount"))
            zyn_value_map_get_int (given, "ZynItemCount", &item_count);
        zyn_value_map_put_int (index, "ItemCount", item_count);
        char arn [600];
        snprintf (arn, sizeof (arn), "%s/index/%s", table_arn, index_name);
        zyn_value_map_put_s (index, "IndexArn", arn);
        zyn_value_list_append (list, &index);
    }
    return list;
}

//  --------------------------------------------------------------------------
//  DynamoDB's TableDescription of table

zyn_value_t *
zyn_tables_describe (zyn_table_t *table, const char *region)
{
    assert (table);
    zyn_value_t *definition = table->definition;
    zyn_value_t *description = zyn_value_new_m ();
    s_put_copy (description, "AttributeDefinitions",
                s_field (definition, "AttributeDefinitions"));
    zyn_value_map_put_s (description, "TableName", table->name);
    s_put_copy (description, "KeySchema", s_field (definition, "KeySchema"));
    zyn_value_map_put_s (description, "TableStatus",
                         zyn_table_status_name (table->status));
    zyn_value_t *value = s_epoch_seconds (table->created_msecs);
    zyn_value_map_put (description, "CreationDateTime", &value);

    const char *billing = s_field_s (definition, "BillingMode");
    bool on_demand = billing && streq (billing, "PAY_PER_REQUEST");
    value = s_describe_throughput (
        s_field (definition, "ProvisionedThroughput"));
    zyn_value_map_put (description, "ProvisionedThroughput", &value);
    //  As the workers last reported them (every heartbeat; DynamoDB's are
    //  about six hours old)
    int64_t items = 0, bytes = 0;
    for (uint32_t i = 0; i < table->partition_count; i++) {
        items += table->partitions [i].item_count;
        bytes += table->partitions [i].size_bytes;
    }
    zyn_value_map_put_int (description, "TableSizeBytes", bytes);
    zyn_value_map_put_int (description, "ItemCount", items);

    char arn [400];
    snprintf (arn, sizeof (arn), "arn:aws:dynamodb:%s:000000000000:table/%s",
              region, table->name);
    zyn_value_map_put_s (description, "TableArn", arn);
    char table_id [40];
    snprintf (table_id, sizeof (table_id), "00000000-0000-4000-8000-%012"
              PRIx64, (uint64_t) (table->id & 0xffffffffffffULL));
    zyn_value_map_put_s (description, "TableId", table_id);
    if (on_demand) {
        zyn_value_t *summary = zyn_value_new_m ();
        zyn_value_map_put_s (summary, "BillingMode", "PAY_PER_REQUEST");
        value = s_epoch_seconds (table->created_msecs);
        zyn_value_map_put (summary, "LastUpdateToPayPerRequestDateTime",
                           &value);
        zyn_value_map_put (description, "BillingModeSummary", &summary);
    }
    zyn_value_t *lsis = s_field (definition, "LocalSecondaryIndexes");
    if (lsis) {
        value = s_describe_indexes (lsis, arn, false);
        zyn_value_map_put (description, "LocalSecondaryIndexes", &value);
    }
    zyn_value_t *gsis = s_field (definition, "GlobalSecondaryIndexes");
    if (gsis) {
        value = s_describe_indexes (gsis, arn, true);
        zyn_value_map_put (description, "GlobalSecondaryIndexes", &value);
    }
    zyn_value_t *stream = s_field (definition, "StreamSpecification");
    zyn_value_t *enabled = s_field (stream, "StreamEnabled");
    if (enabled && zyn_value_bool (enabled)) {
        s_put_copy (description, "StreamSpecification", stream);
        //  The stream label is the creation time, as DynamoDB's is
        time_t seconds = (time_t) (table->created_msecs / 1000);
        struct tm tm;
        gmtime_r (&seconds, &tm);
        char label [64];
        snprintf (label, sizeof (label), "%04d-%02d-%02dT%02d:%02d:%02d.%03d",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec, (int) (table->created_msecs % 1000));
        zyn_value_map_put_s (description, "LatestStreamLabel", label);
        char stream_arn [500];
        snprintf (stream_arn, sizeof (stream_arn), "%s/stream/%s", arn,
                  label);
        zyn_value_map_put_s (description, "LatestStreamArn", stream_arn);
    }
    return description;
}

//  --------------------------------------------------------------------------
//  Answer a ListTables request

zyn_value_t *
zyn_tables_list (zyn_catalog_t *catalog, const zyn_value_t *request,
                 zyn_error_t *err)
{
    if (!request || zyn_value_type (request) != ZYN_TYPE_M) {
        zyn_error_set (err, ZYN_ERR_SERIALIZATION,
                       "Request body must be a map");
        return NULL;
    }
    zyn_value_t *limit_value = s_field (request, "Limit");
    zyn_value_t *start_value = s_field (request, "ExclusiveStartTableName");
    if (s_check_shape (limit_value, S_LONG, err)
        || s_check_shape (start_value, S_STRING, err))
        return NULL;
    s_constraints_t constraints = { 0 };
    const char *start = s_field_s (request, "ExclusiveStartTableName");
    s_check_name (&constraints, start, "exclusiveStartTableName", false);
    int64_t limit = 100;
    if (limit_value) {
        if (zyn_value_map_get_int (request, "Limit", &limit))
            limit = zyn_value_data (limit_value) [0] == '-' ? 0 : 101;
        if (limit < 1)
            s_constraint (&constraints, zyn_value_data (limit_value), "limit",
                          "Member must have value greater than or equal "
                          "to 1");
        else
        if (limit > 100)
            s_constraint (&constraints, zyn_value_data (limit_value), "limit",
                          "Member must have value less than or equal to "
                          "100");
    }
    if (s_constraints_check (&constraints, err))
        return NULL;

    zyn_value_t *response = zyn_value_new_m ();
    zyn_value_t *names = zyn_value_new_l ();
    zlist_t *all = zyn_catalog_names (catalog);
    const char *name = (const char *) zlist_first (all);
    const char *last = NULL;
    while (name) {
        //  Hidden tables (global secondary indexes) have a '/' in the name
        if (strchr (name, '/'))
            ;
        else
        if (!start || strcmp (name, start) > 0) {
            if ((int64_t) zyn_value_size (names) == limit)
                break;
            zyn_value_t *entry = zyn_value_new_s (name);
            zyn_value_list_append (names, &entry);
            last = name;
        }
        name = (const char *) zlist_next (all);
    }
    zyn_value_map_put (response, "TableNames", &names);
    if (name && last)
        zyn_value_map_put_s (response, "LastEvaluatedTableName", last);
    zlist_destroy (&all);
    return response;
}

//  --------------------------------------------------------------------------
//  The ASSIGN body for partition of table

zyn_value_t *
zyn_tables_assign_body (zyn_table_t *table, zyn_partition_info_t *partition)
{
    assert (table);
    assert (partition);
    zyn_value_t *body = zyn_value_new_m ();
    zyn_value_map_put_int (body, "TableId", (int64_t) table->id);
    zyn_value_map_put_s (body, "TableName", table->name);
    zyn_value_map_put_int (body, "PartitionId", partition->id);
    uint8_t hash [8];
    zyn_put_u64 (hash, partition->hash_start);
    zyn_value_t *value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (body, "HashStart", &value);
    zyn_put_u64 (hash, partition->hash_end);
    value = zyn_value_new_b (hash, 8);
    zyn_value_map_put (body, "HashEnd", &value);
    s_put_copy (body, "KeySchema", s_field (table->definition, "KeySchema"));
    s_put_copy (body, "AttributeDefinitions",
                s_field (table->definition, "AttributeDefinitions"));
    s_put_copy (body, "LocalSecondaryIndexes",
                s_field (table->definition, "LocalSecondaryIndexes"));
    s_put_copy (body, "ZynItemCollectionLimit",
                s_field (table->definition, "ZynItemCollectionLimit"));
    //  The key schema of the global indexes, which the worker checks
    //  writes against (their types are in AttributeDefinitions)
    zyn_value_t *gsis = s_field (table->definition, "GlobalSecondaryIndexes");
    if (gsis && zyn_value_type (gsis) == ZYN_TYPE_L) {
        zyn_value_t *keys = zyn_value_new_l ();
        for (size_t i = 0; i < zyn_value_size (gsis); i++) {
            zyn_value_t *gsi = zyn_value_list_get (gsis, i);
            zyn_value_t *entry = zyn_value_new_m ();
            s_put_copy (entry, "IndexName", s_field (gsi, "IndexName"));
            s_put_copy (entry, "KeySchema", s_field (gsi, "KeySchema"));
            zyn_value_list_append (keys, &entry);
        }
        zyn_value_map_put (body, "GlobalSecondaryIndexes", &keys);
    }
    //  The change log always keeps both images: consumers inside zynamo
    //  (indexer, replicator) need them whatever the table's stream shows
    zyn_value_t *stream = s_field (table->definition, "StreamSpecification");
    const char *view_type = s_field_s (stream, "StreamViewType");
    zyn_value_map_put_s (body, "StreamViewType",
                         view_type ? view_type : "NEW_AND_OLD_IMAGES");
    return body;
}
