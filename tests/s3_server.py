"""A real S3 server for the tests: moto_server (moto[server]) on 127.0.0.1 and a free port.

Registered as a pytest plugin by conftest.py. `s3_server` is one server per test session;
`s3_bucket` makes a fresh, empty bucket on it for each test. DVC reaches it as an ordinary
S3 endpoint (`endpointurl`), with dummy credentials from the environment (`s3_env`).

That server accepts any credentials. `s3_iam_server` is a second one that checks them as
AWS does (moto's IAM mode): only the key it issued is accepted, so a wrong key or secret
is refused with InvalidAccessKeyId or SignatureDoesNotMatch.
"""

import json
import sys
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
IAM_BUCKET = "checked"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen
    # The key this server accepts (any key, unless it checks credentials).
    access_key_id: str = CREDENTIALS["AWS_ACCESS_KEY_ID"]
    secret_access_key: str = CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    # The server's log: one line per request it answered ("GET /bucket/key HTTP/1.1" 200 ...).
    log: Path | None = None

    def client(self, service: str = "s3"):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key)

    def env(self) -> dict:
        """Environment variables that give DVC this server's accepted key."""
        return {**CREDENTIALS, "AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server(tmp_path_factory):
    """Start moto_server on a free loopback port; stop it on exit."""
    executable = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310 (loopback only)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto_server did not start on {endpoint}; see {log.name}")
            time.sleep(0.2)
    try:
        yield S3Server(endpoint, process, log=Path(log.name))
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    with moto_server(tmp_path_factory) as server:
        yield server


@pytest.fixture(scope="session")
def s3_iam_server(tmp_path_factory) -> Iterator[S3Server]:
    """A server that accepts only the key it issued; it holds one bucket, IAM_BUCKET.

    moto checks signatures once its count of unauthenticated requests reaches the limit
    set through /moto-api/reset-auth; the user, key and bucket are made before that.
    """
    with moto_server(tmp_path_factory) as server:
        iam = server.client("iam")
        iam.create_user(UserName="dvc")
        allow_s3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="dvc", PolicyName="s3", PolicyDocument=json.dumps(allow_s3))
        key = iam.create_access_key(UserName="dvc")["AccessKey"]
        server.client().create_bucket(Bucket=IAM_BUCKET)
        request = urllib.request.Request(f"{server.endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 (loopback only)
        server.access_key_id, server.secret_access_key = key["AccessKeyId"], key["SecretAccessKey"]
        yield server


@pytest.fixture
def s3_bucket(s3_server) -> str:
    """A new, empty bucket on the session's server; its name."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_env(monkeypatch) -> dict:
    """Dummy credentials in the environment, as a CI job would get them from its variables."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return dict(CREDENTIALS)
