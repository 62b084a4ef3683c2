"""Fixtures of the examples' tests: a real S3 server (moto's), one per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import s3fs

from tests.servers import ObjectStore, s3_server

__all__ = ["s3_server", "s3_store"]


@pytest.fixture
def s3_store(s3_server: ObjectStore) -> Iterator[ObjectStore]:
    """The session's S3 server, reached through the environment alone (AWS_ENDPOINT_URL), as
    the examples' READMEs do. s3fs keeps one client per set of options: a client made while
    another test server's environment applied would reach that server, so none is kept."""
    s3fs.S3FileSystem.clear_instance_cache()
    yield s3_server
    s3fs.S3FileSystem.clear_instance_cache()
