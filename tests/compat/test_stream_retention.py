"""The change log's retention window through DynamoDB Streams: workers
started with --stream-retention 2 trim records older than two seconds;
an iterator at a trimmed record gets TrimmedDataAccessException, and
TRIM_HORIZON starts at the oldest record left."""
import time

import botocore.exceptions
import pytest

from conftest import make_client, run_cluster, unique, wait_active


@pytest.fixture(scope="module")
def short():
    yield from run_cluster("zynamo-retention-",
                           ["--stream-retention", "2"])


def shard_records(streams, arn, iterator_type, **kwargs):
    """Every shard's records from one GetRecords at iterator_type."""
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"][
        "Shards"]
    found = {}
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"],
            ShardIteratorType=iterator_type, **kwargs)["ShardIterator"]
        found[shard["ShardId"]] = streams.get_records(
            ShardIterator=iterator)["Records"]
    return found


def test_trimmed_records(short):
    ddb = make_client("dynamodb", short.endpoint)
    streams = make_client("dynamodbstreams", short.endpoint)
    name = unique("retention")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True,
                             "StreamViewType": "KEYS_ONLY"})
    wait_active(ddb, name)
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    for index in range(8):
        ddb.put_item(TableName=name, Item={"pk": {"S": "old%d" % index}})
    old = {shard: records[0]["dynamodb"]["SequenceNumber"]
           for shard, records in shard_records(
               streams, arn, "TRIM_HORIZON").items() if records}
    assert sum(1 for _ in old) >= 1

    # Within a few seconds every old record is trimmed: an iterator at
    # one is told so
    shard, sequence = sorted(old.items())[0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=sequence)["ShardIterator"]
    deadline = time.monotonic() + 15
    while True:
        try:
            # GetRecords with an iterator made before the trim, or
            # GetShardIterator itself once the trim is known
            streams.get_records(ShardIterator=iterator)
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=sequence)["ShardIterator"]
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == \
                "TrimmedDataAccessException"
            assert error.response["Error"]["Message"] == \
                "The data you are trying to access has been trimmed."
            break
        assert time.monotonic() < deadline, "never trimmed"
        time.sleep(0.2)
    # Once trimmed, GetShardIterator at that sequence number is refused
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard,
            ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=sequence)
    assert caught.value.response["Error"]["Code"] == \
        "TrimmedDataAccessException"
    time.sleep(2.5)

    # New records are there from TRIM_HORIZON, the old ones are not; the
    # items themselves all stay
    for index in range(4):
        ddb.put_item(TableName=name, Item={"pk": {"S": "new%d" % index}})
    keys = sorted(record["dynamodb"]["Keys"]["pk"]["S"]
                  for records in shard_records(
                      streams, arn, "TRIM_HORIZON").values()
                  for record in records)
    assert keys == ["new0", "new1", "new2", "new3"]
    items = ddb.scan(TableName=name)["Items"]
    assert len(items) == 12
    ddb.delete_table(TableName=name)
