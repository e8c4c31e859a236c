"""zynamo-worker's command line: --help, --stream-retention, --local,
--row-cache, --write-buffer, --compaction-nice."""

import subprocess

from conftest import binary


def run(*args):
    return subprocess.run([binary("zynamo-worker")] + list(args),
                          capture_output=True, text=True, timeout=10)


def test_help_lists_stream_retention():
    result = run("--help")
    assert result.returncode == 0
    assert "--stream-retention SECONDS" in result.stdout
    assert "default 86400" in result.stdout


def test_stream_retention_must_be_seconds():
    for value in ("0", "-5", "1h", "99999999999999"):
        result = run("--stream-retention", value)
        assert result.returncode == 1, value
        assert result.stderr == (
            "zynamo-worker: --stream-retention must be a number of seconds "
            "from 1 to 3153600000\n"), value


def test_stream_retention_needs_a_value():
    result = run("--stream-retention")
    assert result.returncode == 1
    assert result.stderr == "zynamo-worker: --stream-retention needs a value\n"


def test_help_lists_local():
    result = run("--help")
    assert "--local ENDPOINT" in result.stdout
    assert "unix://@zynamo-FRONTID" in result.stdout


def test_local_that_cannot_bind_fails(tmp_path):
    result = run("--data", str(tmp_path / "w"), "--local", "bogus://x")
    assert result.returncode == 1
    assert result.stderr == (
        "zynamo-worker: cannot bind local front door bogus://x: not a "
        "unix://@NAME or unix:///PATH endpoint\n")


def test_local_needs_a_value():
    result = run("--local")
    assert result.returncode == 1
    assert result.stderr == "zynamo-worker: --local needs a value\n"


def test_help_lists_row_cache():
    result = run("--help")
    assert result.returncode == 0
    assert "--row-cache MB" in result.stdout
    assert "default 128" in result.stdout


def test_row_cache_must_be_megabytes():
    for value in ("-1", "1e3", "x", "1048577"):
        result = run("--row-cache", value)
        assert result.returncode == 1, value
        assert result.stderr == (
            "zynamo-worker: --row-cache must be a number of megabytes "
            "from 0 to 1048576\n"), value


def test_row_cache_needs_a_value():
    result = run("--row-cache")
    assert result.returncode == 1
    assert result.stderr == "zynamo-worker: --row-cache needs a value\n"


def test_help_lists_write_buffer():
    result = run("--help")
    assert result.returncode == 0
    assert "--write-buffer MB" in result.stdout
    assert "(default 64)" in result.stdout


def test_write_buffer_must_be_megabytes():
    for value in ("0", "-1", "1e3", "x", "1025"):
        result = run("--write-buffer", value)
        assert result.returncode == 1, value
        assert result.stderr == (
            "zynamo-worker: --write-buffer must be a number of megabytes "
            "from 1 to 1024\n"), value


def test_write_buffer_needs_a_value():
    result = run("--write-buffer")
    assert result.returncode == 1
    assert result.stderr == "zynamo-worker: --write-buffer needs a value\n"


def test_help_lists_compaction_nice():
    result = run("--help")
    assert result.returncode == 0
    assert "--compaction-nice N" in result.stdout
    assert "(default 10; 0 for the worker's own)" in result.stdout


def test_compaction_nice_must_be_0_to_19():
    for value in ("-1", "20", "x", "1.5"):
        result = run("--compaction-nice", value)
        assert result.returncode == 1, value
        assert result.stderr == (
            "zynamo-worker: --compaction-nice must be a number from 0 to "
            "19\n"), value
