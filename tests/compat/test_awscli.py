"""Runs test_awscli.sh (the AWS CLI: create-table, put-item, query, scan)
against the session's gateway."""
import os
import shutil
import subprocess

import pytest


def test_awscli(cluster, tmp_path):
    if not (os.access("/usr/bin/aws", os.X_OK) or shutil.which("aws")):
        pytest.skip("the AWS CLI (Debian's awscli) is not installed")
    script = os.path.join(os.path.dirname(__file__), "test_awscli.sh")
    result = subprocess.run(["bash", script, cluster.endpoint],
                            cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_awscli: ok" in result.stdout
