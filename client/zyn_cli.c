/*  =========================================================================
    zyn - zynamo's command line, in the shape of `aws dynamodb`

    zyn <subcommand> [flags]      the subcommands and flags of aws dynamodb
    zyn wait table-exists|table-not-exists --table-name T
    zyn stream tail TABLE [--from-start]

    Arguments become a DynamoDB JSON request (zyn_cli_args.c), which goes
    to the broker through libzynamo; the response is printed as the AWS
    CLI prints it (indented JSON, nothing for an empty response). Query,
    Scan and ListTables follow LastEvaluatedKey through every page unless
    --no-paginate or a start key is given, as the AWS CLI does. Errors go
    to stderr in the AWS CLI's words, with its exit statuses.
    =========================================================================
*/

#include "zyn_prelude.h"
#include <jansson.h>
#include <sodium.h>
#include "zyn_json.h"
#include "zyn_cli.h"

#define CLI_TIMEOUT_DEFAULT 30000
#define CLI_WAIT_TIMEOUT 120000

//  --------------------------------------------------------------------------
//  Print the top-level usage

static void
s_usage (FILE *file)
{
    fprintf (file,
             "usage: zyn [--endpoint tcp://HOST:PORT] <subcommand> "
             "[parameters]\n"
             "\n"
             "zynamo's command line: the subcommands and flags of `aws "
             "dynamodb`,\nDynamoDB JSON in and out. The endpoint defaults "
             "to $ZYN_ENDPOINT, else\ntcp://127.0.0.1:7100.\n"
             "\nsubcommands:\n");
    for (size_t i = 0; i < zyn_cli_command_count (); i++)
        fprintf (file, "    %s\n",
                 zyn_cli_command_name (zyn_cli_command_at (i)));
    fprintf (file,
             "    wait table-exists | table-not-exists --table-name T\n"
             "    stream tail TABLE [--from-start] [--max-items N]\n"
             "\n`zyn <subcommand> --help` lists a subcommand's flags.\n");
}

static int
s_usage_error (const char *message)
{
    fprintf (stderr,
             "usage: zyn [options] <subcommand> [parameters]\n"
             "To see help text, you can run:\n\n"
             "  zyn --help\n  zyn <subcommand> --help\n\n"
             "zyn: error: %s\n",
             message);
    return ZYN_CLI_EXIT_USAGE;
}

static int
s_service_error (const char *operation, const zyn_error_t *err)
{
    fprintf (stderr, "\nAn error occurred (%s) when calling the %s "
                     "operation: %s\n",
             zyn_error_name (err->type), operation, err->message);
    return ZYN_CLI_EXIT_SERVICE;
}

//  --------------------------------------------------------------------------
//  Print a response as the AWS CLI does: indented JSON, nothing if empty

static void
s_print_response (const zyn_value_t *response)
{
    if (zyn_value_type (response) == ZYN_TYPE_M
        && zyn_value_size (response) == 0)
        return;
    char *text = zyn_json_from_response (response, NULL);
    json_t *json = json_loads (text, JSON_DECODE_ANY, NULL);
    if (json) {
        char *pretty = json_dumps (json, JSON_INDENT (4) | JSON_ENCODE_ANY
                                             | JSON_REAL_PRECISION (15));
        printf ("%s\n", pretty);
        free (pretty);
        json_decref (json);
    }
    else
        printf ("%s\n", text);
    free (text);
}

//  --------------------------------------------------------------------------
//  Append the items of a list under name in page to the same list in
//  merged, and add up a count

static void
s_merge_list (zyn_value_t *merged, zyn_value_t *page, const char *name)
{
    zyn_value_t *list = zyn_value_map_get (merged, name);
    zyn_value_t *more = zyn_value_map_get (page, name);
    if (!list || !more)
        return;
    while (zyn_value_size (more)) {
        zyn_value_t *element = zyn_value_list_take (more, 0);
        zyn_value_list_append (list, &element);
    }
}

static void
s_merge_count (zyn_value_t *merged, zyn_value_t *page, const char *name)
{
    int64_t total, count;
    if (zyn_value_map_get_int (merged, name, &total) == 0
        && zyn_value_map_get_int (page, name, &count) == 0)
        zyn_value_map_put_int (merged, name, total + count);
}

//  --------------------------------------------------------------------------
//  Cut the merged list to max_items

static void
s_truncate (zyn_value_t *merged, const char *list_name, int64_t max_items)
{
    zyn_value_t *list = zyn_value_map_get (merged, list_name);
    if (!list || max_items <= 0)
        return;
    while ((int64_t) zyn_value_size (list) > max_items) {
        zyn_value_t *extra
            = zyn_value_list_take (list, zyn_value_size (list) - 1);
        zyn_value_destroy (&extra);
    }
    if (zyn_value_map_get (merged, "Count"))
        zyn_value_map_put_int (merged, "Count",
                               (int64_t) zyn_value_size (list));
}

