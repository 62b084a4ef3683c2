"""The ETL steps: extract a CSV from a bucket, aggregate it per group. No pipeflow import."""

from __future__ import annotations

import logging

import pandas as pd

logger = logging.getLogger(__name__)


def extract(url: str, storage_options: dict | None = None) -> pd.DataFrame:
    """Read the raw CSV from object storage (or any path pandas can read)."""
    data = pd.read_csv(url, storage_options=storage_options or None)
    logger.info("extracted %d rows from %s", len(data), url)
    return data


def transform(data: pd.DataFrame, by: str) -> pd.DataFrame:
    """The mean of every numeric column per group, one row per group."""
    numeric = data.select_dtypes("number").columns.tolist()
    aggregated = data.groupby(by)[numeric].mean().round(2).reset_index()
    logger.info("aggregated into %d groups by %s", len(aggregated), by)
    return aggregated
