//  check_zyn_cli - the zyn command line: flags to requests, and the built
//  program against a fake broker

#include "zyn_prelude.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "zyn_proto.h"
#include "zyn_cli.h"
#include "../tests/zyn_testutil.h"
#include <sys/prctl.h>
#include <sys/wait.h>

//  Translate argv (a NULL-terminated list after the subcommand) and
//  compare the request JSON
static void
s_translates (const char *command_name, const char **args,
              const char *expected)
{
    const zyn_cli_command_t *command = zyn_cli_command_find (command_name);
    ck_assert_ptr_nonnull (command);
    int argc = 0;
    while (args [argc])
        argc++;
    zyn_cli_options_t options;
    zyn_cli_options_init (&options, NULL);
    zyn_error_t err = { 0 };
    char *json = zyn_cli_request_json (command, argc, (char **) args,
                                       &options, &err);
    ck_assert_msg (json, "%s: %s", command_name, err.message);
    ck_assert_str_eq (json, expected);
    free (json);
}

static void
s_refuses (const char *command_name, const char **args, const char *message)
{
    const zyn_cli_command_t *command = zyn_cli_command_find (command_name);
    int argc = 0;
    while (args [argc])
        argc++;
    zyn_cli_options_t options;
    zyn_cli_options_init (&options, NULL);
    zyn_error_t err = { 0 };
    char *json = zyn_cli_request_json (command, argc, (char **) args,
                                       &options, &err);
    ck_assert_msg (!json, "%s accepted", command_name);
    ck_assert_int_eq (err.type, ZYN_ERR_VALIDATION);
    ck_assert_str_eq (err.message, message);
}

START_TEST (test_translation)
{
    s_translates ("put-item",
                  (const char *[]) { "--table-name", "t", "--item",
                                     "{\"pk\": {\"S\": \"a\"}}",
                                     "--condition-expression",
                                     "attribute_not_exists(pk)",
                                     "--return-values", "ALL_OLD", NULL },
                  "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                  "\"ConditionExpression\":\"attribute_not_exists(pk)\","
                  "\"ReturnValues\":\"ALL_OLD\"}");
    s_translates ("query",
                  (const char *[]) { "--table-name=t",
                                     "--key-condition-expression",
                                     "pk = :p", "--expression-attribute-values",
                                     "{\":p\":{\"S\":\"a\"}}",
                                     "--no-scan-index-forward",
                                     "--consistent-read", "--limit", "5",
                                     "--select", "COUNT", "--index-name",
                                     "i", NULL },
                  "{\"TableName\":\"t\","
                  "\"KeyConditionExpression\":\"pk = :p\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"a\"}},"
                  "\"ScanIndexForward\":false,\"ConsistentRead\":true,"
                  "\"Limit\":5,\"Select\":\"COUNT\",\"IndexName\":\"i\"}");
    s_translates ("scan",
                  (const char *[]) { "--table-name", "t", "--segment", "1",
                                     "--total-segments", "4",
                                     "--filter-expression", "#a > :x",
                                     "--expression-attribute-names",
                                     "{\"#a\":\"a\"}",
                                     "--projection-expression", "a, b",
                                     "--exclusive-start-key",
                                     "{\"pk\":{\"N\":\"1\"}}",
                                     "--attributes-to-get", "a", "b", NULL },
                  "{\"TableName\":\"t\",\"Segment\":1,\"TotalSegments\":4,"
                  "\"FilterExpression\":\"#a > :x\","
                  "\"ExpressionAttributeNames\":{\"#a\":\"a\"},"
                  "\"ProjectionExpression\":\"a, b\","
                  "\"ExclusiveStartKey\":{\"pk\":{\"N\":\"1\"}},"
                  "\"AttributesToGet\":[\"a\",\"b\"]}");
    //  Shorthand lists, as the AWS documentation writes them
    s_translates ("create-table",
                  (const char *[]) { "--table-name", "t",
                                     "--attribute-definitions",
                                     "AttributeName=pk,AttributeType=S",
                                     "AttributeName=sk,AttributeType=N",
                                     "--key-schema",
                                     "[{\"AttributeName\":\"pk\","
                                     "\"KeyType\":\"HASH\"}]",
                                     "--provisioned-throughput",
                                     "ReadCapacityUnits=5,"
                                     "WriteCapacityUnits=10",
                                     "--stream-specification",
                                     "{\"StreamEnabled\":true}",
                                     "--sse-specification",
                                     "{\"Enabled\":false}",
                                     "--billing-mode", "PROVISIONED", NULL },
                  "{\"TableName\":\"t\",\"AttributeDefinitions\":[{"
                  "\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{"
                  "\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
                  "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":"
                  "\"HASH\"}],\"ProvisionedThroughput\":{"
                  "\"ReadCapacityUnits\":5,\"WriteCapacityUnits\":10},"
                  "\"StreamSpecification\":{\"StreamEnabled\":true},"
                  "\"SSESpecification\":{\"Enabled\":false},"
                  "\"BillingMode\":\"PROVISIONED\"}");
    s_translates ("update-item",
                  (const char *[]) { "--table-name", "t", "--key",
                                     "{\"pk\":{\"S\":\"a\"}}",
                                     "--update-expression", "SET c = c + :one",
                                     "--return-values-on-condition-check-"
                                     "failure", "ALL_OLD", NULL },
                  "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                  "\"UpdateExpression\":\"SET c = c + :one\","
                  "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}");
    s_translates ("batch-write-item",
                  (const char *[]) { "--request-items",
                                     "{\"t\":[{\"PutRequest\":{\"Item\":{"
                                     "\"pk\":{\"S\":\"a\"}}}}]}",
                                     "--return-consumed-capacity", "TOTAL",
                                     NULL },
                  "{\"RequestItems\":{\"t\":[{\"PutRequest\":{\"Item\":{"
                  "\"pk\":{\"S\":\"a\"}}}}]},\"ReturnConsumedCapacity\":"
                  "\"TOTAL\"}");
    s_translates ("list-tables",
                  (const char *[]) { "--exclusive-start-table-name", "a",
                                     "--limit", "2", NULL },
                  "{\"ExclusiveStartTableName\":\"a\",\"Limit\":2}");
    //  --cli-input-json, with flags taking precedence
    s_translates ("get-item",
                  (const char *[]) { "--cli-input-json",
                                     "{\"TableName\":\"x\",\"Key\":{\"pk\":"
                                     "{\"S\":\"a\"}}}",
                                     "--table-name", "t", NULL },
                  "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}}}");
}
END_TEST