//  --------------------------------------------------------------------------
//  The AWS CLI's pagination token: base64 of {"<start parameter>": where
//  the page began, "boto_truncate_amount": items of it already shown}

static char *
s_token_encode (const char *start_name, const zyn_value_t *start,
                int64_t truncate_amount)
{
    zyn_value_t *token = zyn_value_new_m ();
    if (start) {
        zyn_value_t *copy = zyn_value_dup (start);
        zyn_value_map_put (token, start_name, &copy);
    }
    if (truncate_amount > 0)
        zyn_value_map_put_int (token, "boto_truncate_amount", truncate_amount);
    size_t size;
    char *json = zyn_json_from_response (token, &size);
    zyn_value_destroy (&token);
    size_t encoded_size
        = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_ORIGINAL);
    char *encoded = (char *) zmalloc (encoded_size);
    sodium_bin2base64 (encoded, encoded_size, (const unsigned char *) json,
                       size, sodium_base64_VARIANT_ORIGINAL);
    free (json);
    return encoded;
}

//  Apply --starting-token to request; *skip gets the items to drop from
//  the first page. Returns 0 or -1 with err.

static int
s_token_apply (const char *text, const char *start_name,
               zyn_value_t *request, int64_t *skip, zyn_error_t *err)
{
    size_t capacity = strlen (text) + 1;
    unsigned char *json = (unsigned char *) zmalloc (capacity);
    size_t size = 0;
    zyn_value_t *token = NULL;
    if (sodium_base642bin (json, capacity, text, strlen (text), NULL, &size,
                           NULL, sodium_base64_VARIANT_ORIGINAL)
        == 0)
        token = zyn_json_to_request ((const char *) json, size, NULL);
    free (json);
    if (!token)
        return zyn_error_set (err, ZYN_ERR_VALIDATION,
                              "Bad pagination token: %s", text);
    zyn_value_t *start = zyn_value_map_take (token, start_name);
    if (start)
        zyn_value_map_put (request, start_name, &start);
    *skip = 0;
    zyn_value_map_get_int (token, "boto_truncate_amount", skip);
    zyn_value_destroy (&token);
    return 0;
}

//  --------------------------------------------------------------------------
//  Call operation, following pages when the AWS CLI would: Query, Scan
//  and ListTables read every page and merge them, unless --no-paginate or
//  a start key was given; --max-items stops early with a NextToken that
//  --starting-token resumes from. Returns the (merged) response or NULL
//  with err.

static zyn_value_t *
s_call_paginated (zyn_client_t *client, const char *operation,
                  zyn_value_t *request, const zyn_cli_options_t *options,
                  zyn_error_t *err)
{
    const char *list_name = NULL, *start_name = NULL, *last_name = NULL;
    if (streq (operation, "Query") || streq (operation, "Scan")) {
        list_name = "Items";
        start_name = "ExclusiveStartKey";
        last_name = "LastEvaluatedKey";
    }
    else
    if (streq (operation, "ListTables")) {
        list_name = "TableNames";
        start_name = "ExclusiveStartTableName";
        last_name = "LastEvaluatedTableName";
    }
    if (!list_name)
        return zyn_client_call (client, operation, request, err);
    bool paginate = !options->no_paginate
                 && (options->starting_token
                     || !zyn_value_map_get (request, start_name));
    int64_t skip = 0;
    if (paginate && options->starting_token
        && s_token_apply (options->starting_token, start_name, request,
                          &skip, err))
        return NULL;
    zyn_value_t *merged = NULL;
    while (true) {
        const zyn_value_t *start = zyn_value_map_get (request, start_name);
        zyn_value_t *page_start = start ? zyn_value_dup (start) : NULL;
        zyn_value_t *page = zyn_client_call (client, operation, request, err);
        if (!page) {
            zyn_value_destroy (&page_start);
            zyn_value_destroy (&merged);
            return NULL;
        }
        //  Items a previous run already showed
        zyn_value_t *page_list = zyn_value_map_get (page, list_name);
        int64_t dropped = 0;
        while (skip > 0 && page_list && zyn_value_size (page_list)) {
            zyn_value_t *shown = zyn_value_list_take (page_list, 0);
            zyn_value_destroy (&shown);
            skip--;
            dropped++;
        }
        if (dropped && zyn_value_map_get (page, "Count"))
            zyn_value_map_put_int (page, "Count",
                                   (int64_t) zyn_value_size (page_list));
        int64_t page_items = page_list ? (int64_t) zyn_value_size (page_list)
                                       : 0;
        zyn_value_t *list = merged ? zyn_value_map_get (merged, list_name)
                                   : NULL;
        int64_t before = list ? (int64_t) zyn_value_size (list) : 0;
        if (!merged)
            merged = page;
        else {
            s_merge_list (merged, page, list_name);
            s_merge_count (merged, page, "Count");
            s_merge_count (merged, page, "ScannedCount");
            zyn_value_t *last = zyn_value_map_take (page, last_name);
            zyn_value_t *old = zyn_value_map_take (merged, last_name);
            zyn_value_destroy (&old);
            if (last)
                zyn_value_map_put (merged, last_name, &last);
            zyn_value_destroy (&page);
        }
        if (!paginate) {
            zyn_value_destroy (&page_start);
            return merged;
        }
        list = zyn_value_map_get (merged, list_name);
        zyn_value_t *last = zyn_value_map_take (merged, last_name);
        bool full = options->max_items > 0 && list
                 && (int64_t) zyn_value_size (list) >= options->max_items;
        if (full) {
            int64_t kept = options->max_items - before;
            char *token = NULL;
            if (kept < page_items)
                token = s_token_encode (start_name, page_start,
                                        dropped + kept);
            else
            if (last)
                token = s_token_encode (start_name, last, 0);
            s_truncate (merged, list_name, options->max_items);
            if (token) {
                zyn_value_map_put_s (merged, "NextToken", token);
                free (token);
            }
        }
        zyn_value_destroy (&page_start);
        if (full || !last) {
            zyn_value_destroy (&last);
            return merged;
        }
        zyn_value_map_put (request, start_name, &last);
    }
}

