/*  =========================================================================
    zyn_expr_ast - the parsed form of DynamoDB expressions, shared by the
    zyn_expr_* files (parse, eval, update, legacy); not a public contract

    Every node, path and string of a request's expressions lives in one
    arena owned by the zyn_expr_t and freed with it, so a parse that fails
    half way leaks nothing. Attribute values are borrowed from the request.
    =========================================================================
*/

#ifndef ZYN_EXPR_AST_H_INCLUDED
#define ZYN_EXPR_AST_H_INCLUDED

#include "zynamo.h"
#include "zyn_expr.h"

//  DynamoDB's limits on expressions ("Expression parameters" in the
//  Developer Guide's constraints)
#define ZYN_EXPR_SIZE_MAX 4096          //  Bytes of one expression string
#define ZYN_EXPR_OPERATORS_MAX 300      //  Operators and functions
#define ZYN_EXPR_IN_MAX 100             //  Operands of IN, the left one too
#define ZYN_EXPR_SUBST_MAX (2 * 1024 * 1024)    //  All placeholders' bytes
#define ZYN_EXPR_DEPTH_MAX 4200         //  Parser nesting: above any 4 KB

//  --------------------------------------------------------------------------
//  Arena: bump allocation in big blocks, all freed at once

typedef struct zyn_arena zyn_arena_t;

zyn_arena_t *
    zyn_arena_new (void);
void
    zyn_arena_destroy (zyn_arena_t **self_p);
//  Zeroed memory, aligned for any type; lives until the arena dies
void *
    zyn_arena_alloc (zyn_arena_t *self, size_t size);
//  NUL-terminated copy of size bytes
char *
    zyn_arena_strndup (zyn_arena_t *self, const char *text, size_t size);

//  --------------------------------------------------------------------------
//  Kinds of expression, in the order DynamoDB parses them

typedef enum {
    ZYN_KIND_UPDATE = 0,
    ZYN_KIND_CONDITION,
    ZYN_KIND_KEY_CONDITION,
    ZYN_KIND_FILTER,
    ZYN_KIND_PROJECTION,
    ZYN_KIND_COUNT
} zyn_expr_kind_t;

//  The request parameter of kind ("ConditionExpression")
const char *
    zyn_expr_kind_param (zyn_expr_kind_t kind);

//  A document path: a.b[3].c is { "a", "b", [3], "c" }
typedef struct {
    const char *name;           //  Attribute or map key; NULL for an index
    size_t index;               //  List index when name is NULL
} zyn_path_elem_t;

typedef struct {
    zyn_path_elem_t *elems;
    size_t count;
} zyn_path_t;

typedef enum {
    ZYN_NODE_PATH = 1,
    ZYN_NODE_VALUE,
    ZYN_NODE_FUNCTION,
    ZYN_NODE_COMPARE,           //  op is a zyn_cmp_t
    ZYN_NODE_BETWEEN,           //  args: operand, lower, upper
    ZYN_NODE_IN,                //  args: operand, then the list
    ZYN_NODE_AND,
    ZYN_NODE_OR,
    ZYN_NODE_NOT,
    ZYN_NODE_PLUS,              //  Update SET values only
    ZYN_NODE_MINUS
} zyn_node_type_t;

typedef enum {
    ZYN_CMP_EQ = 0,
    ZYN_CMP_NE,
    ZYN_CMP_LT,
    ZYN_CMP_LE,
    ZYN_CMP_GT,
    ZYN_CMP_GE
} zyn_cmp_t;

typedef enum {
    ZYN_FN_UNKNOWN = 0,
    ZYN_FN_ATTRIBUTE_EXISTS,
    ZYN_FN_ATTRIBUTE_NOT_EXISTS,
    ZYN_FN_ATTRIBUTE_TYPE,
    ZYN_FN_BEGINS_WITH,
    ZYN_FN_CONTAINS,
    ZYN_FN_SIZE,
    ZYN_FN_IF_NOT_EXISTS,
    ZYN_FN_LIST_APPEND
} zyn_fn_t;

typedef struct zyn_node zyn_node_t;
struct zyn_node {
    zyn_node_type_t type;
    int op;                     //  zyn_cmp_t or zyn_fn_t
    const char *name;           //  Function name or placeholder, as written
    zyn_path_t path;            //  ZYN_NODE_PATH
    const zyn_value_t *value;   //  ZYN_NODE_VALUE, borrowed from request
    zyn_node_t **args;
    size_t nargs;
    int parens;                 //  Parentheses written around the node
};

typedef enum {
    ZYN_ACTION_SET = 1,
    ZYN_ACTION_REMOVE,
    ZYN_ACTION_ADD,
    ZYN_ACTION_DELETE
} zyn_action_t;

