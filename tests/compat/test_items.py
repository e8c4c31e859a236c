"""Item operations through boto3's client: put, get, update, delete with
conditions and return values, Query and Scan with pagination, batches,
consumed capacity, and DynamoDB's errors."""
import botocore.exceptions
import pytest

from conftest import skip_if_unsupported


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def test_put_get_delete(ddb, make_table):
    name = make_table()
    item = {"pk": {"S": "a"}, "n": {"N": "01.50"}, "b": {"B": b"\x00\x01"},
            "ok": {"BOOL": True}, "none": {"NULL": True},
            "m": {"M": {"x": {"L": [{"S": "y"}, {"N": "2"}]}}},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}}
    assert "Attributes" not in ddb.put_item(TableName=name, Item=item)
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]
    assert got["n"] == {"N": "1.5"}
    assert got["b"] == {"B": b"\x00\x01"}
    assert got["m"] == item["m"]
    assert sorted(got["ss"]["SS"]) == ["a", "b"]
    assert got["none"] == {"NULL": True}
    # a missing item is an empty response
    assert "Item" not in ddb.get_item(TableName=name,
                                      Key={"pk": {"S": "nope"}})
    old = ddb.delete_item(TableName=name, Key={"pk": {"S": "a"}},
                          ReturnValues="ALL_OLD")["Attributes"]
    assert old["pk"] == {"S": "a"}
    assert "Item" not in ddb.get_item(TableName=name,
                                      Key={"pk": {"S": "a"}},
                                      ConsistentRead=True)


def test_put_return_values_and_condition(ddb, make_table):
    name = make_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    old = ddb.put_item(TableName=name,
                       Item={"pk": {"S": "a"}, "v": {"N": "2"}},
                       ReturnValues="ALL_OLD")["Attributes"]
    assert old == {"pk": {"S": "a"}, "v": {"N": "1"}}
    error = error_of(ddb.put_item, TableName=name,
                     Item={"pk": {"S": "a"}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert error["Code"] == "ConditionalCheckFailedException"
    assert error["Message"] == "The conditional request failed"


def test_update_item(ddb, make_table):
    name = make_table()
    key = {"pk": {"S": "c"}}
    new = ddb.update_item(
        TableName=name, Key=key,
        UpdateExpression="SET #n = if_not_exists(#n, :zero) + :one",
        ExpressionAttributeNames={"#n": "count"},
        ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        ReturnValues="ALL_NEW")["Attributes"]
    assert new == {"pk": {"S": "c"}, "count": {"N": "1"}}
    updated = ddb.update_item(
        TableName=name, Key=key, UpdateExpression="SET #n = #n + :one",
        ConditionExpression="#n = :one",
        ExpressionAttributeNames={"#n": "count"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW")["Attributes"]
    assert updated == {"count": {"N": "2"}}
    error = error_of(ddb.update_item, TableName=name, Key=key,
                     UpdateExpression="SET pk = :v",
                     ExpressionAttributeValues={":v": {"S": "x"}})
    assert error["Code"] == "ValidationException"


def test_item_errors(ddb, make_table):
    name = make_table()
    error = error_of(ddb.get_item, TableName="no-such-table",
                     Key={"pk": {"S": "a"}})
    assert error["Code"] == "ResourceNotFoundException"
    assert error["Message"] == "Requested resource not found"
    error = error_of(ddb.put_item, TableName=name, Item={"other": {"S": "a"}})
    assert error["Code"] == "ValidationException"
    assert error["Message"] == ("One or more parameter values were invalid: "
                                "Missing the key pk in the item")
    error = error_of(ddb.get_item, TableName=name, Key={"pk": {"N": "1"}})
    assert error["Code"] == "ValidationException"
    assert error["Message"] == ("The provided key element does not match "
                                "the schema")


def test_query(ddb, make_table):
    name = make_table(sort_key="N")
    for index in range(25):
        ddb.put_item(TableName=name, Item={"pk": {"S": "q"},
                                           "sk": {"N": str(index)},
                                           "v": {"S": "x" * index}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "other"},
                                       "sk": {"N": "1"}})
    page = ddb.query(TableName=name,
                     KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                     ExpressionAttributeValues={":p": {"S": "q"},
                                                ":a": {"N": "5"},
                                                ":b": {"N": "9"}})
    assert [item["sk"]["N"] for item in page["Items"]] == \
        ["5", "6", "7", "8", "9"]
    assert page["Count"] == 5
    backwards = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "q"}},
                          ScanIndexForward=False, Limit=3)
    assert [item["sk"]["N"] for item in backwards["Items"]] == \
        ["24", "23", "22"]
    assert backwards["LastEvaluatedKey"] == {"pk": {"S": "q"},
                                             "sk": {"N": "22"}}
    seen = []
    for page in ddb.get_paginator("query").paginate(
            TableName=name, KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "q"}},
            PaginationConfig={"PageSize": 4}):
        assert page["Count"] <= 4
        seen.extend(int(item["sk"]["N"]) for item in page["Items"])
    assert seen == list(range(25))


