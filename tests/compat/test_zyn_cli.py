"""The zyn command line against a real cluster, with the flags of
`aws dynamodb`: every item operation of issue 3 pasted as one would from
the AWS documentation, output checked as DynamoDB JSON, errors checked by
exit status and the AWS CLI's error line."""
import json
import os
import subprocess

from conftest import binary, unique


def zyn(cluster, *args, ok=True):
    proc = subprocess.run(
        [binary("zyn"), "--endpoint", cluster.front] + list(args),
        capture_output=True, text=True, timeout=60)
    if ok:
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}
    assert proc.returncode != 0, proc.stdout
    return proc.stderr


def make_cli_table(cluster, sort=False):
    name = unique("cli")
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        defs.append({"AttributeName": "sk", "AttributeType": "N"})
    out = zyn(cluster, "create-table", "--table-name", name,
              "--key-schema", json.dumps(schema),
              "--attribute-definitions", json.dumps(defs),
              "--billing-mode", "PAY_PER_REQUEST")
    assert out["TableDescription"]["TableName"] == name
    zyn(cluster, "wait", "table-exists", "--table-name", name)
    return name


def test_table_lifecycle(cluster):
    name = make_cli_table(cluster)
    described = zyn(cluster, "describe-table", "--table-name", name)
    assert described["Table"]["TableStatus"] == "ACTIVE"
    assert described["Table"]["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"}]
    assert name in zyn(cluster, "list-tables")["TableNames"]
    out = zyn(cluster, "delete-table", "--table-name", name)
    assert out["TableDescription"]["TableStatus"] == "DELETING"
    zyn(cluster, "wait", "table-not-exists", "--table-name", name)
    err = zyn(cluster, "describe-table", "--table-name", name, ok=False)
    assert "An error occurred (ResourceNotFoundException) when calling " \
           "the DescribeTable operation: Requested resource not found: " \
           "Table: %s not found" % name in err


def test_put_get_conditions(cluster, tmp_path):
    name = make_cli_table(cluster)
    zyn(cluster, "put-item", "--table-name", name,
        "--item", '{"pk":{"S":"a"},"n":{"N":"01.50"}}',
        "--condition-expression", "attribute_not_exists(pk)")
    err = zyn(cluster, "put-item", "--table-name", name,
              "--item", '{"pk":{"S":"a"}}',
              "--condition-expression", "attribute_not_exists(pk)", ok=False)
    assert "An error occurred (ConditionalCheckFailedException) when " \
           "calling the PutItem operation: The conditional request failed" \
           in err
    # file:// arguments, as the AWS CLI takes them
    key = tmp_path / "key.json"
    key.write_text('{"pk":{"S":"a"}}')
    got = zyn(cluster, "get-item", "--table-name", name,
              "--key", "file://%s" % key, "--consistent-read")
    assert got["Item"] == {"pk": {"S": "a"}, "n": {"N": "1.5"}}
    got = zyn(cluster, "get-item", "--table-name", name,
              "--key", '{"pk":{"S":"a"}}',
              "--projection-expression", "#n",
              "--expression-attribute-names", '{"#n":"n"}')
    assert got["Item"] == {"n": {"N": "1.5"}}
    out = zyn(cluster, "delete-item", "--table-name", name,
              "--key", '{"pk":{"S":"a"}}', "--return-values", "ALL_OLD")
    assert out["Attributes"]["n"] == {"N": "1.5"}
    assert zyn(cluster, "get-item", "--table-name", name,
               "--key", '{"pk":{"S":"a"}}') == {}


