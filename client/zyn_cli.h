/*  =========================================================================
    zyn_cli - the `zyn` command line's subcommands and flags

    Translates `aws dynamodb`-style arguments into the JSON body of a
    DynamoDB request: --table-name T becomes "TableName": "T" (the flag in
    PascalCase), JSON arguments are taken inline or from file://path, and
    --cli-input-json supplies a whole body that flags then override. Kept
    apart from zyn_cli.c (the program) so tests can check the translation.
    =========================================================================
*/

#ifndef ZYN_CLI_H_INCLUDED
#define ZYN_CLI_H_INCLUDED

#include "zynamo.h"

//  Exit statuses, as the AWS CLI (v2) uses them
#define ZYN_CLI_EXIT_OK 0
#define ZYN_CLI_EXIT_USAGE 252
#define ZYN_CLI_EXIT_SERVICE 254
#define ZYN_CLI_EXIT_WAITER 255

//  Options that are not request parameters
typedef struct {
    char endpoint [256];            //  --endpoint / --endpoint-url
    bool help;                      //  --help seen
    bool no_paginate;               //  --no-paginate
    int64_t max_items;              //  --max-items, 0 if not given
    int64_t page_size;              //  --page-size, 0 if not given
    int timeout_ms;                 //  --cli-read-timeout in msecs, or 0
    bool from_start;                //  stream tail --from-start
    const char *starting_token;     //  --starting-token, borrowed from argv
} zyn_cli_options_t;

typedef struct zyn_cli_command zyn_cli_command_t;

//  The subcommand called name ("put-item"), or NULL. Static.
const zyn_cli_command_t *
    zyn_cli_command_find (const char *name);

//  The DynamoDB operation of a subcommand ("PutItem").
const char *
    zyn_cli_command_operation (const zyn_cli_command_t *command);

//  The subcommand's name.
const char *
    zyn_cli_command_name (const zyn_cli_command_t *command);

//  The number of subcommands, and the index-th one, for help.
size_t
    zyn_cli_command_count (void);
const zyn_cli_command_t *
    zyn_cli_command_at (size_t index);

//  Print the subcommand's usage (flags, required ones marked) to file.
void
    zyn_cli_command_usage (const zyn_cli_command_t *command, FILE *file);

//  Parse the arguments after the subcommand name into the JSON text of
//  the request (--cli-input-json first, then flags in argument order),
//  filling options with the non-request flags.
//  Returns the text (caller frees), or NULL with err filled
//  (ValidationException with the usage message) on a bad argument. With
//  --help, returns NULL, err untouched, options->help set.
char *
    zyn_cli_request_json (const zyn_cli_command_t *command, int argc,
                          char **argv, zyn_cli_options_t *options,
                          zyn_error_t *err);

//  Fill options with their defaults: endpoint from env_endpoint if not
//  NULL, else tcp://127.0.0.1:7100.
void
    zyn_cli_options_init (zyn_cli_options_t *options,
                          const char *env_endpoint);

//  Parse one global option at argv[*index] (--endpoint URL, ...), moving
//  *index past it. Returns 1 if it was one, 0 if not, -1 with err if its
//  value is missing or bad.
int
    zyn_cli_global_option (zyn_cli_options_t *options, int argc, char **argv,
                           int *index, zyn_error_t *err);

#endif
