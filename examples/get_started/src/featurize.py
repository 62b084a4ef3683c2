"""Stage 2: turn the prepared posts into TF-IDF features (fitted on the training posts)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer


def main(src: str, out: str, max_features: int, ngrams: int) -> dict[str, int]:
    """Write data/features/train.pkl and test.pkl: {"ids", "labels", "features"} each."""
    train = pd.read_csv(Path(src, "train.tsv"), sep="\t")
    test = pd.read_csv(Path(src, "test.tsv"), sep="\t")
    counts = CountVectorizer(max_features=max_features, ngram_range=(1, ngrams))
    tfidf = TfidfTransformer(smooth_idf=False)
    train_features = tfidf.fit_transform(counts.fit_transform(train["text"]))
    test_features = tfidf.transform(counts.transform(test["text"]))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for name, posts, features in (
        ("train.pkl", train, train_features),
        ("test.pkl", test, test_features),
    ):
        matrix = {
            "ids": posts["id"].to_numpy(),
            "labels": posts["label"].to_numpy(),
            "features": features,
        }
        with open(folder / name, "wb") as handle:
            pickle.dump(matrix, handle)
    return {"features": int(train_features.shape[1])}