typedef struct {
    zyn_action_t action;
    zyn_path_t path;
    zyn_node_t *value;          //  SET value, ADD/DELETE operand; or NULL
    bool legacy;                //  From AttributeUpdates (ADD appends lists)
} zyn_update_action_t;

//  One condition on a key attribute
typedef struct {
    const char *name;
    zyn_sk_op_t op;
    const zyn_value_t *value1;
    const zyn_value_t *value2;
} zyn_key_term_t;

//  The parsed request. Private to the zyn_expr_* files.
struct zyn_expr {
    zyn_arena_t *arena;         //  Owned: every node, path and name
    zyn_node_t *condition;      //  ConditionExpression or Expected
    zyn_node_t *filter;         //  FilterExpression, QueryFilter, ScanFilter
    bool filter_legacy;         //  The filter came from QueryFilter
    bool has_key_condition;
    zyn_key_term_t key_terms [2];
    size_t key_term_count;
    bool has_projection;
    zyn_path_t *projection;
    size_t projection_count;
    const char **projected_names;   //  NULL-terminated, in the arena
    struct ptree *ptree;        //  Projection as a tree (zyn_expr.c)
    struct ptree *update_ptree; //  The update's paths as a tree, lazily
    bool has_update;
    zyn_update_action_t *actions;
    size_t action_count;
};

//  The result of parsing one expression
typedef struct {
    zyn_node_t *root;                   //  Conditions
    zyn_path_t *paths;                  //  Projection
    size_t path_count;
    zyn_update_action_t *actions;       //  Update
    size_t action_count;
} zyn_parsed_t;

//  Placeholder bookkeeping across all expressions of a request
typedef struct {
    const zyn_value_t *names;   //  ExpressionAttributeNames or NULL
    const zyn_value_t *values;  //  ExpressionAttributeValues or NULL
    bool *names_used;           //  One flag per entry of names
    bool *values_used;          //  One flag per entry of values
} zyn_placeholders_t;

//  Parse one expression of kind (zyn_expr_parse.c). Returns 0, or -1 with
//  DynamoDB's message ("Invalid ConditionExpression: ...") in err.
int
    zyn_expr_parse (zyn_arena_t *arena, zyn_expr_kind_t kind,
                    const char *text, size_t size,
                    zyn_placeholders_t *holders, zyn_parsed_t *parsed,
                    zyn_error_t *err);

//  Turn the parsed key condition into key terms (zyn_expr.c).
int
    zyn_expr_key_terms (zyn_expr_t *self, zyn_node_t *root,
                        zyn_error_t *err);

//  Render path as DynamoDB does in messages: [a, b, [3]]
void
    zyn_path_format (const zyn_path_t *path, char *buf, size_t size);

//  Check a list of paths for overlaps and conflicts; returns 0 or -1 with
//  the message (without the "Invalid ...: " prefix) in buf.
int
    zyn_paths_check (const zyn_path_t *paths, size_t count, char *buf,
                     size_t size);

//  --------------------------------------------------------------------------
//  Evaluation (zyn_expr_eval.c)

//  The value at path in item, or NULL if there is none. Borrowed.
const zyn_value_t *
    zyn_path_get (const zyn_value_t *item, const zyn_path_t *path);

//  An operand's value: borrowed, or owned (then *owned is set and the
//  caller destroys it). NULL if the operand has no value (missing path,
//  size of an unsupported type).
const zyn_value_t *
    zyn_operand_eval (const zyn_node_t *node, const zyn_value_t *item,
                      zyn_value_t **owned);

//  Evaluate a condition node against item (NULL: no item).
bool
    zyn_condition_eval (const zyn_node_t *node, const zyn_value_t *item);

//  --------------------------------------------------------------------------
//  Update (zyn_expr_update.c)

zyn_value_t *
    zyn_expr_apply_update (zyn_expr_t *self, const zyn_value_t *item,
                           const zyn_value_t *key, const char **key_names,
                           zyn_value_t **updated_names, zyn_error_t *err);

//  --------------------------------------------------------------------------
//  Legacy parameters (zyn_expr_legacy.c)

//  Translate Expected, AttributesToGet, KeyConditions, QueryFilter,
//  ScanFilter and AttributeUpdates found in request into self. Returns 0,
//  or -1 with DynamoDB's message.
int
    zyn_expr_legacy (zyn_expr_t *self, const char *operation,
                     const zyn_value_t *request, zyn_error_t *err);

//  Helpers to build nodes (zyn_expr_parse.c)
zyn_node_t *
    zyn_node_new (zyn_arena_t *arena, zyn_node_type_t type, size_t nargs);

#endif
