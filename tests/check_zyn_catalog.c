/*  =========================================================================
    check_zyn_catalog - Check suite for the broker's catalog, partition map
    and table requests (zyn_catalog, zyn_router, zyn_tables)
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_catalog.h"
#include "zyn_router.h"
#include "zyn_tables.h"
#include "zyn_scatter.h"
//  zyn_testutil.h's path buffers trip -Wformat-truncation when inlined
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "../tests/zyn_testutil.h"
#include "../tests/zyn_brokertest.h"

#define SIMPLE_TABLE                                                        \
    "{\"TableName\":\"%s\",\"KeySchema\":[{\"AttributeName\":\"pk\","       \
    "\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":"  \
    "\"pk\",\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"

#define COMPOSITE_TABLE                                                     \
    "{\"TableName\":\"%s\",\"KeySchema\":[{\"AttributeName\":\"pk\","       \
    "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":"          \
    "\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","      \
    "\"AttributeType\":\"N\"},{\"AttributeName\":\"sk\",\"AttributeType\":" \
    "\"S\"}],\"ProvisionedThroughput\":{\"ReadCapacityUnits\":5,"           \
    "\"WriteCapacityUnits\":7}}"

static zyn_table_t *
s_create (zyn_catalog_t *catalog, const char *format, const char *name,
          uint32_t partitions, const char **workers)
{
    char json [1024];
    snprintf (json, sizeof (json), format, name);
    zyn_value_t *request = s_request (json);
    zyn_error_t err = { 0 };
    ck_assert_msg (zyn_tables_check_create (request, &err) == 0,
                   "create %s: %s", name, err.message);
    zyn_value_t *definition = zyn_tables_definition (request);
    zyn_value_destroy (&request);
    zyn_table_t *table = zyn_catalog_create (catalog, name, &definition,
                                             partitions, workers, &err);
    ck_assert_ptr_null (definition);
    ck_assert_msg (table, "create %s: %s", name, err.message);
    return table;
}

//  --------------------------------------------------------------------------

START_TEST (test_persistence)
{
    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-persist");
    zyn_error_t err = { 0 };
    zyn_catalog_t *catalog = zyn_catalog_new (dir, &err);
    ck_assert_ptr_nonnull (catalog);
    ck_assert_int_eq (zyn_catalog_size (catalog), 0);
    const char *workers [] = { "w1", "w2", NULL };
    zyn_table_t *table = s_create (catalog, SIMPLE_TABLE, "alpha", 4, workers);
    ck_assert_int_eq (table->id, 1);
    ck_assert_int_eq (table->status, ZYN_TABLE_CREATING);
    ck_assert_str_eq (table->pk_name, "pk");
    ck_assert_int_eq (table->pk_type, ZYN_TYPE_S);
    ck_assert_ptr_null (table->sk_name);
    ck_assert_str_eq (table->partitions [0].worker_id, "w1");
    ck_assert_str_eq (table->partitions [1].worker_id, "w2");
    ck_assert_str_eq (table->partitions [2].worker_id, "w1");
    ck_assert_str_eq (table->partitions [3].worker_id, "w2");
    ck_assert_int_eq (zyn_catalog_set_status (catalog, table,
                                              ZYN_TABLE_ACTIVE, &err), 0);
    int64_t created = table->created_msecs;

    table = s_create (catalog, COMPOSITE_TABLE, "beta", 3, NULL);
    ck_assert_int_eq (table->id, 2);
    ck_assert_str_eq (table->sk_name, "sk");
    ck_assert_int_eq (table->pk_type, ZYN_TYPE_N);
    ck_assert_str_eq (table->partitions [2].worker_id, "");
    //  A partition handed to a worker later is stored too
    free (table->partitions [2].worker_id);
    table->partitions [2].worker_id = strdup ("w9");
    ck_assert_int_eq (zyn_catalog_save (catalog, table, &err), 0);

    //  Same name again
    char json [1024];
    snprintf (json, sizeof (json), SIMPLE_TABLE, "alpha");
    zyn_value_t *request = s_request (json);
    zyn_value_t *definition = zyn_tables_definition (request);
    zyn_value_destroy (&request);
    ck_assert_ptr_null (zyn_catalog_create (catalog, "alpha", &definition, 2,
                                            NULL, &err));
    ck_assert_ptr_null (definition);
    ck_assert_int_eq (err.type, ZYN_ERR_RESOURCE_IN_USE);
    ck_assert_str_eq (err.message, "Table already exists: alpha");
    zyn_catalog_destroy (&catalog);
    ck_assert_ptr_null (catalog);

    //  Reopen: everything is back, run-time state is not
    catalog = zyn_catalog_new (dir, &err);
    ck_assert_ptr_nonnull (catalog);
    ck_assert_int_eq (zyn_catalog_size (catalog), 2);
    ck_assert_int_eq (zyn_catalog_next_id (catalog), 3);
    table = zyn_catalog_lookup (catalog, "alpha");
    ck_assert_ptr_nonnull (table);
    ck_assert_int_eq (table->id, 1);
    ck_assert_int_eq (table->status, ZYN_TABLE_ACTIVE);
    ck_assert_int_eq (table->created_msecs, created);
    ck_assert_int_eq (table->partition_count, 4);
    ck_assert_str_eq (table->partitions [3].worker_id, "w2");
    ck_assert (!table->partitions [0].assigned);
    ck_assert (zyn_router_is_complete (table));
    table = zyn_catalog_lookup_id (catalog, 2);
    ck_assert_ptr_nonnull (table);
    ck_assert_str_eq (table->name, "beta");
    ck_assert_int_eq (table->status, ZYN_TABLE_CREATING);
    ck_assert_str_eq (table->sk_name, "sk");
    ck_assert_int_eq (table->sk_type, ZYN_TYPE_S);
    ck_assert_str_eq (table->partitions [2].worker_id, "w9");
    ck_assert_ptr_nonnull (zyn_catalog_partition (table, 2));
    ck_assert_ptr_null (zyn_catalog_partition (table, 3));
    ck_assert_ptr_null (zyn_catalog_lookup (catalog, "gamma"));
    ck_assert_ptr_null (zyn_catalog_lookup_id (catalog, 3));

    //  Names come sorted bytewise
    s_create (catalog, SIMPLE_TABLE, "Zeta", 1, NULL);
    s_create (catalog, SIMPLE_TABLE, "a.b-c_d", 1, NULL);
    zlist_t *names = zyn_catalog_names (catalog);
    ck_assert_int_eq (zlist_size (names), 4);
    ck_assert_str_eq ((char *) zlist_first (names), "Zeta");
    ck_assert_str_eq ((char *) zlist_next (names), "a.b-c_d");
    ck_assert_str_eq ((char *) zlist_next (names), "alpha");
    ck_assert_str_eq ((char *) zlist_next (names), "beta");
    zlist_destroy (&names);
    zyn_catalog_destroy (&catalog);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_ids_never_reused)
{
    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-ids");
    zyn_error_t err = { 0 };
    zyn_catalog_t *catalog = zyn_catalog_new (dir, &err);
    zyn_table_t *table = s_create (catalog, SIMPLE_TABLE, "one", 1, NULL);
    ck_assert_int_eq (table->id, 1);
    ck_assert_int_eq (zyn_catalog_set_status (catalog, table,
                                              ZYN_TABLE_DELETING, &err), 0);
    ck_assert_int_eq (zyn_catalog_remove (catalog, table, &err), 0);
    ck_assert_ptr_null (zyn_catalog_lookup (catalog, "one"));
    table = s_create (catalog, SIMPLE_TABLE, "one", 1, NULL);
    ck_assert_int_eq (table->id, 2);
    ck_assert_int_eq (zyn_catalog_remove (catalog, table, &err), 0);
    zyn_catalog_destroy (&catalog);

    //  The counter survives even when no table is left to remember it
    catalog = zyn_catalog_new (dir, &err);
    ck_assert_int_eq (zyn_catalog_size (catalog), 0);
    table = s_create (catalog, SIMPLE_TABLE, "one", 1, NULL);
    ck_assert_int_eq (table->id, 3);
    zyn_catalog_destroy (&catalog);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_unusable_store)
{
    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-bad");
    char path [2200];
    snprintf (path, sizeof (path), "%s/file", dir);
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    //  A path under a plain file cannot be a directory
    snprintf (path, sizeof (path), "%s/file/catalog", dir);
    zyn_error_t err = { 0 };
    ck_assert_ptr_null (zyn_catalog_new (path, &err));
    ck_assert_int_eq (err.type, ZYN_ERR_INTERNAL);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------

START_TEST (test_ranges)
{
    uint64_t start, end;
    zyn_router_slice (1, 0, &start, &end);
    ck_assert_uint_eq (start, 0);
    ck_assert_uint_eq (end, UINT64_MAX);
    zyn_router_slice (4, 0, &start, &end);
    ck_assert_uint_eq (start, 0);
    ck_assert_uint_eq (end, 0x3fffffffffffffffULL);
    zyn_router_slice (4, 1, &start, &end);
    ck_assert_uint_eq (start, 0x4000000000000000ULL);
    ck_assert_uint_eq (end, 0x7fffffffffffffffULL);
    zyn_router_slice (4, 3, &start, &end);
    ck_assert_uint_eq (start, 0xc000000000000000ULL);
    ck_assert_uint_eq (end, UINT64_MAX);
    zyn_router_slice (3, 1, &start, &end);
    ck_assert_uint_eq (start, 0x5555555555555555ULL);
    ck_assert_uint_eq (end, 0xaaaaaaaaaaaaaaa9ULL);

    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-ranges");
    zyn_error_t err = { 0 };
    zyn_catalog_t *catalog = zyn_catalog_new (dir, &err);
    uint32_t counts [] = { 1, 2, 3, 4, 7, 16, 256 };
    for (size_t c = 0; c < sizeof (counts) / sizeof (counts [0]); c++) {
        char name [32];
        snprintf (name, sizeof (name), "tab%u", counts [c]);
        zyn_table_t *table = s_create (catalog, SIMPLE_TABLE, name,
                                       counts [c], NULL);
        ck_assert_int_eq (table->partition_count, counts [c]);
        ck_assert (zyn_router_is_complete (table));
        for (uint32_t i = 0; i < table->partition_count; i++) {
            zyn_partition_info_t *partition = &table->partitions [i];
            ck_assert_int_eq (partition->id, i);
            //  Edges of every range route to it
            ck_assert_ptr_eq (zyn_router_lookup (table, partition->hash_start),
                              partition);
            ck_assert_ptr_eq (zyn_router_lookup (table, partition->hash_end),
                              partition);
            ck_assert_int_eq (zyn_router_index (table, partition->hash_end),
                              i);
            if (i + 1 < table->partition_count)
                ck_assert_int_eq (
                    zyn_router_index (table, partition->hash_end + 1), i + 1);
        }
        ck_assert_int_eq (zyn_router_index (table, 0), 0);
        ck_assert_int_eq (zyn_router_index (table, UINT64_MAX),
                          table->partition_count - 1);
    }
    //  A gap or an overlap is caught
    zyn_table_t *table = zyn_catalog_lookup (catalog, "tab4");
    table->partitions [1].hash_start++;
    ck_assert (!zyn_router_is_complete (table));
    table->partitions [1].hash_start -= 2;
    ck_assert (!zyn_router_is_complete (table));
    table->partitions [1].hash_start++;
    ck_assert (zyn_router_is_complete (table));
    zyn_catalog_destroy (&catalog);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_key_hash)
{
    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-keys");
    zyn_error_t err = { 0 };
    zyn_catalog_t *catalog = zyn_catalog_new (dir, &err);
    zyn_table_t *table = s_create (catalog, COMPOSITE_TABLE, "comp", 4, NULL);
    zyn_value_t *request = s_request (
        "{\"Item\":{\"pk\":{\"N\":\"1.50\"},\"sk\":{\"S\":\"a\"},"
        "\"x\":{\"S\":\"y\"}}}");
    uint64_t hash = 0, other = 0;
    zyn_value_t *item = zyn_value_map_get (request, "Item");
    ck_assert_int_eq (zyn_router_key_hash (table, item, true, &hash, &err), 0);
    //  The hash is the partition key's alone, and numbers are normalised
    zyn_value_t *pk = zyn_value_new_n ("1.5", &err);
    ck_assert_int_eq (zyn_router_value_hash (pk, &other, &err), 0);
    ck_assert_uint_eq (hash, other);
    zyn_value_destroy (&pk);
    //  An item may carry more; a key may not
    ck_assert_int_eq (zyn_router_key_hash (table, item, false, &hash, &err),
                      -1);
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message,
                      "The provided key element does not match the schema");
    zyn_value_destroy (&request);

    struct {
        const char *json;
        bool is_item;
        const char *message;
    } cases [] = {
        { "{\"Item\":{\"sk\":{\"S\":\"a\"}}}", true,
          "One or more parameter values were invalid: Missing the key pk in "
          "the item" },
        { "{\"Item\":{\"pk\":{\"N\":\"1\"}}}", true,
          "One or more parameter values were invalid: Missing the key sk in "
          "the item" },
        { "{\"Item\":{\"pk\":{\"S\":\"1\"},\"sk\":{\"S\":\"a\"}}}", true,
          "One or more parameter values were invalid: Type mismatch for key "
          "pk expected: N actual: S" },
        { "{\"Item\":{\"pk\":{\"N\":\"1\"},\"sk\":{\"S\":\"\"}}}", true,
          "One or more parameter values are not valid. The AttributeValue "
          "for a key attribute cannot contain an empty string value. Key: "
          "sk" },
        { "{\"Key\":{\"pk\":{\"N\":\"1\"}}}", false,
          "The provided key element does not match the schema" },
        { "{\"Key\":{\"pk\":{\"S\":\"1\"},\"sk\":{\"S\":\"a\"}}}", false,
          "The provided key element does not match the schema" },
        { "{\"Key\":{\"pk\":{\"N\":\"1\"},\"zz\":{\"S\":\"a\"}}}", false,
          "The provided key element does not match the schema" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        request = s_request (cases [i].json);
        zyn_value_t *key = zyn_value_map_get (
            request, cases [i].is_item ? "Item" : "Key");
        zyn_error_clear (&err);
        ck_assert_int_eq (zyn_router_key_hash (table, key, cases [i].is_item,
                                               &hash, &err), -1);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_str_eq (err.message, cases [i].message);
        zyn_value_destroy (&request);
    }
    zyn_catalog_destroy (&catalog);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------

#define KEYS_PK                                                             \
    "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]"
#define ATTRS_PK                                                            \
    "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","                  \
    "\"AttributeType\":\"S\"}]"
#define ON_DEMAND "\"BillingMode\":\"PAY_PER_REQUEST\""

START_TEST (test_create_validation)
{
    struct {
        const char *json;
        zyn_errtype_t type;
        const char *message;
    } cases [] = {
        { "{" KEYS_PK "," ATTRS_PK "," ON_DEMAND "}", ZYN_ERR_VALIDATION,
          "1 validation error detected: Value null at 'tableName' failed to "
          "satisfy constraint: Member must not be null" },
        { "{\"TableName\":\"ab\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value 'ab' at 'tableName' failed to "
          "satisfy constraint: Member must have length greater than or "
          "equal to 3" },
        { "{\"TableName\":\"a b\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value 'a b' at 'tableName' failed to "
          "satisfy constraint: Member must satisfy regular expression "
          "pattern: [a-zA-Z0-9_.-]+" },
        { "{\"TableName\":\"a!\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "2 validation errors detected: Value 'a!' at 'tableName' failed to "
          "satisfy constraint: Member must satisfy regular expression "
          "pattern: [a-zA-Z0-9_.-]+; Value 'a!' at 'tableName' failed to "
          "satisfy constraint: Member must have length greater than or "
          "equal to 3" },
        { "{\"TableName\":42," KEYS_PK "," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_SERIALIZATION,
          "class java.lang.Long can not be converted to an String" },
        { "{\"TableName\":\"t1\"," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "2 validation errors detected: Value 't1' at 'tableName' failed to "
          "satisfy constraint: Member must have length greater than or "
          "equal to 3; Value null at 'keySchema' failed to satisfy "
          "constraint: Member must not be null" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value null at 'attributeDefinitions' "
          "failed to satisfy constraint: Member must not be null" },
        { "{\"TableName\":\"tab\",\"KeySchema\":[{\"AttributeName\":\"x\","
          "\"KeyType\":\"HASH\"}]," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "One or more parameter values were invalid: Some index key "
          "attributes are not defined in AttributeDefinitions. Keys: [x], "
          "AttributeDefinitions: [pk]" },
        { "{\"TableName\":\"tab\"," KEYS_PK ",\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{"
          "\"AttributeName\":\"x\",\"AttributeType\":\"N\"}]," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "One or more parameter values were invalid: Number of attributes "
          "in KeySchema does not exactly match number of attributes defined "
          "in AttributeDefinitions" },
        { "{\"TableName\":\"tab\",\"KeySchema\":[{\"AttributeName\":\"pk\","
          "\"KeyType\":\"RANGE\"}]," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "Invalid KeySchema: The first KeySchemaElement is not a HASH key "
          "type" },
        { "{\"TableName\":\"tab\",\"KeySchema\":[{\"AttributeName\":\"pk\","
          "\"KeyType\":\"HASH\"},{\"AttributeName\":\"pk\",\"KeyType\":"
          "\"RANGE\"}]," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "Invalid KeySchema: Some index key attribute have no definition" },
        { "{\"TableName\":\"tab\",\"KeySchema\":[{\"AttributeName\":\"pk\","
          "\"KeyType\":\"HASH\"},{\"AttributeName\":\"pk\",\"KeyType\":"
          "\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
          "\"AttributeType\":\"S\"}]," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "Both the Hash Key and the Range Key element in the KeySchema have "
          "the same name" },
        { "{\"TableName\":\"tab\",\"KeySchema\":[{\"AttributeName\":\"pk\","
          "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":"
          "\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
          "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
          "\"AttributeType\":\"S\"}]," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "Invalid KeySchema: The second KeySchemaElement is not a RANGE key "
          "type" },
        { "{\"TableName\":\"tab\",\"KeySchema\":[{\"AttributeName\":\"pk\","
          "\"KeyType\":\"PRIMARY\"}]," ATTRS_PK "," ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value 'PRIMARY' at "
          "'keySchema.1.member.keyType' failed to satisfy constraint: Member "
          "must satisfy enum value set: [HASH, RANGE]" },
        { "{\"TableName\":\"tab\"," KEYS_PK ",\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"pk\",\"AttributeType\":\"BOOL\"}],"
          ON_DEMAND "}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value 'BOOL' at "
          "'attributeDefinitions.1.member.attributeType' failed to satisfy "
          "constraint: Member must satisfy enum value set: [B, N, S]" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK "}",
          ZYN_ERR_VALIDATION,
          "No provisioned throughput specified for the table" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND
          ",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,"
          "\"WriteCapacityUnits\":1}}",
          ZYN_ERR_VALIDATION,
          "One or more parameter values were invalid: Neither "
          "ReadCapacityUnits nor WriteCapacityUnits can be specified when "
          "BillingMode is PAY_PER_REQUEST" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK
          ",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":0,"
          "\"WriteCapacityUnits\":1}}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value '0' at "
          "'provisionedThroughput.readCapacityUnits' failed to satisfy "
          "constraint: Member must have value greater than or equal to 1" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK
          ",\"BillingMode\":\"FREE\"}",
          ZYN_ERR_VALIDATION,
          "1 validation error detected: Value 'FREE' at 'billingMode' failed "
          "to satisfy constraint: Member must satisfy enum value set: "
          "[PROVISIONED, PAY_PER_REQUEST]" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND
          ",\"StreamSpecification\":{\"StreamEnabled\":true}}",
          ZYN_ERR_VALIDATION,
          "One or more parameter values were invalid: You must specify a "
          "StreamViewType when you enable a DynamoDB stream" },
        { "{\"TableName\":\"tab\"," KEYS_PK ",\"AttributeDefinitions\":[{"
          "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{"
          "\"AttributeName\":\"x\",\"AttributeType\":\"S\"}]," ON_DEMAND
          ",\"LocalSecondaryIndexes\":[{\"IndexName\":\"lsi\",\"KeySchema\":"
          "[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{"
          "\"AttributeName\":\"x\",\"KeyType\":\"RANGE\"}],\"Projection\":{"
          "\"ProjectionType\":\"ALL\"}}]}",
          ZYN_ERR_VALIDATION,
          "One or more parameter values were invalid: Table KeySchema does "
          "not have a range key, which is required when specifying a "
          "LocalSecondaryIndex" },
        { "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND
          ",\"ZynPartitions\":0}",
          ZYN_ERR_VALIDATION, "ZynPartitions must be between 1 and 256" },
        { "{\"TableName\":\"tab\",\"KeySchema\":{}," ATTRS_PK "," ON_DEMAND
          "}",
          ZYN_ERR_SERIALIZATION,
          "Start of structure or map found where not expected." },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *request = s_request (cases [i].json);
        zyn_error_t err = { 0 };
        ck_assert_msg (zyn_tables_check_create (request, &err) == -1,
                       "case %zu passed", i);
        ck_assert_msg (err.type == cases [i].type, "case %zu: %s: %s", i,
                       zyn_error_name (err.type), err.message);
        ck_assert_str_eq (err.message, cases [i].message);
        zyn_value_destroy (&request);
    }
    //  And ones that pass
    const char *good [] = {
        "{\"TableName\":\"tab\"," KEYS_PK "," ATTRS_PK "," ON_DEMAND "}",
        "{\"TableName\":\"T-1.x_y\"," KEYS_PK "," ATTRS_PK
        ",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,"
        "\"WriteCapacityUnits\":1},\"StreamSpecification\":{"
        "\"StreamEnabled\":true,\"StreamViewType\":\"NEW_IMAGE\"}}",
        "{\"TableName\":\"lsi\",\"KeySchema\":[{\"AttributeName\":\"pk\","
        "\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":"
        "\"RANGE\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
        "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\","
        "\"AttributeType\":\"S\"},{\"AttributeName\":\"x\","
        "\"AttributeType\":\"N\"}]," ON_DEMAND ",\"LocalSecondaryIndexes\":"
        "[{\"IndexName\":\"by-x\",\"KeySchema\":[{\"AttributeName\":\"pk\","
        "\"KeyType\":\"HASH\"},{\"AttributeName\":\"x\",\"KeyType\":"
        "\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}",
    };
    for (size_t i = 0; i < sizeof (good) / sizeof (good [0]); i++) {
        zyn_value_t *request = s_request (good [i]);
        zyn_error_t err = { 0 };
        ck_assert_msg (zyn_tables_check_create (request, &err) == 0,
                       "good case %zu: %s", i, err.message);
        zyn_value_destroy (&request);
    }
}
END_TEST

START_TEST (test_describe_and_list)
{
    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-describe");
    zyn_error_t err = { 0 };
    zyn_catalog_t *catalog = zyn_catalog_new (dir, &err);
    zyn_table_t *table = s_create (catalog, COMPOSITE_TABLE, "gamma", 2,
                                   NULL);
    zyn_value_t *description = zyn_tables_describe (table, "eu-west-1");
    ck_assert_str_eq (zyn_value_map_get_s (description, "TableName"),
                      "gamma");
    ck_assert_str_eq (zyn_value_map_get_s (description, "TableStatus"),
                      "CREATING");
    ck_assert_str_eq (zyn_value_map_get_s (description, "TableArn"),
                      "arn:aws:dynamodb:eu-west-1:000000000000:table/gamma");
    zyn_value_t *throughput
        = zyn_value_map_get (description, "ProvisionedThroughput");
    int64_t number = 0;
    ck_assert_int_eq (zyn_value_map_get_int (throughput, "ReadCapacityUnits",
                                             &number), 0);
    ck_assert_int_eq (number, 5);
    ck_assert_int_eq (zyn_value_map_get_int (throughput, "WriteCapacityUnits",
                                             &number), 0);
    ck_assert_int_eq (number, 7);
    ck_assert_int_eq (zyn_value_map_get_int (description, "ItemCount",
                                             &number), 0);
    ck_assert_ptr_null (zyn_value_map_get (description, "BillingModeSummary"));
    ck_assert_ptr_null (zyn_value_map_get (description, "LatestStreamArn"));
    ck_assert_int_eq (zyn_value_size (zyn_value_map_get (description,
                                                         "KeySchema")), 2);
    zyn_value_t *created = zyn_value_map_get (description, "CreationDateTime");
    ck_assert_int_eq (zyn_value_type (created), ZYN_TYPE_N);
    ck_assert_int_eq (atoll (zyn_value_data (created)),
                      table->created_msecs / 1000);
    zyn_value_destroy (&description);

    //  Assign descriptor
    zyn_value_t *assign
        = zyn_tables_assign_body (table, &table->partitions [1]);
    ck_assert_int_eq (zyn_value_map_get_int (assign, "TableId", &number), 0);
    ck_assert_int_eq (number, 1);
    ck_assert_int_eq (zyn_value_map_get_int (assign, "PartitionId", &number),
                      0);
    ck_assert_int_eq (number, 1);
    zyn_value_t *hash = zyn_value_map_get (assign, "HashStart");
    ck_assert_int_eq (zyn_value_type (hash), ZYN_TYPE_B);
    ck_assert_int_eq (zyn_value_size (hash), 8);
    ck_assert_mem_eq (zyn_value_data (hash), "\x80\0\0\0\0\0\0\0", 8);
    hash = zyn_value_map_get (assign, "HashEnd");
    ck_assert_mem_eq (zyn_value_data (hash),
                      "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    ck_assert_str_eq (zyn_value_map_get_s (assign, "StreamViewType"),
                      "NEW_AND_OLD_IMAGES");
    zyn_value_destroy (&assign);

    //  ListTables
    s_create (catalog, SIMPLE_TABLE, "alpha", 1, NULL);
    s_create (catalog, SIMPLE_TABLE, "beta", 1, NULL);
    zyn_value_t *request = s_request ("{\"Limit\":2}");
    zyn_value_t *reply = zyn_tables_list (catalog, request, &err);
    zyn_value_destroy (&request);
    zyn_value_t *names = zyn_value_map_get (reply, "TableNames");
    ck_assert_int_eq (zyn_value_size (names), 2);
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (names, 0)), "alpha");
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (names, 1)), "beta");
    ck_assert_str_eq (zyn_value_map_get_s (reply, "LastEvaluatedTableName"),
                      "beta");
    zyn_value_destroy (&reply);
    request = s_request ("{\"ExclusiveStartTableName\":\"beta\"}");
    reply = zyn_tables_list (catalog, request, &err);
    zyn_value_destroy (&request);
    names = zyn_value_map_get (reply, "TableNames");
    ck_assert_int_eq (zyn_value_size (names), 1);
    ck_assert_str_eq (zyn_value_data (zyn_value_list_get (names, 0)), "gamma");
    ck_assert_ptr_null (zyn_value_map_get (reply, "LastEvaluatedTableName"));
    zyn_value_destroy (&reply);
    request = s_request ("{\"Limit\":0}");
    ck_assert_ptr_null (zyn_tables_list (catalog, request, &err));
    ck_assert_str_eq (err.message,
                      "1 validation error detected: Value '0' at 'limit' "
                      "failed to satisfy constraint: Member must have value "
                      "greater than or equal to 1");
    zyn_value_destroy (&request);
    request = s_request ("{\"Limit\":101}");
    ck_assert_ptr_null (zyn_tables_list (catalog, request, &err));
    ck_assert_str_eq (err.message,
                      "1 validation error detected: Value '101' at 'limit' "
                      "failed to satisfy constraint: Member must have value "
                      "less than or equal to 100");
    zyn_value_destroy (&request);
    zyn_catalog_destroy (&catalog);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_scan_validation)
{
    char dir [2048];
    zyn_test_dir (dir, sizeof (dir), "catalog-scan");
    zyn_error_t err = { 0 };
    zyn_catalog_t *catalog = zyn_catalog_new (dir, &err);
    zyn_table_t *table = s_create (catalog, SIMPLE_TABLE, "scan", 4, NULL);
    struct {
        const char *json;
        const char *message;
    } cases [] = {
        { "{\"Limit\":0}",
          "1 validation error detected: Value '0' at 'limit' failed to "
          "satisfy constraint: Member must have value greater than or equal "
          "to 1" },
        { "{\"Segment\":1}",
          "The TotalSegments parameter is required but was not provided" },
        { "{\"TotalSegments\":2}",
          "The Segment parameter is required but was not provided" },
        { "{\"Segment\":2,\"TotalSegments\":2}",
          "The Segment parameter is zero-based and must be less than "
          "parameter TotalSegments: Segment: 2 is out of bounds for "
          "TotalSegments: 2" },
        { "{\"Segment\":0,\"TotalSegments\":1000001}",
          "1 validation error detected: Value '1000001' at 'totalSegments' "
          "failed to satisfy constraint: Member must have value less than or "
          "equal to 1000000" },
        { "{\"ExclusiveStartKey\":{\"pk\":{\"N\":\"1\"}}}",
          "The provided starting key is invalid: The provided key element "
          "does not match the schema" },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        zyn_value_t *request = s_request (cases [i].json);
        zyn_error_clear (&err);
        ck_assert_ptr_null (zyn_scan_new (table, &request, &err));
        ck_assert_ptr_null (request);
        ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
        ck_assert_str_eq (err.message, cases [i].message);
    }
    zyn_catalog_destroy (&catalog);
    zyn_test_dir_remove (dir);
}
END_TEST

Suite *
zyn_catalog_suite (void)
{
    Suite *suite = suite_create ("zyn_catalog");
    TCase *tc = tcase_create ("catalog");
    tcase_add_test (tc, test_persistence);
    tcase_add_test (tc, test_ids_never_reused);
    tcase_add_test (tc, test_unusable_store);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("router");
    tcase_add_test (tc, test_ranges);
    tcase_add_test (tc, test_key_hash);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("tables");
    tcase_add_test (tc, test_create_validation);
    tcase_add_test (tc, test_describe_and_list);
    tcase_add_test (tc, test_scan_validation);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_catalog_suite)
