"""What the UI shows: the histories it reads, the pipelines it knows, and their configs.

The UI reads one history per project folder of the CONFIGs it was given (or the current
folder's, or `--home`/`$PIPEFLOW_HOME` when set), the same places `pipeflow runs CONFIG`
reads. A pipeline is known when a CONFIG names it or when a history holds runs of it (its
config then is the one its newest run recorded). Nothing here knows about HTTP.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pipeflow.errors import ConfigError, PipeflowError
from pipeflow.history import (
    History,
    HistoryError,
    LogLine,
    RunRecord,
    UnknownRun,
    database_path,
)

if TYPE_CHECKING:
    from pipeflow.api import Pipeline

T = TypeVar("T")


class ConfigUnavailable(PipeflowError):
    """A pipeline's config file is not known, or is gone."""

    exit_code = 2


@dataclass(frozen=True)
class KnownPipeline:
    """A pipeline the UI can show: its name and its config file, when one is known."""

    name: str
    config: Path | None
    given: bool  # named on the command line (so its config is the one the user chose)


@dataclass(frozen=True)
class RunsPage:
    """One page of the runs list."""

    runs: list[RunRecord]
    total: int
    page: int
    pages: int
    unreadable: tuple[str, ...] = ()  # what was said of each history that could not be read


class Histories(list[History]):
    """The histories a page reads, and the errors of those that could not be opened."""

    def __init__(self) -> None:
        super().__init__()
        self.unreadable: list[HistoryError] = []


class Catalog:
    """The histories and pipelines one `pipeflow ui` serves; safe to share between threads
    (each call opens its own database connections)."""

    def __init__(self, configs: dict[str, Path], *, home: Path | None = None) -> None:
        self.configs = {name: path.resolve() for name, path in configs.items()}
        folders = sorted({path.parent for path in self.configs.values()}) or [Path.cwd()]
        paths = [database_path(folder, home=home) for folder in folders]
        self.databases = list(dict.fromkeys(paths))  # one per project, unless a home is shared
        self.home = home

    @contextmanager
    def histories(self) -> Iterator[Histories]:
        """The histories that open. One that cannot (damaged, from a newer pipeflow) hides
        only its own runs when there are others, and is said in `unreadable`; alone, its
        HistoryError is the answer."""
        with ExitStack() as stack:
            opened = Histories()
            for path in self.databases:
                try:
                    opened.append(stack.enter_context(History(path)))
                except HistoryError as error:
                    if len(self.databases) == 1:
                        raise
                    opened.unreadable.append(error)
            if not opened and opened.unreadable:
                raise opened.unreadable[0]
            yield opened

    # -- runs ---------------------------------------------------------------------------------

    def runs(
        self,
        *,
        pipeline: str | None = None,
        state: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> RunsPage:
        """Newest first, `per_page` at a time, across every history."""
        with self.histories() as histories:
            total = sum(history.count(pipeline, state) for history in histories)
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            offset = (page - 1) * per_page
            if len(histories) == 1:
                records = histories[0].runs(pipeline, state, per_page, offset=offset)
            else:  # each history's first offset + per_page runs, merged, then the page
                lists = [h.runs(pipeline, state, offset + per_page) for h in histories]
                merged = heapq.merge(*lists, key=lambda run: run.started.timestamp(), reverse=True)
                records = list(merged)[offset : offset + per_page]
            unreadable = tuple(str(error) for error in histories.unreadable)
        return RunsPage(records, total, page, pages, unreadable)

    def run(self, run_id: str) -> RunRecord:
        """One run with its steps; UnknownRun when no history has it."""
        with self.histories() as histories:
            return _first(histories, lambda history: history.run(run_id), run_id, self)

    def logs(self, run_id: str, step: str | None = None, skip: int = 0) -> list[LogLine]:
        with self.histories() as histories:
            return _first(
                histories, lambda history: history.logs(run_id, step, skip=skip), run_id, self
            )

    def has_run(self, run_id: str) -> bool:
        """Whether a readable history has `run_id` (one that cannot be read has none)."""
        try:
            self.run(run_id)
        except (UnknownRun, HistoryError):
            return False
        return True

    # -- pipelines ----------------------------------------------------------------------------

    def pipelines(self) -> list[KnownPipeline]:
        """The pipelines named on the command line, then those only the history knows."""
        known = {name: KnownPipeline(name, path, True) for name, path in self.configs.items()}
        with self.histories() as histories:
            for history in histories:
                for name, config in history.pipelines().items():
                    if name not in known:
                        path = Path(config) if config else None
                        known[name] = KnownPipeline(name, path, False)
        return sorted(known.values(), key=lambda entry: (not entry.given, entry.name))

    def pipeline(self, name: str) -> KnownPipeline | None:
        return next((entry for entry in self.pipelines() if entry.name == name), None)


def load_pipeline(
    config: Path | None, *, param_options: Sequence[str] = (), check_code: bool = False
) -> Pipeline:
    """The pipeline in `config` as it is now; PipeflowError (with a friendly message) if not."""
    from pipeflow.api import load

    if config is None:
        raise ConfigUnavailable("its runs recorded no config file")
    if not config.is_file():
        raise ConfigUnavailable(f"its config file {config} does not exist any more")
    return load(config, param_options=param_options, check_code=check_code)


def problems_text(error: ConfigError) -> str:
    """Every problem of a config, without the command line's closing summary."""
    return "\n".join(problem.format() for problem in error.problems)


def _first(
    histories: Histories,
    action: Callable[[History], T],
    run_id: str,
    catalog: Catalog,
) -> T:
    """The answer of the first history that knows `run_id`; its UnknownRun if none does."""
    error: PipeflowError | None = None
    for history in histories:
        try:
            return action(history)
        except UnknownRun as unknown:
            error = error or unknown
    if histories.unreadable:  # it may be in one that could not be read
        raise histories.unreadable[0]
    if len(histories) > 1 or error is None:
        places = ", ".join(str(path) for path in catalog.databases)
        raise UnknownRun(f"no run `{run_id}` in {places}", "the runs page lists the recorded runs")
    raise error
