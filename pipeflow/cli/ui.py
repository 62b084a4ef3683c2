"""`pipeflow ui [CONFIG...]`: the monitoring web page (needs the `ui` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pipeflow.cli.history import home_option
from pipeflow.cli.main import cli, one_pipeline_each
from pipeflow.errors import UsageError

TOKEN_ENV = "PIPEFLOW_UI_TOKEN"


@cli.command()
@click.argument("configs", nargs=-1, type=click.Path(path_type=Path), metavar="[CONFIG]...")
@click.option("--host", default="127.0.0.1", show_default=True, help="the address to listen on")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="the port to listen on (0: any free port)",
)
@click.option(
    "--token",
    metavar="TOKEN",
    help=f"require this token on every request [default: ${TOKEN_ENV}]; needed off loopback",
)
@home_option
def ui(
    configs: tuple[Path, ...], host: str, port: int, token: str | None, home: Path | None
) -> None:
    """Serve the monitoring web page: runs, each run's graph and logs, pipelines, a Run form.

    Shows the runs recorded beside each CONFIG (or here) and lets you start runs of the
    CONFIGs. Listens on 127.0.0.1 unless --host says otherwise; any other address needs a
    token (--token or $PIPEFLOW_UI_TOKEN). Stop it with Ctrl-C or SIGTERM.
    """
    try:
        from pipeflow.ui.server import is_loopback, serve
    except ImportError as error:
        raise UsageError(
            f"`pipeflow ui` needs the ui extra ({error.name} is not installed)",
            hint="pip install 'pipeflow-runner[ui]'",
        ) from None
    from pipeflow.config.loader import load
    from pipeflow.ui.app import Settings

    token = token or os.environ.get(TOKEN_ENV) or None
    loopback = is_loopback(host)
    if not loopback and token is None:
        raise UsageError(
            f"`pipeflow ui --host {host}` would let anyone who can reach {host} start runs",
            hint=f"give a token: --token SECRET or ${TOKEN_ENV}=SECRET (or keep the default "
            "--host 127.0.0.1)",
        )
    named: dict[str, Path] = {}
    for config in configs:
        if not config.exists():
            raise UsageError(f"no such config: {config}")
        name = load(config, check_code=False).pipeline.name  # every config checked first
        one_pipeline_each(named, name, config)
    named = {name: config.resolve() for name, config in named.items()}
    if home is not None:
        home = home.absolute()
    settings = Settings(configs=named, home=home, token=token, loopback_only=loopback and not token)
    serve(settings, host=host, port=port, echo=click.echo)
