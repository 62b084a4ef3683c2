"""Steps of the Iris example pipeline: plain functions that know nothing of pipeflow."""

from __future__ import annotations

import logging

import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)


def load_data(path: str) -> pd.DataFrame:
    """Read the raw data set from the CSV file at `path`."""
    return pd.read_csv(path)


def get_classes(data: pd.DataFrame, target_col: str) -> list[str]:
    """Return the sorted, unique class names found in the target column."""
    return sorted(str(value) for value in data[target_col].dropna().unique())


def encode_categorical_columns(data: pd.DataFrame, target_col: str) -> pd.DataFrame:
    """One-hot encode the categorical features and encode the target as integer codes.

    Target codes follow the sorted class names, so they agree with `get_classes`.
    """
    features = data.drop(columns=[target_col])
    categorical = features.select_dtypes(include=["object", "category", "string"]).columns
    encoded = pd.get_dummies(features, columns=list(categorical), dtype="int64")
    classes = get_classes(data, target_col)
    codes = pd.Categorical(data[target_col].astype(str), categories=classes).codes
    encoded[target_col] = pd.Series(codes, index=data.index, dtype="int64")
    return encoded


def split_data(
    data: pd.DataFrame,
    test_data_ratio: float,
    classes: list[str],
    target_col: str = "species",
    seed: int = 42,
) -> dict[str, pd.DataFrame]:
    """Split the encoded data into stratified train/test features (x) and labels (y)."""
    if isinstance(test_data_ratio, bool) or not 0 < test_data_ratio < 1:
        raise ValueError(
            f"test_data_ratio must be a number strictly between 0 and 1, got {test_data_ratio!r}"
        )
    if target_col not in data.columns:
        raise ValueError(f"target column {target_col!r} is not in the data")
    codes = data[target_col]
    if codes.min() < 0 or codes.max() >= len(classes):
        raise ValueError(
            f"target column {target_col!r} holds codes outside 0..{len(classes) - 1} "
            f"for the classes {classes}"
        )
    x = data.drop(columns=[target_col])
    y = data[[target_col]]
    train_x, test_x, train_y, test_y = train_test_split(
        x, y, test_size=test_data_ratio, random_state=seed, stratify=codes
    )
    return {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}


def train_model(x: pd.DataFrame, y: pd.DataFrame, seed: int = 42) -> LogisticRegression:
    """Fit a logistic-regression classifier on the training features and labels."""
    model = LogisticRegression(max_iter=1000, random_state=seed)
    model.fit(x, y.iloc[:, 0])
    return model


def predict(model: ClassifierMixin, x: pd.DataFrame) -> pd.DataFrame:
    """Predict a label for each row of `x`, as a one-column frame named `prediction`."""
    return pd.DataFrame({"prediction": model.predict(x)}, index=x.index)


def report_accuracy(predictions: pd.DataFrame, y: pd.DataFrame) -> float:
    """Log the accuracy of the predictions in percent, and return it."""
    if len(predictions) != len(y):
        raise ValueError(f"{len(predictions)} predictions for {len(y)} labels")
    accuracy = float(accuracy_score(y.iloc[:, 0].to_numpy(), predictions.iloc[:, 0].to_numpy()))
    percent = accuracy * 100
    message = f"Model accuracy on test set: {percent:.2f}"
    logger.info(message)
    return percent
