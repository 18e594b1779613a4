"""Label schemas (YAML): fields of type single / multi / text, options with keyboard shortcuts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetylab.errors import InputError, SafetylabError
from safetylab.lexicon import load_yaml

SCHEMAS = Path(__file__).with_name("data")
FIELD_TYPES = ("single", "multi", "text")
RESERVED_KEYS = {"j", "k", "s", "n", "p", "?", "Enter"}  # navigation shortcuts of the workbench


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    key: str | None = None


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    options: tuple[Option, ...] = ()
    required: bool = False
    help: str = ""
    auto: str | None = None  # column of the automatic label this field is checked against

    def validate(self, value: Any) -> Any:
        """The stored form of a submitted value; raises ValueError when it is not allowed."""
        allowed = {o.value for o in self.options}
        if self.type == "text":
            if not isinstance(value, str) or len(value) > 10_000:
                raise ValueError(f"{self.name}: expected text of at most 10,000 characters")
            return value
        if self.type == "single":
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"{self.name}: {value!r} is not one of {sorted(allowed)}")
            return value
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v in allowed for v in value
        ):
            raise ValueError(f"{self.name}: expected a list of {sorted(allowed)}")
        return sorted(set(value))


@dataclass(frozen=True)
class Schema:
    name: str
    title: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "required": f.required,
                    "help": f.help,
                    "auto": f.auto,
                    "options": [
                        {"value": o.value, "label": o.label, "key": o.key} for o in f.options
                    ],
                }
                for f in self.fields
            ],
        }


def _err(path: Path, msg: str, fld: str | None = None) -> InputError:
    return InputError(str(path), None, msg, fld)


def load_schema(spec: str | Path) -> Schema:
    """A shipped schema by name (response, pair, literature) or a YAML file."""
    path = Path(spec)
    if not path.exists():
        path = SCHEMAS / f"{spec}.yaml"
        if not path.exists():
            shipped = sorted(p.stem for p in SCHEMAS.glob("*.yaml"))
            raise SafetylabError(f"{spec}: no such schema file; shipped schemas: {shipped}")
    data = load_yaml(path)
    fields_ = []
    keys: dict[str, str] = {}
    for i, f in enumerate(data.get("fields") or []):
        where = f"fields[{i}]"
        if not isinstance(f, dict) or "name" not in f:
            raise _err(path, "each field needs a name", where)
        ftype = f.get("type", "single")
        if ftype not in FIELD_TYPES:
            raise _err(path, f"type {ftype!r}: expected one of {FIELD_TYPES}", f"{where}.type")
        opts = []
        for j, o in enumerate(f.get("options") or []):
            if not isinstance(o, dict) or "value" not in o:
                raise _err(path, "each option needs a value", f"{where}.options[{j}]")
            key = None if o.get("key") is None else str(o["key"])
            if key is not None:
                if key in RESERVED_KEYS or len(key) != 1:
                    raise _err(path, f"key {key!r} is reserved or not one character", where)
                if key in keys:
                    raise _err(path, f"key {key!r} is used twice ({keys[key]})", where)
                keys[key] = f"{f['name']}={o['value']}"
            opts.append(Option(str(o["value"]), str(o.get("label", o["value"])), key))
        if ftype != "text" and not opts:
            raise _err(path, "a choice field needs options", where)
        fields_.append(
            Field(
                name=str(f["name"]),
                type=ftype,
                options=tuple(opts),
                required=bool(f.get("required", False)),
                help=str(f.get("help", "")),
                auto=f.get("auto"),
            )
        )
    if not fields_:
        raise _err(path, "a schema needs at least one field", "fields")
    names = [f.name for f in fields_]
    if len(set(names)) != len(names):
        raise _err(path, f"field names must be unique: {names}", "fields")
    return Schema(str(data.get("name", path.stem)), str(data.get("title", "")), tuple(fields_))