def test_update_item(cluster):
    name = make_cli_table(cluster)
    out = zyn(cluster, "update-item", "--table-name", name,
              "--key", '{"pk":{"S":"u"}}',
              "--update-expression", "SET c = if_not_exists(c, :z) + :one",
              "--expression-attribute-values",
              '{":z":{"N":"0"},":one":{"N":"1"}}',
              "--return-values", "ALL_NEW")
    assert out["Attributes"] == {"pk": {"S": "u"}, "c": {"N": "1"}}
    out = zyn(cluster, "update-item", "--table-name", name,
              "--key", '{"pk":{"S":"u"}}',
              "--update-expression", "ADD c :five",
              "--condition-expression", "c = :one",
              "--expression-attribute-values",
              '{":five":{"N":"5"},":one":{"N":"1"}}',
              "--return-values", "UPDATED_NEW")
    assert out["Attributes"] == {"c": {"N": "6"}}
    err = zyn(cluster, "update-item", "--table-name", name,
              "--key", '{"pk":{"S":"u"}}',
              "--update-expression", "SET pk = :v",
              "--expression-attribute-values", '{":v":{"S":"x"}}', ok=False)
    assert "(ValidationException)" in err
    assert "Cannot update attribute pk. This attribute is part of the key" \
        in err


def test_query_scan(cluster):
    name = make_cli_table(cluster, sort=True)
    for sk in range(12):
        zyn(cluster, "put-item", "--table-name", name, "--item",
            json.dumps({"pk": {"S": "p"}, "sk": {"N": str(sk)},
                        "even": {"BOOL": sk % 2 == 0}}))
    out = zyn(cluster, "query", "--table-name", name,
              "--key-condition-expression", "pk = :p AND sk BETWEEN :a AND :b",
              "--expression-attribute-values",
              '{":p":{"S":"p"},":a":{"N":"3"},":b":{"N":"7"}}',
              "--no-scan-index-forward")
    assert [int(item["sk"]["N"]) for item in out["Items"]] == [7, 6, 5, 4, 3]
    assert out["Count"] == 5
    out = zyn(cluster, "query", "--table-name", name,
              "--key-condition-expression", "pk = :p",
              "--filter-expression", "even = :t",
              "--expression-attribute-values",
              '{":p":{"S":"p"},":t":{"BOOL":true}}',
              "--select", "COUNT")
    assert out["Count"] == 6 and out["ScannedCount"] == 12
    out = zyn(cluster, "scan", "--table-name", name,
              "--projection-expression", "sk")
    assert sorted(int(item["sk"]["N"]) for item in out["Items"]) == \
        list(range(12))
    assert all(list(item) == ["sk"] for item in out["Items"])
    seen = []
    for segment in range(2):
        out = zyn(cluster, "scan", "--table-name", name,
                  "--segment", str(segment), "--total-segments", "2")
        seen += [int(item["sk"]["N"]) for item in out["Items"]]
    assert sorted(seen) == list(range(12))


def test_batch(cluster):
    name = make_cli_table(cluster)
    items = {name: [{"PutRequest": {"Item": {"pk": {"S": "k%d" % i}}}}
                    for i in range(5)]}
    out = zyn(cluster, "batch-write-item", "--request-items",
              json.dumps(items))
    assert out.get("UnprocessedItems", {}) == {}
    keys = {name: {"Keys": [{"pk": {"S": "k%d" % i}} for i in range(7)]}}
    out = zyn(cluster, "batch-get-item", "--request-items", json.dumps(keys))
    assert sorted(item["pk"]["S"] for item in out["Responses"][name]) == \
        ["k%d" % i for i in range(5)]
    err = zyn(cluster, "batch-write-item", "--request-items", json.dumps(
        {name: [{"PutRequest": {"Item": {"pk": {"S": "d"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "d"}}}}]}), ok=False)
    assert "Provided list of item keys contains duplicates" in err


def test_bad_input(cluster):
    err = zyn(cluster, "put-item", "--table-name", "nosuchtable",
              "--item", '{"pk":{"S":"a"}}', ok=False)
    assert "(ResourceNotFoundException)" in err
    err = zyn(cluster, "put-item", "--table-name", "x", "--item", "{oops",
              ok=False)
    assert err.strip()
    err = zyn(cluster, "put-item", "--no-such-flag", "1", ok=False)
    assert "--no-such-flag" in err