START_TEST (test_files_and_options)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "cli-files");
    char path [2200], argument [2300];
    snprintf (path, sizeof (path), "%s/item.json", dir);
    FILE *file = fopen (path, "w");
    fputs ("{\"pk\": {\"S\": \"from file\"}}\n", file);
    fclose (file);
    snprintf (argument, sizeof (argument), "file://%s", path);
    s_translates ("put-item",
                  (const char *[]) { "--table-name", "t", "--item", argument,
                                     NULL },
                  "{\"TableName\":\"t\","
                  "\"Item\":{\"pk\":{\"S\":\"from file\"}}}");
    snprintf (argument, sizeof (argument), "file://%s/missing.json", dir);
    char message [3072];
    snprintf (message, sizeof (message),
              "Error parsing parameter '--item': Unable to load paramfile "
              "%s: No such file or directory",
              argument);
    s_refuses ("put-item",
               (const char *[]) { "--table-name", "t", "--item", argument,
                                  NULL },
               message);
    zyn_test_dir_remove (dir);

    //  Global options
    const zyn_cli_command_t *command = zyn_cli_command_find ("scan");
    zyn_cli_options_t options;
    zyn_cli_options_init (&options, "tcp://10.0.0.1:7100");
    ck_assert_str_eq (options.endpoint, "tcp://10.0.0.1:7100");
    zyn_error_t err = { 0 };
    const char *args []
        = { "--table-name", "t", "--endpoint-url", "tcp://127.0.0.1:9",
            "--max-items", "7", "--page-size", "3", "--no-paginate",
            "--region", "us-east-1", "--output", "json", NULL };
    char *json = zyn_cli_request_json (command, 13, (char **) args, &options,
                                       &err);
    ck_assert_str_eq (json, "{\"TableName\":\"t\",\"Limit\":3}");
    free (json);
    ck_assert_str_eq (options.endpoint, "tcp://127.0.0.1:9");
    ck_assert_int_eq (options.max_items, 7);
    ck_assert (options.no_paginate);
    //  --help
    zyn_cli_options_init (&options, NULL);
    ck_assert_str_eq (options.endpoint, "tcp://127.0.0.1:7100");
    const char *help [] = { "--help", NULL };
    ck_assert_ptr_null (zyn_cli_request_json (command, 1, (char **) help,
                                              &options, &err));
    ck_assert (options.help);
}
END_TEST

