"""Table operations through boto3: create, describe, list with pagination,
delete, and DynamoDB's errors for each."""
import time

import botocore.exceptions
import pytest

from conftest import unique, wait_active, wait_gone


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def test_create_describe_delete(ddb):
    name = unique("tables")
    created = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert created["TableName"] == name
    assert created["TableStatus"] in ("CREATING", "ACTIVE")
    assert created["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"}]
    wait_active(ddb, name)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["ItemCount"] == 0
    assert table["TableArn"].endswith(":table/" + name)
    assert "CreationDateTime" in table
    assert name in ddb.list_tables()["TableNames"]
    deleted = ddb.delete_table(TableName=name)["TableDescription"]
    assert deleted["TableName"] == name
    wait_gone(ddb, name)
    assert name not in ddb.list_tables()["TableNames"]


def test_item_count_and_size(ddb, make_table):
    """ItemCount and TableSizeBytes follow the writes (DynamoDB's lag six
    hours; zynamo's a heartbeat): the DynamoDB size of the items, names
    and values, over every partition."""
    name = make_table()

    def described(items, size):
        def check():
            table = ddb.describe_table(TableName=name)["Table"]
            return (table["ItemCount"], table["TableSizeBytes"]) == \
                (items, size)
        deadline = time.monotonic() + 10.0
        while not check():
            assert time.monotonic() < deadline, \
                ddb.describe_table(TableName=name)["Table"]
            time.sleep(0.1)

    # pk "k0".."k9" (2 + 2 octets) and v "hello" (1 + 5): 10 each
    for i in range(10):
        ddb.put_item(TableName=name, Item={"pk": {"S": "k%d" % i},
                                           "v": {"S": "hello"}})
    described(10, 100)
    # An overwrite changes the size only; a delete takes both
    ddb.put_item(TableName=name, Item={"pk": {"S": "k0"},
                                       "v": {"S": "hello world"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "k1"}})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "absent"}})
    described(9, 96)
    # A refused write counts nothing
    with pytest.raises(botocore.exceptions.ClientError):
        ddb.put_item(TableName=name, Item={"pk": {"S": "k2"}, "v": {"S": "x"}},
                     ConditionExpression="attribute_not_exists(pk)")
    ddb.put_item(TableName=name, Item={"pk": {"S": "k99"}})
    described(10, 101)


def test_create_existing(ddb, make_table):
    name = make_table()
    error = error_of(ddb.create_table, TableName=name,
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk",
                                            "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    assert error["Code"] == "ResourceInUseException"
    assert error["Message"] == "Table already exists: " + name


def test_missing_tables(ddb):
    error = error_of(ddb.describe_table, TableName="no-such-table")
    assert error["Code"] == "ResourceNotFoundException"
    assert error["Message"] == \
        "Requested resource not found: Table: no-such-table not found"
    error = error_of(ddb.delete_table, TableName="no-such-table")
    assert error["Code"] == "ResourceNotFoundException"
    assert error["Message"] == \
        "Requested resource not found: Table: no-such-table not found"


def test_list_tables_pagination(ddb, make_table):
    names = sorted(make_table() for _ in range(3))
    seen = []
    start = None
    while True:
        params = {"Limit": 2}
        if start:
            params["ExclusiveStartTableName"] = start
        page = ddb.list_tables(**params)
        assert len(page["TableNames"]) <= 2
        seen.extend(page["TableNames"])
        start = page.get("LastEvaluatedTableName")
        if not start:
            break
    assert seen == sorted(seen)
    for name in names:
        assert name in seen
    # the paginator agrees
    paginated = []
    for page in ddb.get_paginator("list_tables").paginate(
            PaginationConfig={"PageSize": 2}):
        paginated.extend(page["TableNames"])
    assert paginated == seen


def test_bad_key_schema(ddb):
    error = error_of(ddb.create_table, TableName=unique("bad"),
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "other",
                                            "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    assert error["Code"] == "ValidationException"


def test_resource_api(resource):
    name = unique("resource")
    table = resource.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    wait_active(resource.meta.client, name)
    table.reload()
    assert table.table_status == "ACTIVE"
    table.put_item(Item={"pk": "a", "n": 1, "tags": {"x", "y"}})
    item = table.get_item(Key={"pk": "a"})["Item"]
    assert item == {"pk": "a", "n": 1, "tags": {"x", "y"}}
    table.delete()
    wait_gone(resource.meta.client, name)
