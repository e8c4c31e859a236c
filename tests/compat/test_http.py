"""The gateway's HTTP surface, byte for byte: headers SDKs check, error
bodies, malformed input, and that it keeps serving."""
import http.client
import json
import zlib


def post(cluster, target, body, headers=None):
    host, port = cluster.gateway.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    sent = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        sent["X-Amz-Target"] = target
    sent.update(headers or {})
    connection.request("POST", "/", body=body, headers=sent)
    response = connection.getresponse()
    data = response.read()
    result = (response.status, dict(response.getheaders()), data)
    connection.close()
    return result


def test_headers_and_crc(cluster):
    status, headers, body = post(cluster, "DynamoDB_20120810.ListTables",
                                 "{}")
    assert status == 200
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    assert len(headers["x-amzn-RequestId"]) == 36
    assert "TableNames" in json.loads(body)


def test_json_1_1_accepted(cluster):
    status, _, _ = post(cluster, "DynamoDB_20120810.ListTables", "{}",
                        {"Content-Type": "application/x-amz-json-1.1"})
    assert status == 200


def test_missing_table_name(cluster):
    status, headers, body = post(cluster, "DynamoDB_20120810.DescribeTable",
                                 "{}")
    assert status == 400
    assert int(headers["x-amz-crc32"]) == zlib.crc32(body)
    error = json.loads(body)
    assert error["__type"].endswith("#ValidationException")
    assert error["message"] == (
        "1 validation error detected: Value null at 'tableName' failed to "
        "satisfy constraint: Member must not be null")


def test_resource_not_found_body(cluster):
    status, _, body = post(cluster, "DynamoDB_20120810.DescribeTable",
                           '{"TableName":"no-such-table"}')
    assert status == 400
    error = json.loads(body)
    assert error["__type"] == ("com.amazonaws.dynamodb.v20120810#"
                               "ResourceNotFoundException")
    assert error["message"] == ("Requested resource not found: Table: "
                                "no-such-table not found")


def test_malformed_json(cluster):
    status, _, body = post(cluster, "DynamoDB_20120810.ListTables",
                           '{"Limit": ')
    assert status == 400
    assert json.loads(body)["__type"].endswith("#SerializationException")


def test_wrong_parameter_type(cluster):
    status, _, body = post(cluster, "DynamoDB_20120810.DescribeTable",
                           '{"TableName": 5}')
    assert status == 400
    error = json.loads(body)
    assert error["__type"].endswith("#SerializationException")
    assert error["Message"] == "NUMBER_VALUE cannot be converted to String"


def test_unknown_target(cluster):
    for target in ("DynamoDB_20120810.Frobnicate", "Nope.ListTables", None):
        status, _, body = post(cluster, target, "{}")
        assert status == 400
        assert json.loads(body) == {
            "__type": "com.amazon.coral.service#UnknownOperationException"}


def test_body_too_large(cluster):
    big = '{"TableName":"x","Item":{"a":{"S":"' + "x" * (16 * 1024 * 1024) \
        + '"}}}'
    status, _, body = post(cluster, "DynamoDB_20120810.PutItem", big)
    assert status == 413
    assert json.loads(body)["message"] == \
        "Request size exceeded 16777216 bytes"
    # and the gateway keeps serving
    status, _, _ = post(cluster, "DynamoDB_20120810.ListTables", "{}")
    assert status == 200


def test_health_and_methods(cluster):
    host, port = cluster.gateway.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/")
    response = connection.getresponse()
    assert response.status == 200
    assert response.read() == b"healthy: dynamodb.us-east-1.amazonaws.com "
    connection.request("DELETE", "/")
    response = connection.getresponse()
    assert response.status == 404
    response.read()
    connection.close()


def test_keep_alive_many_requests(cluster):
    host, port = cluster.gateway.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    for _ in range(50):
        connection.request("POST", "/", body="{}", headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0"})
        response = connection.getresponse()
        assert response.status == 200
        response.read()
    connection.close()


def test_describe_endpoints_and_limits(ddb, cluster):
    endpoints = ddb.describe_endpoints()["Endpoints"]
    assert endpoints == [{"Address": cluster.gateway,
                          "CachePeriodInMinutes": 1440}]
    limits = ddb.describe_limits()
    assert limits["TableMaxReadCapacityUnits"] == 40000
    assert limits["AccountMaxWriteCapacityUnits"] == 80000


def test_concurrent_clients(cluster, make_table):
    """Many keep-alive connections with requests in flight at once: every
    answer reaches the right request."""
    import threading
    from conftest import make_client
    name = make_table()
    failures = []

    def worker(index):
        client = make_client("dynamodb", cluster.endpoint)
        try:
            for count in range(30):
                key = "c%d-%d" % (index, count)
                client.put_item(TableName=name,
                                Item={"pk": {"S": key}, "i": {"N": str(count)}})
                item = client.get_item(TableName=name,
                                       Key={"pk": {"S": key}})["Item"]
                if item != {"pk": {"S": key}, "i": {"N": str(count)}}:
                    failures.append((key, item))
        except Exception as error:      # reported below
            failures.append((index, repr(error)))

    threads = [threading.Thread(target=worker, args=(index,))
               for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_cors(cluster):
    """Browsers running the JavaScript SDK: preflight, then the answer
    with the headers it may read."""
    host, port = cluster.gateway.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("OPTIONS", "/", headers={
        "Origin": "http://example.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-amz-target"})
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    assert "POST" in response.getheader("Access-Control-Allow-Methods")
    assert response.getheader("Access-Control-Allow-Headers") == \
        "content-type,x-amz-target"
    connection.close()
    status, headers, _ = post(cluster, "DynamoDB_20120810.ListTables", "{}",
                              {"Origin": "http://example.test"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "x-amz-crc32" in headers["Access-Control-Expose-Headers"]
    _, headers, _ = post(cluster, "DynamoDB_20120810.ListTables", "{}")
    assert "Access-Control-Allow-Origin" not in headers
