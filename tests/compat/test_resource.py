"""The same operations through boto3's resource API (Table objects,
batch_writer, Key / Attr conditions, Python types)."""
from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key

from conftest import wait_active, unique


@pytest.fixture
def table(resource, ddb):
    name = unique("res")
    table = resource.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST")
    wait_active(ddb, name)
    yield table
    table.delete()


def test_resource_items(table):
    with table.batch_writer() as batch:
        for index in range(30):
            batch.put_item(Item={"pk": "user", "sk": index,
                                 "name": "n%d" % index,
                                 "even": index % 2 == 0,
                                 "score": Decimal("1.5") * index})
    item = table.get_item(Key={"pk": "user", "sk": 3})["Item"]
    assert item == {"pk": "user", "sk": 3, "name": "n3", "even": False,
                    "score": Decimal("4.5")}
    page = table.query(KeyConditionExpression=Key("pk").eq("user")
                       & Key("sk").between(10, 14))
    assert [item["sk"] for item in page["Items"]] == [10, 11, 12, 13, 14]
    page = table.query(KeyConditionExpression=Key("pk").eq("user"),
                       FilterExpression=Attr("even").eq(True), Limit=10)
    assert [item["sk"] for item in page["Items"]] == [0, 2, 4, 6, 8]
    assert page["ScannedCount"] == 10
    assert page["LastEvaluatedKey"] == {"pk": "user", "sk": 9}
    scanned = table.scan(FilterExpression=Attr("score").gt(40))["Items"]
    assert sorted(item["sk"] for item in scanned) == [27, 28, 29]
    updated = table.update_item(
        Key={"pk": "user", "sk": 3},
        UpdateExpression="SET #n = :name REMOVE score",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":name": "three"},
        ReturnValues="ALL_NEW")["Attributes"]
    assert updated == {"pk": "user", "sk": 3, "name": "three",
                       "even": False}
    table.delete_item(Key={"pk": "user", "sk": 3})
    assert "Item" not in table.get_item(Key={"pk": "user", "sk": 3})
    with table.batch_writer() as batch:
        for index in range(30):
            batch.delete_item(Key={"pk": "user", "sk": index})
    assert table.scan(Select="COUNT")["Count"] == 0
