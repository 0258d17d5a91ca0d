"""The `coop` commands by area: `coop --help` in sections, and where the commands that moved went.

One noun group per concept, its verbs under it (`coop proposal vote`, `coop request list`), so a
member finds a command from the area it belongs to. The names a command had before that are kept
here only to tell whoever types one the new name; they are not aliases.
"""
from __future__ import annotations

from typing import Any

import click

Sections = tuple[tuple[str, tuple[str, ...]], ...]

SECTIONS: Sections = (
    ("Node and repository", ("init", "clone", "serve", "sync", "verify", "log", "show", "index", "node", "evidence")),
    ("Members", ("member", "join", "keys", "learner", "earnings", "report")),
    ("Governance", ("proposal",)),
    ("Projects", ("client", "request", "project", "milestone")),
    ("Ledger", ("ledger",)),
    ("Chat", ("chat-bridge",)),
)
"""The sections of `coop --help`, in order, each with its commands in order."""

MOVED = {
    "propose": "proposal open",
    "proposals": "proposal list",
    "vote": "proposal vote",
    "close": "proposal close",
    "request ID": "request post ID",
    "requests": "request list",
    "apply": "request apply",
    "match": "request match",
    "team": "project team",
    "learners": "learner list",
    "pay": "milestone pay",
}
"""Old command (below `coop`) -> its new name; `request ID` was posting a request, now `request post ID`."""


class AreaGroup(click.Group):
    """A click group whose help lists its commands in sections, and which names the new command for an old one."""

    def __init__(self, *args: Any, sections: Sections = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = sections

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the commands under their section's heading; any a section does not name go under "Commands"."""
        if not self.sections:
            super().format_commands(ctx, formatter)
            return
        commands = {name: command for name in self.list_commands(ctx)
                    if (command := self.get_command(ctx, name)) is not None and not command.hidden}
        width = max(map(len, commands), default=0)
        placed = {name for _, names in self.sections for name in names}
        for title, names in (*self.sections, ("Commands", tuple(sorted(set(commands) - placed)))):
            # padded to the longest name, so every section's help starts in the same column
            rows = [(name.ljust(width), commands[name].get_short_help_str(formatter.width - 6 - width)) for name in names if name in commands]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve as click does, but answer a command that moved with its new name (still an error)."""
        if not (ctx.resilient_parsing or args[0].startswith("-")) and self.get_command(ctx, args[0]) is None:
            typed = names_below_coop(ctx)
            for old in (" ".join([*typed, args[0]]), " ".join([*typed, "ID"])):
                if old in MOVED:
                    ctx.fail(f"No such command {args[0]!r}: `coop {old}` is now `coop {MOVED[old]}`.")
        return super().resolve_command(ctx, args)


def names_below_coop(ctx: click.Context) -> list[str]:
    """Return the command names typed after `coop` to reach this context's group (none for `coop` itself)."""
    names: list[str] = []
    while ctx.parent is not None:
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return names
