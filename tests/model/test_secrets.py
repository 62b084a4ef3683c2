"""`Secrets`: masking every spelling of a secret, in texts, params, events and errors."""

from __future__ import annotations

import html
import json
import pickle
import typing
from datetime import datetime, timezone
from urllib.parse import quote, quote_plus

import pytest

from pipeflow.errors import ConfigError, PipeflowError, Problem, StepFailed
from pipeflow.model.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepOutput,
    StepRetrying,
    StepStarted,
)
from pipeflow.model.run import Action, Decision, StepOutcome, StepState
from pipeflow.model.secrets import (
    MASK,
    NO_SECRETS,
    Secrets,
    known,
    remember,
    secret_scalars,
    storage_credentials,
)

SECRET = "Xq7s3cr3t+Vk9&Zw \"q'"
SECRETS = Secrets(values=frozenset({SECRET}), params=frozenset({"token", "db.password"}))
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "spelling",
    [
        SECRET,
        json.dumps(SECRET)[1:-1],
        repr(SECRET)[1:-1],
        html.escape(SECRET),
        html.escape(SECRET, quote=False),
        quote(SECRET),
        quote(SECRET, safe=""),
        quote_plus(SECRET),
    ],
    ids=["raw", "json", "repr", "html", "html-text", "url", "url-safe", "url-plus"],
)
def test_every_spelling_is_masked(spelling: str) -> None:
    assert SECRETS.mask(f"before {spelling} after") == f"before {MASK} after"


def test_short_values_are_not_masked_in_text_and_longer_secrets_win() -> None:
    secrets = Secrets(values=frozenset({"dev", "abcd", "abcdef-long"}))
    assert secrets.mask("dev abcd abcdef-long") == f"dev {MASK} {MASK}"
    assert Secrets(values=frozenset({""})).mask("anything") == "anything"


def test_a_multi_line_secret_is_masked_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----"
    secrets = Secrets(values=frozenset({key}))
    assert secrets.mask(f"x {key} y") == f"x {MASK} y"
    assert "MIIEvQIBADANBgkq" not in secrets.mask("line: MIIEvQIBADANBgkq")


def test_no_secrets_leaves_everything_as_it_is() -> None:
    event = StepOutput("r", "s", "stdout", "hello")
    assert NO_SECRETS.event(event) is event
    assert NO_SECRETS.mask("hello") == "hello"
    assert not NO_SECRETS


def test_params_are_redacted_by_name_and_by_value() -> None:
    params = {
        "token": 7,  # from the environment: masked whatever its type or length
        "db": {"host": "h1", "password": "pw"},
        "note": f"uses {SECRET}",  # not a secret param, but holds a secret value
        "tags": [SECRET, "ok"],
        "count": 3,
    }
    assert SECRETS.redact(params) == {
        "token": MASK,
        "db": {"host": "h1", "password": MASK},
        "note": f"uses {MASK}",
        "tags": [MASK, "ok"],
        "count": 3,
    }


@pytest.mark.parametrize(
    ("path", "hidden"),
    [
        (["token"], True),
        (["token", "inner"], True),
        (["db"], True),  # holds a secret
        (["db", "password"], True),
        (["db", "host"], False),
        (["tokens"], False),
        ([], True),  # the whole params
    ],
)
def test_which_params_are_hidden(path: list[str], hidden: bool) -> None:
    assert SECRETS.hides(path) is hidden


