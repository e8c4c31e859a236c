/*  =========================================================================
    zyn_expr_parse - the lexer, parser and checks of DynamoDB expressions

    One recursive-descent parser for the five kinds of expression. Syntax
    is checked first: a failure names the furthest token the parser could
    not take, as DynamoDB does ('Syntax error; token: "AND", near: "a
    AND"'). Then one walk over the tree resolves #name and :value
    placeholders, checks reserved words, functions and their operands, and
    reports the first error of the highest priority class, in DynamoDB's
    order. The parser memoises operand and condition results per token, so
    the backtracking that parentheses need stays linear.
    =========================================================================
*/

#include "zyn_prelude.h"
#include "zyn_expr_ast.h"
#include "zyn_reserved.h"

//  --------------------------------------------------------------------------
//  Arena

#define ARENA_BLOCK 8192

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    max_align_t data [];
} arena_block_t;

struct zyn_arena {
    arena_block_t *blocks;
};

zyn_arena_t *
zyn_arena_new (void)
{
    zyn_arena_t *self = (zyn_arena_t *) zmalloc (sizeof (zyn_arena_t));
    return self;
}

void
zyn_arena_destroy (zyn_arena_t **self_p)
{
    assert (self_p);
    zyn_arena_t *self = *self_p;
    if (self) {
        while (self->blocks) {
            arena_block_t *next = self->blocks->next;
            free (self->blocks);
            self->blocks = next;
        }
        free (self);
        *self_p = NULL;
    }
}

void *
zyn_arena_alloc (zyn_arena_t *self, size_t size)
{
    assert (self);
    size_t align = sizeof (max_align_t);
    size = (size + align - 1) / align * align;
    if (size == 0)
        size = align;
    arena_block_t *block = self->blocks;
    if (!block || block->size - block->used < size) {
        size_t capacity = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        block = (arena_block_t *) zmalloc (sizeof (arena_block_t) + capacity);
        block->size = capacity;
        block->used = 0;
        block->next = self->blocks;
        self->blocks = block;
    }
    void *memory = (char *) block->data + block->used;
    block->used += size;
    memset (memory, 0, size);
    return memory;
}

char *
zyn_arena_strndup (zyn_arena_t *self, const char *text, size_t size)
{
    char *copy = (char *) zyn_arena_alloc (self, size + 1);
    memcpy (copy, text, size);
    copy [size] = 0;
    return copy;
}

zyn_node_t *
zyn_node_new (zyn_arena_t *arena, zyn_node_type_t type, size_t nargs)
{
    zyn_node_t *node = (zyn_node_t *) zyn_arena_alloc (arena, sizeof (*node));
    node->type = type;
    node->nargs = nargs;
    if (nargs)
        node->args = (zyn_node_t **) zyn_arena_alloc (
            arena, nargs * sizeof (zyn_node_t *));
    return node;
}

const char *
zyn_expr_kind_param (zyn_expr_kind_t kind)
{
    static const char *const params [] = {
        "UpdateExpression", "ConditionExpression", "KeyConditionExpression",
        "FilterExpression", "ProjectionExpression"
    };
    assert (kind < ZYN_KIND_COUNT);
    return params [kind];
}

//  --------------------------------------------------------------------------
//  Lexer

typedef enum {
    T_EOF = 0,
    T_NAME,         //  a, size, AND
    T_ATTRNAME,     //  #n
    T_VALUE,        //  :v
    T_NUMBER,       //  3 (list index)
    T_LPAREN,
    T_RPAREN,
    T_LBRACKET,
    T_RBRACKET,
    T_COMMA,
    T_DOT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_ERROR         //  Any other character
} tok_type_t;

typedef struct {
    tok_type_t type;
    size_t start;
    size_t size;
} token_t;

static bool
s_is_name_char (char c)
{
    return isalnum ((unsigned char) c) || c == '_';
}

