"""``citybot jobs run ...``: run one pass of a scheduled job now (cron deployments, catch-up)."""

from __future__ import annotations

import typer

jobs_app = typer.Typer(help="Run scheduled jobs once.", no_args_is_help=True)
run_app = typer.Typer(help="Run one pass of a job.", no_args_is_help=True)
jobs_app.add_typer(run_app, name="run")
