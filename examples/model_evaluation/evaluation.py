"""Scheduled model evaluation: synthetic support tickets, a heuristic model, its metrics.

Plain functions, no pipeflow import. After Saturn Cloud's "scheduled model evaluation with
Dask" tutorial: a batch of newly closed IT support tickets is scored by a model that predicts
how long a ticket takes to close ("higher-priority tickets close faster"), and each run
records the evaluation metrics of that batch.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn import metrics as sk_metrics

logger = logging.getLogger(__name__)

PRIORITIES = ["low", "medium", "high", "urgent"]
# Typical hours from opening to closing a ticket, per priority: the data's true centre.
BASE_HOURS = {"low": 72.0, "medium": 36.0, "high": 12.0, "urgent": 4.0}
# What the deployed heuristic model learned: the median hours to close per priority.
MEDIAN_HOURS = {"low": 70.0, "medium": 35.0, "high": 12.5, "urgent": 4.5}

METRICS = {
    "mae": sk_metrics.mean_absolute_error,
    "medae": sk_metrics.median_absolute_error,
    "mse": sk_metrics.mean_squared_error,
    "r2": sk_metrics.r2_score,
}


def make_tickets(count: int, seed: int) -> pd.DataFrame:
    """`count` synthetic closed tickets: id, priority, created time and `hours_to_close`."""
    rng = np.random.default_rng(seed)
    priority = rng.choice(PRIORITIES, size=count, p=[0.4, 0.3, 0.2, 0.1])
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(
        rng.integers(0, 30 * 24 * 60, size=count), unit="min"
    )
    base = np.array([BASE_HOURS[p] for p in priority])
    hours = base * rng.lognormal(mean=0.0, sigma=0.35, size=count)
    tickets = pd.DataFrame(
        {
            "ticket_id": np.arange(count),
            "priority": priority,
            "created_at": created,
            "hours_to_close": hours.round(2),
        }
    )
    logger.info("made %d tickets (seed %d)", count, seed)
    return tickets


def predict(tickets: pd.DataFrame) -> pd.DataFrame:
    """The heuristic model: each ticket closes in its priority's median hours."""
    predicted = tickets["priority"].map(MEDIAN_HOURS).astype(float)
    return pd.DataFrame({"ticket_id": tickets["ticket_id"], "predicted_hours": predicted})


def score(tickets: pd.DataFrame, predictions: pd.DataFrame, metric: str) -> dict:
    """One evaluation metric (mae, medae, mse or r2) of the predictions: {"metric", "value"}."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    joined = tickets.merge(predictions, on="ticket_id", validate="one_to_one")
    value = float(METRICS[metric](joined["hours_to_close"], joined["predicted_hours"]))
    logger.info("%s = %.4f", metric, value)
    return {"metric": metric, "value": value}


def summary(scores: list, count: int) -> dict:
    """The trial summary: how many tickets were scored and each metric's value (also logged)."""
    result = {
        "tickets": count,
        "metrics": {entry["metric"]: round(entry["value"], 4) for entry in scores},
    }
    logger.info(
        "trial summary: %d tickets, %s",
        count,
        ", ".join(f"{name}={value}" for name, value in result["metrics"].items()),
    )
    return result
