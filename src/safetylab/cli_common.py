"""Pieces every sub-command shares: a group with a default command, and error reporting."""

from __future__ import annotations

from typer.core import TyperGroup


class DefaultCommandGroup(TyperGroup):
    """`safetylab classify FILE ...` runs the group's default command; `classify train ...` the
    sub-command. Keeps the documented one-word interface while allowing sub-commands."""

    default_command = "run"

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)