//  Tokenize text into tokens (room for size + 1); returns the count,
//  the last token being T_EOF.
static size_t
s_tokenize (const char *text, size_t size, token_t *tokens)
{
    size_t count = 0;
    size_t i = 0;
    while (true) {
        while (i < size
               && (text [i] == ' ' || text [i] == '\t' || text [i] == '\n'
                   || text [i] == '\r'))
            i++;
        token_t *token = &tokens [count++];
        token->start = i;
        if (i >= size) {
            token->type = T_EOF;
            token->size = 0;
            break;
        }
        char c = text [i];
        size_t end = i + 1;
        //  DynamoDB's names start with a letter; "_x" is "_" then "x"
        if (isalpha ((unsigned char) c)) {
            while (end < size && s_is_name_char (text [end]))
                end++;
            token->type = T_NAME;
        }
        else
        if (isdigit ((unsigned char) c)) {
            while (end < size && isdigit ((unsigned char) text [end]))
                end++;
            token->type = T_NUMBER;
        }
        else
        if ((c == '#' || c == ':') && end < size
            && s_is_name_char (text [end])) {
            while (end < size && s_is_name_char (text [end]))
                end++;
            token->type = c == '#' ? T_ATTRNAME : T_VALUE;
        }
        else
        if (c == '<' && end < size && text [end] == '>') {
            end++;
            token->type = T_NE;
        }
        else
        if (c == '<' && end < size && text [end] == '=') {
            end++;
            token->type = T_LE;
        }
        else
        if (c == '>' && end < size && text [end] == '=') {
            end++;
            token->type = T_GE;
        }
        else {
            switch (c) {
                case '(': token->type = T_LPAREN; break;
                case ')': token->type = T_RPAREN; break;
                case '[': token->type = T_LBRACKET; break;
                case ']': token->type = T_RBRACKET; break;
                case ',': token->type = T_COMMA; break;
                case '.': token->type = T_DOT; break;
                case '=': token->type = T_EQ; break;
                case '<': token->type = T_LT; break;
                case '>': token->type = T_GT; break;
                case '+': token->type = T_PLUS; break;
                case '-': token->type = T_MINUS; break;
                default:
                    token->type = T_ERROR;
                    //  Keep a UTF-8 character whole for the message
                    if ((unsigned char) c >= 0xC0)
                        while (end < size
                               && ((unsigned char) text [end] & 0xC0) == 0x80)
                            end++;
            }
        }
        token->size = end - i;
        i = end;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Error classes, reported in DynamoDB's order of priority per kind

typedef enum {
    E_PARENS = 0,
    E_UNKNOWN_FN,
    E_MISUSED_FN,
    E_RESERVED,
    E_SECTION,
    E_NAMEVAL,          //  First undefined name or value (conditions)
    E_NAME,
    E_VALUE,
    E_OVERLAP,
    E_CONFLICT,
    E_LIMIT,
    E_OPERAND_COUNT,
    E_DISTINCT,
    E_UPDATE_OPERAND,
    E_FUNCTION,
    E_COUNT
} eclass_t;

static const eclass_t s_condition_order [] = {
    E_LIMIT, E_PARENS, E_UNKNOWN_FN, E_MISUSED_FN, E_RESERVED, E_NAMEVAL,
    E_OPERAND_COUNT, E_DISTINCT, E_FUNCTION, E_COUNT
};
static const eclass_t s_update_order [] = {
    E_LIMIT, E_RESERVED, E_UNKNOWN_FN, E_MISUSED_FN, E_SECTION, E_NAME, E_VALUE,
    E_OVERLAP, E_CONFLICT, E_UPDATE_OPERAND, E_OPERAND_COUNT, E_FUNCTION,
    E_COUNT
};
static const eclass_t s_projection_order [] = {
    E_RESERVED, E_NAME, E_OVERLAP, E_CONFLICT, E_COUNT
};

//  Per-token memo of a parse result
typedef struct {
    uint8_t state;              //  0 unknown, 1 parsed, 2 failed
    size_t end;
    zyn_node_t *node;
} memo_t;

typedef struct {
    zyn_arena_t *arena;
    zyn_expr_kind_t kind;
    const char *text;
    size_t size;
    token_t *tokens;
    size_t count;
    size_t pos;
    size_t furthest;            //  Furthest token a syntax error was at
    int depth;
    memo_t *operand_memo;
    memo_t *primary_memo;
    zyn_action_t *sections;     //  Update sections in order
    size_t section_count;
    zyn_placeholders_t *holders;
    size_t operators;
    int function_depth;         //  Checking the arguments of a function
    bool errors_set [E_COUNT];
    char *errors [E_COUNT];
} parser_t;

static void
s_error (parser_t *p, eclass_t eclass, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_error (parser_t *p, eclass_t eclass, const char *format, ...)
{
    if (p->errors_set [eclass])
        return;
    p->errors_set [eclass] = true;
    p->errors [eclass] = (char *) zyn_arena_alloc (p->arena,
                                                   ZYN_ERROR_MESSAGE_MAX);
    va_list args;
    va_start (args, format);
    vsnprintf (p->errors [eclass], ZYN_ERROR_MESSAGE_MAX, format, args);
    va_end (args);
}

static token_t *
s_cur (parser_t *p)
{
    return &p->tokens [p->pos];
}

static tok_type_t
s_peek (parser_t *p, size_t ahead)
{
    size_t index = p->pos + ahead;
    return index < p->count ? p->tokens [index].type : T_EOF;
}

static void *
s_fail (parser_t *p)
{
    if (p->pos > p->furthest)
        p->furthest = p->pos;
    return NULL;
}

static bool
s_token_is (parser_t *p, token_t *token, const char *word)
{
    size_t len = strlen (word);
    return token->type == T_NAME && token->size == len
        && strncasecmp (p->text + token->start, word, len) == 0;
}

static bool
s_is_keyword (parser_t *p, token_t *token)
{
    if (token->type != T_NAME)
        return false;
    if (p->kind == ZYN_KIND_UPDATE)
        return s_token_is (p, token, "SET") || s_token_is (p, token, "REMOVE")
            || s_token_is (p, token, "ADD") || s_token_is (p, token, "DELETE");
    if (p->kind == ZYN_KIND_PROJECTION)
        return false;
    return s_token_is (p, token, "AND") || s_token_is (p, token, "OR")
        || s_token_is (p, token, "NOT") || s_token_is (p, token, "BETWEEN")
        || s_token_is (p, token, "IN");
}

static char *
s_token_text (parser_t *p, token_t *token)
{
    return zyn_arena_strndup (p->arena, p->text + token->start, token->size);
}

//  --------------------------------------------------------------------------
//  Syntax

static zyn_node_t *s_or (parser_t *p);
static zyn_node_t *s_set_value (parser_t *p);
static zyn_node_t *s_operand (parser_t *p);

static bool
s_path_elem_ok (parser_t *p, token_t *token)
{
    return token->type == T_ATTRNAME
        || (token->type == T_NAME && !s_is_keyword (p, token));
}

static int
s_path (parser_t *p, zyn_path_t *path)
{
    size_t capacity = 4;
    path->elems = (zyn_path_elem_t *) zyn_arena_alloc (
        p->arena, capacity * sizeof (zyn_path_elem_t));
    path->count = 0;
    if (!s_path_elem_ok (p, s_cur (p))) {
        s_fail (p);
        return -1;
    }
    path->elems [path->count++].name = s_token_text (p, s_cur (p));
    p->pos++;
    while (true) {
        zyn_path_elem_t elem = { NULL, 0 };
        if (s_cur (p)->type == T_DOT) {
            p->pos++;
            if (!s_path_elem_ok (p, s_cur (p))) {
                s_fail (p);
                return -1;
            }
            elem.name = s_token_text (p, s_cur (p));
            p->pos++;
        }
        else
        if (s_cur (p)->type == T_LBRACKET) {
            p->pos++;
            token_t *number = s_cur (p);
            if (number->type != T_NUMBER || number->size > 9) {
                s_fail (p);
                return -1;
            }
            for (size_t i = 0; i < number->size; i++)
                elem.index = elem.index * 10
                           + (size_t) (p->text [number->start + i] - '0');
            p->pos++;
            if (s_cur (p)->type != T_RBRACKET) {
                s_fail (p);
                return -1;
            }
            p->pos++;
        }
        else
            break;
        if (path->count == capacity) {
            zyn_path_elem_t *bigger = (zyn_path_elem_t *) zyn_arena_alloc (
                p->arena, 2 * capacity * sizeof (zyn_path_elem_t));
            memcpy (bigger, path->elems, capacity * sizeof (zyn_path_elem_t));
            path->elems = bigger;
            capacity *= 2;
        }
        path->elems [path->count++] = elem;
    }
    return 0;
}

static zyn_node_t *
s_paren_copy (parser_t *p, zyn_node_t *inner)
{
    zyn_node_t *copy = (zyn_node_t *) zyn_arena_alloc (p->arena, sizeof (*copy));
    *copy = *inner;
    copy->parens++;
    return copy;
}

//  Collect a comma-separated operand list into node->args
static zyn_node_t *
s_operand_list (parser_t *p, zyn_node_type_t type, zyn_node_t *first)
{
    //  Small on the stack: function calls nest deeply
    size_t capacity = 4;
    size_t count = 0;
    zyn_node_t **args = (zyn_node_t **) zyn_arena_alloc (
        p->arena, capacity * sizeof (zyn_node_t *));
    if (first)
        args [count++] = first;
    while (true) {
        zyn_node_t *arg = s_operand (p);
        if (!arg)
            return NULL;
        if (count == capacity) {
            zyn_node_t **bigger = (zyn_node_t **) zyn_arena_alloc (
                p->arena, 2 * capacity * sizeof (zyn_node_t *));
            memcpy (bigger, args, count * sizeof (zyn_node_t *));
            args = bigger;
            capacity *= 2;
        }
        args [count++] = arg;
        if (s_cur (p)->type != T_COMMA)
            break;
        p->pos++;
    }
    zyn_node_t *node = zyn_node_new (p->arena, type, 0);
    node->args = args;
    node->nargs = count;
    return node;
}

//  operand = "(" operand ")" / value / function / path
static zyn_node_t *
s_operand (parser_t *p)
{
    size_t start = p->pos;
    memo_t *memo = &p->operand_memo [start];
    if (memo->state == 1) {
        p->pos = memo->end;
        return memo->node;
    }
    if (memo->state == 2)
        return s_fail (p);
    if (p->depth >= ZYN_EXPR_DEPTH_MAX)
        return s_fail (p);
    p->depth++;

    zyn_node_t *node = NULL;
    token_t *token = s_cur (p);
    if (token->type == T_LPAREN) {
        p->pos++;
        zyn_node_t *inner = s_operand (p);
        if (inner && s_cur (p)->type == T_RPAREN) {
            p->pos++;
            node = s_paren_copy (p, inner);
        }
        else
        if (inner)
            s_fail (p);
    }
    else
    if (token->type == T_VALUE) {
        node = zyn_node_new (p->arena, ZYN_NODE_VALUE, 0);
        node->name = s_token_text (p, token);
        p->pos++;
    }
    else
    if (token->type == T_NAME && s_peek (p, 1) == T_LPAREN
        && !s_is_keyword (p, token)) {
        char *name = s_token_text (p, token);
        p->pos += 2;
        node = s_operand_list (p, ZYN_NODE_FUNCTION, NULL);
        if (node && s_cur (p)->type == T_RPAREN) {
            p->pos++;
            node->name = name;
        }
        else {
            if (node)
                s_fail (p);
            node = NULL;
        }
    }
    else
    if (s_path_elem_ok (p, token)) {
        node = zyn_node_new (p->arena, ZYN_NODE_PATH, 0);
        if (s_path (p, &node->path))
            node = NULL;
    }
    else
        s_fail (p);

    p->depth--;
    memo->state = node ? 1 : 2;
    memo->end = p->pos;
    memo->node = node;
    if (!node)
        p->pos = start;
    return node;
}

static bool
s_is_comparator (tok_type_t type)
{
    return type == T_EQ || type == T_NE || type == T_LT || type == T_LE
        || type == T_GT || type == T_GE;
}

//  comparison = operand comparator operand / operand BETWEEN operand AND
//  operand / operand IN "(" operand *("," operand) ")" / function
static zyn_node_t *
s_comparison (parser_t *p)
{
    size_t start = p->pos;
    zyn_node_t *left = s_operand (p);
    if (!left)
        return NULL;
    token_t *token = s_cur (p);
    zyn_node_t *node = NULL;
    if (s_is_comparator (token->type)) {
        static const zyn_cmp_t ops [] = {
            [T_EQ] = ZYN_CMP_EQ, [T_NE] = ZYN_CMP_NE, [T_LT] = ZYN_CMP_LT,
            [T_LE] = ZYN_CMP_LE, [T_GT] = ZYN_CMP_GT, [T_GE] = ZYN_CMP_GE
        };
        p->pos++;
        zyn_node_t *right = s_operand (p);
        if (right) {
            node = zyn_node_new (p->arena, ZYN_NODE_COMPARE, 2);
            node->op = ops [token->type];
            node->args [0] = left;
            node->args [1] = right;
        }
    }
    else
    if (s_token_is (p, token, "BETWEEN")) {
        p->pos++;
        zyn_node_t *lower = s_operand (p);
        if (lower && !s_token_is (p, s_cur (p), "AND"))
            s_fail (p);
        else
        if (lower) {
            p->pos++;
            zyn_node_t *upper = s_operand (p);
            if (upper) {
                node = zyn_node_new (p->arena, ZYN_NODE_BETWEEN, 3);
                node->args [0] = left;
                node->args [1] = lower;
                node->args [2] = upper;
            }
        }
    }
    else
    if (s_token_is (p, token, "IN")) {
        p->pos++;
        if (s_cur (p)->type != T_LPAREN)
            s_fail (p);
        else {
            p->pos++;
            node = s_operand_list (p, ZYN_NODE_IN, left);
            if (node && s_cur (p)->type == T_RPAREN)
                p->pos++;
            else {
                if (node)
                    s_fail (p);
                node = NULL;
            }
        }
    }
    else
    if (left->type == ZYN_NODE_FUNCTION)
        node = left;
    else
        s_fail (p);
    if (!node)
        p->pos = start;
    return node;
}

//  primary = "(" condition ")" / comparison
static zyn_node_t *
s_primary (parser_t *p)
{
    size_t start = p->pos;
    memo_t *memo = &p->primary_memo [start];
    if (memo->state == 1) {
        p->pos = memo->end;
        return memo->node;
    }
    if (memo->state == 2)
        return s_fail (p);
    if (p->depth >= ZYN_EXPR_DEPTH_MAX)
        return s_fail (p);
    p->depth++;

    zyn_node_t *node = NULL;
    if (s_cur (p)->type == T_LPAREN) {
        p->pos++;
        zyn_node_t *inner = s_or (p);
        if (inner && s_cur (p)->type == T_RPAREN) {
            p->pos++;
            //  "(size (a)) = :v": the parentheses held an operand
            token_t *next = s_cur (p);
            if (s_is_comparator (next->type) || s_token_is (p, next, "IN")
                || s_token_is (p, next, "BETWEEN"))
                p->pos = start;
            else
                node = s_paren_copy (p, inner);
        }
        else {
            if (inner)
                s_fail (p);
            p->pos = start;
        }
    }
    if (!node)
        node = s_comparison (p);

    p->depth--;
    memo->state = node ? 1 : 2;
    memo->end = p->pos;
    memo->node = node;
    if (!node)
        p->pos = start;
    return node;
}

static zyn_node_t *
s_not (parser_t *p)
{
    if (s_token_is (p, s_cur (p), "NOT")) {
        if (p->depth >= ZYN_EXPR_DEPTH_MAX)
            return s_fail (p);
        size_t start = p->pos;
        p->pos++;
        p->depth++;
        zyn_node_t *inner = s_not (p);
        p->depth--;
        if (!inner) {
            p->pos = start;
            return NULL;
        }
        zyn_node_t *node = zyn_node_new (p->arena, ZYN_NODE_NOT, 1);
        node->args [0] = inner;
        return node;
    }
    return s_primary (p);
}

static zyn_node_t *
s_binary (parser_t *p, const char *keyword, zyn_node_type_t type,
          zyn_node_t *(*next) (parser_t *))
{
    zyn_node_t *left = next (p);
    while (left && s_token_is (p, s_cur (p), keyword)) {
        p->pos++;
        zyn_node_t *right = next (p);
        if (!right)
            return NULL;
        zyn_node_t *node = zyn_node_new (p->arena, type, 2);
        node->args [0] = left;
        node->args [1] = right;
        left = node;
    }
    return left;
}

static zyn_node_t *
s_and (parser_t *p)
{
    return s_binary (p, "AND", ZYN_NODE_AND, s_not);
}

static zyn_node_t *
s_or (parser_t *p)
{
    return s_binary (p, "OR", ZYN_NODE_OR, s_and);
}

//  set-value = operand [ ("+" / "-") operand ]
static zyn_node_t *
s_set_value (parser_t *p)
{
    if (s_cur (p)->type == T_LPAREN && p->depth < ZYN_EXPR_DEPTH_MAX) {
        size_t start = p->pos;
        p->pos++;
        p->depth++;
        zyn_node_t *inner = s_set_value (p);
        p->depth--;
        if (inner && s_cur (p)->type == T_RPAREN) {
            p->pos++;
            return s_paren_copy (p, inner);
        }
        p->pos = start;
    }
    zyn_node_t *left = s_operand (p);
    if (!left)
        return NULL;
    tok_type_t type = s_cur (p)->type;
    if (type != T_PLUS && type != T_MINUS)
        return left;
    p->pos++;
    zyn_node_t *right = s_operand (p);
    if (!right)
        return NULL;
    zyn_node_t *node = zyn_node_new (
        p->arena, type == T_PLUS ? ZYN_NODE_PLUS : ZYN_NODE_MINUS, 2);
    node->args [0] = left;
    node->args [1] = right;
    return node;
}

//  update = 1*( SET set-action *("," set-action) / REMOVE path *("," path)
//           / ADD path value *(...) / DELETE path value *(...) )
static int
s_update (parser_t *p, zyn_parsed_t *parsed)
{
    size_t capacity = 8;
    parsed->actions = (zyn_update_action_t *) zyn_arena_alloc (
        p->arena, capacity * sizeof (zyn_update_action_t));
    p->sections = (zyn_action_t *) zyn_arena_alloc (
        p->arena, (p->count + 1) * sizeof (zyn_action_t));
    do {
        token_t *token = s_cur (p);
        zyn_action_t action = s_token_is (p, token, "SET") ? ZYN_ACTION_SET
                            : s_token_is (p, token, "REMOVE") ? ZYN_ACTION_REMOVE
                            : s_token_is (p, token, "ADD") ? ZYN_ACTION_ADD
                            : s_token_is (p, token, "DELETE") ? ZYN_ACTION_DELETE
                            : 0;
        if (!action) {
            s_fail (p);
            return -1;
        }
        p->pos++;
        p->sections [p->section_count++] = action;
        while (true) {
            zyn_update_action_t entry = { action, { NULL, 0 }, NULL, false };
            if (s_path (p, &entry.path))
                return -1;
            if (action == ZYN_ACTION_SET) {
                if (s_cur (p)->type != T_EQ) {
                    s_fail (p);
                    return -1;
                }
                p->pos++;
                entry.value = s_set_value (p);
                if (!entry.value)
                    return -1;
            }
            else
            if (action != ZYN_ACTION_REMOVE) {
                token_t *value = s_cur (p);
                if (value->type != T_VALUE) {
                    s_fail (p);
                    return -1;
                }
                entry.value = zyn_node_new (p->arena, ZYN_NODE_VALUE, 0);
                entry.value->name = s_token_text (p, value);
                p->pos++;
            }
            if (parsed->action_count == capacity) {
                zyn_update_action_t *bigger = (zyn_update_action_t *)
                    zyn_arena_alloc (p->arena, 2 * capacity
                                                   * sizeof (*bigger));
                memcpy (bigger, parsed->actions, capacity * sizeof (*bigger));
                parsed->actions = bigger;
                capacity *= 2;
            }
            parsed->actions [parsed->action_count++] = entry;
            if (s_cur (p)->type != T_COMMA)
                break;
            p->pos++;
        }
    } while (s_cur (p)->type != T_EOF);
    return 0;
}

//  projection = path *("," path)
static int
s_projection (parser_t *p, zyn_parsed_t *parsed)
{
    size_t capacity = 8;
    parsed->paths = (zyn_path_t *) zyn_arena_alloc (
        p->arena, capacity * sizeof (zyn_path_t));
    while (true) {
        zyn_path_t path;
        if (s_path (p, &path))
            return -1;
        if (parsed->path_count == capacity) {
            zyn_path_t *bigger = (zyn_path_t *) zyn_arena_alloc (
                p->arena, 2 * capacity * sizeof (zyn_path_t));
            memcpy (bigger, parsed->paths, capacity * sizeof (zyn_path_t));
            parsed->paths = bigger;
            capacity *= 2;
        }
        parsed->paths [parsed->path_count++] = path;
        if (s_cur (p)->type != T_COMMA)
            break;
        p->pos++;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Checks after a successful parse

void
zyn_path_format (const zyn_path_t *path, char *buf, size_t size)
{
    size_t used = 0;
    used += snprintf (buf + used, size - used, "[");
    for (size_t i = 0; i < path->count && used < size; i++) {
        const char *sep = i ? ", " : "";
        if (path->elems [i].name)
            used += snprintf (buf + used, size - used, "%s%s", sep,
                              path->elems [i].name);
        else
            used += snprintf (buf + used, size - used, "%s[%zu]", sep,
                              path->elems [i].index);
    }
    if (used < size)
        snprintf (buf + used, size - used, "]");
}

static bool
s_paths_equal (const zyn_path_t *a, const zyn_path_t *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const zyn_path_elem_t *x = &a->elems [i];
        const zyn_path_elem_t *y = &b->elems [i];
        if ((x->name == NULL) != (y->name == NULL))
            return false;
        if (x->name ? strcmp (x->name, y->name) != 0 : x->index != y->index)
            return false;
    }
    return true;
}

//  Returns 0 (unrelated), 1 (overlap) or 2 (conflict)
static int
s_paths_relate (const zyn_path_t *a, const zyn_path_t *b)
{
    for (size_t i = 0; i < a->count && i < b->count; i++) {
        const zyn_path_elem_t *x = &a->elems [i];
        const zyn_path_elem_t *y = &b->elems [i];
        if ((x->name == NULL) != (y->name == NULL))
            return 2;
        if (x->name ? strcmp (x->name, y->name) != 0 : x->index != y->index)
            return 0;
    }
    return 1;
}

int
zyn_paths_check (const zyn_path_t *paths, size_t count, char *buf,
                 size_t size)
{
    int found = 0;
    for (size_t j = 1; j < count && found != 1; j++) {
        for (size_t i = 0; i < j; i++) {
            int relation = s_paths_relate (&paths [i], &paths [j]);
            if (relation == 0 || (relation == 2 && found))
                continue;
            char one [200], two [200];
            zyn_path_format (&paths [i], one, sizeof (one));
            zyn_path_format (&paths [j], two, sizeof (two));
            snprintf (buf, size,
                      "Two document paths %s with each other; must remove or "
                      "rewrite one of these paths; path one: %s, path two: %s",
                      relation == 1 ? "overlap" : "conflict", one, two);
            found = relation;
            if (found == 1)
                break;
        }
    }
    return found ? -1 : 0;
}

static void
s_resolve_path (parser_t *p, zyn_path_t *path)
{
    zyn_placeholders_t *holders = p->holders;
    for (size_t i = 0; i < path->count; i++) {
        const char *name = path->elems [i].name;
        if (!name)
            continue;
        if (name [0] == '#') {
            size_t entries = holders->names ? zyn_value_size (holders->names)
                                            : 0;
            size_t index = 0;
            for (; index < entries; index++)
                if (streq (zyn_value_map_name (holders->names, index), name))
                    break;
            if (index < entries) {
                holders->names_used [index] = true;
                zyn_value_t *value = zyn_value_map_value (holders->names,
                                                          index);
                path->elems [i].name = zyn_arena_strndup (
                    p->arena, zyn_value_data (value), zyn_value_size (value));
            }
            else {
                const char *message = "An expression attribute name used in "
                                      "the document path is not defined; "
                                      "attribute name: %s";
                s_error (p, E_NAME, message, name);
                s_error (p, E_NAMEVAL, message, name);
            }
        }
        else
        if (zyn_reserved_is (name, strlen (name)))
            s_error (p, E_RESERVED,
                     "Attribute name is a reserved keyword; reserved keyword: "
                     "%s", name);
    }
}

static void
s_resolve_value (parser_t *p, zyn_node_t *node)
{
    zyn_placeholders_t *holders = p->holders;
    size_t entries = holders->values ? zyn_value_size (holders->values) : 0;
    for (size_t index = 0; index < entries; index++)
        if (streq (zyn_value_map_name (holders->values, index), node->name)) {
            holders->values_used [index] = true;
            node->value = zyn_value_map_value (holders->values, index);
            return;
        }
    const char *message = "An expression attribute value used in expression "
                          "is not defined; attribute value: %s";
    s_error (p, E_VALUE, message, node->name);
    s_error (p, E_NAMEVAL, message, node->name);
}

//  The type an operand is known to have before evaluation, or 0
static zyn_type_t
s_static_type (const zyn_node_t *node, bool immediate)
{
    if (node->type == ZYN_NODE_VALUE)
        return node->value ? zyn_value_type (node->value) : 0;
    if (immediate)
        return 0;
    if (node->type == ZYN_NODE_FUNCTION) {
        if (node->op == ZYN_FN_SIZE)
            return ZYN_TYPE_N;
        if (node->op == ZYN_FN_LIST_APPEND)
            return ZYN_TYPE_L;
        if (node->op == ZYN_FN_IF_NOT_EXISTS && node->nargs == 2)
            return s_static_type (node->args [1], false);
    }
    if (node->type == ZYN_NODE_PLUS || node->type == ZYN_NODE_MINUS)
        return ZYN_TYPE_N;
    return 0;
}

static const char *
s_cmp_symbol (int op)
{
    static const char *const symbols [] = { "=", "<>", "<", "<=", ">", ">=" };
    return symbols [op];
}

static void
s_check_distinct (parser_t *p, const char *op, zyn_node_t *a, zyn_node_t *b)
{
    if (a->type == ZYN_NODE_PATH && b->type == ZYN_NODE_PATH
        && s_paths_equal (&a->path, &b->path)) {
        char text [256];
        zyn_path_format (&a->path, text, sizeof (text));
        s_error (p, E_DISTINCT,
                 "The first operand must be distinct from the remaining "
                 "operands for this operator or function; operator: %s, "
                 "first operand: %s", op, text);
    }
}

static void
s_type_error (parser_t *p, const char *function, zyn_type_t type)
{
    s_error (p, E_FUNCTION,
             "Incorrect operand type for operator or function; operator or "
             "function: %s, operand type: %s", function, zyn_type_name (type));
}

//  DynamoDB's long type names, used in some operand type messages
static const char *
s_update_type_name (zyn_type_t type)
{
    switch (type) {
        case ZYN_TYPE_S: return "STRING";
        case ZYN_TYPE_N: return "NUMBER";
        case ZYN_TYPE_B: return "BINARY";
        case ZYN_TYPE_NULL: return "NULL";
        case ZYN_TYPE_BOOL: return "BOOLEAN";
        case ZYN_TYPE_L: return "LIST";
        case ZYN_TYPE_M: return "MAP";
        default: return NULL;
    }
}

static void s_check_node (parser_t *p, zyn_node_t *node, bool condition);

static void
s_check_function (parser_t *p, zyn_node_t *node, bool condition)
{
    static const struct {
        const char *name;
        zyn_fn_t fn;
        size_t nargs;
        bool update;
    } functions [] = {
        { "attribute_exists", ZYN_FN_ATTRIBUTE_EXISTS, 1, false },
        { "attribute_not_exists", ZYN_FN_ATTRIBUTE_NOT_EXISTS, 1, false },
        { "attribute_type", ZYN_FN_ATTRIBUTE_TYPE, 2, false },
        { "begins_with", ZYN_FN_BEGINS_WITH, 2, false },
        { "contains", ZYN_FN_CONTAINS, 2, false },
        { "size", ZYN_FN_SIZE, 1, false },
        { "if_not_exists", ZYN_FN_IF_NOT_EXISTS, 2, true },
        { "list_append", ZYN_FN_LIST_APPEND, 2, true },
    };
    bool update = p->kind == ZYN_KIND_UPDATE;
    size_t expected = 0;
    node->op = ZYN_FN_UNKNOWN;
    bool elsewhere = false;
    for (size_t i = 0; i < sizeof (functions) / sizeof (functions [0]); i++)
        if (streq (functions [i].name, node->name)) {
            if (functions [i].update == update) {
                node->op = functions [i].fn;
                expected = functions [i].nargs;
            }
            else
                elsewhere = true;
        }
    //  A function of the other kind of expression is known, but refused
    if (elsewhere)
        s_error (p, E_MISUSED_FN,
                 "The function is not allowed to be used this way in an "
                 "expression; function: %s", node->name);
    else
    if (node->op == ZYN_FN_UNKNOWN)
        s_error (p, E_UNKNOWN_FN, "Invalid function name; function: %s",
                 node->name);
    p->function_depth++;
    for (size_t i = 0; i < node->nargs; i++)
        s_check_node (p, node->args [i], false);
    p->function_depth--;
    if (node->op == ZYN_FN_UNKNOWN)
        return;
    //  Conditions take size () only as an operand and the others only as
    //  conditions; updates refuse list_append () inside another function
    if ((!update && (node->op == ZYN_FN_SIZE) == condition)
        || (update && node->op == ZYN_FN_LIST_APPEND && p->function_depth))
        s_error (p, E_MISUSED_FN,
                 "The function is not allowed to be used this way in an "
                 "expression; function: %s", node->name);
    if (node->nargs != expected) {
        s_error (p, E_OPERAND_COUNT,
                 "Incorrect number of operands for operator or function; "
                 "operator or function: %s, number of operands: %zu",
                 node->name, node->nargs);
        return;
    }
    if (node->nargs == 2 && !update)
        s_check_distinct (p, node->name, node->args [0], node->args [1]);

    zyn_type_t type;
    switch ((zyn_fn_t) node->op) {
        case ZYN_FN_ATTRIBUTE_EXISTS:
        case ZYN_FN_ATTRIBUTE_NOT_EXISTS:
        case ZYN_FN_IF_NOT_EXISTS:
            if (node->args [0]->type != ZYN_NODE_PATH)
                s_error (p, E_FUNCTION,
                         "Operator or function requires a document path; "
                         "operator or function: %s", node->name);
            break;
        case ZYN_FN_BEGINS_WITH:
            for (size_t i = 0; i < 2; i++) {
                type = s_static_type (node->args [i], false);
                if (type && type != ZYN_TYPE_S && type != ZYN_TYPE_B) {
                    s_type_error (p, node->name, type);
                    break;
                }
            }
            break;
        case ZYN_FN_ATTRIBUTE_TYPE:
            type = s_static_type (node->args [1], false);
            if (!type && node->args [1]->type == ZYN_NODE_PATH)
                //  The type must be a value, never read from the item
                s_error (p, E_FUNCTION,
                         "Incorrect operand type for operator or function; "
                         "operator or function: %s, operand type: "
                         "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}", node->name);
            else
            if (type && type != ZYN_TYPE_S)
                s_type_error (p, node->name, type);
            else
            if (type == ZYN_TYPE_S
                && !zyn_type_from_name (zyn_value_data (node->args [1]->value)))
                s_error (p, E_FUNCTION,
                         "Invalid attribute type name found; type: %s, valid "
                         "types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
                         zyn_value_data (node->args [1]->value));
            break;
        case ZYN_FN_SIZE:
            type = s_static_type (node->args [0], false);
            if (type == ZYN_TYPE_N || type == ZYN_TYPE_BOOL
                || type == ZYN_TYPE_NULL)
                s_type_error (p, node->name, type);
            break;
        case ZYN_FN_LIST_APPEND:
            for (size_t i = 0; i < 2; i++) {
                type = s_static_type (node->args [i], true);
                if (type && type != ZYN_TYPE_L) {
                    s_type_error (p, node->name, type);
                    break;
                }
            }
            break;
        default:
            break;
    }
}

static void
s_format_bound (const zyn_value_t *value, char *buf, size_t size)
{
    snprintf (buf, size, "AttributeValue: {%s:%s}",
              zyn_type_name (zyn_value_type (value)),
              zyn_value_data (value) ? zyn_value_data (value) : "");
}

static void
s_check_node (parser_t *p, zyn_node_t *node, bool condition)
{
    //  DynamoDB accepts doubled parentheses in key conditions only
    if (node->parens > 1 && p->kind != ZYN_KIND_KEY_CONDITION)
        s_error (p, E_PARENS, "The expression has redundant parentheses;");
    switch (node->type) {
        case ZYN_NODE_PATH:
            s_resolve_path (p, &node->path);
            break;
        case ZYN_NODE_VALUE:
            s_resolve_value (p, node);
            break;
        case ZYN_NODE_FUNCTION:
            s_check_function (p, node, condition);
            break;
        case ZYN_NODE_AND:
        case ZYN_NODE_OR:
        case ZYN_NODE_NOT:
            p->operators++;
            for (size_t i = 0; i < node->nargs; i++)
                s_check_node (p, node->args [i], true);
            break;
        case ZYN_NODE_PLUS:
        case ZYN_NODE_MINUS: {
            p->operators++;
            const char *symbol = node->type == ZYN_NODE_PLUS ? "+" : "-";
            for (size_t i = 0; i < node->nargs; i++)
                s_check_node (p, node->args [i], false);
            for (size_t i = 0; i < node->nargs; i++) {
                zyn_type_t type = s_static_type (node->args [i], true);
                if (type && type != ZYN_TYPE_N) {
                    s_type_error (p, symbol, type);
                    break;
                }
            }
            break;
        }
        case ZYN_NODE_COMPARE:
        case ZYN_NODE_BETWEEN:
        case ZYN_NODE_IN:
            p->operators++;
            for (size_t i = 0; i < node->nargs; i++)
                s_check_node (p, node->args [i], false);
            if (node->type == ZYN_NODE_COMPARE)
                s_check_distinct (p, s_cmp_symbol (node->op), node->args [0],
                                  node->args [1]);
            //  An ordering of a constant that cannot be ordered is refused
            //  at once; an attribute of such a type just compares false
            if ((node->type == ZYN_NODE_COMPARE && node->op >= ZYN_CMP_LT)
                || node->type == ZYN_NODE_BETWEEN)
                for (size_t i = 0; i < node->nargs; i++) {
                    zyn_type_t type = s_static_type (node->args [i], true);
                    if (type && type != ZYN_TYPE_S && type != ZYN_TYPE_N
                        && type != ZYN_TYPE_B) {
                        const char *name = s_update_type_name (type);
                        s_error (p, E_FUNCTION,
                                 "Incorrect operand type for operator or "
                                 "function; operator or function: %s, operand "
                                 "type: %s", node->type == ZYN_NODE_BETWEEN
                                                 ? "BETWEEN"
                                                 : s_cmp_symbol (node->op),
                                 name ? name : zyn_type_name (type));
                        break;
                    }
                }
            //  The operand on the left counts too: IN takes 99 values
            if (node->type == ZYN_NODE_IN && node->nargs > ZYN_EXPR_IN_MAX)
                s_error (p, E_LIMIT,
                         "The IN operator is provided with too many operands; "
                         "number of operands: %zu", node->nargs);
            if (node->type == ZYN_NODE_BETWEEN) {
                const zyn_value_t *lower = node->args [1]->value;
                const zyn_value_t *upper = node->args [2]->value;
                if (node->args [1]->type == ZYN_NODE_VALUE && lower
                    && node->args [2]->type == ZYN_NODE_VALUE && upper) {
                    char one [160], two [160];
                    s_format_bound (lower, one, sizeof (one));
                    s_format_bound (upper, two, sizeof (two));
                    if (zyn_value_type (lower) != zyn_value_type (upper))
                        s_error (p, E_FUNCTION,
                                 "The BETWEEN operator requires same data "
                                 "type for lower and upper bounds; lower "
                                 "bound operand: %s, upper bound operand: %s",
                                 one, two);
                    else
                    if (zyn_value_compare (lower, upper) > 0)
                        s_error (p, E_FUNCTION,
                                 "The BETWEEN operator requires upper bound "
                                 "to be greater than or equal to lower bound; "
                                 "lower bound operand: %s, upper bound "
                                 "operand: %s", one, two);
                }
            }
            break;
    }
}

static const char *
s_action_name (zyn_action_t action)
{
    return action == ZYN_ACTION_SET      ? "SET"
         : action == ZYN_ACTION_REMOVE   ? "REMOVE"
         : action == ZYN_ACTION_ADD      ? "ADD"
                                         : "DELETE";
}

static void
s_check_update (parser_t *p, zyn_parsed_t *parsed)
{
    for (size_t i = 0; i < p->section_count; i++)
        for (size_t j = 0; j < i; j++)
            if (p->sections [i] == p->sections [j])
                s_error (p, E_SECTION,
                         "The \"%s\" section can only be used once in an "
                         "update expression;",
                         s_action_name (p->sections [i]));
    zyn_path_t *paths = (zyn_path_t *) zyn_arena_alloc (
        p->arena, (parsed->action_count + 1) * sizeof (zyn_path_t));
    for (size_t i = 0; i < parsed->action_count; i++) {
        zyn_update_action_t *entry = &parsed->actions [i];
        s_resolve_path (p, &entry->path);
        paths [i] = entry->path;
        if (entry->value)
            s_check_node (p, entry->value, false);
        if (entry->action == ZYN_ACTION_ADD
            || entry->action == ZYN_ACTION_DELETE) {
            zyn_type_t type = s_static_type (entry->value, true);
            const char *name = s_update_type_name (type);
            if (name && !(entry->action == ZYN_ACTION_ADD
                          && type == ZYN_TYPE_N))
                s_error (p, E_UPDATE_OPERAND,
                         "Incorrect operand type for operator or function; "
                         "operator: %s, operand type: %s",
                         s_action_name (entry->action), name);
        }
    }
    char message [ZYN_ERROR_MESSAGE_MAX];
    if (zyn_paths_check (paths, parsed->action_count, message,
                         sizeof (message)))
        s_error (p, strstr (message, "overlap") ? E_OVERLAP : E_CONFLICT,
                 "%s", message);
}

//  --------------------------------------------------------------------------
//  Parse one expression of kind. Returns 0, or -1 with DynamoDB's message.

int
zyn_expr_parse (zyn_arena_t *arena, zyn_expr_kind_t kind, const char *text,
                size_t size, zyn_placeholders_t *holders, zyn_parsed_t *parsed,
                zyn_error_t *err)
{
    const char *param = zyn_expr_kind_param (kind);
    memset (parsed, 0, sizeof (*parsed));
    if (size == 0)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid %s: The expression can not be empty;",
                              param);
    if (size > ZYN_EXPR_SIZE_MAX)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid %s: Expression size has exceeded the "
                              "maximum allowed size; expression size: %zu",
                              param, size);

    parser_t parser;
    memset (&parser, 0, sizeof (parser));
    parser_t *p = &parser;
    p->arena = arena;
    p->kind = kind;
    p->text = text;
    p->size = size;
    p->holders = holders;
    p->tokens = (token_t *) zyn_arena_alloc (arena,
                                             (size + 1) * sizeof (token_t));
    p->count = s_tokenize (text, size, p->tokens);
    p->operand_memo = (memo_t *) zyn_arena_alloc (arena,
                                                  p->count * sizeof (memo_t));
    p->primary_memo = (memo_t *) zyn_arena_alloc (arena,
                                                  p->count * sizeof (memo_t));
    int rc = 0;
    if (kind == ZYN_KIND_UPDATE)
        rc = s_update (p, parsed);
    else
    if (kind == ZYN_KIND_PROJECTION)
        rc = s_projection (p, parsed);
    else {
        parsed->root = s_or (p);
        rc = parsed->root ? 0 : -1;
    }
    if (rc == 0 && s_cur (p)->type != T_EOF) {
        s_fail (p);
        rc = -1;
    }
    if (rc) {
        //  The furthest token reached, with its neighbours for context
        size_t at = p->furthest < p->count ? p->furthest : p->count - 1;
        token_t *token = &p->tokens [at];
        size_t start = at > 0 ? p->tokens [at - 1].start : token->start;
        size_t end = token->start + token->size;
        if (token->type != T_EOF && at + 1 < p->count
            && p->tokens [at + 1].type != T_EOF)
            end = p->tokens [at + 1].start + p->tokens [at + 1].size;
        if (token->type == T_EOF) {
            if (at > 0)
                end = p->tokens [at - 1].start + p->tokens [at - 1].size;
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "Invalid %s: Syntax error; token: \"<EOF>\", "
                                  "near: \"%.*s\"", param, (int) (end - start),
                                  text + start);
        }
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Invalid %s: Syntax error; token: \"%.*s\", "
                              "near: \"%.*s\"", param, (int) token->size,
                              text + token->start, (int) (end - start),
                              text + start);
    }

    const eclass_t *order = s_condition_order;
    if (kind == ZYN_KIND_UPDATE) {
        s_check_update (p, parsed);
        order = s_update_order;
    }
    else
    if (kind == ZYN_KIND_PROJECTION) {
        for (size_t i = 0; i < parsed->path_count; i++)
            s_resolve_path (p, &parsed->paths [i]);
        char message [ZYN_ERROR_MESSAGE_MAX];
        if (zyn_paths_check (parsed->paths, parsed->path_count, message,
                             sizeof (message)))
            s_error (p, strstr (message, "overlap") ? E_OVERLAP : E_CONFLICT,
                     "%s", message);
        order = s_projection_order;
    }
    else
        s_check_node (p, parsed->root, true);
    //  DynamoDB stops counting at the first operator past the limit
    if (p->operators > ZYN_EXPR_OPERATORS_MAX)
        s_error (p, E_LIMIT,
                 "The expression contains too many operators; operator "
                 "count: %d", ZYN_EXPR_OPERATORS_MAX + 1);

    for (size_t i = 0; order [i] != E_COUNT; i++)
        if (p->errors_set [order [i]])
            return zyn_error_set (err, ZYN_ERR_VALIDATION, "Invalid %s: %s",
                                  param, p->errors [order [i]]);
    return 0;
}
