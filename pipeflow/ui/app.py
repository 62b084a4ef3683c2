"""The Starlette application: routes, pages, the JSON the pages poll, and friendly errors.

Pages are Jinja2 templates (autoescaped) with one CSS and one JS file, no build step. Every
failure a user can cause (an unknown run, a config gone or invalid, an empty or damaged
history, a wrong param) renders a page that says what happened; tracebacks go to the server's
stderr only.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pipeflow.errors import ConfigError, PipeflowError
from pipeflow.history import RUN_STATES, RunRecord, UnknownRun
from pipeflow.model import jsontext
from pipeflow.model.events import prefixed
from pipeflow.model.secrets import known
from pipeflow.ui.catalog import Catalog, KnownPipeline, load_pipeline, problems_text
from pipeflow.ui.forms import Field, attach, fields_for, json_text, overrides
from pipeflow.ui.graph import draw_run
from pipeflow.ui.guard import Guard, new_secret
from pipeflow.ui.headers import HEADERS, SecurityHeaders
from pipeflow.ui.launch import start_run
from pipeflow.ui.shown import (
    duration,
    page_text,
    sentence,
    state_class,
    step_duration,
    when,
)

HERE = Path(__file__).parent
PER_PAGE = 50
NEXT_FIRES = 3
FIELD_PREFIX = "param:"
log = logging.getLogger("pipeflow.ui")


@dataclass(frozen=True)
class Settings:
    """What `pipeflow ui` was started with."""

    configs: dict[str, Path]  # pipeline name -> config file
    home: Path | None = None
    token: str | None = None
    loopback_only: bool = True  # bound to a loopback address (then the Host is checked)


def create_app(settings: Settings) -> Starlette:
    """The ASGI application for these settings."""
    catalog = Catalog(settings.configs, home=settings.home)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=page_text,  # a config's folder whose name is not UTF-8 (`escaping.py`)
    )
    environment.filters["duration"] = duration
    environment.filters["step_duration"] = step_duration
    environment.filters["when"] = when
    environment.filters["css"] = state_class
    environment.filters["json"] = json_text
    templates = Jinja2Templates(env=environment)
    csrf = new_secret()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("title", "pipeflow")
        context["csrf"] = csrf
        return templates.TemplateResponse(request, name, context, status_code=status)

    def problem_page(request: Request, status: int, message: str, **extra: Any) -> Response:
        """A page that says what went wrong; under /api/, `{"error": message}` as JSON."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": known().mask(message)}, status_code=status)
        titles = {400: "Bad request", 401: "Token needed", 403: "Refused", 404: "Not found"}
        heading = titles.get(status, "Something went wrong")
        return page(request, "error.html", status, title=heading, heading=heading,
                    message=known().mask(message), **extra)  # fmt: skip

    async def refuse(request: Request, status: int, message: str) -> Response:
        return problem_page(request, status, message)

    guard = Guard(
        token=settings.token, loopback_only=settings.loopback_only, csrf=csrf, refuse=refuse
    )

    # -- pages ------------------------------------------------------------------------------

    def home(request: Request) -> Response:
        return RedirectResponse("/runs", status_code=302)

    def runs(request: Request) -> Response:
        pipeline = request.query_params.get("pipeline") or None
        state = request.query_params.get("state") or None
        if state is not None and state not in RUN_STATES:
            return problem_page(
                request, 400, f"There is no run state `{state}`; pick one of the list."
            )
        listing = catalog.runs(
            pipeline=pipeline, state=state, page=_page_number(request), per_page=PER_PAGE
        )
        context: dict[str, Any] = {
            "listing": listing,
            "pipeline": pipeline,
            "state": state,
            "states": RUN_STATES,
            "pipelines": [entry.name for entry in catalog.pipelines()],
            "databases": catalog.databases,
            "query": _query(pipeline=pipeline, state=state),
        }
        if request.query_params.get("partial"):
            return page(request, "_runs_table.html", **context)
        return page(request, "runs.html", title="Runs · pipeflow", **context)

    def run(request: Request) -> Response:
        record = catalog.run(request.path_params["run_id"])
        drawing = draw_run(record)
        return page(
            request,
            "run.html",
            title=f"Run {record.id} · pipeflow",
            run=record,
            drawing=drawing,
            svg=Markup(drawing.svg) if drawing.svg else None,  # built escaped, by the drawing
        )

    def run_state(request: Request) -> Response:
        record = catalog.run(request.path_params["run_id"])
        return JSONResponse(jsontext.finite(_run_json(record)))

    def run_logs(request: Request) -> Response:
        step = request.query_params.get("step") or None
        skip = request.query_params.get("skip") or "0"  # the lines a following panel has
        if not (skip.isascii() and skip.isdigit()):  # `²` is a digit to Python, no count
            return problem_page(request, 400, f"`skip` is a count of lines, not `{skip}`.")
        lines = catalog.logs(request.path_params["run_id"], step, int(skip))
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"lines": [{"step": x.step, "stream": x.stream, "text": x.text} for x in lines]}
            )
        text = "\n".join(said for x in lines for said in prefixed(x.step, x.text))
        return PlainTextResponse(text + "\n" if text else "(nothing printed)\n")

    def pipelines(request: Request) -> Response:
        return page(
            request, "pipelines.html", title="Pipelines · pipeflow", entries=catalog.pipelines()
        )

    def pipeline(request: Request) -> Response:
        entry = _known(request)
        problem = None
        schedules: list[dict[str, Any]] = []
        try:
            loaded = load_pipeline(entry.config)
        except PipeflowError as error:
            problem = _config_problem(entry, error)
        else:
            schedules = _schedules(loaded.definition.schedules)
        recent = catalog.runs(pipeline=entry.name, per_page=10)
        return page(
            request,
            "pipeline.html",
            title=f"{entry.name} · pipeflow",
            entry=entry,
            problem=problem,
            schedules=schedules,
            recent=recent,
        )

    def run_form(request: Request) -> Response:
        entry = _known(request)
        try:
            loaded = load_pipeline(entry.config)
        except PipeflowError as error:
            return _form(request, entry, [], [_config_problem(entry, error)], status=409)
        fields = fields_for(loaded.params, loaded.secret_params, loaded.mask)
        return _form(request, entry, fields, [], 200)

    async def start(request: Request) -> Response:
        form = await request.form()
        if not guard.check_form(_text(form.get("csrf"))):
            return problem_page(
                request, 403, "Refused: the form is stale or was not sent by this page; reload it."
            )
        entry = await run_in_threadpool(_known, request)
        submitted = {
            key.removeprefix(FIELD_PREFIX): _text(value)
            for key, value in form.multi_items()
            if key.startswith(FIELD_PREFIX)
        }
        return await run_in_threadpool(_start, request, entry, submitted)

    def _start(request: Request, entry: KnownPipeline, submitted: dict[str, str]) -> Response:
        try:
            loaded = load_pipeline(entry.config)
        except PipeflowError as error:
            return _form(request, entry, [], [_config_problem(entry, error)], status=409)
        fields = fields_for(loaded.params, loaded.secret_params, loaded.mask)
        options = overrides(fields, submitted)
        try:
            load_pipeline(entry.config, param_options=options, check_code=True)
        except ConfigError as error:
            return _form(request, entry, fields, attach(fields, error.problems), status=422)
        except PipeflowError as error:
            return _form(request, entry, fields, [str(error).removeprefix("error: ")], 422)
        assert entry.config is not None  # load_pipeline checked it
        try:
            run_id = start_run(entry.config, options, home=settings.home)
        except PipeflowError as error:
            return _form(request, entry, fields, [str(error)], status=500)
        deadline = time.monotonic() + 10
        while not catalog.has_run(run_id) and time.monotonic() < deadline:
            time.sleep(0.1)  # the run's recorder commits its first row a moment after it starts
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    def _form(
        request: Request,
        entry: KnownPipeline,
        fields: list[Field],
        problems: list[str],
        status: int,
    ) -> Response:
        return page(
            request,
            "run_form.html",
            status,
            title=f"Run {entry.name} · pipeflow",
            entry=entry,
            fields=fields,
            problems=[known().mask(problem) for problem in problems],
            can_run=status != 409,
        )

    def _known(request: Request) -> KnownPipeline:
        name = request.path_params["name"]
        entry = catalog.pipeline(name)
        if entry is None:
            raise HTTPException(404, f"No pipeline `{name}` is known here.")
        return entry

    # -- errors -----------------------------------------------------------------------------

    async def not_found(request: Request, exc: Exception) -> Response:
        detail = getattr(exc, "detail", None)
        if not detail or detail == "Not Found":  # the router's own words
            detail = f"Nothing is at {request.url.path}."
        return problem_page(request, 404, detail)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = str(exc.detail)
        if exc.status_code == 405:  # rather than Starlette's words: `Method Not Allowed`
            allowed = (exc.headers or {}).get("Allow", "GET")
            detail = f"{request.url.path} does not take {request.method}, only {allowed}."
        response = problem_page(request, exc.status_code, detail)
        response.headers.update(exc.headers or {})  # a 405's `Allow`
        return response

    async def unknown_run(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownRun)
        message = sentence(exc.message) + (f" {sentence(exc.hint)}" if exc.hint else "")
        message = known().mask(message)  # it echoes what was asked for
        return problem_page(request, 404, message)

    async def pipeflow_error(request: Request, exc: Exception) -> Response:
        return problem_page(request, 503, str(exc).removeprefix("error: "))

    async def server_error(request: Request, exc: Exception) -> Response:
        # The traceback goes through the masker like every text pipeflow shows.
        details = "".join(traceback.format_exception(exc))
        text = known().mask(f"{request.url.path}\n{details}")
        log.error("error on %s %s", request.method, text)
        response = problem_page(
            request, 500, "The UI hit an unexpected error; its details are in the server's log."
        )
        # Starlette answers a 500 outside every middleware: the headers are set here too.
        response.headers.update(HEADERS)
        return response

    routes = [
        Route("/", home),
        Route("/runs", runs),
        Route("/runs/{run_id}", run),
        Route("/runs/{run_id}/logs", run_logs),
        Route("/api/runs/{run_id}", run_state),
        Route("/api/runs/{run_id}/logs", run_logs),
        Route("/pipelines", pipelines),
        Route("/pipelines/{name}", pipeline),
        Route("/pipelines/{name}/run", run_form, methods=["GET"]),
        Route("/pipelines/{name}/run", start, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), Middleware(BaseHTTPMiddleware, dispatch=guard)],
        exception_handlers={
            404: not_found,
            HTTPException: http_error,
            UnknownRun: unknown_run,
            PipeflowError: pipeflow_error,
            Exception: server_error,
        },
    )