//  --------------------------------------------------------------------------
//  zyn <subcommand> ...

static int
s_run_command (const zyn_cli_command_t *command, int argc, char **argv,
               zyn_cli_options_t *options)
{
    zyn_error_t err = { 0 };
    char *json = zyn_cli_request_json (command, argc, argv, options, &err);
    if (!json) {
        if (options->help) {
            zyn_cli_command_usage (command, stdout);
            return ZYN_CLI_EXIT_OK;
        }
        return s_usage_error (err.message);
    }
    const char *operation = zyn_cli_command_operation (command);
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    free (json);
    if (!request)
        return s_service_error (operation, &err);
    zyn_client_t *client = zyn_client_new (options->endpoint, &err);
    if (!client) {
        zyn_value_destroy (&request);
        return s_usage_error (err.message);
    }
    zyn_client_set_timeout (client, options->timeout_ms
                                        ? options->timeout_ms
                                        : CLI_TIMEOUT_DEFAULT);
    zyn_value_t *response
        = s_call_paginated (client, operation, request, options, &err);
    int status = ZYN_CLI_EXIT_OK;
    if (response)
        s_print_response (response);
    else
        status = s_service_error (operation, &err);
    zyn_value_destroy (&response);
    zyn_value_destroy (&request);
    zyn_client_destroy (&client);
    return status;
}

//  --------------------------------------------------------------------------
//  zyn wait table-exists | table-not-exists --table-name T

static int
s_run_wait (int argc, char **argv, zyn_cli_options_t *options)
{
    if (argc < 1)
        return s_usage_error ("wait: expected table-exists or "
                              "table-not-exists");
    bool exists = streq (argv [0], "table-exists");
    if (!exists && !streq (argv [0], "table-not-exists"))
        return s_usage_error ("wait: expected table-exists or "
                              "table-not-exists");
    const char *waiter = exists ? "TableExists" : "TableNotExists";
    const zyn_cli_command_t *describe = zyn_cli_command_find ("describe-table");
    zyn_error_t err = { 0 };
    char *json = zyn_cli_request_json (describe, argc - 1, argv + 1, options,
                                       &err);
    if (!json) {
        if (options->help) {
            printf ("usage: zyn wait %s --table-name <value>\n", argv [0]);
            return ZYN_CLI_EXIT_OK;
        }
        return s_usage_error (err.message);
    }
    zyn_value_t *request = zyn_json_to_request (json, strlen (json), &err);
    free (json);
    zyn_client_t *client = request ? zyn_client_new (options->endpoint, &err)
                                   : NULL;
    if (!client) {
        zyn_value_destroy (&request);
        return s_usage_error (err.message);
    }
    int timeout = options->timeout_ms ? options->timeout_ms
                                      : CLI_WAIT_TIMEOUT;
    int status = ZYN_CLI_EXIT_OK;
    if (exists) {
        const char *table = zyn_value_map_get_s (request, "TableName");
        if (zyn_client_wait_active (client, table, timeout, &err)) {
            fprintf (stderr, "\nWaiter %s failed: %s\n", waiter,
                     err.type == ZYN_ERR_SERVICE_UNAVAILABLE
                         ? "Max attempts exceeded"
                         : err.message);
            status = ZYN_CLI_EXIT_WAITER;
        }
    }
    else {
        int64_t deadline = zyn_mono_msecs () + timeout;
        while (true) {
            zyn_error_clear (&err);
            zyn_value_t *response
                = zyn_client_call (client, "DescribeTable", request, &err);
            zyn_value_destroy (&response);
            if (err.type == ZYN_ERR_RESOURCE_NOT_FOUND)
                break;
            if (err.type != ZYN_ERR_NONE
                && err.type != ZYN_ERR_SERVICE_UNAVAILABLE) {
                fprintf (stderr, "\nWaiter %s failed: %s\n", waiter,
                         err.message);
                status = ZYN_CLI_EXIT_WAITER;
                break;
            }
            if (zyn_mono_msecs () >= deadline || zsys_interrupted) {
                fprintf (stderr, "\nWaiter %s failed: Max attempts "
                                 "exceeded\n", waiter);
                status = ZYN_CLI_EXIT_WAITER;
                break;
            }
            zclock_sleep (200);
        }
    }
    zyn_value_destroy (&request);
    zyn_client_destroy (&client);
    return status;
}

