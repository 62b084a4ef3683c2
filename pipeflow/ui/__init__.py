"""The monitoring web page served by `pipeflow ui`: runs, a run's graph and logs, pipelines,
and a Run form. Needs the `ui` extra (Starlette, uvicorn, Jinja2); see ARCHITECTURE.md."""