START_TEST (test_usage_errors)
{
    s_refuses ("put-item",
               (const char *[]) { "--table-name", "t", "--bogus", "1", NULL },
               "Unknown options: --bogus");
    s_refuses ("put-item", (const char *[]) { "--table-name", "t", NULL },
               "the following arguments are required: --item");
    s_refuses ("get-item",
               (const char *[]) { "--table-name", "t", "--key", "{", NULL },
               "Error parsing parameter '--key': Invalid JSON: string or '}' "
               "expected near end of file\nJSON received: {");
    s_refuses ("get-item",
               (const char *[]) { "--table-name", "t", "--key",
                                  " {\"a=b\"", NULL },
               "Error parsing parameter '--key': Invalid JSON: ':' expected "
               "near end of file\nJSON received:  {\"a=b\"");
    s_refuses ("scan",
               (const char *[]) { "--table-name", "t", "--limit", "many",
                                  NULL },
               "argument --limit: invalid int value: 'many'");
    s_refuses ("scan", (const char *[]) { "--table-name", NULL },
               "argument --table-name: expected one argument");
    s_refuses ("scan",
               (const char *[]) { "--table-name", "t", "u", NULL },
               "Unknown options: u");
    s_refuses ("scan",
               (const char *[]) { "--table-name", "t", "--endpoint",
                                  "http://localhost:8000", NULL },
               "argument --endpoint: zyn speaks zynamo's native protocol; "
               "give tcp://HOST:PORT (the broker, default port 7100), not "
               "'http://localhost:8000'");
    s_refuses ("scan",
               (const char *[]) { "--table-name", "t", "--query", "Items",
                                  NULL },
               "argument --query: JMESPath queries are not supported; "
               "filter the JSON output instead (for example with jq)");
    s_refuses ("describe-table",
               (const char *[]) { "--cli-input-json", "[1]", NULL },
               "Invalid type for parameter --cli-input-json: a JSON object "
               "is required");
    ck_assert_ptr_null (zyn_cli_command_find ("frobnicate"));
    ck_assert_str_eq (zyn_cli_command_operation (
                          zyn_cli_command_find ("batch-get-item")),
                      "BatchGetItem");
}
END_TEST

//  --------------------------------------------------------------------------
//  The program against a fake broker: PutItem OK with an empty body,
//  GetItem returns the key as the item, Scan pages twice, anything else a
//  ValidationException naming the operation

static void
s_fake_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    zsock_signal (pipe, 0);
    zstr_sendf (pipe, "%d", port);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        free (zmsg_popstr (msg));
        zframe_t *id = zmsg_pop (msg);
        char *operation = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        zyn_value_t *request = zyn_value_decode (zframe_data (body),
                                                 zframe_size (body), NULL);
        zyn_value_t *response = zyn_value_new_m ();
        const char *status = ZYN_PROTO_OK;
        if (streq (operation, "GetItem")) {
            zyn_value_t *key = zyn_value_map_take (request, "Key");
            if (key)
                zyn_value_map_put (response, "Item", &key);
        }
        else
        if (streq (operation, "Scan")) {
            bool second = zyn_value_map_get (request, "ExclusiveStartKey")
                       != NULL;
            //  Page one holds a and c, page two b
            zyn_value_t *items = zyn_value_new_l ();
            const char *keys [] = { second ? "b" : "a", second ? NULL : "c" };
            for (int i = 0; i < 2 && keys [i]; i++) {
                zyn_value_t *item = zyn_value_new_m ();
                zyn_value_map_put_s (item, "pk", keys [i]);
                zyn_value_list_append (items, &item);
            }
            int64_t count = (int64_t) zyn_value_size (items);
            zyn_value_map_put (response, "Items", &items);
            zyn_value_map_put_int (response, "Count", count);
            zyn_value_map_put_int (response, "ScannedCount", 1);
            if (!second) {
                zyn_value_t *last = zyn_value_new_m ();
                zyn_value_map_put_s (last, "pk", "a");
                zyn_value_map_put (response, "LastEvaluatedKey", &last);
            }
        }
        else
        if (streq (operation, "DescribeTable")) {
            const char *table = zyn_value_map_get_s (request, "TableName");
            if (table && streq (table, "t")) {
                zyn_value_t *description = zyn_value_new_m ();
                zyn_value_map_put_s (description, "TableStatus", "ACTIVE");
                zyn_value_map_put (response, "Table", &description);
            }
            else {
                status = "ResourceNotFoundException";
                zyn_value_map_put_s (response, "message",
                                     "Requested resource not found");
            }
        }
        else
        if (streq (operation, "ZynDescribeEndpoints"))
            zyn_value_map_put_s (response, "StreamEndpoint",
                                 "tcp://127.0.0.1:1");
        else
        if (streq (operation, "ZynGetShards")) {
            //  One partition holding records 1 and 2
            zyn_value_t *shards = zyn_value_new_l ();
            zyn_value_t *shard = zyn_value_new_m ();
            zyn_value_map_put_int (shard, "PartitionId", 0);
            zyn_value_map_put_int (shard, "LastSequenceNumber", 2);
            zyn_value_list_append (shards, &shard);
            zyn_value_map_put (response, "Shards", &shards);
        }
        else
        if (streq (operation, "ZynGetStreamRecords")) {
            int64_t start = 1;
            zyn_value_map_get_int (request, "StartSequenceNumber", &start);
            zyn_value_t *records = zyn_value_new_l ();
            for (int64_t seq = start; seq <= 2; seq++) {
                zyn_value_t *record = zyn_value_new_m ();
                zyn_value_map_put_s (record, "eventName",
                                     seq == 1 ? "INSERT" : "REMOVE");
                zyn_value_map_put_int (record, "PartitionId", 0);
                zyn_value_map_put_int (record, "SequenceNumber", seq);
                zyn_value_t *keys = zyn_value_new_m ();
                zyn_value_map_put_s (keys, "pk", "a");
                zyn_value_map_put (record, "Keys", &keys);
                zyn_value_list_append (records, &record);
            }
            zyn_value_map_put (response, "Records", &records);
            zyn_value_map_put_int (response, "LastSequenceNumber", 2);
        }
        else
        if (!streq (operation, "PutItem")) {
            status = "ValidationException";
            zyn_value_map_put_s (response, "message", operation);
        }
        size_t size;
        void *data = zyn_value_encode (response, &size);
        zmsg_t *reply = zmsg_new ();
        zmsg_append (reply, &identity);
        zmsg_addstr (reply, ZYN_PROTO_SIGNATURE);
        zmsg_append (reply, &id);
        zmsg_addstr (reply, status);
        zmsg_addmem (reply, data, size);
        zmsg_send (&reply, router);
        free (data);
        zyn_value_destroy (&response);
        zyn_value_destroy (&request);
        zframe_destroy (&body);
        free (operation);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  Run zyn with arguments; returns its exit status, output in out / err
