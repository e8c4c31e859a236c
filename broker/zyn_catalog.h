/*  =========================================================================
    zyn_catalog - the broker's catalog of tables and partitions, kept in
    the broker's own LevelDB (<data>/broker/)

    A table is its name, a table id from a counter that never goes back
    (ids are never reused, so a dropped table's leftovers on a worker can
    never be mistaken for a new table's), its definition as CreateTable
    gave it (KeySchema, AttributeDefinitions, indexes, billing, streams),
    its status and creation time, and its partitions: contiguous inclusive
    hash ranges covering 0 .. 2^64-1, each assigned to a worker by id.

    The catalog is the broker's alone (one thread). Every change is written
    through to LevelDB with sync before the call returns, so a table and
    its partition assignments survive a restart. What is only true while
    the broker runs (which worker confirmed a partition, the last sequence
    number seen) lives in the same structs but is not stored.

    Limits: one replica per partition; no split or merge yet.
    =========================================================================
*/

#ifndef ZYN_CATALOG_H_INCLUDED
#define ZYN_CATALOG_H_INCLUDED

#include "zynamo.h"

typedef struct zyn_catalog zyn_catalog_t;

typedef enum {
    ZYN_TABLE_CREATING = 1,
    ZYN_TABLE_ACTIVE,
    ZYN_TABLE_DELETING
} zyn_table_status_t;

//  One partition of a table: an inclusive hash range and its worker
typedef struct {
    uint32_t id;                //  Partition id, 0 .. n-1 in hash order
    uint64_t hash_start;        //  First hash, inclusive
    uint64_t hash_end;          //  Last hash, inclusive
    char *worker_id;            //  Owned; the worker it is assigned to
    //  Run-time state, not stored
    bool assigned;              //  Worker answered ASSIGNED and is alive
    bool dropped;               //  Worker answered DROPPED (or is gone)
    uint64_t last_seq;          //  Last stream sequence number known
    uint64_t oldest_seq;        //  Oldest its change log still holds (the
                                //  retention window), 0 if not known
    int64_t item_count;         //  Items and their size, as its worker
    int64_t size_bytes;         //  last reported them (HEARTBEAT)
} zyn_partition_info_t;

//  One table. Fields are read freely by the broker's modules; change them
//  only through the catalog so that the change is stored.
typedef struct {
    char *name;                 //  Owned
    uint64_t id;                //  Never reused
    zyn_table_status_t status;
    int64_t created_msecs;      //  Wall time of CreateTable, ms
    zyn_value_t *definition;    //  Owned; CreateTable's parameters as given
    const char *pk_name;        //  Borrowed from definition
    zyn_type_t pk_type;
    const char *sk_name;        //  Borrowed from definition, NULL if none
    zyn_type_t sk_type;         //  0 if no sort key
    uint32_t partition_count;
    zyn_partition_info_t *partitions;   //  Owned, sorted by hash_start
} zyn_table_t;

//  Open or create the catalog stored under path (a directory). Returns NULL
//  and fills err (InternalServerError) if the store cannot be opened or
//  holds a malformed record.
zyn_catalog_t *
    zyn_catalog_new (const char *path, zyn_error_t *err);

//  Close the store and free all tables. Sets *self_p to NULL.
void
    zyn_catalog_destroy (zyn_catalog_t **self_p);

//  Create a table named name with definition (the CreateTable request map,
//  already validated) and partition_count partitions (1 .. 65536) whose
//  workers are taken round-robin from workers (a NULL-terminated list of
//  worker ids; NULL or empty: unassigned, worker_id ""). The table starts
//  CREATING with the next table id. Takes ownership of *definition_p and
//  sets it to NULL, even on failure. Returns the table (borrowed, valid
//  until it is removed), or NULL with err: ResourceInUseException "Table
//  already exists: <name>" or InternalServerError if the store fails.
zyn_table_t *
    zyn_catalog_create (zyn_catalog_t *self, const char *name,
                        zyn_value_t **definition_p, uint32_t partition_count,
                        const char **workers, zyn_error_t *err);

//  The table named name, or NULL. Borrowed.
zyn_table_t *
    zyn_catalog_lookup (zyn_catalog_t *self, const char *name);

//  The table with id table_id, or NULL. Borrowed.
zyn_table_t *
    zyn_catalog_lookup_id (zyn_catalog_t *self, uint64_t table_id);

//  The partition partition_id of table, or NULL. Borrowed.
zyn_partition_info_t *
    zyn_catalog_partition (zyn_table_t *table, uint32_t partition_id);

//  Store table's current status and partition assignments. Returns 0, or
//  -1 with err (InternalServerError).
int
    zyn_catalog_save (zyn_catalog_t *self, zyn_table_t *table,
                      zyn_error_t *err);

//  Set table's status and store it. Returns 0 or -1 as zyn_catalog_save.
int
    zyn_catalog_set_status (zyn_catalog_t *self, zyn_table_t *table,
                            zyn_table_status_t status, zyn_error_t *err);

//  Remove table from the catalog and the store, and free it. Returns 0, or
//  -1 with err (the table is then still there).
int
    zyn_catalog_remove (zyn_catalog_t *self, zyn_table_t *table,
                        zyn_error_t *err);

//  The number of tables.
size_t
    zyn_catalog_size (zyn_catalog_t *self);

//  The table names in ascending bytewise order. Caller owns the list and
//  must destroy it; its items are borrowed names, valid until the next
//  change to the catalog.
zlist_t *
    zyn_catalog_names (zyn_catalog_t *self);

//  The next table id that will be given (for tests).
uint64_t
    zyn_catalog_next_id (zyn_catalog_t *self);

//  DynamoDB's name of a status ("ACTIVE"). Static.
const char *
    zyn_table_status_name (zyn_table_status_t status);

#endif
