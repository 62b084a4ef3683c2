"""Real object stores for tests: moto's S3 server and gcp-storage-emulator, on 127.0.0.1.

Each server runs as a subprocess in its own process group on a free port, is waited for (a
bounded wait that fails with the server's log), and is stopped by its process group. The
session-scoped fixtures `s3_server` and `gcs_server` share one server per test session and
yield an `ObjectStore`: the `url` of a prefix in a fresh bucket, the `storage_options` that
reach it, and the `env` the client side needs (applied for the session, restored afterwards).

Nothing here may reach a real cloud: the options always name the loopback endpoint, the
environment points every AWS and Google client at it too (`AWS_ENDPOINT_URL`,
`STORAGE_EMULATOR_HOST`), and `require_loopback` fails a test whose options do not.

A missing server package fails the fixture (`pip install -e '.[dev]'`); it never skips.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds; importing moto on a busy two-core machine takes a while
STOP_TIMEOUT = 5.0

# The client-side environment of TESTING.md, plus what keeps a developer's own cloud setup out.
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
S3_ENV_REMOVED = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
GCS_ENV = {
    "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
    "NO_GCE_CHECK": "true",
}
GCS_ENV_REMOVED = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")


class ServerError(RuntimeError):
    """A test server did not start."""


@dataclass(frozen=True)
class ObjectStore:
    """A bucket on a test server, and how a client reaches it."""

    kind: str  # "s3" or "gcs"
    endpoint: str  # http://127.0.0.1:PORT
    bucket: str
    url: str  # PROTOCOL://BUCKET/PREFIX, unique to this session
    storage_options: Mapping[str, Any]
    env: Mapping[str, str | None] = field(default_factory=dict)  # None: unset

    def unique_url(self, label: str = "t") -> str:
        """A fresh prefix under `url`, for one test."""
        return f"{self.url}/{label}-{uuid.uuid4().hex[:12]}"

    def options(self, **extra: Any) -> dict[str, Any]:
        """A copy of `storage_options`, with `extra` merged in (nested dicts one level deep)."""
        merged = json.loads(json.dumps(dict(self.storage_options)))
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        return merged


# -- processes --------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def closed_port() -> int:
    """A port on 127.0.0.1 where a connection is refused at once."""
    return free_port()


def _require_module(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(
            f"{package} is not installed, so the tests that need a real server cannot run: "
            "install the dev extra (`pip install -e '.[dev]'`).",
            pytrace=False,
        )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            response.read()
        return True
    except urllib.error.HTTPError:
        return True  # an HTTP answer of any status: the server is up
    except OSError:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and everything it started: SIGTERM to its group, then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def running_server(
    name: str, arguments: list[str], *, port: int, timeout: float = START_TIMEOUT
) -> Iterator[str]:
    """Start `python -m ARGUMENTS` as a server on `port`; its http://127.0.0.1:PORT once it
    answers. Fails with the server's log when it exits or does not answer within `timeout`."""
    endpoint = f"http://{LOOPBACK}:{port}"
    with tempfile.TemporaryDirectory(prefix=f"pipeflow-{name}-") as folder:
        log_path = Path(folder) / "server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", *arguments],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as a whole
                cwd=folder,
            )
        try:
            deadline = time.monotonic() + timeout
            while not _answers(endpoint):
                if process.poll() is not None:
                    raise ServerError(
                        f"the {name} server exited with code {process.returncode} before it "
                        f"answered on {endpoint}; its log:\n{_tail(log_path)}"
                    )
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"the {name} server did not answer on {endpoint} within {timeout:.0f} s; "
                        f"its log:\n{_tail(log_path)}"
                    )
                time.sleep(0.1)
            yield endpoint
        finally:
            _stop(process)


@contextmanager
def _server_on_a_free_port(name: str, arguments: list[str]) -> Iterator[str]:
    """`running_server` on a free port; tries another port if the chosen one was taken."""
    for attempt in range(3):
        port = free_port()
        arguments_here = [argument.replace("{port}", str(port)) for argument in arguments]
        stack = ExitStack()
        try:
            endpoint = stack.enter_context(running_server(name, arguments_here, port=port))
        except ServerError as error:
            stack.close()
            # Another process may have taken the port between our probe and the server's bind.
            if attempt == 2 or "exited" not in str(error):
                raise
            continue
        with stack:
            yield endpoint
        return


