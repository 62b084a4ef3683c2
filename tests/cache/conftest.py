"""Fixtures of the cache tests: the real S3 and GCS servers are the root conftest's, one of
each per test process."""
