"""Stage 3: train a random forest on the training features; write model.pkl."""

from __future__ import annotations

import pickle
from pathlib import Path

from sklearn.ensemble import RandomForestClassifier


def main(features: str, out: str, seed: int, n_est: int, min_split: float) -> dict[str, float]:
    """Fit the classifier (`n_est` trees, `min_split`: the share of samples a split needs)."""
    with open(Path(features, "train.pkl"), "rb") as handle:
        train = pickle.load(handle)
    model = RandomForestClassifier(
        n_estimators=n_est, min_samples_split=min_split, random_state=seed, n_jobs=1
    )
    model.fit(train["features"], train["labels"])
    with open(out, "wb") as handle:
        pickle.dump(model, handle)
    return {"train_accuracy": round(float(model.score(train["features"], train["labels"])), 4)}
