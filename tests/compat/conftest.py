"""Start a real zynamo cluster (broker, two workers, gateway) for the
session and hand boto3 clients pointed at its gateway to the tests.

ZYN_BUILDDIR names the build directory holding the binaries
(scripts/check.sh exports it). Every process gets ephemeral ports and a
temporary data directory; all are stopped with SIGTERM at the end and
must exit 0.
"""
import os
import signal
import subprocess
import tempfile
import time
import uuid

import boto3
import botocore.config
import pytest

BUILDDIR = os.environ.get("ZYN_BUILDDIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "check"))
REGION = "us-east-1"

# The AWS CLI and boto3 must never look for real credentials or metadata
os.environ.setdefault("AWS_ACCESS_KEY_ID", "zynamo")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "zynamo")
os.environ["AWS_DEFAULT_REGION"] = REGION
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def binary(name):
    return os.path.join(BUILDDIR, name)


def read_ports(path, keys, timeout=15.0, proc=None):
    """Wait for a port file holding every key; return its key=value map."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %d" % (proc.args[0],
                                                       proc.returncode))
        if os.path.exists(path):
            values = {}
            with open(path) as handle:
                for line in handle:
                    if "=" in line:
                        key, value = line.strip().split("=", 1)
                        values[key] = value
            if all(key in values for key in keys):
                return values
        time.sleep(0.02)
    raise RuntimeError("no port file %s" % path)


class Cluster:
    def __init__(self, tmp, worker_args=()):
        self.tmp = tmp
        self.worker_args = list(worker_args)
        self.procs = []
        self.logs = []

    def spawn(self, name, args):
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        self.logs.append(log)
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))
        return proc

    def start(self):
        ports = os.path.join(self.tmp, "broker.ports")
        broker = self.spawn("broker", [
            binary("zynamo-broker"),
            "--front", "tcp://127.0.0.1:*", "--back", "tcp://127.0.0.1:*",
            "--hub-pub", "tcp://127.0.0.1:*",
            "--hub-sub", "tcp://127.0.0.1:*",
            "--data", os.path.join(self.tmp, "broker-data"),
            "--heartbeat", "100", "--port-file", ports])
        endpoints = read_ports(ports, ["front", "back"], proc=broker)
        self.front = endpoints["front"]
        for index in (1, 2):
            self.spawn("worker-%d" % index, [
                binary("zynamo-worker"), "--broker", endpoints["back"],
                "--data", os.path.join(self.tmp, "worker-%d" % index),
                "--id", "worker-%d" % index] + self.worker_args)
        # Global secondary indexes are kept by the indexer
        if os.access(binary("zynamo-indexer"), os.X_OK):
            self.spawn("indexer", [
                binary("zynamo-indexer"), "--broker", self.front,
                "--data", os.path.join(self.tmp, "indexer")])
        self.gateway = self.start_gateway("gateway", [])
        self.endpoint = "http://" + self.gateway
        self.wait_ready()

    def start_gateway(self, name, extra):
        ports = os.path.join(self.tmp, name + ".ports")
        proc = self.spawn(name, [
            binary("zynamo-gateway"), "--http", "127.0.0.1:0",
            "--broker", self.front, "--port-file", ports] + extra)
        return read_ports(ports, ["http"], proc=proc)["http"]

    def wait_ready(self, timeout=20.0):
        client = make_client("dynamodb", self.endpoint)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                client.list_tables()
                return
            except Exception as error:     # not up yet
                last = error
                time.sleep(0.05)
        raise RuntimeError("cluster not ready: %s" % last)

    def stop(self):
        codes = {}
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(self.procs):
            try:
                codes[name] = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = "hung"
        for log in self.logs:
            log.close()
        return codes


def make_client(service, endpoint, **kwargs):
    config = botocore.config.Config(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5, read_timeout=30)
    kwargs.setdefault("aws_access_key_id", "zynamo")
    kwargs.setdefault("aws_secret_access_key", "zynamo")
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        config=config, **kwargs)


def run_cluster(prefix, worker_args=()):
    """Generator for a fixture: a started Cluster (workers given
    worker_args), stopped and removed afterwards; every process must
    exit 0."""
    for name in ("zynamo-broker", "zynamo-worker", "zynamo-gateway"):
        if not os.access(binary(name), os.X_OK):
            pytest.skip("%s is not built in %s" % (name, BUILDDIR))
    tmp = tempfile.mkdtemp(prefix=prefix)
    cluster = Cluster(tmp, worker_args)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    yield cluster
    codes = cluster.stop()
    bad = {name: code for name, code in codes.items() if code != 0}
    subprocess.call(["rm", "-rf", tmp])
    assert not bad, "processes did not exit 0: %r" % bad


@pytest.fixture(scope="session")
def cluster():
    yield from run_cluster("zynamo-compat-")


@pytest.fixture(scope="session")
def ddb(cluster):
    return make_client("dynamodb", cluster.endpoint)


@pytest.fixture(scope="session")
def streams(cluster):
    return make_client("dynamodbstreams", cluster.endpoint)


@pytest.fixture(scope="session")
def resource(cluster):
    return boto3.resource(
        "dynamodb", endpoint_url=cluster.endpoint, region_name=REGION,
        aws_access_key_id="zynamo", aws_secret_access_key="zynamo")


def wait_active(ddb, name, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ddb.describe_table(TableName=name)["Table"]["TableStatus"]
        if status == "ACTIVE":
            return
        time.sleep(0.05)
    raise AssertionError("table %s not ACTIVE" % name)


def wait_gone(ddb, name, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ddb.describe_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.05)
    raise AssertionError("table %s not deleted" % name)


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


@pytest.fixture
def make_table(ddb):
    """make_table(sort_key=None, stream=None) creates an ACTIVE table with
    partition key pk (S) and optionally sort key sk (type given); it is
    deleted after the test."""
    created = []

    def make(sort_key=None, stream=None, pk_type="S"):
        name = unique("compat")
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
        attrs = [{"AttributeName": "pk", "AttributeType": pk_type}]
        if sort_key:
            keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
            attrs.append({"AttributeName": "sk", "AttributeType": sort_key})
        params = dict(TableName=name, KeySchema=keys,
                      AttributeDefinitions=attrs,
                      BillingMode="PAY_PER_REQUEST")
        if stream:
            params["StreamSpecification"] = {"StreamEnabled": True,
                                             "StreamViewType": stream}
        ddb.create_table(**params)
        wait_active(ddb, name)
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            ddb.delete_table(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            pass


def skip_if_unsupported(call, operation, **kwargs):
    """Make a call; if the cluster answers UnknownOperationException, skip
    the test naming the operation the broker does not have yet."""
    import botocore.exceptions
    try:
        return call(**kwargs)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] == "UnknownOperationException":
            pytest.skip("the broker does not support %s yet" % operation)
        raise
