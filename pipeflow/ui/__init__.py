"""The monitoring web page served by `pipeflow ui` (Starlette, uvicorn and Jinja2 live here)."""
