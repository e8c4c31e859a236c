"""DynamoDB Streams through boto3's dynamodbstreams client: a consumer
that reads every change of a table with GetRecords, in order per shard,
with the images its StreamViewType asks for."""
import time

import botocore.exceptions
import pytest

from conftest import skip_if_unsupported, wait_active


def read_all(streams, arn, expected, timeout=15.0):
    """Read every shard from TRIM_HORIZON until expected records are in."""
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"][
        "Shards"]
    iterators = {shard["ShardId"]: streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"],
        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for shard in shards}
    records = {shard_id: [] for shard_id in iterators}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for shard_id, iterator in list(iterators.items()):
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records[shard_id].extend(page["Records"])
            iterators[shard_id] = page["NextShardIterator"]
        if sum(len(shard) for shard in records.values()) >= expected:
            break
        time.sleep(0.05)
    return records


def test_stream_of_changes(ddb, streams, make_table):
    name = make_table(stream="NEW_AND_OLD_IMAGES")
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    arn = table["LatestStreamArn"]
    assert arn.startswith("arn:aws:dynamodb:us-east-1:")
    assert arn.endswith("/stream/" + table["LatestStreamLabel"])

    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": name,
                       "StreamLabel": table["LatestStreamLabel"]}]
    assert arn in [stream["StreamArn"]
                   for stream in streams.list_streams()["Streams"]]

    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert description["TableName"] == name
    assert description["KeySchema"] == [{"AttributeName": "pk",
                                         "KeyType": "HASH"}]
    assert len(description["Shards"]) >= 1
    for shard in description["Shards"]:
        assert shard["ShardId"].startswith("shardId-")
        assert len(shard["SequenceNumberRange"][
            "StartingSequenceNumber"]) == 21

    for index in range(20):
        ddb.put_item(TableName=name, Item={"pk": {"S": "k%d" % index},
                                           "v": {"N": "1"}})
    for index in range(5):
        ddb.put_item(TableName=name, Item={"pk": {"S": "k%d" % index},
                                           "v": {"N": "2"}})
    for index in range(3):
        ddb.delete_item(TableName=name, Key={"pk": {"S": "k%d" % index}})

    records = read_all(streams, arn, 28)
    everything = [record for shard in records.values() for record in shard]
    assert len(everything) == 28
    for shard in records.values():
        numbers = [record["dynamodb"]["SequenceNumber"] for record in shard]
        assert numbers == sorted(numbers)
        assert len(set(numbers)) == len(numbers)
    names = [record["eventName"] for record in everything]
    assert names.count("INSERT") == 20
    assert names.count("MODIFY") == 5
    assert names.count("REMOVE") == 3
    for record in everything:
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["awsRegion"] == "us-east-1"
        data = record["dynamodb"]
        assert data["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert set(data["Keys"]) == {"pk"}
        if record["eventName"] == "INSERT":
            assert data["NewImage"]["v"] == {"N": "1"}
            assert "OldImage" not in data
        elif record["eventName"] == "MODIFY":
            assert data["OldImage"]["v"] == {"N": "1"}
            assert data["NewImage"]["v"] == {"N": "2"}
        else:
            assert data["OldImage"]["v"] == {"N": "2"}
            assert "NewImage" not in data

    # LATEST sees only what comes after it; AFTER_SEQUENCE_NUMBER resumes
    shard_id, shard_records = next((shard_id, shard)
                                   for shard_id, shard in records.items()
                                   if shard)
    first = shard_records[0]["dynamodb"]["SequenceNumber"]
    after = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id,
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        SequenceNumber=first)["ShardIterator"]
    resumed = streams.get_records(ShardIterator=after)["Records"]
    assert [record["dynamodb"]["SequenceNumber"] for record in resumed] == \
        [record["dynamodb"]["SequenceNumber"] for record in shard_records[1:]]
    at = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=first)["ShardIterator"]
    assert streams.get_records(ShardIterator=at, Limit=1)["Records"][0][
        "dynamodb"]["SequenceNumber"] == first
    latest = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id,
        ShardIteratorType="LATEST")["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []


def test_keys_only(ddb, streams, make_table):
    name = make_table(stream="KEYS_ONLY")
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    records = read_all(streams, arn, 1)
    everything = [record for shard in records.values() for record in shard]
    assert len(everything) == 1
    data = everything[0]["dynamodb"]
    assert data["Keys"] == {"pk": {"S": "a"}}
    assert "NewImage" not in data and "OldImage" not in data
    assert data["StreamViewType"] == "KEYS_ONLY"


def test_stream_errors(ddb, streams, make_table):
    name = make_table()
    assert "LatestStreamArn" not in ddb.describe_table(TableName=name)["Table"]
    arn = ("arn:aws:dynamodb:us-east-1:000000000000:table/%s/stream/"
           "2020-01-01T00:00:00.000" % name)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        streams.describe_stream(StreamArn=arn)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["Error"]["Message"] == \
        "Requested resource not found: Stream: %s not found" % arn
    with pytest.raises(botocore.exceptions.ClientError) as info:
        streams.get_records(ShardIterator="not-an-iterator")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    with_stream = make_table(stream="NEW_IMAGE")
    arn = ddb.describe_table(TableName=with_stream)["Table"]["LatestStreamArn"]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        streams.get_shard_iterator(
            StreamArn=arn, ShardId="shardId-99999999-ffffffffffffffff",
            ShardIteratorType="TRIM_HORIZON")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_update_table_enables_stream(ddb, streams, make_table):
    name = make_table()
    skip_if_unsupported(ddb.update_table, "UpdateTable", TableName=name,
                        StreamSpecification={"StreamEnabled": True,
                                             "StreamViewType": "NEW_IMAGE"})
    wait_active(ddb, name)
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True,
                                            "StreamViewType": "NEW_IMAGE"}
    arn = table["LatestStreamArn"]
    ddb.put_item(TableName=name, Item={"pk": {"S": "u"}, "v": {"N": "7"}})
    records = read_all(streams, arn, 1)
    everything = [record for shard in records.values() for record in shard]
    assert len(everything) == 1
    assert everything[0]["dynamodb"]["NewImage"] == {"pk": {"S": "u"},
                                                     "v": {"N": "7"}}
    assert "OldImage" not in everything[0]["dynamodb"]


def test_list_and_describe_pagination(ddb, streams, make_table):
    names = [make_table(stream="NEW_IMAGE") for _ in range(3)]
    arns = sorted(ddb.describe_table(TableName=name)["Table"][
        "LatestStreamArn"] for name in names)
    seen = []
    start = None
    while True:
        params = {"Limit": 1}
        if start:
            params["ExclusiveStartStreamArn"] = start
        page = streams.list_streams(**params)
        assert len(page["Streams"]) <= 1
        seen.extend(stream["StreamArn"] for stream in page["Streams"])
        start = page.get("LastEvaluatedStreamArn")
        if not start:
            break
    assert len(seen) == len(set(seen))
    for arn in arns:
        assert arn in seen

    everything = streams.describe_stream(StreamArn=arns[0])[
        "StreamDescription"]["Shards"]
    paged = []
    start = None
    while True:
        params = {"StreamArn": arns[0], "Limit": 1}
        if start:
            params["ExclusiveStartShardId"] = start
        description = streams.describe_stream(**params)["StreamDescription"]
        assert len(description["Shards"]) <= 1
        paged.extend(description["Shards"])
        start = description.get("LastEvaluatedShardId")
        if not start:
            break
    assert paged == everything
