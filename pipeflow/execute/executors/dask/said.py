"""What a step on a Dask worker has printed and logged so far, sent as it comes.

Each worker sends a step's lines as they come (`_send`: one thread per worker process,
which sends what accumulated since its last message as soon as there is any), with the step's
retries in their place among them (`retried`), up to MOST characters: the client says them
at once (the console and `pipeflow logs --follow` show a long step's lines while it runs, a
retry after the lines of the attempt before it), and keeps those of an attempt whose worker
died. A step's output also comes back with its result, which the client says from where the
streamed lines end. A step the run stops (`shutdown(cancel=True)`) sends no result, so the
client asks each worker running one of its steps for the lines collected until then
(`Client.run`, bounded in time: a worker stuck in a C call that holds the GIL does not
answer), and the interrupted step keeps them, as on the other executors. What a step prints
in the instant before its worker dies may be lost."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

ASK_WAIT = 2.0  # seconds the workers have to answer, all together
STREAM_GAP = 0.05  # seconds between two messages of a worker's lines: a chatty step sends few
# Characters of a task's lines sent as they come, at most: as much as the history keeps of
# a step's output (`history.recorder.DEFAULT_MAX_OUTPUT`); the rest comes with the result.
MOST = 1_000_000

Lines = tuple[tuple[str, str], ...]
Retry = tuple[int, int, bytes, float]  # (lines before it, attempt, error as UTF-8, delay)

_lock = threading.Lock()
_saying: dict[str, list[tuple[str, str]]] = {}  # on a worker: task key -> its output so far
_streams: dict[str, tuple[str, list[tuple[str, str]]]] = {}  # key -> (topic, its lines)
_sent: dict[str, tuple[int, int]] = {}  # key -> how many of its lines were sent, their size
# key -> its retries not sent yet: (how many of its lines came before, attempt, error, delay)
_retries: dict[str, list[Retry]] = {}
_news = threading.Event()  # a streamed task has new lines
_streamer: list[threading.Thread] = []  # the worker process's one sender, once started


class _Lines(list[tuple[str, str]]):
    """A task's output lines, which wake the sender as they are added."""

    def append(self, line: tuple[str, str]) -> None:
        super().append(line)
        _news.set()

    def extend(self, lines: Iterable[tuple[str, str]]) -> None:
        super().extend(lines)
        _news.set()


@contextmanager
def saying(key: str, topic: str | None = None) -> Iterator[list[tuple[str, str]]]:
    """On a worker: the list the task `key` collects its output in, readable while it runs;
    with a `topic`, its lines are also sent to the client as they come (`_send`)."""
    lines: list[tuple[str, str]] = [] if topic is None else _Lines()
    with _lock:
        _saying[key] = lines
        if topic is not None:
            _streams[key] = (topic, lines)
            if not _streamer:
                _start_streamer()
    try:
        yield lines
    finally:
        with _lock:
            _saying.pop(key, None)
            _streams.pop(key, None)
            _sent.pop(key, None)
            _retries.pop(key, None)


def retried(key: str, attempt: int, error: str, delay: float) -> bool:
    """On a worker: the task `key`'s attempt failed, another comes after `delay`. Sent in its
    place among the task's lines (the client says the lines printed before it first); False
    when the task's lines are not streamed."""
    with _lock:
        if key not in _streams:
            return False
        # The error's text as bytes: a lone surrogate in it (a file name's) is no msgpack str.
        said = error.encode("utf-8", "surrogatepass")
        _retries.setdefault(key, []).append((len(_streams[key][1]), attempt, said, delay))
    _news.set()
    return True


def _start_streamer() -> None:
    from distributed import get_worker

    worker = get_worker()
    sender = threading.Thread(target=_send, args=(worker,), name="pipeflow-said", daemon=True)
    _streamer.append(sender)
    sender.start()


