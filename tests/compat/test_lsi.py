"""Local secondary indexes through boto3: CreateTable and DescribeTable
fields, Query and Scan by index, projections, pagination, item
collection metrics, and DynamoDB's errors."""
import botocore.exceptions
import pytest

from conftest import unique, wait_active


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"},
              {"AttributeName": "sk", "KeyType": "RANGE"}]
DEFINITIONS = [{"AttributeName": "pk", "AttributeType": "S"},
               {"AttributeName": "sk", "AttributeType": "S"},
               {"AttributeName": "ts", "AttributeType": "N"},
               {"AttributeName": "kind", "AttributeType": "S"}]


def index(name, sort_key, projection):
    return {"IndexName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": sort_key, "KeyType": "RANGE"}],
            "Projection": projection}


def create(ddb, name):
    ddb.create_table(
        TableName=name, KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS,
        LocalSecondaryIndexes=[
            index("byTs", "ts", {"ProjectionType": "KEYS_ONLY"}),
            index("byKind", "kind", {"ProjectionType": "INCLUDE",
                                     "NonKeyAttributes": ["note"]})],
        BillingMode="PAY_PER_REQUEST")
    wait_active(ddb, name)


@pytest.fixture(scope="module")
def table(ddb):
    name = unique("lsi")
    create(ddb, name)
    for number in range(1, 6):
        ddb.put_item(TableName=name, Item={
            "pk": {"S": "user"}, "sk": {"S": "e%d" % number},
            "ts": {"N": str(100 - number * 10)},
            "kind": {"S": "click" if number % 2 else "view"},
            "note": {"S": "n%d" % number}, "extra": {"S": "x%d" % number}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "user"},
                                       "sk": {"S": "no-ts"}})
    return name


def test_describe(ddb, table):
    described = ddb.describe_table(TableName=table)["Table"]
    indexes = described["LocalSecondaryIndexes"]
    assert [entry["IndexName"] for entry in indexes] == ["byTs", "byKind"]
    first = indexes[0]
    assert set(first) == {"IndexName", "KeySchema", "Projection",
                          "IndexSizeBytes", "ItemCount", "IndexArn"}
    assert first["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "ts", "KeyType": "RANGE"}]
    assert first["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes[1]["Projection"] == {"ProjectionType": "INCLUDE",
                                        "NonKeyAttributes": ["note"]}
    assert first["IndexArn"] == described["TableArn"] + "/index/byTs"
    assert "GlobalSecondaryIndexes" not in described


def test_query_order_and_projection(ddb, table):
    items = ddb.query(
        TableName=table, IndexName="byTs", ConsistentRead=True,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "user"}})["Items"]
    # sparse: no-ts is not in the index; order by ts ascending
    assert [item["sk"]["S"] for item in items] == [
        "e5", "e4", "e3", "e2", "e1"]
    # KEYS_ONLY: table and index keys only
    assert set(items[0]) == {"pk", "sk", "ts"}
    items = ddb.query(
        TableName=table, IndexName="byTs", ScanIndexForward=False,
        KeyConditionExpression="pk = :p AND ts BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "user"}, ":a": {"N": "60"},
                                   ":b": {"N": "80"}})["Items"]
    assert [item["ts"]["N"] for item in items] == ["80", "70", "60"]


def test_query_fetches_from_table(ddb, table):
    items = ddb.query(
        TableName=table, IndexName="byKind",
        KeyConditionExpression="pk = :p AND kind = :k",
        ExpressionAttributeValues={":p": {"S": "user"},
                                   ":k": {"S": "view"}})["Items"]
    assert [item["sk"]["S"] for item in items] == ["e2", "e4"]
    assert set(items[0]) == {"pk", "sk", "kind", "note"}
    items = ddb.query(
        TableName=table, IndexName="byKind", Select="ALL_ATTRIBUTES",
        KeyConditionExpression="pk = :p AND kind = :k",
        ExpressionAttributeValues={":p": {"S": "user"},
                                   ":k": {"S": "view"}})["Items"]
    assert items[0]["extra"] == {"S": "x2"}
    items = ddb.query(
        TableName=table, IndexName="byTs", ProjectionExpression="extra",
        KeyConditionExpression="pk = :p AND ts = :t",
        ExpressionAttributeValues={":p": {"S": "user"},
                                   ":t": {"N": "70"}})["Items"]
    assert items == [{"extra": {"S": "x3"}}]
    count = ddb.query(
        TableName=table, IndexName="byKind", Select="COUNT",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "user"}})
    assert count["Count"] == 5
    assert "Items" not in count


