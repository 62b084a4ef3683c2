"""Fixtures of the execution tests: a real S3 server per session (the remote cluster's store)."""

from __future__ import annotations

from tests.servers import s3_server

__all__ = ["s3_server"]
