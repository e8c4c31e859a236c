/*  =========================================================================
    zyn_cli_args - `aws dynamodb` flags to DynamoDB request bodies

    One static table lists each subcommand with its flags; a flag's
    parameter name is the flag in PascalCase (--table-name -> TableName),
    so the table only says each flag's kind. JSON arguments are read as
    JSON, from file://path, or in the AWS CLI's shorthand for flat
    structures (AttributeName=pk,KeyType=HASH), one per word for lists.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <jansson.h>
#include "zyn_cli.h"

typedef enum {
    FLAG_STRING,                    //  --table-name T
    FLAG_JSON,                      //  --item '{...}' or file://item.json
    FLAG_JSON_LIST,                 //  --key-schema '[...]' or shorthand words
    FLAG_INTEGER,                   //  --limit 10
    FLAG_BOOLEAN,                   //  --consistent-read / --no-consistent-read
    FLAG_STRINGS                    //  --attributes-to-get a b c
} s_flag_kind_t;

typedef struct {
    const char *name;               //  Without the leading dashes
    s_flag_kind_t kind;
    bool required;
} s_flag_t;

#define FLAGS_MAX 24

struct zyn_cli_command {
    const char *name;
    const char *operation;
    s_flag_t flags [FLAGS_MAX];
};

//  Shared flag sets, spelled out per command below
#define F_TABLE { "table-name", FLAG_STRING, true }
#define F_NAMES { "expression-attribute-names", FLAG_JSON, false }
#define F_VALUES { "expression-attribute-values", FLAG_JSON, false }
#define F_CAPACITY { "return-consumed-capacity", FLAG_STRING, false }
#define F_METRICS { "return-item-collection-metrics", FLAG_STRING, false }
#define F_RETURN { "return-values", FLAG_STRING, false }
#define F_RETURN_FAILED                                                     \
    { "return-values-on-condition-check-failure", FLAG_STRING, false }
#define F_CONDITION { "condition-expression", FLAG_STRING, false }
#define F_EXPECTED { "expected", FLAG_JSON, false }
#define F_OPERATOR { "conditional-operator", FLAG_STRING, false }
#define F_CONSISTENT { "consistent-read", FLAG_BOOLEAN, false }
#define F_PROJECTION { "projection-expression", FLAG_STRING, false }
#define F_ATTRIBUTES { "attributes-to-get", FLAG_STRINGS, false }

static const zyn_cli_command_t s_commands [] = {
    { "create-table", "CreateTable",
      { F_TABLE, { "attribute-definitions", FLAG_JSON_LIST, true },
        { "key-schema", FLAG_JSON_LIST, true },
        { "local-secondary-indexes", FLAG_JSON_LIST, false },
        { "global-secondary-indexes", FLAG_JSON_LIST, false },
        { "billing-mode", FLAG_STRING, false },
        { "provisioned-throughput", FLAG_JSON, false },
        { "stream-specification", FLAG_JSON, false },
        { "sse-specification", FLAG_JSON, false },
        { "tags", FLAG_JSON_LIST, false },
        { "table-class", FLAG_STRING, false },
        { "deletion-protection-enabled", FLAG_BOOLEAN, false },
        { "on-demand-throughput", FLAG_JSON, false } } },
    { "update-table", "UpdateTable",
      { F_TABLE, { "attribute-definitions", FLAG_JSON_LIST, false },
        { "billing-mode", FLAG_STRING, false },
        { "provisioned-throughput", FLAG_JSON, false },
        { "global-secondary-index-updates", FLAG_JSON_LIST, false },
        { "stream-specification", FLAG_JSON, false },
        { "sse-specification", FLAG_JSON, false },
        { "table-class", FLAG_STRING, false },
        { "deletion-protection-enabled", FLAG_BOOLEAN, false } } },
    { "describe-table", "DescribeTable", { F_TABLE } },
    { "delete-table", "DeleteTable", { F_TABLE } },
    { "list-tables", "ListTables",
      { { "exclusive-start-table-name", FLAG_STRING, false },
        { "limit", FLAG_INTEGER, false } } },
    { "put-item", "PutItem",
      { F_TABLE, { "item", FLAG_JSON, true }, F_EXPECTED, F_RETURN,
        F_CAPACITY, F_METRICS, F_OPERATOR, F_CONDITION, F_NAMES, F_VALUES,
        F_RETURN_FAILED } },
    { "get-item", "GetItem",
      { F_TABLE, { "key", FLAG_JSON, true }, F_ATTRIBUTES, F_CONSISTENT,
        F_CAPACITY, F_PROJECTION, F_NAMES } },
    { "delete-item", "DeleteItem",
      { F_TABLE, { "key", FLAG_JSON, true }, F_EXPECTED, F_OPERATOR,
        F_RETURN, F_CAPACITY, F_METRICS, F_CONDITION, F_NAMES, F_VALUES,
        F_RETURN_FAILED } },
    { "update-item", "UpdateItem",
      { F_TABLE, { "key", FLAG_JSON, true },
        { "attribute-updates", FLAG_JSON, false }, F_EXPECTED, F_OPERATOR,
        F_RETURN, F_CAPACITY, F_METRICS,
        { "update-expression", FLAG_STRING, false }, F_CONDITION, F_NAMES,
        F_VALUES, F_RETURN_FAILED } },
    { "query", "Query",
      { F_TABLE, { "index-name", FLAG_STRING, false },
        { "select", FLAG_STRING, false }, F_ATTRIBUTES,
        { "limit", FLAG_INTEGER, false }, F_CONSISTENT,
        { "key-conditions", FLAG_JSON, false },
        { "query-filter", FLAG_JSON, false }, F_OPERATOR,
        { "scan-index-forward", FLAG_BOOLEAN, false },
        { "exclusive-start-key", FLAG_JSON, false }, F_CAPACITY,
        F_PROJECTION, { "filter-expression", FLAG_STRING, false },
        { "key-condition-expression", FLAG_STRING, false }, F_NAMES,
        F_VALUES } },
    { "scan", "Scan",
      { F_TABLE, { "index-name", FLAG_STRING, false }, F_ATTRIBUTES,
        { "limit", FLAG_INTEGER, false }, { "select", FLAG_STRING, false },
        { "scan-filter", FLAG_JSON, false }, F_OPERATOR,
        { "exclusive-start-key", FLAG_JSON, false }, F_CAPACITY,
        { "total-segments", FLAG_INTEGER, false },
        { "segment", FLAG_INTEGER, false }, F_PROJECTION,
        { "filter-expression", FLAG_STRING, false }, F_NAMES, F_VALUES,
        F_CONSISTENT } },
    { "batch-get-item", "BatchGetItem",
      { { "request-items", FLAG_JSON, true }, F_CAPACITY } },
    { "batch-write-item", "BatchWriteItem",
      { { "request-items", FLAG_JSON, true }, F_CAPACITY, F_METRICS } },
    { "transact-get-items", "TransactGetItems",
      { { "transact-items", FLAG_JSON_LIST, true }, F_CAPACITY } },
    { "transact-write-items", "TransactWriteItems",
      { { "transact-items", FLAG_JSON_LIST, true }, F_CAPACITY, F_METRICS,
        { "client-request-token", FLAG_STRING, false } } },
    { "execute-statement", "ExecuteStatement",
      { { "statement", FLAG_STRING, true },
        { "parameters", FLAG_JSON_LIST, false }, F_CONSISTENT,
        { "next-token", FLAG_STRING, false }, F_CAPACITY,
        { "limit", FLAG_INTEGER, false }, F_RETURN_FAILED } },
    { "update-time-to-live", "UpdateTimeToLive",
      { F_TABLE, { "time-to-live-specification", FLAG_JSON, true } } },
    { "describe-time-to-live", "DescribeTimeToLive", { F_TABLE } },
    { "describe-limits", "DescribeLimits", { { NULL, 0, false } } },
    { "describe-endpoints", "DescribeEndpoints", { { NULL, 0, false } } },
};

#define COMMAND_COUNT (sizeof (s_commands) / sizeof (s_commands [0]))

//  --------------------------------------------------------------------------
//  Lookups

const zyn_cli_command_t *
zyn_cli_command_find (const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (streq (s_commands [i].name, name))
            return &s_commands [i];
    return NULL;
}

const char *
zyn_cli_command_operation (const zyn_cli_command_t *command)
{
    return command->operation;
}

const char *
zyn_cli_command_name (const zyn_cli_command_t *command)
{
    return command->name;
}

size_t
zyn_cli_command_count (void)
{
    return COMMAND_COUNT;
}

const zyn_cli_command_t *
zyn_cli_command_at (size_t index)
{
    return index < COMMAND_COUNT ? &s_commands [index] : NULL;
}

//  --------------------------------------------------------------------------
//  Print the subcommand's usage

void
zyn_cli_command_usage (const zyn_cli_command_t *command, FILE *file)
{
    fprintf (file, "usage: zyn %s", command->name);
    for (const s_flag_t *flag = command->flags; flag->name; flag++) {
        const char *meta = flag->kind == FLAG_STRING    ? " <value>"
                         : flag->kind == FLAG_INTEGER   ? " <integer>"
                         : flag->kind == FLAG_STRINGS   ? " <value> ..."
                         : flag->kind == FLAG_BOOLEAN   ? ""
                                                        : " <json>";
        if (flag->kind == FLAG_BOOLEAN)
            fprintf (file, "\n    [--%s | --no-%s]", flag->name, flag->name);
        else
            fprintf (file, "\n    %s--%s%s%s", flag->required ? "" : "[",
                     flag->name, meta, flag->required ? "" : "]");
    }
    fprintf (file, "\n    [--cli-input-json <json>] [--endpoint <url>]\n"
                   "\nSends DynamoDB's %s; JSON values may be given inline "
                   "or as file://path.\n",
             command->operation);
}

//  --------------------------------------------------------------------------
//  --table-name -> TableName; SSE is an acronym in DynamoDB's names

static void
s_param_name (const char *flag, char *buf, size_t size)
{
    if (strncmp (flag, "sse-", 4) == 0) {
        snprintf (buf, size, "SSE");
        flag += 3;
    }
    else
        buf [0] = 0;
    size_t length = strlen (buf);
    bool upper = true;
    for (const char *c = flag; *c && length + 1 < size; c++) {
        if (*c == '-') {
            upper = true;
            continue;
        }
        buf [length++] = upper ? (char) toupper ((unsigned char) *c) : *c;
        upper = false;
    }
    buf [length] = 0;
}

//  --------------------------------------------------------------------------
//  The text of an argument: itself, or a file's content for file:// and
//  fileb://. Returns a string the caller frees, or NULL with err.

static char *
s_argument_text (const char *flag, const char *argument, zyn_error_t *err)
{
    const char *path = NULL;
    if (strncmp (argument, "file://", 7) == 0)
        path = argument + 7;
    else
    if (strncmp (argument, "fileb://", 8) == 0)
        path = argument + 8;
    if (!path)
        return strdup (argument);
    FILE *file = fopen (path, "rb");
    if (!file) {
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Error parsing parameter '--%s': Unable to load "
                       "paramfile %s: %s",
                       flag, argument, strerror (errno));
        return NULL;
    }
    size_t capacity = 4096, size = 0;
    char *text = (char *) malloc (capacity);
    assert (text);
    size_t got;
    while ((got = fread (text + size, 1, capacity - size - 1, file)) > 0) {
        size += got;
        if (size + 1 == capacity) {
            capacity *= 2;
            text = (char *) realloc (text, capacity);
            assert (text);
        }
    }
    fclose (file);
    text [size] = 0;
    return text;
}

//  --------------------------------------------------------------------------
//  A shorthand scalar: integers and booleans typed, else a string

static json_t *
s_shorthand_scalar (const char *text, size_t size)
{
    char *copy = strndup (text, size);
    json_t *json;
    char *end;
    errno = 0;
    long long number = strtoll (copy, &end, 10);
    if (size && *end == 0 && errno == 0)
        json = json_integer (number);
    else
    if (streq (copy, "true") || streq (copy, "false"))
        json = json_boolean (streq (copy, "true"));
    else
        json = json_string (copy);
    free (copy);
    return json ? json : json_string ("");
}

//  Shorthand "Name=a,Type=S" -> {"Name": "a", "Type": "S"}. Returns NULL
//  if text is not of that form.

static json_t *
s_shorthand_parse (const char *text)
{
    if (!strchr (text, '='))
        return NULL;
    json_t *object = json_object ();
    const char *pair = text;
    while (*pair) {
        const char *equals = strchr (pair, '=');
        if (!equals || equals == pair) {
            json_decref (object);
            return NULL;
        }
        const char *comma = strchr (equals, ',');
        const char *value_end = comma ? comma : equals + strlen (equals);
        char *name = strndup (pair, (size_t) (equals - pair));
        json_object_set_new (object, name,
                             s_shorthand_scalar (equals + 1,
                                                 (size_t) (value_end - equals
                                                           - 1)));
        free (name);
        pair = comma ? comma + 1 : value_end;
    }
    return object;
}

//  --------------------------------------------------------------------------
//  Parse a JSON (or shorthand) argument. Returns a new reference or NULL
//  with err.

static json_t *
s_json_argument (const char *flag, const char *argument, zyn_error_t *err)
{
    char *text = s_argument_text (flag, argument, err);
    if (!text)
        return NULL;
    json_error_t jerr;
    json_t *json = json_loads (text, JSON_DECODE_ANY, &jerr);
    const char *first = text + strspn (text, " \t\r\n");
    if (!json && *first != '{' && *first != '[')
        json = s_shorthand_parse (text);
    if (!json)
        zyn_error_set (err, ZYN_ERR_VALIDATION,
                       "Error parsing parameter '--%s': Invalid JSON: %s\n"
                       "JSON received: %s",
                       flag, jerr.text, text);
    free (text);
    return json;
}

//  --------------------------------------------------------------------------
//  The flag called name (without dashes) in command, or NULL; *negated
//  is set for --no-<boolean>.

static const s_flag_t *
s_flag_find (const zyn_cli_command_t *command, const char *name,
             bool *negated)
{
    *negated = false;
    for (const s_flag_t *flag = command->flags; flag->name; flag++) {
        if (streq (flag->name, name))
            return flag;
        if (flag->kind == FLAG_BOOLEAN && strncmp (name, "no-", 3) == 0
            && streq (flag->name, name + 3)) {
            *negated = true;
            return flag;
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Parse an integer argument strictly

static int
s_integer (const char *flag, const char *text, int64_t *number,
           zyn_error_t *err)
{
    char *end;
    errno = 0;
    long long value = strtoll (text, &end, 10);
    if (!*text || *end || errno)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "argument --%s: invalid int value: '%s'", flag,
                              text);
    *number = value;
    return 0;
}

//  --------------------------------------------------------------------------
//  Fill options with their defaults

void
zyn_cli_options_init (zyn_cli_options_t *options, const char *env_endpoint)
{
    memset (options, 0, sizeof (*options));
    snprintf (options->endpoint, sizeof (options->endpoint), "%s",
              env_endpoint && *env_endpoint ? env_endpoint
                                            : "tcp://127.0.0.1:7100");
}

//  --------------------------------------------------------------------------
//  Parse one global option. Returns 1 if argv[*index] was one, 0 if not,
//  -1 with err.

int
zyn_cli_global_option (zyn_cli_options_t *options, int argc, char **argv,
                       int *index, zyn_error_t *err)
{
    const char *arg = argv [*index];
    if (streq (arg, "--help") || streq (arg, "-h") || streq (arg, "help")) {
        options->help = true;
        (*index)++;
        return 1;
    }
    if (streq (arg, "--no-paginate")) {
        options->no_paginate = true;
        (*index)++;
        return 1;
    }
    if (streq (arg, "--from-start")) {
        options->from_start = true;
        (*index)++;
        return 1;
    }
    //  Accepted for compatibility with scripts written for the AWS CLI
    if (streq (arg, "--no-verify-ssl") || streq (arg, "--no-sign-request")
        || streq (arg, "--debug")) {
        (*index)++;
        return 1;
    }
    static const char *const valued [] = {
        "--endpoint", "--endpoint-url", "--max-items", "--page-size",
        "--cli-read-timeout", "--region", "--profile", "--output",
        "--starting-token", "--query",
    };
    if (streq (arg, "--query"))
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "argument --query: JMESPath queries are not "
                              "supported; filter the JSON output instead "
                              "(for example with jq)");
    for (size_t i = 0; i < sizeof (valued) / sizeof (valued [0]); i++) {
        if (!streq (arg, valued [i]))
            continue;
        if (*index + 1 >= argc)
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "argument %s: expected one argument", arg);
        const char *value = argv [*index + 1];
        *index += 2;
        int64_t number;
        if (streq (arg, "--endpoint") || streq (arg, "--endpoint-url")) {
            if (strncmp (value, "tcp://", 6) && strncmp (value, "ipc://", 6)
                && strncmp (value, "inproc://", 9))
                return zyn_error_set (
                    err, ZYN_ERR_VALIDATION,
                    "argument %s: zyn speaks zynamo's native protocol; give "
                    "tcp://HOST:PORT (the broker, default port 7100), not "
                    "'%s'",
                    arg, value);
            snprintf (options->endpoint, sizeof (options->endpoint), "%s",
                      value);
        }
        else
        if (streq (arg, "--max-items")) {
            if (s_integer (arg + 2, value, &number, err))
                return -1;
            options->max_items = number;
        }
        else
        if (streq (arg, "--page-size")) {
            if (s_integer (arg + 2, value, &number, err))
                return -1;
            options->page_size = number;
        }
        else
        if (streq (arg, "--cli-read-timeout")) {
            if (s_integer (arg + 2, value, &number, err))
                return -1;
            options->timeout_ms = number > 0 ? (int) (number * 1000) : 0;
        }
        else
        if (streq (arg, "--starting-token"))
            options->starting_token = value;
        else
        if (streq (arg, "--output") && !streq (value, "json"))
            return zyn_error_set (err, ZYN_ERR_VALIDATION,
                                  "argument --output: only 'json' is "
                                  "supported");
        return 1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse the arguments after the subcommand name into the request's JSON
//  text. Returns the text (caller frees), or NULL with err.

char *
zyn_cli_request_json (const zyn_cli_command_t *command, int argc,
                      char **argv, zyn_cli_options_t *options,
                      zyn_error_t *err)
{
    assert (command);
    json_t *request = json_object ();
    json_t *flags = json_object ();     //  Set by flags: override input
    int index = 0;
    while (index < argc) {
        int rc = zyn_cli_global_option (options, argc, argv, &index, err);
        if (rc < 0)
            goto failed;
        if (rc > 0)
            continue;
        const char *arg = argv [index++];
        char name [128];
        const char *value = NULL;
        if (strncmp (arg, "--", 2) != 0) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "Unknown options: %s", arg);
            goto failed;
        }
        //  --flag=value
        const char *equals = strchr (arg, '=');
        if (equals) {
            snprintf (name, sizeof (name), "%.*s", (int) (equals - arg - 2),
                      arg + 2);
            value = equals + 1;
        }
        else
            snprintf (name, sizeof (name), "%s", arg + 2);
        if (streq (name, "cli-input-json")) {
            if (!value && index < argc)
                value = argv [index++];
            json_t *input = value ? s_json_argument (name, value, err) : NULL;
            if (!value)
                zyn_error_set (err, ZYN_ERR_VALIDATION,
                               "argument --cli-input-json: expected one "
                               "argument");
            if (!input)
                goto failed;
            if (!json_is_object (input)) {
                json_decref (input);
                zyn_error_set (err, ZYN_ERR_VALIDATION,
                               "Invalid type for parameter --cli-input-json: "
                               "a JSON object is required");
                goto failed;
            }
            json_object_update (request, input);
            json_decref (input);
            continue;
        }
        bool negated;
        const s_flag_t *flag = s_flag_find (command, name, &negated);
        if (!flag) {
            zyn_error_set (err, ZYN_ERR_VALIDATION, "Unknown options: --%s",
                           name);
            goto failed;
        }
        char param [128];
        s_param_name (flag->name, param, sizeof (param));
        if (flag->kind == FLAG_BOOLEAN) {
            json_object_set_new (flags, param, json_boolean (!negated));
            continue;
        }
        //  The flag's values: one word, or (for lists) all up to the next
        //  flag
        const char *const *words = &value;
        int word_count = 1;
        if (!value) {
            int first = index;
            while (index < argc && strncmp (argv [index], "--", 2) != 0)
                index++;
            word_count = index - first;
            if (word_count == 0) {
                zyn_error_set (err, ZYN_ERR_VALIDATION,
                               "argument --%s: expected one argument", name);
                goto failed;
            }
            if ((flag->kind == FLAG_STRING || flag->kind == FLAG_INTEGER
                 || flag->kind == FLAG_JSON)
                && word_count > 1) {
                zyn_error_set (err, ZYN_ERR_VALIDATION,
                               "Unknown options: %s", argv [first + 1]);
                goto failed;
            }
            words = (const char *const *) &argv [first];
            value = argv [first];
        }
        json_t *json = NULL;
        int64_t number;
        switch (flag->kind) {
            case FLAG_STRING:
                json = json_string (value);
                if (!json) {
                    zyn_error_set (err, ZYN_ERR_VALIDATION,
                                   "argument --%s: not valid UTF-8", name);
                    goto failed;
                }
                break;
            case FLAG_INTEGER:
                if (s_integer (name, value, &number, err))
                    goto failed;
                json = json_integer (number);
                break;
            case FLAG_JSON:
                json = s_json_argument (name, value, err);
                if (!json)
                    goto failed;
                break;
            case FLAG_JSON_LIST:
            case FLAG_STRINGS:
                if (word_count == 1 && flag->kind == FLAG_JSON_LIST) {
                    json = s_json_argument (name, value, err);
                    if (!json)
                        goto failed;
                    if (!json_is_array (json)) {
                        json_t *list = json_array ();
                        json_array_append_new (list, json);
                        json = list;
                    }
                    break;
                }
                json = json_array ();
                for (int word = 0; word < word_count; word++) {
                    json_t *element
                        = flag->kind == FLAG_STRINGS
                            ? json_string (words [word])
                            : s_json_argument (name, words [word], err);
                    if (!element) {
                        json_decref (json);
                        if (flag->kind == FLAG_STRINGS)
                            zyn_error_set (err, ZYN_ERR_VALIDATION,
                                           "argument --%s: not valid UTF-8",
                                           name);
                        goto failed;
                    }
                    json_array_append_new (json, element);
                }
                break;
            case FLAG_BOOLEAN:
                break;
        }
        json_object_set_new (flags, param, json);
    }
    if (options->help) {
        json_decref (flags);
        json_decref (request);
        return NULL;
    }
    json_object_update (request, flags);
    json_decref (flags);
    //  The AWS CLI's page size travels as Limit
    if (options->page_size > 0 && !json_object_get (request, "Limit"))
        json_object_set_new (request, "Limit",
                             json_integer (options->page_size));
    for (const s_flag_t *flag = command->flags; flag->name; flag++) {
        char param [128];
        s_param_name (flag->name, param, sizeof (param));
        if (flag->required && !json_object_get (request, param)) {
            zyn_error_set (err, ZYN_ERR_VALIDATION,
                           "the following arguments are required: --%s",
                           flag->name);
            json_decref (request);
            return NULL;
        }
    }
    char *text = json_dumps (request, JSON_COMPACT);
    json_decref (request);
    return text;

failed:
    json_decref (flags);
    json_decref (request);
    return NULL;
}
