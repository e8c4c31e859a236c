"""Global secondary indexes through boto3: CreateTable, UpdateTable and
DescribeTable fields, Query and Scan by index (eventually consistent,
kept by zynamo-indexer), projections, sparse and non-unique index keys,
pagination, backfill of an index added later, and DynamoDB's errors."""
import time

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
               {"AttributeName": "city", "AttributeType": "S"},
               {"AttributeName": "age", "AttributeType": "N"}]


def gsi(name, pk, sk, projection):
    keys = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk:
        keys.append({"AttributeName": sk, "KeyType": "RANGE"})
    return {"IndexName": name, "KeySchema": keys, "Projection": projection}


def wait_until(check, timeout=15.0):
    """Poll check() until it returns a true value; the index is eventually
    consistent, so a read may lag the write by a moment."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def index_status(ddb, name, index):
    table = ddb.describe_table(TableName=name)["Table"]
    for entry in table.get("GlobalSecondaryIndexes", []):
        if entry["IndexName"] == index:
            return entry
    return None


def wait_index_active(ddb, name, index, timeout=30.0):
    assert wait_until(lambda: index_status(ddb, name, index)["IndexStatus"]
                      == "ACTIVE", timeout)


@pytest.fixture
def people(ddb):
    """A table with three global indexes: by_city (city, age) ALL,
    by_age (age) KEYS_ONLY, city_include (city) INCLUDE [nick]."""
    name = unique("gsi")
    ddb.create_table(
        TableName=name, KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS, BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            gsi("by_city", "city", "age", {"ProjectionType": "ALL"}),
            gsi("by_age", "age", None, {"ProjectionType": "KEYS_ONLY"}),
            gsi("city_include", "city", None,
                {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["nick"]})])
    wait_active(ddb, name)
    for index in ("by_city", "by_age", "city_include"):
        wait_index_active(ddb, name, index)
    yield name
    ddb.delete_table(TableName=name)


def put_person(ddb, table, pk, sk, city=None, age=None, nick="n", extra="x"):
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "nick": {"S": nick},
            "extra": {"S": extra}}
    if city is not None:
        item["city"] = {"S": city}
    if age is not None:
        item["age"] = {"N": str(age)}
    ddb.put_item(TableName=table, Item=item)


def query_city(ddb, table, city, **kwargs):
    return ddb.query(TableName=table, IndexName="by_city",
                     KeyConditionExpression="city = :c",
                     ExpressionAttributeValues={":c": {"S": city}}, **kwargs)


def test_describe_table_fields(ddb, people):
    table = ddb.describe_table(TableName=people)["Table"]
    indexes = {entry["IndexName"]: entry
               for entry in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"by_city", "by_age", "city_include"}
    entry = indexes["by_city"]
    assert entry["KeySchema"] == [
        {"AttributeName": "city", "KeyType": "HASH"},
        {"AttributeName": "age", "KeyType": "RANGE"}]
    assert entry["Projection"] == {"ProjectionType": "ALL"}
    assert entry["IndexStatus"] == "ACTIVE"
    assert "Backfilling" not in entry
    assert entry["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert entry["IndexSizeBytes"] == 0 or entry["IndexSizeBytes"] > 0
    assert "ItemCount" in entry
    assert entry["IndexArn"] == table["TableArn"] + "/index/by_city"
    assert indexes["city_include"]["Projection"] == {
        "ProjectionType": "INCLUDE", "NonKeyAttributes": ["nick"]}
    # The hidden index tables are not tables a client sees
    names = ddb.list_tables()["TableNames"]
    assert people in names
    assert not [name for name in names if "/" in name]


def test_query_sees_writes_eventually(ddb, people):
    put_person(ddb, people, "a", "1", city="Oslo", age=30)
    put_person(ddb, people, "b", "1", city="Oslo", age=20)
    put_person(ddb, people, "c", "1", city="Rome", age=25)
    result = wait_until(lambda: (lambda r: r if r["Count"] == 2 else None)(
        query_city(ddb, people, "Oslo")))
    assert result, "index did not converge"
    # Ordered by the index sort key, with the whole item (ALL)
    assert [item["pk"]["S"] for item in result["Items"]] == ["b", "a"]
    assert result["Items"][0] == {
        "pk": {"S": "b"}, "sk": {"S": "1"}, "city": {"S": "Oslo"},
        "age": {"N": "20"}, "nick": {"S": "n"}, "extra": {"S": "x"}}
    backwards = query_city(ddb, people, "Oslo", ScanIndexForward=False)
    assert [item["pk"]["S"] for item in backwards["Items"]] == ["a", "b"]
    ranged = ddb.query(
        TableName=people, IndexName="by_city",
        KeyConditionExpression="city = :c AND age BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":c": {"S": "Oslo"}, ":lo": {"N": "21"},
                                   ":hi": {"N": "30"}})
    assert [item["pk"]["S"] for item in ranged["Items"]] == ["a"]


def test_update_moves_and_delete_removes_entry(ddb, people):
    put_person(ddb, people, "m", "1", city="Oslo", age=40)
    assert wait_until(lambda: query_city(ddb, people, "Oslo")["Count"] == 1)
    ddb.update_item(TableName=people,
                    Key={"pk": {"S": "m"}, "sk": {"S": "1"}},
                    UpdateExpression="SET city = :c",
                    ExpressionAttributeValues={":c": {"S": "Bergen"}})
    assert wait_until(lambda: query_city(ddb, people, "Bergen")["Count"] == 1)
    assert query_city(ddb, people, "Oslo")["Count"] == 0
    ddb.delete_item(TableName=people,
                    Key={"pk": {"S": "m"}, "sk": {"S": "1"}})
    assert wait_until(lambda: query_city(ddb, people, "Bergen")["Count"] == 0)


def test_sparse_and_non_unique_keys(ddb, people):
    # No city: in by_age only; no age: in city_include only
    put_person(ddb, people, "s1", "1", age=7)
    put_person(ddb, people, "s2", "1", city="Lima")
    for pk in ("u3", "u1", "u2"):
        put_person(ddb, people, pk, "1", city="Kyiv", age=50)

    def kyiv():
        result = query_city(ddb, people, "Kyiv")
        return result if result["Count"] == 3 else None
    result = wait_until(kyiv)
    assert result
    # One index key, many items: ordered by the base key
    assert [item["pk"]["S"] for item in result["Items"]] == ["u1", "u2", "u3"]
    assert wait_until(lambda: ddb.query(
        TableName=people, IndexName="by_age",
        KeyConditionExpression="age = :a",
        ExpressionAttributeValues={":a": {"N": "7"}})["Count"] == 1)
    assert query_city(ddb, people, "Lima")["Count"] == 0
    include = wait_until(lambda: ddb.query(
        TableName=people, IndexName="city_include",
        KeyConditionExpression="city = :c",
        ExpressionAttributeValues={":c": {"S": "Lima"}})["Items"])
    assert include == [{"pk": {"S": "s2"}, "sk": {"S": "1"},
                        "city": {"S": "Lima"}, "nick": {"S": "n"}}]


def test_keys_only_projection_and_select(ddb, people):
    put_person(ddb, people, "k", "1", city="Oslo", age=61)
    query = dict(TableName=people, IndexName="by_age",
                 KeyConditionExpression="age = :a",
                 ExpressionAttributeValues={":a": {"N": "61"}})
    items = wait_until(lambda: ddb.query(**query)["Items"])
    assert items == [{"pk": {"S": "k"}, "sk": {"S": "1"}, "age": {"N": "61"}}]
    projected = ddb.query(Select="ALL_PROJECTED_ATTRIBUTES", **query)
    assert projected["Items"] == items
    counted = ddb.query(Select="COUNT", **query)
    assert counted["Count"] == 1 and "Items" not in counted
    error = error_of(ddb.query, Select="ALL_ATTRIBUTES", **query)
    assert error["Code"] == "ValidationException"
    assert "ALL_ATTRIBUTES" in error["Message"]


def test_pagination_carries_base_key(ddb, people):
    for i in range(7):
        put_person(ddb, people, "p%d" % i, "s", city="Page", age=i % 3)
    assert wait_until(lambda: query_city(ddb, people, "Page")["Count"] == 7)
    seen = []
    start = None
    while True:
        kwargs = {"Limit": 3}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = query_city(ddb, people, "Page", **kwargs)
        seen += [(int(item["age"]["N"]), item["pk"]["S"])
                 for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"city", "age", "pk", "sk"}
    assert seen == sorted(seen) and len(seen) == 7
    # Scan of the index, paged
    scanned = []
    start = None
    while True:
        kwargs = {"Limit": 2}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = ddb.scan(TableName=people, IndexName="by_city", **kwargs)
        scanned += [item["pk"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(scanned) == sorted("p%d" % i for i in range(7))


def test_read_errors(ddb, people):
    error = error_of(ddb.query, TableName=people, IndexName="by_city",
                     KeyConditionExpression="city = :c",
                     ExpressionAttributeValues={":c": {"S": "x"}},
                     ConsistentRead=True)
    assert error == {"Code": "ValidationException", "Message":
                     "Consistent reads are not supported on global "
                     "secondary indexes"}
    error = error_of(ddb.scan, TableName=people, IndexName="by_city",
                     ConsistentRead=True)
    assert error["Message"] == ("Consistent reads are not supported on "
                                "global secondary indexes")
    error = error_of(ddb.query, TableName=people, IndexName="by_city",
                     KeyConditionExpression="pk = :c",
                     ExpressionAttributeValues={":c": {"S": "x"}})
    assert error == {"Code": "ValidationException", "Message":
                     "Query condition missed key schema element: city"}
    error = error_of(ddb.query, TableName=people, IndexName="nope",
                     KeyConditionExpression="city = :c",
                     ExpressionAttributeValues={":c": {"S": "x"}})
    assert error == {"Code": "ValidationException", "Message":
                     "The table does not have the specified index: nope"}


def test_create_table_errors(ddb):
    name = unique("gsi")
    error = error_of(
        ddb.create_table, TableName=name, KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS[:2], BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[gsi("gidx", "city", None,
                                    {"ProjectionType": "ALL"})])
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "One or more parameter values were invalid: Some index key "
        "attributes are not defined in AttributeDefinitions. Keys: [city], "
        "AttributeDefinitions: [pk, sk]")
    error = error_of(
        ddb.create_table, TableName=name, KeySchema=KEY_SCHEMA,
        AttributeDefinitions=DEFINITIONS[:3], BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            gsi("gidx", "city", None, {"ProjectionType": "ALL"}),
            gsi("gidx", "city", None, {"ProjectionType": "ALL"})])
    assert error == {"Code": "ValidationException", "Message":
                     "One or more parameter values were invalid: Duplicate "
                     "index name: gidx"}


def test_index_key_types_checked_on_write(ddb, people):
    """DynamoDB refuses a write whose global index key attribute has the
    wrong type or is empty, and stores nothing; an item without the
    attribute is just left out of the index."""
    put_person(ddb, people, "t1", "1", city="Oslo", age=30)
    bad = {"pk": {"S": "t1"}, "sk": {"S": "1"}, "city": {"N": "5"}}
    error = error_of(ddb.put_item, TableName=people, Item=bad)
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "One or more parameter values were invalid: Type mismatch for "
        "Index Key city Expected: S Actual: N IndexName: by_city")
    bad = {"pk": {"S": "t1"}, "sk": {"S": "1"}, "city": {"S": ""}}
    error = error_of(ddb.put_item, TableName=people, Item=bad)
    assert error["Message"] == (
        "One or more parameter values are not valid. A value specified for "
        "a secondary index key is not supported. The AttributeValue for a "
        "key attribute cannot contain an empty string value. IndexName: "
        "by_city, IndexKey: city")
    error = error_of(ddb.update_item, TableName=people,
                     Key={"pk": {"S": "t1"}, "sk": {"S": "1"}},
                     UpdateExpression="SET age = :a",
                     ExpressionAttributeValues={":a": {"S": "old"}})
    assert error["Message"] == (
        "One or more parameter values were invalid: Type mismatch for "
        "Index Key age Expected: N Actual: S IndexName: by_city")
    stored = ddb.get_item(TableName=people, ConsistentRead=True,
                          Key={"pk": {"S": "t1"}, "sk": {"S": "1"}})["Item"]
    assert stored["city"] == {"S": "Oslo"}
    assert stored["age"] == {"N": "30"}


def test_added_index_checks_writes_until_deleted(ddb, make_table):
    name = make_table(sort_key="S")
    ddb.put_item(TableName=name, Item={"pk": {"S": "early"}, "sk": {"S": "x"},
                                       "color": {"N": "1"}})
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "color",
                               "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi(
            "by_color", "color", None, {"ProjectionType": "KEYS_ONLY"})}])
    wait_index_active(ddb, name, "by_color")
    error = error_of(ddb.put_item, TableName=name, Item={
        "pk": {"S": "late"}, "sk": {"S": "x"}, "color": {"N": "2"}})
    assert error["Message"] == (
        "One or more parameter values were invalid: Type mismatch for "
        "Index Key color Expected: S Actual: N IndexName: by_color")
    assert "Item" not in ddb.get_item(
        TableName=name, ConsistentRead=True,
        Key={"pk": {"S": "late"}, "sk": {"S": "x"}})
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "by_color"}}])

    def accepted():
        try:
            ddb.put_item(TableName=name, Item={
                "pk": {"S": "later"}, "sk": {"S": "x"}, "color": {"N": "3"}})
            return True
        except botocore.exceptions.ClientError:
            return False
    # The workers learn of the deletion from the broker, a moment later
    assert wait_until(accepted, timeout=10.0)
    assert ddb.get_item(TableName=name, ConsistentRead=True, Key={
        "pk": {"S": "later"}, "sk": {"S": "x"}})["Item"]["color"] == {
            "N": "3"}


def test_add_index_backfills_then_delete(ddb, make_table):
    name = make_table(sort_key="S")
    for i in range(300):
        ddb.put_item(TableName=name, Item={
            "pk": {"S": "b%d" % i}, "sk": {"S": "x"},
            "color": {"S": "c%d" % (i % 3)}})
    described = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "color",
                               "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi(
            "by_color", "color", None, {"ProjectionType": "KEYS_ONLY"})}])
    entry = described["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert entry["IndexName"] == "by_color"
    assert entry["IndexStatus"] == "CREATING"
    assert entry["Backfilling"] is True
    wait_index_active(ddb, name, "by_color")
    # The indexer counts the entries once caught up
    assert wait_until(lambda: index_status(ddb, name, "by_color")
                      ["ItemCount"] == 300)
    result = ddb.query(TableName=name, IndexName="by_color",
                       KeyConditionExpression="color = :c",
                       ExpressionAttributeValues={":c": {"S": "c1"}})
    assert result["Count"] == 100
    ddb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[
        {"Delete": {"IndexName": "by_color"}}])
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(
        TableName=name)["Table"]
    error = error_of(ddb.query, TableName=name, IndexName="by_color",
                     KeyConditionExpression="color = :c",
                     ExpressionAttributeValues={":c": {"S": "c1"}})
    assert error["Message"] == ("The table does not have the specified "
                                "index: by_color")


def test_filters_projections_and_legacy_conditions(ddb, people):
    put_person(ddb, people, "f1", "1", city="Fez", age=10, nick="a")
    put_person(ddb, people, "f2", "1", city="Fez", age=20, nick="b")
    put_person(ddb, people, "f3", "1", city="Fez", age=30, nick="a")
    assert wait_until(lambda: query_city(ddb, people, "Fez")["Count"] == 3)
    # Placeholders used by the key condition, the filter and the
    # projection, one of them in two places
    result = ddb.query(
        TableName=people, IndexName="by_city",
        KeyConditionExpression="#c = :c AND #a >= :a",
        FilterExpression="#n = :n",
        ProjectionExpression="pk, #n, #a",
        ExpressionAttributeNames={"#c": "city", "#a": "age", "#n": "nick"},
        ExpressionAttributeValues={":c": {"S": "Fez"}, ":a": {"N": "15"},
                                   ":n": {"S": "a"}})
    assert result["Items"] == [{"pk": {"S": "f3"}, "nick": {"S": "a"},
                                "age": {"N": "30"}}]
    assert result["ScannedCount"] == 2
    error = error_of(ddb.query, TableName=people, IndexName="by_city",
                     KeyConditionExpression="city = :c",
                     FilterExpression="age > :a",
                     ExpressionAttributeValues={":c": {"S": "Fez"},
                                                ":a": {"N": "1"}})
    assert error == {"Code": "ValidationException", "Message":
                     "Filter Expression can only contain non-primary key "
                     "attributes: Primary key attribute: age"}
    # The legacy parameters
    legacy = ddb.query(
        TableName=people, IndexName="by_city",
        KeyConditions={
            "city": {"ComparisonOperator": "EQ",
                     "AttributeValueList": [{"S": "Fez"}]},
            "age": {"ComparisonOperator": "LE",
                    "AttributeValueList": [{"N": "20"}]}})
    assert [item["pk"]["S"] for item in legacy["Items"]] == ["f1", "f2"]