def test_every_event_is_masked_in_its_texts_and_keeps_its_names() -> None:
    outcome = StepOutcome(
        "step",
        StepState.FAILED,
        reason=f"because {SECRET}",
        error=f"ValueError: {SECRET}",
        traceback=f"Traceback\n  {SECRET}",
        locations=(f"s3://{SECRET}/x.json",),
    )
    events: dict[type, Event] = {
        RunStarted: RunStarted(
            "run",
            "pipe",
            NOW,
            params={"token": SECRET, "other": SECRET},
            plan=(Decision("step", Action.RUN, f"param changed ({SECRET!r})", "key"),),
        ),
        StepStarted: StepStarted("run", "step", 1, f"param changed ({SECRET!r})"),
        StepRetrying: StepRetrying("run", "step", 2, f"ValueError: {SECRET}", 0.5),
        StepOutput: StepOutput("run", "step", "stdout", f"printed {SECRET}"),
        StepFinished: StepFinished("run", outcome),
        RunFinished: RunFinished("run", "pipe", False, 1.0, outcomes=(outcome,)),
    }
    # A new kind of event must be added here, and to Secrets.event.
    assert set(events) == set(typing.get_args(Event))
    for event in events.values():
        masked = SECRETS.event(event)
        assert type(masked) is type(event)
        assert SECRET not in repr(masked)
        assert masked.run_id == "run"
        assert getattr(masked, "step", "step") == "step"
    finished = SECRETS.event(events[StepFinished])
    assert isinstance(finished, StepFinished)
    assert finished.outcome.state is StepState.FAILED
    assert finished.outcome.error == f"ValueError: {MASK}"
    assert finished.outcome.locations == (f"s3://{MASK}/x.json",)
    started = SECRETS.event(events[RunStarted])
    assert isinstance(started, RunStarted)
    assert started.params == {"token": MASK, "other": MASK}
    assert started.plan[0].key == "key"


def test_errors_are_masked_in_place() -> None:
    problem = Problem(message=f"bad {SECRET}", hint=f"try {SECRET}", path="params.token")
    error = ConfigError([problem])
    assert SECRETS.error(error) is error
    assert error.problems[0].message == f"bad {MASK}"
    assert error.problems[0].hint == f"try {MASK}"
    assert error.problems[0].path == "params.token"
    assert SECRET not in str(error)
    assert SECRET not in error.format()
    failed = StepFailed(["a"], f"failed with {SECRET}")
    with pytest.raises(StepFailed) as raised, SECRETS.masking():
        raise failed
    assert raised.value is failed
    assert failed.failed == ("a",)
    assert failed.format() == f"failed with {MASK}"
    with pytest.raises(PipeflowError, match=r"^at \*\*\*$"), SECRETS.masking():
        raise PipeflowError(f"at {SECRET}")


def test_storage_credentials_are_found_under_credential_keys() -> None:
    options = {
        "key": "AKIA1234",
        "secret": "s3cr3tvalue",
        "anon": False,
        "endpoint_url": "http://127.0.0.1:9000",
        "client_kwargs": {"aws_session_token": "tok-123", "region_name": "us-east-1"},
        "token": {"type": "service_account", "private_key": "pk-1"},
        "account_key": ["k1-abc"],
    }
    assert storage_credentials(options) == {
        "AKIA1234",
        "s3cr3tvalue",
        "tok-123",
        "service_account",
        "pk-1",
        "k1-abc",
    }


def test_secret_scalars_give_the_texts_messages_would_show() -> None:
    assert secret_scalars({"a": 12345, "b": ["x", 1.5], "c": True, "d": None}) == {
        "12345",
        "x",
        "1.5",
    }


def test_secrets_pickle_and_combine() -> None:
    copy = pickle.loads(pickle.dumps(SECRETS))
    assert copy == SECRETS
    assert copy.mask(SECRET) == MASK
    both = Secrets(values=frozenset({"abcd"})) | Secrets(params=frozenset({"p"}))
    assert both.values == {"abcd"}
    assert both.params == {"p"}


def test_what_the_process_knows_grows_with_each_load() -> None:
    value = "remembered-secret-value-81"
    assert known().mask(value) == value
    remember(Secrets(values=frozenset({value}), params=frozenset({"ignored"})))
    assert known().mask(f"x {value}") == f"x {MASK}"


def test_path_labels_are_masked_and_stay_distinct() -> None:
    secrets = Secrets(values=frozenset({"tenant-a", "tenant-b"}))
    texts = ["data/tenant-a/out.txt", "data/tenant-b/out.txt", "data/plain/out.txt"]
    labels = secrets.labels(texts)
    assert labels == ["data/***/out.txt", "data/***/out.txt (2)", "data/plain/out.txt"]
    assert secrets.labels(texts) == labels  # the same paths in the same order: the same names
    assert Secrets().labels(texts) == texts