@contextmanager
def scoped_env(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables; restore every one of them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def require_loopback(storage_options: Mapping[str, Any]) -> None:
    """Fail the test unless `storage_options` send every request to 127.0.0.1."""
    client_kwargs = storage_options.get("client_kwargs") or {}
    endpoint = storage_options.get("endpoint_url") or client_kwargs.get("endpoint_url")
    host = urlsplit(endpoint).hostname if endpoint else None
    if host not in (LOOPBACK, "localhost"):
        pytest.fail(
            f"refusing to run against endpoint {endpoint!r}: tests may only reach servers on "
            f"{LOOPBACK} (set `endpoint_url` in the storage options)",
            pytrace=False,
        )


# -- S3 -----------------------------------------------------------------------------------


def s3_client(endpoint: str, **credentials: str) -> Any:
    """A boto3 S3 client for the test server (test credentials unless others are given)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_ENV["AWS_DEFAULT_REGION"],
        aws_access_key_id=credentials.get("key", S3_ENV["AWS_ACCESS_KEY_ID"]),
        aws_secret_access_key=credentials.get("secret", S3_ENV["AWS_SECRET_ACCESS_KEY"]),
    )


def s3_env(endpoint: str, folder: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        **S3_ENV,
        # Any AWS client that is not given an endpoint still goes to the test server.
        "AWS_ENDPOINT_URL": endpoint,
        # Keep the developer's ~/.aws out: only the variables above count.
        "AWS_CONFIG_FILE": str(folder / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "aws-credentials"),
    }
    env.update(dict.fromkeys(S3_ENV_REMOVED))
    return env


@contextmanager
def moto_s3(*, bucket: str | None = None, apply_env: bool = True) -> Iterator[ObjectStore]:
    """moto's S3 server with one bucket; with `apply_env`, its environment applied while the
    block runs (else only while the bucket is made)."""
    _require_module("moto.server", "moto[server]")
    _require_module("s3fs", "s3fs")
    _require_module("boto3", "boto3")
    bucket = bucket or f"pipeflow-{uuid.uuid4().hex[:10]}"
    with (
        tempfile.TemporaryDirectory(prefix="pipeflow-aws-") as folder,
        _server_on_a_free_port("moto S3", ["moto.server", "-H", LOOPBACK, "-p", "{port}"]) as url,
    ):
        env = s3_env(url, Path(folder))
        with scoped_env(env):
            s3_client(url).create_bucket(Bucket=bucket)
        options = {"client_kwargs": {"endpoint_url": url}}
        require_loopback(options)
        with scoped_env(env if apply_env else {}):
            yield ObjectStore(
                kind="s3",
                endpoint=url,
                bucket=bucket,
                url=f"s3://{bucket}/session-{uuid.uuid4().hex[:8]}",
                storage_options=options,
                env=env,
            )


@dataclass(frozen=True)
class AuthenticatedS3:
    """A moto server that checks signatures and IAM policies (unlike `s3_server`'s)."""

    store: ObjectStore
    reader: Mapping[str, str]  # `key` and `secret` of a user who may read and list, not write
    seeded: str  # a file under `store.url` that the reader may read


@contextmanager
def moto_s3_with_authentication() -> Iterator[AuthenticatedS3]:
    """moto's S3 server with a bucket, a file in it, and a read-only IAM user; requests are
    authenticated from then on, so unknown, missing or insufficient credentials are refused."""
    with moto_s3(apply_env=False) as store:
        with scoped_env(store.env):  # only while setting up: the session keeps s3_server's
            import boto3

            iam = boto3.client("iam", endpoint_url=store.endpoint, region_name="us-east-1")
            iam.create_user(UserName="reader")
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": "*",
                    }
                ],
            }
            iam.put_user_policy(
                UserName="reader", PolicyName="read-only", PolicyDocument=json.dumps(policy)
            )
            key = iam.create_access_key(UserName="reader")["AccessKey"]
            prefix = store.url.split("/", 3)[3]
            s3_client(store.endpoint).put_object(
                Bucket=store.bucket, Key=f"{prefix}/seed/value.txt", Body=b"seed"
            )
            enable_s3_authentication(store.endpoint)
        yield AuthenticatedS3(
            store=store,
            reader={"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]},
            seeded="seed/value.txt",
        )


def enable_s3_authentication(endpoint: str) -> None:
    """From now on the moto server checks signatures and IAM policies on every request."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",  # the number of requests still let through unchecked
        headers={"Content-Type": "text/plain"},  # not a form: moto reads the raw body
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


# -- GCS ----------------------------------------------------------------------------------


def create_gcs_bucket(endpoint: str, bucket: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/storage/v1/b?project=test",
        data=json.dumps({"name": bucket}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def gcs_env(endpoint: str, folder: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        **GCS_ENV,
        "STORAGE_EMULATOR_HOST": endpoint,
        # No gcloud configuration of the developer's: anonymous access only.
        "CLOUDSDK_CONFIG": str(folder / "gcloud"),
    }
    env.update(dict.fromkeys(GCS_ENV_REMOVED))
    return env


@contextmanager
def plain_gcsfs() -> Iterator[None]:
    """gcs:// and gs:// served by gcsfs's plain filesystem while the block runs.

    gcsfs reads GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT once, at import: imported before it was set
    to false, gcsfs would probe every bucket over gRPC (about 60 s each against the emulator).
    """
    import fsspec
    import gcsfs
    import gcsfs.core

    plain = gcsfs.core.GCSFileSystem
    if gcsfs.GCSFileSystem is plain:
        yield
        return
    registry = importlib.import_module("fsspec.registry")._registry  # `fsspec.registry` is a dict
    saved = {protocol: registry.get(protocol) for protocol in ("gs", "gcs")}
    for protocol in saved:
        fsspec.register_implementation(protocol, plain, clobber=True)
    try:
        yield
    finally:
        for protocol, implementation in saved.items():
            if implementation is None:
                registry.pop(protocol, None)
            else:
                fsspec.register_implementation(protocol, implementation, clobber=True)


@contextmanager
def gcs_emulator(*, bucket: str | None = None) -> Iterator[ObjectStore]:
    """gcp-storage-emulator (in memory) with one bucket; its environment applied meanwhile."""
    _require_module("gcp_storage_emulator", "gcp-storage-emulator")
    _require_module("gcsfs", "gcsfs")
    bucket = bucket or f"pipeflow-{uuid.uuid4().hex[:10]}"
    arguments = [
        "gcp_storage_emulator",
        "start",
        "--host",
        LOOPBACK,
        "--port",
        "{port}",
        "--in-memory",
    ]
    with (
        tempfile.TemporaryDirectory(prefix="pipeflow-gcloud-") as folder,
        _server_on_a_free_port("GCS emulator", arguments) as url,
    ):
        env = gcs_env(url, Path(folder))
        with scoped_env(env), plain_gcsfs():
            create_gcs_bucket(url, bucket)
            # token="anon": no credentials are looked for; endpoint_url: never the real GCS.
            options = {"token": "anon", "endpoint_url": url, "project": "test"}
            require_loopback(options)
            yield ObjectStore(
                kind="gcs",
                endpoint=url,
                bucket=bucket,
                url=f"gs://{bucket}/session-{uuid.uuid4().hex[:8]}",
                storage_options=options,
                env=env,
            )


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[ObjectStore]:
    """moto's S3 server, shared by the session: a bucket, its URL, options and environment."""
    with moto_s3() as server:
        yield server


@pytest.fixture(scope="session")
def s3_auth_server() -> Iterator[AuthenticatedS3]:
    """A second moto server, shared by the session, that authenticates every request."""
    with moto_s3_with_authentication() as server:
        yield server


@pytest.fixture(scope="session")
def gcs_server() -> Iterator[ObjectStore]:
    """gcp-storage-emulator, shared by the session: a bucket, its URL, options and environment."""
    with gcs_emulator() as server:
        yield server
