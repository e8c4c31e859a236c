"""SigV4 on a gateway started with --auth: the right key passes, a wrong
secret, an unknown key or no signature get DynamoDB's errors."""
import http.client
import json
import os

import botocore.exceptions
import pytest

from conftest import make_client


@pytest.fixture(scope="module")
def auth_endpoint(cluster):
    path = os.path.join(cluster.tmp, "credentials")
    with open(path, "w") as handle:
        handle.write("# test keys\nAKIDCOMPAT compat-secret\n")
    address = cluster.start_gateway("gateway-auth",
                                    ["--auth", "--credentials", path])
    return address


def test_signed_request(auth_endpoint):
    client = make_client("dynamodb", "http://" + auth_endpoint,
                         aws_access_key_id="AKIDCOMPAT",
                         aws_secret_access_key="compat-secret")
    assert "TableNames" in client.list_tables()


def test_wrong_secret(auth_endpoint):
    client = make_client("dynamodb", "http://" + auth_endpoint,
                         aws_access_key_id="AKIDCOMPAT",
                         aws_secret_access_key="wrong")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.list_tables()
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    assert error["Message"] == (
        "The request signature we calculated does not match the signature "
        "you provided. Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details.")


def test_unknown_key(auth_endpoint):
    client = make_client("dynamodb", "http://" + auth_endpoint,
                         aws_access_key_id="AKIDNOBODY",
                         aws_secret_access_key="x")
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.list_tables()
    error = info.value.response["Error"]
    assert error["Code"] == "UnrecognizedClientException"
    assert error["Message"] == \
        "The security token included in the request is invalid."


def test_unsigned(auth_endpoint):
    host, port = auth_endpoint.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", "/", body="{}", headers={
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Content-Type": "application/x-amz-json-1.0"})
    response = connection.getresponse()
    assert response.status == 400
    assert json.loads(response.read()) == {
        "__type": "com.amazon.coral.service#"
                  "MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token"}
    connection.close()
