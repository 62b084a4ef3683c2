"""Fixtures of the cache tests: real S3 and GCS servers, one of each per session."""

from __future__ import annotations

from tests.servers import gcs_server, s3_server

__all__ = ["gcs_server", "s3_server"]