static int
s_run (const char *dir, const char *arguments, char *out, size_t out_size,
       char *errors, size_t err_size)
{
    const char *builddir = getenv ("ZYN_BUILDDIR");
    char command [8192];
    snprintf (command, sizeof (command),
              "%s/zyn %s > '%s/out' 2> '%s/err'", builddir ? builddir : ".",
              arguments, dir, dir);
    int status = system (command);
    char path [2200];
    snprintf (path, sizeof (path), "%s/out", dir);
    FILE *file = fopen (path, "r");
    size_t got = fread (out, 1, out_size - 1, file);
    out [got] = 0;
    fclose (file);
    snprintf (path, sizeof (path), "%s/err", dir);
    file = fopen (path, "r");
    got = fread (errors, 1, err_size - 1, file);
    errors [got] = 0;
    fclose (file);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

START_TEST (test_program)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "cli-program");
    zactor_t *fake = zactor_new (s_fake_actor, NULL);
    char *port = zstr_recv (fake);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "--endpoint tcp://127.0.0.1:%s",
              port);
    free (port);
    char out [8192], errors [8192], arguments [1024];

    //  An empty response prints nothing
    snprintf (arguments, sizeof (arguments),
              "%s put-item --table-name t --item '{\"pk\":{\"S\":\"a\"}}'",
              endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_str_eq (out, "");
    ck_assert_str_eq (errors, "");
    //  A response prints as the AWS CLI prints it
    snprintf (arguments, sizeof (arguments),
              "dynamodb get-item --table-name t --key "
              "'{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"01.0\"}}' %s",
              endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_str_eq (out, "{\n"
                           "    \"Item\": {\n"
                           "        \"pk\": {\n"
                           "            \"S\": \"a\"\n"
                           "        },\n"
                           "        \"n\": {\n"
                           "            \"N\": \"1\"\n"
                           "        }\n"
                           "    }\n"
                           "}\n");
    //  Scan follows LastEvaluatedKey and merges the pages
    snprintf (arguments, sizeof (arguments), "%s scan --table-name t",
              endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_str_eq (out, "{\n"
                           "    \"Items\": [\n"
                           "        {\n"
                           "            \"pk\": {\n"
                           "                \"S\": \"a\"\n"
                           "            }\n"
                           "        },\n"
                           "        {\n"
                           "            \"pk\": {\n"
                           "                \"S\": \"c\"\n"
                           "            }\n"
                           "        },\n"
                           "        {\n"
                           "            \"pk\": {\n"
                           "                \"S\": \"b\"\n"
                           "            }\n"
                           "        }\n"
                           "    ],\n"
                           "    \"Count\": 3,\n"
                           "    \"ScannedCount\": 2\n"
                           "}\n");
    //  --max-items stops early; --starting-token resumes there
    snprintf (arguments, sizeof (arguments),
              "%s scan --table-name t --max-items 1", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    //  base64 of {"boto_truncate_amount":1}
    const char *token = "eyJib3RvX3RydW5jYXRlX2Ftb3VudCI6MX0=";
    char expected [512];
    snprintf (expected, sizeof (expected),
              "{\n"
              "    \"Items\": [\n"
              "        {\n"
              "            \"pk\": {\n"
              "                \"S\": \"a\"\n"
              "            }\n"
              "        }\n"
              "    ],\n"
              "    \"Count\": 1,\n"
              "    \"ScannedCount\": 1,\n"
              "    \"NextToken\": \"%s\"\n"
              "}\n",
              token);
    ck_assert_str_eq (out, expected);
    snprintf (arguments, sizeof (arguments),
              "%s scan --table-name t --starting-token %s", endpoint, token);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_str_eq (out, "{\n"
                           "    \"Items\": [\n"
                           "        {\n"
                           "            \"pk\": {\n"
                           "                \"S\": \"c\"\n"
                           "            }\n"
                           "        },\n"
                           "        {\n"
                           "            \"pk\": {\n"
                           "                \"S\": \"b\"\n"
                           "            }\n"
                           "        }\n"
                           "    ],\n"
                           "    \"Count\": 2,\n"
                           "    \"ScannedCount\": 2\n"
                           "}\n");
    //  A page boundary: the token is the page's LastEvaluatedKey
    snprintf (arguments, sizeof (arguments),
              "%s scan --table-name t --max-items 2", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    //  base64 of {"ExclusiveStartKey":{"pk":{"S":"a"}}}
    ck_assert_ptr_nonnull (strstr (out, "\"NextToken\": \"eyJFeGNsdXNpdmVT"
                                        "dGFydEtleSI6eyJwayI6eyJTIjoiYSJ9fX0="
                                        "\""));
    snprintf (arguments, sizeof (arguments),
              "%s scan --table-name t --starting-token bad", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      ZYN_CLI_EXIT_SERVICE);
    ck_assert_str_eq (errors, "\nAn error occurred (ValidationException) "
                              "when calling the Scan operation: Bad "
                              "pagination token: bad\n");
    //  --no-paginate shows one page and its key
    snprintf (arguments, sizeof (arguments),
              "%s scan --table-name t --no-paginate", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_ptr_nonnull (strstr (out, "\"LastEvaluatedKey\""));
    //  Service errors: the AWS CLI's words and exit status
    snprintf (arguments, sizeof (arguments), "%s delete-item --table-name t "
              "--key '{\"pk\":{\"S\":\"a\"}}'", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      ZYN_CLI_EXIT_SERVICE);
    ck_assert_str_eq (out, "");
    ck_assert_str_eq (errors, "\nAn error occurred (ValidationException) "
                              "when calling the DeleteItem operation: "
                              "DeleteItem\n");
    //  A malformed attribute value never leaves the command line
    snprintf (arguments, sizeof (arguments), "%s put-item --table-name t "
              "--item '{\"pk\":{\"S\":\"a\",\"N\":\"1\"}}'", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      ZYN_CLI_EXIT_SERVICE);
    ck_assert_str_eq (errors, "\nAn error occurred (ValidationException) "
                              "when calling the PutItem operation: Supplied "
                              "AttributeValue has more than one datatypes "
                              "set, must contain exactly one of the "
                              "supported datatypes\n");
    //  Usage errors
    snprintf (arguments, sizeof (arguments), "%s put-item --table-name t "
              "--item '{}' --frob 1", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      ZYN_CLI_EXIT_USAGE);
    ck_assert_ptr_nonnull (strstr (errors, "zyn: error: Unknown options: "
                                           "--frob\n"));
    ck_assert_int_eq (s_run (dir, "frobnicate", out, sizeof (out), errors,
                             sizeof (errors)),
                      ZYN_CLI_EXIT_USAGE);
    ck_assert_ptr_nonnull (strstr (errors, "Invalid choice: 'frobnicate'"));
    //  Waiters
    snprintf (arguments, sizeof (arguments),
              "%s wait table-exists --table-name t", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_str_eq (out, "");
    snprintf (arguments, sizeof (arguments),
              "%s wait table-not-exists --table-name gone", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    //  The stream, one JSON line per record
    snprintf (arguments, sizeof (arguments),
              "stream tail t --from-start --max-items 2 %s", endpoint);
    ck_assert_int_eq (s_run (dir, arguments, out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_str_eq (out, "{\"eventName\":\"INSERT\",\"PartitionId\":0,"
                           "\"SequenceNumber\":1,\"Keys\":{\"pk\":{\"S\":"
                           "\"a\"}}}\n"
                           "{\"eventName\":\"REMOVE\",\"PartitionId\":0,"
                           "\"SequenceNumber\":2,\"Keys\":{\"pk\":{\"S\":"
                           "\"a\"}}}\n");
    ck_assert_int_eq (s_run (dir, "stream tail", out, sizeof (out), errors,
                             sizeof (errors)),
                      ZYN_CLI_EXIT_USAGE);
    ck_assert_ptr_nonnull (strstr (errors, "the following arguments are "
                                           "required: TABLE"));
    //  Help
    ck_assert_int_eq (s_run (dir, "--help", out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_ptr_nonnull (strstr (out, "    create-table\n"));
    ck_assert_int_eq (s_run (dir, "query --help", out, sizeof (out), errors,
                             sizeof (errors)),
                      0);
    ck_assert_ptr_nonnull (strstr (out, "[--key-condition-expression <value>]"));
    ck_assert_ptr_nonnull (strstr (out, "[--scan-index-forward | "
                                        "--no-scan-index-forward]"));
    zactor_destroy (&fake);
    zyn_test_dir_remove (dir);
}
END_TEST

//  --------------------------------------------------------------------------
//  zynamo up: a real cluster of broker, workers and gateway

//  A base port such that it and the next count - 1 are free. Taken
//  below Linux's ephemeral range (32768 and up), so that the ports other
//  suites bind with "tcp://127.0.0.1:*" cannot take them meanwhile.
static int
s_free_ports (int count)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        int base = 20000 + (int) (zyn_mono_msecs () * 7919 + attempt * 104729
                                  + getpid ()) % 12000;
        bool free_all = true;
        for (int port = base; port < base + count && free_all; port++) {
            //  A plain socket: ZeroMQ would release the port only later,
            //  in its I/O thread
            int fd = socket (AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in address = zyn_test_loopback (port);
            free_all = fd >= 0
                    && bind (fd, (struct sockaddr *) &address,
                             sizeof (address)) == 0;
            if (fd >= 0)
                close (fd);
        }
        if (free_all)
            return base;
    }
    ck_abort_msg ("no free ports");
    return -1;
}

//  Wait until file holds text at least times times; returns the position
//  after the last match's text, or -1 after timeout_ms
static long
s_wait_text (const char *path, const char *text, int times, int timeout_ms)
{
    int64_t deadline = zyn_mono_msecs () + timeout_ms;
    while (zyn_mono_msecs () < deadline) {
        FILE *file = fopen (path, "r");
        if (file) {
            char content [65536];
            size_t size = fread (content, 1, sizeof (content) - 1, file);
            fclose (file);
            content [size] = 0;
            int found = 0;
            char *at = content;
            long position = -1;
            while ((at = strstr (at, text))) {
                found++;
                at += strlen (text);
                position = at - content;
            }
            if (found >= times)
                return position;
        }
        zclock_sleep (50);
    }
    return -1;
}

//  The pid logged after "started <name> pid=" the times-th time
static pid_t
s_logged_pid (const char *path, const char *name, int times)
{
    char text [128];
    snprintf (text, sizeof (text), "started %s pid=", name);
    ck_assert_int_ge (s_wait_text (path, text, times, 20000), 0);
    FILE *file = fopen (path, "r");
    char content [65536];
    size_t size = fread (content, 1, sizeof (content) - 1, file);
    fclose (file);
    content [size] = 0;
    char *at = content;
    for (int i = 0; i < times; i++) {
        at = strstr (at, text);
        ck_assert_ptr_nonnull (at);
        at += strlen (text);
    }
    return (pid_t) atoi (at);
}

START_TEST (test_launcher)
{
    char dir [1100];
    zyn_test_dir (dir, sizeof (dir), "launcher");
    int port = s_free_ports (4);
    int http_port = s_free_ports (1);
    while (http_port >= port && http_port < port + 4)
        http_port = s_free_ports (1);
    const char *builddir = getenv ("ZYN_BUILDDIR");
    char program [1200], data [1200], out [1200], errors [1200];
    snprintf (program, sizeof (program), "%s/zynamo",
              builddir ? builddir : ".");
    snprintf (data, sizeof (data), "%s/data", dir);
    snprintf (out, sizeof (out), "%s/out", dir);
    snprintf (errors, sizeof (errors), "%s/err", dir);
    char port_text [16], http_text [16];
    snprintf (port_text, sizeof (port_text), "%d", port);
    snprintf (http_text, sizeof (http_text), "%d", http_port);
    pid_t launcher = fork ();
    ck_assert_int_ge (launcher, 0);
    if (launcher == 0) {
        //  If this test dies, the launcher stops its cluster
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        FILE *stdout_file = freopen (out, "w", stdout);
        FILE *stderr_file = freopen (errors, "w", stderr);
        (void) stdout_file;
        (void) stderr_file;
        execl (program, program, "up", "--data", data, "--workers", "2",
               "--port", port_text, "--http-port", http_text, "--partitions",
               "2", (char *) NULL);
        _exit (127);
    }
    //  Ready: the endpoints are printed
    char native [128];
    snprintf (native, sizeof (native), "native endpoint: tcp://127.0.0.1:%d",
              port);
    ck_assert_msg (s_wait_text (out, native, 1, 30000) >= 0,
                   "zynamo up printed no endpoints");
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);
    zyn_error_t err = { 0 };
    zyn_client_t *client = zyn_client_new (endpoint, &err);
    zyn_client_set_timeout (client, 10000);
    ck_assert_msg (zyn_client_create_table (client, "launched", "pk", "S",
                                            NULL, NULL, &err)
                       == 0,
                   "%s", err.message);
    ck_assert_int_eq (zyn_client_wait_active (client, "launched", 15000,
                                              &err),
                      0);
    zyn_value_t *item = zyn_value_from_json ("{\"pk\":{\"S\":\"a\"}}", true,
                                             NULL);
    ck_assert_int_eq (zyn_client_put_item (client, "launched", item, &err),
                      0);

    //  zyn against the real cluster, with the aws dynamodb flags; its
    //  output goes to a directory of its own
    char zyn_dir [1200];
    snprintf (zyn_dir, sizeof (zyn_dir), "%s/zyn", dir);
    ck_assert_int_eq (mkdir (zyn_dir, 0755), 0);
    char zyn [200], out_text [8192], err_text [8192], arguments [2048];
    snprintf (zyn, sizeof (zyn), "--endpoint %s", endpoint);
    snprintf (arguments, sizeof (arguments),
              "%s create-table --table-name music --attribute-definitions "
              "AttributeName=artist,AttributeType=S "
              "AttributeName=song,AttributeType=S --key-schema "
              "AttributeName=artist,KeyType=HASH "
              "AttributeName=song,KeyType=RANGE --billing-mode "
              "PAY_PER_REQUEST",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_ptr_nonnull (strstr (out_text, "\"TableName\": \"music\""));
    snprintf (arguments, sizeof (arguments),
              "%s wait table-exists --table-name music", zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    snprintf (arguments, sizeof (arguments),
              "%s put-item --table-name music --item "
              "'{\"artist\":{\"S\":\"a\"},\"song\":{\"S\":\"s1\"},"
              "\"plays\":{\"N\":\"1\"}}' --condition-expression "
              "'attribute_not_exists(artist)'",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_str_eq (out_text, "");
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      ZYN_CLI_EXIT_SERVICE);
    ck_assert_str_eq (err_text, "\nAn error occurred "
                                "(ConditionalCheckFailedException) when "
                                "calling the PutItem operation: The "
                                "conditional request failed\n");
    snprintf (arguments, sizeof (arguments),
              "%s update-item --table-name music --key "
              "'{\"artist\":{\"S\":\"a\"},\"song\":{\"S\":\"s1\"}}' "
              "--update-expression 'SET plays = plays + :one' "
              "--expression-attribute-values '{\":one\":{\"N\":\"1\"}}' "
              "--return-values UPDATED_NEW",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_str_eq (out_text, "{\n"
                                "    \"Attributes\": {\n"
                                "        \"plays\": {\n"
                                "            \"N\": \"2\"\n"
                                "        }\n"
                                "    }\n"
                                "}\n");
    snprintf (arguments, sizeof (arguments),
              "%s query --table-name music --key-condition-expression "
              "'artist = :a AND begins_with(song, :s)' "
              "--expression-attribute-values "
              "'{\":a\":{\"S\":\"a\"},\":s\":{\"S\":\"s\"}}' "
              "--no-scan-index-forward --projection-expression song",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_str_eq (out_text, "{\n"
                                "    \"Items\": [\n"
                                "        {\n"
                                "            \"song\": {\n"
                                "                \"S\": \"s1\"\n"
                                "            }\n"
                                "        }\n"
                                "    ],\n"
                                "    \"Count\": 1,\n"
                                "    \"ScannedCount\": 1\n"
                                "}\n");
    snprintf (arguments, sizeof (arguments),
              "%s scan --table-name music --filter-expression 'plays > :n' "
              "--expression-attribute-values '{\":n\":{\"N\":\"1\"}}' "
              "--select COUNT",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_str_eq (out_text, "{\n"
                                "    \"Count\": 1,\n"
                                "    \"ScannedCount\": 1\n"
                                "}\n");
    snprintf (arguments, sizeof (arguments),
              "%s get-item --table-name music --key "
              "'{\"artist\":{\"S\":\"a\"},\"song\":{\"S\":\"s1\"}}' "
              "--projection-expression plays --consistent-read",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_str_eq (out_text, "{\n"
                                "    \"Item\": {\n"
                                "        \"plays\": {\n"
                                "            \"N\": \"2\"\n"
                                "        }\n"
                                "    }\n"
                                "}\n");
    snprintf (arguments, sizeof (arguments),
              "%s delete-item --table-name music --key "
              "'{\"artist\":{\"S\":\"a\"},\"song\":{\"S\":\"s1\"}}' "
              "--return-values ALL_OLD",
              zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    ck_assert_ptr_nonnull (strstr (out_text, "\"Attributes\": {"));
    ck_assert_ptr_nonnull (strstr (out_text, "\"N\": \"2\""));
    snprintf (arguments, sizeof (arguments),
              "%s delete-table --table-name music", zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    snprintf (arguments, sizeof (arguments),
              "%s wait table-not-exists --table-name music", zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      0);
    snprintf (arguments, sizeof (arguments),
              "%s describe-table --table-name music", zyn);
    ck_assert_int_eq (s_run (zyn_dir, arguments, out_text, sizeof (out_text),
                             err_text, sizeof (err_text)),
                      ZYN_CLI_EXIT_SERVICE);
    ck_assert_ptr_nonnull (strstr (err_text, "(ResourceNotFoundException) "
                                             "when calling the DescribeTable "
                                             "operation: "));

    //  A crashed worker is restarted and serves again
    pid_t worker = s_logged_pid (errors, "worker-1", 1);
    ck_assert_int_eq (kill (worker, SIGKILL), 0);
    pid_t restarted = s_logged_pid (errors, "worker-1", 2);
    ck_assert_int_ne (restarted, worker);
    int64_t deadline = zyn_mono_msecs () + 20000;
    zyn_value_t *got = NULL;
    while (!got && zyn_mono_msecs () < deadline) {
        zyn_error_clear (&err);
        got = zyn_client_get_item (client, "launched", item, true, &err);
        if (!got)
            zclock_sleep (100);
    }
    ck_assert_msg (got, "item not served after restart: %s", err.message);
    ck_assert (zyn_value_equal (got, item));
    zyn_value_destroy (&got);
    zyn_value_destroy (&item);
    zyn_client_destroy (&client);
    //  Child logs are where they belong
    char log [1300];
    snprintf (log, sizeof (log), "%s/logs/broker.log", data);
    ck_assert_int_eq (access (log, R_OK), 0);
    snprintf (log, sizeof (log), "%s/logs/worker-2.log", data);
    ck_assert_int_eq (access (log, R_OK), 0);

    //  SIGTERM stops everything; the launcher exits 0
    pid_t broker = s_logged_pid (errors, "broker", 1);
    ck_assert_int_eq (kill (launcher, SIGTERM), 0);
    int status = -1;
    deadline = zyn_mono_msecs () + 20000;
    while (waitpid (launcher, &status, WNOHANG) == 0
           && zyn_mono_msecs () < deadline)
        zclock_sleep (50);
    ck_assert (WIFEXITED (status));
    ck_assert_int_eq (WEXITSTATUS (status), 0);
    ck_assert_int_ne (kill (broker, 0), 0);
    ck_assert_int_ne (kill (restarted, 0), 0);
    zyn_test_dir_remove (dir);
}
END_TEST

START_TEST (test_launcher_usage)
{
    const char *builddir = getenv ("ZYN_BUILDDIR");
    char command [1300];
    snprintf (command, sizeof (command),
              "%s/zynamo up --workers 0 >/dev/null 2>&1",
              builddir ? builddir : ".");
    int status = system (command);
    ck_assert_int_eq (WEXITSTATUS (status), 2);
    snprintf (command, sizeof (command), "%s/zynamo up --bogus >/dev/null 2>&1",
              builddir ? builddir : ".");
    status = system (command);
    ck_assert_int_eq (WEXITSTATUS (status), 2);
    snprintf (command, sizeof (command), "%s/zynamo --help | grep -q "
              "'zynamo up \\[options\\]'", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    //  The workers' change-record window, in seconds
    snprintf (command, sizeof (command),
              "%s/zynamo up --stream-retention 0 2>&1 >/dev/null | grep -qx "
              "\"zynamo: --stream-retention wants a number from 1 to "
              "3153600000, not '0'\"", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    snprintf (command, sizeof (command), "%s/zynamo up --help | grep -q -- "
              "'--stream-retention SECONDS'", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    //  Each worker's row cache, in megabytes, 0 allowed
    snprintf (command, sizeof (command),
              "%s/zynamo up --row-cache -1 2>&1 >/dev/null | grep -qx "
              "\"zynamo: --row-cache wants a number from 0 to 1048576, "
              "not '-1'\"", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    snprintf (command, sizeof (command), "%s/zynamo up --help | grep -q -- "
              "'--row-cache MB'", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    //  Each partition's memtable, in megabytes
    snprintf (command, sizeof (command),
              "%s/zynamo up --write-buffer 0 2>&1 >/dev/null | grep -qx "
              "\"zynamo: --write-buffer wants a number from 1 to 1024, "
              "not '0'\"", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    snprintf (command, sizeof (command), "%s/zynamo up --help | grep -q -- "
              "'--write-buffer MB'", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    //  The nice value of the workers' compactions, 0 allowed
    snprintf (command, sizeof (command),
              "%s/zynamo up --compaction-nice 20 2>&1 >/dev/null | grep -qx "
              "\"zynamo: --compaction-nice wants a number from 0 to 19, "
              "not '20'\"", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
    snprintf (command, sizeof (command), "%s/zynamo up --help | grep -q -- "
              "'--compaction-nice N'", builddir ? builddir : ".");
    ck_assert_int_eq (system (command), 0);
}
END_TEST

Suite *
zyn_cli_suite (void)
{
    Suite *suite = suite_create ("zyn_cli");
    TCase *tc = tcase_create ("translation");
    tcase_add_test (tc, test_translation);
    tcase_add_test (tc, test_files_and_options);
    tcase_add_test (tc, test_usage_errors);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("program");
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, test_program);
    suite_add_tcase (suite, tc);
    tc = tcase_create ("launcher");
    tcase_set_timeout (tc, 90);
    tcase_add_test (tc, test_launcher_usage);
    tcase_add_test (tc, test_launcher);
    suite_add_tcase (suite, tc);
    return suite;
}

ZYN_TEST_MAIN (zyn_cli_suite)
