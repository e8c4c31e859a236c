/*  =========================================================================
    zyn_tables - the table operations' requests and responses: CreateTable
    validation as DynamoDB validates it, TableDescription, ListTables, and
    the ASSIGN descriptor a worker receives for a partition

    Pure functions over the catalog: the broker actor decides when tables
    change state and talks to workers; this module knows DynamoDB's
    parameters, limits and exact messages.
    =========================================================================
*/

#ifndef ZYN_TABLES_H_INCLUDED
#define ZYN_TABLES_H_INCLUDED

#include "zynamo.h"
#include "zyn_catalog.h"

//  Most partitions a table may be given (--partitions, ZynPartitions)
#define ZYN_TABLES_PARTITIONS_MAX 256

//  Check a CreateTable request as DynamoDB does: parameter types
//  (SerializationException), constraints ("1 validation error detected:
//  Value 'ab' at 'tableName' failed to satisfy constraint: ..."), then the
//  rules between parameters (key schema against attribute definitions,
//  indexes, billing mode and throughput, streams). Returns 0, or -1 with
//  DynamoDB's error and message in err.
int
    zyn_tables_check_create (const zyn_value_t *request, zyn_error_t *err);

//  The definition the catalog stores for a checked CreateTable request:
//  its KeySchema, AttributeDefinitions, LocalSecondaryIndexes,
//  GlobalSecondaryIndexes, BillingMode, ProvisionedThroughput and
//  StreamSpecification. Caller owns the result.
zyn_value_t *
    zyn_tables_definition (const zyn_value_t *request);

//  The TableName of any request, checked as DynamoDB checks it (present, a
//  string, 3 to 255 characters of [a-zA-Z0-9_.-]). Returns a borrowed
//  pointer into request, or NULL with err.
const char *
    zyn_tables_name (const zyn_value_t *request, zyn_error_t *err);

//  DynamoDB's TableDescription of table, in region ("us-east-1"). Caller
//  owns the result.
zyn_value_t *
    zyn_tables_describe (zyn_table_t *table, const char *region);

//  Answer a ListTables request (Limit 1..100, ExclusiveStartTableName):
//  {"TableNames": [...], "LastEvaluatedTableName": ...}. Returns the
//  response (caller owns it), or NULL with err (ValidationException).
zyn_value_t *
    zyn_tables_list (zyn_catalog_t *catalog, const zyn_value_t *request,
                     zyn_error_t *err);

//  The ASSIGN body for partition of table (docs/protocol.md, "ASSIGN").
//  Caller owns the result.
zyn_value_t *
    zyn_tables_assign_body (zyn_table_t *table,
                            zyn_partition_info_t *partition);

#endif
