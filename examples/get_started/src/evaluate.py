"""Stage 4: score the model on the test features; write the metrics as JSON.

`metrics` is a path or a URL (`s3://bucket/prefix/eval/metrics.json`): fsspec opens both.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import fsspec
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score


def main(model: str, features: str, metrics: str) -> dict[str, float]:
    """The test set's average precision, ROC AUC and accuracy, written to `metrics`."""
    with open(model, "rb") as handle:
        classifier = pickle.load(handle)
    with open(Path(features, "test.pkl"), "rb") as handle:
        test = pickle.load(handle)
    scores = classifier.predict_proba(test["features"])[:, 1]
    found = {
        "avg_prec": round(float(average_precision_score(test["labels"], scores)), 4),
        "roc_auc": round(float(roc_auc_score(test["labels"], scores)), 4),
        "accuracy": round(float(accuracy_score(test["labels"], scores >= 0.5)), 4),
    }
    if "://" not in metrics:
        Path(metrics).parent.mkdir(parents=True, exist_ok=True)
    with fsspec.open(metrics, "w") as handle:
        handle.write(json.dumps(found, indent=2, sort_keys=True) + "\n")
    return found
