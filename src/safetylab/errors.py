"""Input errors that name the file and line (or field) at fault."""

from __future__ import annotations


class SafetylabError(Exception):
    """Base class for errors shown to users without a traceback."""


class InputError(SafetylabError):
    """A row or file that cannot be read. `where` is `file:line` or `file` (field, if known)."""

    def __init__(self, file: str, line: int | None, message: str, field: str | None = None):
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        fld = f" (field '{self.field}')" if self.field else ""
        return f"{self.where}{fld}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "error": self.message}