def _send(worker: Any) -> None:
    """The sender: each task's lines not sent yet, as a `said` message on its topic."""
    while True:
        _news.wait()
        _news.clear()
        with _lock:
            news = []
            for key, (topic, lines) in _streams.items():
                count, size = _sent.get(key, (0, 0))
                new = tuple(lines[count:]) if size < MOST else ()
                retries = _retries.pop(key, [])
                if new or retries:
                    news.append((key, topic, count, new, retries))
                    _sent[key] = (count + len(new), size + sum(len(text) for _, text in new))
        for key, topic, count, new, retries in news:
            # Pickled: a line may hold a lone surrogate (a file name's), which is no msgpack str.
            message = {
                "kind": "said",
                "key": key,
                "worker": worker.address,
                "first": count,
                "lines": pickle.dumps(new),
                "retries": pickle.dumps(retries),
            }
            with suppress(Exception):  # the worker is closing: nothing to tell
                worker.log_event(topic, message)
        time.sleep(STREAM_GAP)  # lines printed meanwhile go in the next message


Heard = list[tuple[str, str] | tuple[int, str, float]]  # lines, and retries in their place


def news(message: dict[str, Any]) -> tuple[str, Heard]:
    """On the client: the worker of a `said` (or `retry`) message, and its lines and retries
    in order, each retry after the lines that came before it: a line is a (stream, text)
    pair, a retry an (attempt, error, delay) triple."""
    worker = str(message.get("worker"))
    if message.get("kind") == "retry":
        retry = (0, int(message["attempt"]), _utf8(message["error"]), float(message["delay"]))
        return worker, in_order(0, (), [retry])
    lines = pickle.loads(message["lines"])
    lines = tuple(lines) if isinstance(lines, tuple | list) else ()
    return worker, in_order(int(message.get("first", 0)), lines, pickle.loads(message["retries"]))


def _utf8(error: Any) -> bytes:
    return error if isinstance(error, bytes) else str(error).encode("utf-8", "surrogatepass")


def in_order(first: int, lines: Lines, retries: list[Retry]) -> Heard:
    """The lines of a `said` message (the first of which is the task's line `first`) and its
    retries, each retry after the lines that came before it."""
    found: Heard = []
    taken = 0
    for before, attempt, error, delay in retries:
        upto = max(taken, min(len(lines), before - first))
        found += lines[taken:upto]
        taken = upto
        found.append((attempt, error.decode("utf-8", "surrogatepass"), delay))
    found += lines[taken:]
    return found


def said_so_far(keys: list[str]) -> dict[str, Lines]:
    """On a worker (`Client.run`): the output so far of those of the tasks `keys` it runs."""
    with _lock:
        return {key: tuple(_saying[key]) for key in keys if key in _saying}


def ask(client: Any, running: Iterable[tuple[str, str | None]]) -> dict[str, Lines]:
    """The output so far of the tasks (key, worker) that have started, by key: what the
    workers answer within `ASK_WAIT` (nothing from those that do not)."""
    by_worker: dict[str, list[str]] = {}
    for key, worker in running:
        if worker is not None:
            by_worker.setdefault(worker, []).append(key)
    if not by_worker:
        return {}
    answers: dict[str, Lines] = {}
    answered = threading.Lock()  # a worker that answers late may still be adding to it

    def one(worker: str, keys: list[str]) -> None:
        try:
            answer = client.run(said_so_far, keys, workers=[worker], on_error="return")
        except Exception:
            return
        found = answer.get(worker) if isinstance(answer, dict) else None
        if isinstance(found, dict):
            with answered:
                answers.update(found)

    # On threads of their own, not waited for past the bound: one may never return.
    askers = [
        threading.Thread(target=one, args=item, name="pipeflow-dask-said", daemon=True)
        for item in by_worker.items()
    ]
    for asker in askers:
        asker.start()
    deadline = time.monotonic() + ASK_WAIT
    for asker in askers:
        asker.join(max(0.0, deadline - time.monotonic()))
    with answered:
        return dict(answers)
