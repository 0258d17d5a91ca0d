"""Run the `coop` command in-process at one node's home, as Flask's test_cli_runner runs an app's commands."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from api.cli.main import cli


class CoopRunner:
    """A click runner of the `coop` group whose home is one node's (tests/api/conftest.py's `runner`)."""

    def __init__(self, home: Path) -> None:
        self.runner = CliRunner(env={"COOP_HOME": str(home)})

    def invoke(self, *args: str, **options: Any) -> Result:
        """Run `coop` with the arguments (options as click's CliRunner.invoke takes them)."""
        return self.runner.invoke(cli, list(args), **options)