def test_query_pages(ddb, table):
    seen = []
    start = None
    while True:
        kwargs = {"ExclusiveStartKey": start} if start else {}
        page = ddb.query(
            TableName=table, IndexName="byTs", Limit=2,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "user"}}, **kwargs)
        seen += [item["sk"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk", "ts"}
    assert seen == ["e5", "e4", "e3", "e2", "e1"]


def test_scan_index(ddb, table):
    items = ddb.scan(TableName=table, IndexName="byKind")["Items"]
    assert len(items) == 5
    assert [item["kind"]["S"] for item in items] == [
        "click", "click", "click", "view", "view"]


def test_write_sees_index_at_once(ddb):
    name = unique("lsi-write")
    create(ddb, name)
    key = {"pk": {"S": "k"}, "sk": {"S": "1"}}
    ddb.put_item(TableName=name, Item=dict(key, ts={"N": "5"}))
    query = dict(TableName=name, IndexName="byTs", ConsistentRead=True,
                 KeyConditionExpression="pk = :p",
                 ExpressionAttributeValues={":p": {"S": "k"}})
    assert [item["ts"]["N"] for item in ddb.query(**query)["Items"]] == ["5"]
    ddb.update_item(TableName=name, Key=key, UpdateExpression="SET ts = :t",
                    ExpressionAttributeValues={":t": {"N": "9"}})
    assert [item["ts"]["N"] for item in ddb.query(**query)["Items"]] == ["9"]
    metrics = ddb.delete_item(TableName=name, Key=key,
                              ReturnItemCollectionMetrics="SIZE")
    assert metrics["ItemCollectionMetrics"]["ItemCollectionKey"] == {
        "pk": {"S": "k"}}
    assert len(metrics["ItemCollectionMetrics"]["SizeEstimateRangeGB"]) == 2
    assert ddb.query(**query)["Items"] == []


def test_errors(ddb, table):
    error = error_of(ddb.query, TableName=table, IndexName="nope",
                     KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "user"}})
    assert error["Code"] == "ValidationException"
    assert error["Message"] == \
        "The table does not have the specified index: nope"
    error = error_of(ddb.put_item, TableName=table, Item={
        "pk": {"S": "user"}, "sk": {"S": "bad"}, "ts": {"S": "late"}})
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "One or more parameter values were invalid: Type mismatch for "
        "Index Key ts Expected: N Actual: S IndexName: byTs")

    error = error_of(
        ddb.create_table, TableName=unique("lsi-bad"),
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "ts", "AttributeType": "N"}],
        LocalSecondaryIndexes=[
            index("byTs", "ts", {"ProjectionType": "ALL"})],
        BillingMode="PAY_PER_REQUEST")
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "One or more parameter values were invalid: Table KeySchema does "
        "not have a range key, which is required when specifying a "
        "LocalSecondaryIndex")
    error = error_of(
        ddb.create_table, TableName=unique("lsi-bad"), KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS,
        LocalSecondaryIndexes=[
            index("byTs", "ts", {"ProjectionType": "ALL"}),
            index("byTs", "kind", {"ProjectionType": "ALL"})],
        BillingMode="PAY_PER_REQUEST")
    assert error["Message"] == (
        "One or more parameter values were invalid: Duplicate index name: "
        "byTs")
    wrong_hash = index("byTs", "ts", {"ProjectionType": "ALL"})
    wrong_hash["KeySchema"][0]["AttributeName"] = "kind"
    error = error_of(
        ddb.create_table, TableName=unique("lsi-bad"), KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS, LocalSecondaryIndexes=[wrong_hash],
        BillingMode="PAY_PER_REQUEST")
    assert error["Message"] == (
        "One or more parameter values were invalid: Index KeySchema does "
        "not have the same leading hash key as table KeySchema for index: "
        "byTs. index hash key: kind, table hash key: pk")
    error = error_of(
        ddb.create_table, TableName=unique("lsi-bad"), KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS,
        LocalSecondaryIndexes=[index("byTs", "ts", {
            "ProjectionType": "INCLUDE",
            "NonKeyAttributes": ["a%d" % n for n in range(101)]})],
        BillingMode="PAY_PER_REQUEST")
    assert error["Message"] == (
        "One or more parameter values were invalid: Number of projected "
        "attributes in all indexes exceeds limit of 100, number of "
        "projected attributes:101")