def test_scan(ddb, make_table):
    name = make_table()
    keys = {"k%03d" % index for index in range(60)}
    for key in keys:
        ddb.put_item(TableName=name, Item={"pk": {"S": key}})
    seen = []
    for page in ddb.get_paginator("scan").paginate(
            TableName=name, PaginationConfig={"PageSize": 7}):
        assert page["Count"] <= 7
        seen.extend(item["pk"]["S"] for item in page["Items"])
    assert sorted(seen) == sorted(keys)
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 60


def test_batches(ddb, make_table):
    name = make_table()
    writes = [{"PutRequest": {"Item": {"pk": {"S": "b%d" % index},
                                       "v": {"N": str(index)}}}}
              for index in range(20)]
    result = skip_if_unsupported(ddb.batch_write_item, "BatchWriteItem",
                                 RequestItems={name: writes})
    assert result["UnprocessedItems"] == {}
    keys = [{"pk": {"S": "b%d" % index}} for index in range(20)]
    keys.append({"pk": {"S": "missing"}})
    got = skip_if_unsupported(ddb.batch_get_item, "BatchGetItem",
                              RequestItems={name: {"Keys": keys}})
    assert sorted(item["pk"]["S"] for item in got["Responses"][name]) == \
        sorted("b%d" % index for index in range(20))
    assert got["UnprocessedKeys"] == {}
    ddb.batch_write_item(RequestItems={name: [
        {"DeleteRequest": {"Key": {"pk": {"S": "b%d" % index}}}}
        for index in range(10)]})
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 10
    error = error_of(ddb.batch_write_item, RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": "dup"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "dup"}}}}]})
    assert error["Code"] == "ValidationException"
    assert error["Message"] == \
        "Provided list of item keys contains duplicates"


def test_consumed_capacity(ddb, make_table):
    name = make_table()
    response = ddb.put_item(TableName=name,
                            Item={"pk": {"S": "a"}, "v": {"S": "x" * 1500}},
                            ReturnConsumedCapacity="TOTAL")
    assert response["ConsumedCapacity"]["TableName"] == name
    assert response["ConsumedCapacity"]["CapacityUnits"] == 2.0
    response = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}},
                            ReturnConsumedCapacity="TOTAL")
    assert response["ConsumedCapacity"]["CapacityUnits"] == 0.5
    response = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}},
                            ConsistentRead=True,
                            ReturnConsumedCapacity="INDEXES")
    assert response["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert response["ConsumedCapacity"]["Table"]["CapacityUnits"] == 1.0
    response = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})
    assert "ConsumedCapacity" not in response


def test_consumed_capacity_reads_and_batches(ddb, make_table):
    name = make_table(sort_key="N")
    for index in range(3):
        ddb.put_item(TableName=name, Item={"pk": {"S": "q"},
                                           "sk": {"N": str(index)},
                                           "v": {"S": "x" * 3000}})
    # about 9 KB read at once: 3 units strongly consistent, 1.5 eventually
    page = ddb.query(TableName=name, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "q"}},
                     ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert page["ConsumedCapacity"] == {"TableName": name,
                                        "CapacityUnits": 3.0,
                                        "ReadCapacityUnits": 3.0}
    page = ddb.scan(TableName=name, ReturnConsumedCapacity="TOTAL")
    assert page["ConsumedCapacity"]["CapacityUnits"] == 1.5
    written = skip_if_unsupported(
        ddb.batch_write_item, "BatchWriteItem",
        RequestItems={name: [{"PutRequest": {"Item": {
            "pk": {"S": "b"}, "sk": {"N": str(index)}}}}
            for index in range(4)]},
        ReturnConsumedCapacity="TOTAL")
    assert written["ConsumedCapacity"] == [{"TableName": name,
                                            "CapacityUnits": 4.0,
                                            "WriteCapacityUnits": 4.0}]
    got = ddb.batch_get_item(RequestItems={name: {"Keys": [
        {"pk": {"S": "q"}, "sk": {"N": "0"}},
        {"pk": {"S": "b"}, "sk": {"N": "0"}}]}},
        ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"] == [{"TableName": name,
                                        "CapacityUnits": 1.0,
                                        "ReadCapacityUnits": 1.0}]