//  --------------------------------------------------------------------------
//  zyn stream tail TABLE [--from-start] [--max-items N]: one JSON line per
//  record, as it commits

static int
s_run_stream (int argc, char **argv, zyn_cli_options_t *options)
{
    if (argc < 1 || !streq (argv [0], "tail"))
        return s_usage_error ("stream: expected tail TABLE");
    const char *table = NULL;
    zyn_error_t err = { 0 };
    for (int index = 1; index < argc;) {
        int rc = zyn_cli_global_option (options, argc, argv, &index, &err);
        if (rc < 0)
            return s_usage_error (err.message);
        if (rc > 0)
            continue;
        if (strncmp (argv [index], "--", 2) == 0 || table) {
            char message [256];
            snprintf (message, sizeof (message), "Unknown options: %s",
                      argv [index]);
            return s_usage_error (message);
        }
        table = argv [index++];
    }
    if (options->help) {
        printf ("usage: zyn stream tail TABLE [--from-start] "
                "[--max-items N]\n\nPrints each change record of TABLE as "
                "one JSON line as it commits;\n--from-start begins with the "
                "oldest records the log holds.\n");
        return ZYN_CLI_EXIT_OK;
    }
    if (!table)
        return s_usage_error ("the following arguments are required: TABLE");
    zyn_stream_t *stream = zyn_stream_new (options->endpoint, table, &err);
    if (!stream)
        return s_service_error ("ZynGetShards", &err);
    if (options->from_start)
        zyn_stream_set_from_start (stream);
    int status = ZYN_CLI_EXIT_OK;
    int64_t printed = 0;
    while (!zsys_interrupted
           && (options->max_items <= 0 || printed < options->max_items)) {
        zyn_value_t *record = zyn_stream_next (stream, 500, &err);
        if (record) {
            char *text = zyn_json_from_response (record, NULL);
            printf ("%s\n", text);
            fflush (stdout);
            free (text);
            zyn_value_destroy (&record);
            printed++;
        }
        else
        if (err.type != ZYN_ERR_NONE) {
            status = s_service_error ("ZynGetStreamRecords", &err);
            break;
        }
    }
    zyn_stream_destroy (&stream);
    return status;
}

int
main (int argc, char *argv [])
{
    //  Ctrl-C ends zyn at once, mid-call too, as it ends the AWS CLI
    zsys_handler_set (NULL);
    zsys_init ();
    zsys_set_logident ("zyn");
    zsys_set_logstream (stderr);
    zyn_cli_options_t options;
    zyn_cli_options_init (&options, getenv ("ZYN_ENDPOINT"));
    zyn_error_t err = { 0 };
    int index = 1;
    while (index < argc) {
        int rc = zyn_cli_global_option (&options, argc, argv, &index, &err);
        if (rc < 0)
            return s_usage_error (err.message);
        if (rc == 0)
            break;
    }
    //  `zyn dynamodb put-item` works too, for pasted AWS CLI lines
    if (index < argc && streq (argv [index], "dynamodb"))
        index++;
    if (index >= argc) {
        if (options.help) {
            s_usage (stdout);
            return ZYN_CLI_EXIT_OK;
        }
        s_usage (stderr);
        return ZYN_CLI_EXIT_USAGE;
    }
    const char *name = argv [index++];
    if (streq (name, "wait"))
        return s_run_wait (argc - index, argv + index, &options);
    if (streq (name, "stream"))
        return s_run_stream (argc - index, argv + index, &options);
    const zyn_cli_command_t *command = zyn_cli_command_find (name);
    if (!command) {
        char message [256];
        snprintf (message, sizeof (message),
                  "argument subcommand: Invalid choice: '%s'", name);
        return s_usage_error (message);
    }
    return s_run_command (command, argc - index, argv + index, &options);
}