# -- helpers ------------------------------------------------------------------------------------


def _run_json(record: RunRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "state": record.state,
        "steps": [
            {
                "step": step.step,
                "state": step.state,
                "duration": step_duration(step.duration, step.state),
            }
            for step in record.steps
        ],
    }


def _schedules(schedules: Any) -> list[dict[str, Any]]:
    from pipeflow.schedule.triggers import describe, next_times, trigger_for

    now = datetime.now(timezone.utc).replace(microsecond=0)
    shown = []
    for schedule in schedules:
        times = next_times(trigger_for(schedule, anchor=now), now, NEXT_FIRES)
        shown.append(
            {
                "describe": describe(schedule),
                "params": dict(schedule.params),
                "times": [moment.isoformat() for moment in times],
                "counted_from_now": schedule.interval is not None and not schedule.start,
            }
        )
    return shown


def _config_problem(entry: KnownPipeline, error: PipeflowError) -> str:
    if isinstance(error, ConfigError):
        return f"The config of `{entry.name}` ({entry.config}) is not valid now:\n" + problems_text(
            error
        )
    return f"The config of `{entry.name}` cannot be loaded: {str(error).removeprefix('error: ')}"


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def _query(**values: str | None) -> str:
    from urllib.parse import urlencode

    return urlencode({key: value for key, value in values.items() if value})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
