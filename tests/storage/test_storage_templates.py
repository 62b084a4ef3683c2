"""Tests for pipeflow.storage.templates: rendering target templates, and refusing unsafe ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pytest

from pipeflow.storage import (
    TargetFields,
    TemplateError,
    render_target,
    template_fields,
    template_params,
    template_problems,
)


def fields(params: Mapping[str, Any] | None = None) -> TargetFields:
    return TargetFields(
        pipeline="iris",
        step="split_data",
        output="train_x",
        run_id="20240301-abc",
        date=datetime(2024, 3, 1, 6, 30, tzinfo=timezone.utc),
        params=params if params is not None else {"seed": 42, "model": {"depth": 3}},
        key="k123",
        ext="parquet",
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{date:%Y-%m-%d}/{step}_{output}.parquet", "2024-03-01/split_data_train_x.parquet"),
        ("{pipeline}/{run_id}/{key}.{ext}", "iris/20240301-abc/k123.parquet"),
        (
            "models/seed-{params.seed}/depth-{params.model.depth}.joblib",
            "models/seed-42/depth-3.joblib",
        ),
        ("{params.seed:04d}.txt", "0042.txt"),
        ("./a//b/./c.txt", "a/b/c.txt"),
        ("{step!s}.json", "split_data.json"),
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render_target(template, fields()) == expected


def test_a_param_value_may_make_sub_folders() -> None:
    assert render_target("{params.where}/x.csv", fields({"where": "a/b"})) == "a/b/x.csv"


@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("../x", {}),
        ("a/../../x", {}),
        ("a/..", {}),
        ("/etc/passwd", {}),
        ("{params.where}/x", {"where": "../../x"}),
        ("{params.where}", {"where": "/etc/passwd"}),
        ("s3://other/x", {}),
        ("{params.where}/x", {"where": "s3://other"}),
        ("C:\\x", {}),
        ("C:/x", {}),
        ("a\\b", {}),
        ("", {}),
        ("./", {}),
        ("{params.where}", {"where": ""}),
        ("models/", {}),
    ],
)
def test_escapes_and_empty_paths_are_refused(template: str, params: Mapping[str, Any]) -> None:
    with pytest.raises(TemplateError):
        render_target(template, fields(params))


def test_unknown_field_names_the_field_and_suggests() -> None:
    with pytest.raises(
        TemplateError, match=r"unknown field \{stpe\} \(did you mean `step`\?\)"
    ) as info:
        render_target("{stpe}.json", fields())
    assert "{pipeline}, {step}, {output}, {run_id}, {date}, {params}, {key}, {ext}" in str(
        info.value
    )


def test_unknown_param_names_the_param_and_suggests() -> None:
    with pytest.raises(
        TemplateError, match=r"unknown param \{params.model.dpth\} \(did you mean `depth`\?\)"
    ):
        render_target("{params.model.dpth}.json", fields())


@pytest.mark.parametrize(
    "template",
    [
        "{}.json",
        "{0}.json",
        "{params[seed]}.json",
        "{params}.json",
        "{params.model}.json",
        "{step.__class__}.json",
        "{date.year}.json",
        "{date:{fmt}}.json",
        "{step",
        "step}",
        "{seed:d}.json",
    ],
)
def test_malformed_templates_are_refused(template: str) -> None:
    with pytest.raises(TemplateError):
        render_target(template, fields())


def test_a_bad_format_spec_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match=r"cannot format \{step\}"):
        render_target("{step:d}.json", fields())


def test_template_fields_and_params() -> None:
    template = "{date:%Y}/{step}-{params.seed}-{params.model.depth}-{unknown}.{ext}"
    assert template_fields(template) == {"date", "step", "params", "unknown", "ext"}
    assert template_params(template) == {"seed", "model.depth"}
    assert template_params("{step}.json") == set()


def test_template_fields_refuses_malformed_templates() -> None:
    with pytest.raises(TemplateError, match="malformed"):
        template_fields("{step")


@pytest.mark.parametrize(
    ("field", "meant"),
    [
        ("task_name", "{step}"),
        ("task_full_name", "{step}"),
        ("flow_name", "{pipeline}"),
        ("flow_run_id", "{run_id}"),
        ("task_run_id", "{run_id}"),
        ("today", "{date:%Y-%m-%d}"),
        ("scheduled_start_time", "{date}"),
        ("map_index", "{item}"),
        ("parameters", "{params.NAME}"),
    ],
)
def test_a_field_as_prefect_names_it_is_told_its_name_here(field: str, meant: str) -> None:
    """A target ported from a Prefect 1 `target=` template: the closest spelling ("did you
    mean `date`?" for `{today}`) would not help, the field it means does."""
    with pytest.raises(TemplateError) as info:
        render_target(f"{{{field}}}.json", fields())
    assert f"unknown field {{{field}}} (Prefect's `{{{field}}}` is `{meant}` here)" in str(
        info.value
    )


def test_prefect_parameters_in_brackets_are_told_the_params_field() -> None:
    with pytest.raises(TemplateError, match=r"write `\{params.seed\}`"):
        render_target("{parameters[seed]}.json", fields())


def test_template_problems_names_every_wrong_field_where_rendering_stops_at_the_first() -> None:
    template = "{stpe}/{params.seed}/{tday}-{params.model.dpth}/{output:>9999}.json"
    problems = template_problems(template, fields())
    assert len(problems) == 4, problems
    assert "unknown field {stpe}" in problems[0]
    assert "unknown field {tday}" in problems[1]
    assert "unknown param {params.model.dpth}" in problems[2]
    assert "a field may make 1024 at most" in problems[3]
    assert template_problems("{step}/{params.seed}.json", fields()) == []
    assert len(template_problems("{step", fields())) == 1  # malformed: one problem
