"""Unit tests of the Iris step functions, run on their own without pipeflow."""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "raw" / "iris.csv"
CLASSES = ["setosa", "versicolor", "virginica"]
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _import_iris() -> ModuleType:
    """Import steps.iris from the repository root, whatever the current directory."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("steps.iris")


iris = _import_iris()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return iris.load_data(str(DATA))


@pytest.fixture(scope="module")
def encoded(raw: pd.DataFrame) -> pd.DataFrame:
    return iris.encode_categorical_columns(raw, "species")


def _split(encoded: pd.DataFrame, ratio: float = 0.2, seed: int = 42) -> dict[str, pd.DataFrame]:
    return iris.split_data(encoded, ratio, CLASSES, target_col="species", seed=seed)


def test_load_data_reads_the_whole_data_set(raw: pd.DataFrame) -> None:
    assert raw.shape == (150, 5)
    assert list(raw.columns) == [*FEATURES, "species"]
    assert raw["species"].value_counts().to_dict() == dict.fromkeys(CLASSES, 50)
    assert raw.loc[0, FEATURES].tolist() == [5.1, 3.5, 1.4, 0.2]


def test_get_classes_returns_sorted_unique_names(raw: pd.DataFrame) -> None:
    assert iris.get_classes(raw, "species") == CLASSES
    shuffled = raw.sample(frac=1, random_state=0)
    assert iris.get_classes(shuffled, "species") == CLASSES


def test_encode_gives_integer_codes_in_class_order(
    raw: pd.DataFrame, encoded: pd.DataFrame
) -> None:
    assert list(encoded.columns) == [*FEATURES, "species"]
    assert pd.api.types.is_integer_dtype(encoded["species"])
    assert sorted(encoded["species"].unique()) == [0, 1, 2]
    for code, name in enumerate(CLASSES):
        assert (encoded["species"] == code).equals(raw["species"] == name)
    pd.testing.assert_frame_equal(encoded[FEATURES], raw[FEATURES])


def test_encode_one_hot_encodes_other_categorical_columns() -> None:
    data = pd.DataFrame(
        {"size": [1.0, 2.0, 3.0], "colour": ["red", "blue", "red"], "kind": ["b", "a", "b"]}
    )
    encoded = iris.encode_categorical_columns(data, "kind")
    assert sorted(encoded.columns) == ["colour_blue", "colour_red", "kind", "size"]
    assert encoded["colour_red"].tolist() == [1, 0, 1]
    assert encoded["kind"].tolist() == [1, 0, 1]


@pytest.mark.parametrize(("ratio", "test_rows"), [(0.2, 30), (0.3, 45), (0.5, 75)])
def test_split_sizes_follow_the_ratio(encoded: pd.DataFrame, ratio: float, test_rows: int) -> None:
    parts = _split(encoded, ratio)
    assert set(parts) == {"train_x", "train_y", "test_x", "test_y"}
    assert all(isinstance(part, pd.DataFrame) for part in parts.values())
    assert len(parts["test_x"]) == len(parts["test_y"]) == test_rows
    assert len(parts["train_x"]) == len(parts["train_y"]) == 150 - test_rows
    assert list(parts["train_x"].columns) == FEATURES
    assert list(parts["train_y"].columns) == ["species"]
    assert parts["test_x"].index.equals(parts["test_y"].index)
    assert parts["train_x"].index.intersection(parts["test_x"].index).empty


def test_split_is_stratified(encoded: pd.DataFrame) -> None:
    parts = _split(encoded, 0.2)
    assert parts["test_y"]["species"].value_counts().to_dict() == {0: 10, 1: 10, 2: 10}
    assert parts["train_y"]["species"].value_counts().to_dict() == {0: 40, 1: 40, 2: 40}


def test_split_is_reproducible_with_a_seed(encoded: pd.DataFrame) -> None:
    first, again = _split(encoded, seed=42), _split(encoded, seed=42)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    other = _split(encoded, seed=7)
    assert not first["test_x"].index.equals(other["test_x"].index)


@pytest.mark.parametrize("ratio", [0, 0.0, 1, 1.0, -0.1, 1.5])
def test_split_rejects_a_ratio_outside_0_1(encoded: pd.DataFrame, ratio: float) -> None:
    with pytest.raises(ValueError, match=r"test_data_ratio must be .*strictly between 0 and 1"):
        _split(encoded, ratio)


def test_train_and_predict_are_accurate(encoded: pd.DataFrame) -> None:
    parts = _split(encoded)
    model = iris.train_model(parts["train_x"], parts["train_y"], seed=42)
    predictions = iris.predict(model, parts["test_x"])
    assert list(predictions.columns) == ["prediction"]
    assert predictions.index.equals(parts["test_x"].index)
    accuracy = (predictions["prediction"] == parts["test_y"]["species"]).mean()
    assert accuracy > 0.9


def test_results_survive_parquet(encoded: pd.DataFrame, tmp_path: Path) -> None:
    parts = _split(encoded)
    for name, frame in parts.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        loaded = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(loaded, frame)


def test_report_accuracy_prints_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    y = pd.DataFrame({"species": [0, 1, 2] * 10})
    predictions = pd.DataFrame({"prediction": [0, 1, 2] * 10})
    predictions.loc[0, "prediction"] = 1
    with caplog.at_level(logging.INFO, logger=iris.__name__):
        accuracy = iris.report_accuracy(predictions, y)
    expected = "Model accuracy on test set: 96.67"
    assert accuracy == pytest.approx(100 * 29 / 30)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (iris.__name__, logging.INFO, expected)
    ]


def test_the_whole_chain_reports_the_expected_accuracy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    data = iris.load_data(str(DATA))
    classes = iris.get_classes(data, "species")
    parts = iris.split_data(iris.encode_categorical_columns(data, "species"), 0.2, classes)
    model = iris.train_model(parts["train_x"], parts["train_y"])
    accuracy = iris.report_accuracy(iris.predict(model, parts["test_x"]), parts["test_y"])
    assert accuracy > 90
    assert caplog.messages[-1].startswith("Model accuracy on test set: ")


def _load_configs() -> tuple[dict[str, Any], dict[str, Any]]:
    as_yaml = yaml.safe_load((ROOT / "pipeline.yaml").read_text(encoding="utf-8"))
    with (ROOT / "pipeline.toml").open("rb") as handle:
        as_toml = tomllib.load(handle)
    return as_yaml, as_toml


def test_pipeline_yaml_and_toml_mean_the_same() -> None:
    as_yaml, as_toml = _load_configs()
    assert as_yaml == as_toml
    assert as_yaml["name"] == "iris"


def test_pipeline_steps_match_the_step_functions() -> None:
    config, _ = _load_configs()
    for name, step in config["steps"].items():
        module, _, attr = step["run"].rpartition(".")
        assert module == "steps.iris"
        func = getattr(iris, attr)
        inputs = step.get("inputs", {})
        inspect.signature(func).bind(**inputs)  # no missing or unknown argument
        for ref in inputs.values():
            kind, _, rest = ref.removeprefix("${").removesuffix("}").partition(".")
            target = rest.split(".")[0]
            assert target in (config["params"] if kind == "params" else config["steps"]), name


@pytest.mark.parametrize("name", ["params.json", "params.yaml", "params.toml"])
def test_params_files_override_known_params_with_valid_values(name: str) -> None:
    path = ROOT / "params" / name
    text = path.read_text(encoding="utf-8")
    loaders = {".json": json.loads, ".yaml": yaml.safe_load, ".toml": tomllib.loads}
    params = loaders[path.suffix](text)
    config, _ = _load_configs()
    assert isinstance(params, dict)
    assert params
    assert set(params) <= set(config["params"])
    assert 0 < params.get("test_data_ratio", 0.2) < 1
    seed = params.get("seed", 0)
    assert isinstance(seed, int)
    assert seed >= 0
