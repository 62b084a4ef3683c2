"""Fixtures of the examples' tests: a real S3 server (moto's), one per session."""

from __future__ import annotations

from tests.servers import s3_server

__all__ = ["s3_server"]
