"""Readers and writers for PAN12 XML (+ predator id list) and the JSON "datapack", and the
PANC-style segmentation of chats into training/evaluation units.

PAN12: <conversations><conversation id=...><message line=...><author/><time/><text/>...
plus a ground-truth file with one predator author id per line. A conversation is positive when
a predator takes part. The datapack is this project's JSON: {"chats": [{"id", "label",
"user", "segments": [[{"author", "time", "body"}, ...], ...]}]}; segments are the separators
between sittings of one chat.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.parsers import expat

from safetylab.errors import InputError, SafetylabError
from safetylab.grooming.records import Chat, ChatMessage

MIN_MESSAGES, MAX_MESSAGES = 6, 150


def read_predators(path: Path) -> set[str]:
    if not path.exists():
        raise SafetylabError(f"{path}: no such ground-truth file")
    return {
        line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()
    }


def load_pan12(xml_path: Path, predators: set[str]) -> Iterator[Chat]:
    """Stream conversations (the real corpus is ~400 MB) with their label. expat, fed in
    chunks, so every error names its line; document type declarations (entity definitions:
    billion laughs, external entities) are refused outright."""
    if not xml_path.exists():
        raise SafetylabError(f"{xml_path}: no such file")
    fname = str(xml_path)
    parser = expat.ParserCreate()
    done: list[Chat] = []
    conv: dict | None = None
    msg: dict | None = None
    field: list[str] | None = None

    def refuse_dtd(*_args: object) -> None:
        raise InputError(fname, parser.CurrentLineNumber, "DOCTYPE/entity declarations refused")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal conv, msg, field
        if tag == "conversation":
            cid = (attrs.get("id") or "").strip()
            if not cid:
                raise InputError(
                    fname, parser.CurrentLineNumber, "conversation without an id", "id"
                )
            conv = {"id": cid, "line": parser.CurrentLineNumber, "msgs": []}
        elif tag == "message" and conv is not None:
            msg = {"line": parser.CurrentLineNumber, "author": [], "time": [], "text": []}
        elif tag in ("author", "time", "text") and msg is not None:
            field = msg[tag]

    def data(chunk: str) -> None:
        if field is not None:
            field.append(chunk)

    def end(tag: str) -> None:
        nonlocal conv, msg, field
        if tag in ("author", "time", "text"):
            field = None
        elif tag == "message" and conv is not None and msg is not None:
            author = "".join(msg["author"]).strip()
            if not author:
                raise InputError(
                    fname,
                    msg["line"],
                    f"conversation {conv['id']}: message without author",
                    "author",
                )
            text = "".join(msg["text"]).strip()
            conv["msgs"].append(ChatMessage(author, "".join(msg["time"]).strip(), text))
            msg = None
        elif tag == "conversation" and conv is not None:
            msgs = conv["msgs"]
            label = int(any(m.author in predators for m in msgs))
            authors = sorted({m.author for m in msgs if m.author not in predators})
            user = authors[0] if authors else conv["id"]
            done.append(Chat(conv["id"], msgs, label, user=user, source=f"{fname}:{conv['line']}"))
            conv = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd  # type: ignore[assignment]
    try:
        with open(xml_path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                parser.Parse(chunk, False)
                yield from done
                done.clear()
            parser.Parse(b"", True)
            yield from done
    except expat.ExpatError as exc:
        raise InputError(
            fname, exc.lineno, f"malformed XML: {expat.errors.messages[exc.code]}"
        ) from None


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, path: tuple[str | int, ...]) -> int | None:
    """The line on which the JSON value at `path` starts: for errors only, each call rescans
    the text from its start (per-chat lines come from `_item_lines`, one pass for all)."""
    dec, pos = json.JSONDecoder(), _skip_ws(text, 0)
    try:
        for step in path:
            pos = _skip_ws(text, pos + 1)  # past "[" or "{"
            if isinstance(step, int):
                for _ in range(step):
                    _, pos = dec.raw_decode(text, pos)
                    pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ","
            else:
                while True:
                    key, pos = dec.raw_decode(text, pos)
                    pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ":"
                    if key == step:
                        break
                    _, pos = dec.raw_decode(text, pos)
                    pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ","
    except (ValueError, IndexError):
        return None
    return text.count("\n", 0, pos) + 1


def _item_lines(text: str, key: str) -> list[int]:
    """The line each element of the top-level `key` array starts on, in one pass over the text
    (the file already parsed: this walks it again with the same decoder, no rescans)."""
    dec = json.JSONDecoder()
    starts: list[int] = []
    pos = _skip_ws(text, 0)
    if not text.startswith("{", pos):
        return starts
    pos = _skip_ws(text, pos + 1)
    while pos < len(text) and text[pos] != "}":
        k, pos = dec.raw_decode(text, pos)
        pos = _skip_ws(text, _skip_ws(text, pos) + 1)  # past ":"
        if k == key and text.startswith("[", pos):
            starts = []  # a repeated key: json.loads keeps the last one, so do we
            pos = _skip_ws(text, pos + 1)
            while pos < len(text) and text[pos] != "]":
                starts.append(pos)
                _, pos = dec.raw_decode(text, pos)
                pos = _skip_ws(text, pos)
                if text.startswith(",", pos):
                    pos = _skip_ws(text, pos + 1)
            pos += 1
        else:
            _, pos = dec.raw_decode(text, pos)
        pos = _skip_ws(text, pos)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
    lines, line, prev = [], 1, 0
    for at in starts:
        line += text.count("\n", prev, at)
        prev = at
        lines.append(line)
    return lines


def load_datapack(path: Path) -> Iterator[Chat]:
    """The JSON datapack; every bad value is an error naming its line and field."""
    if not path.exists():
        raise SafetylabError(f"{path}: no such file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), raw.count(b"\n", 0, exc.start) + 1, f"not valid UTF-8 (byte {exc.start})"
        ) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), exc.lineno, f"bad JSON: {exc.msg}") from None
    except ValueError as exc:
        raise InputError(str(path), None, str(exc)) from None
    chats = data.get("chats") if isinstance(data, dict) else None
    if not isinstance(chats, list):
        raise InputError(str(path), 1, "expected an object with a 'chats' list", "chats")

    lines = _item_lines(text, "chats")

    def bad(where: tuple[str | int, ...], message: str) -> InputError:
        dotted = "".join(f"[{w}]" if isinstance(w, int) else f".{w}" for w in where).lstrip(".")
        return InputError(str(path), _line_of(text, where), message, dotted)

    for i, c in enumerate(chats):
        at: tuple[str | int, ...] = ("chats", i)
        if not isinstance(c, dict):
            raise bad(at, f"a chat must be an object, got {type(c).__name__}")
        cid = c.get("id")
        if cid is None or str(cid).strip() == "":
            raise bad(at, "chat without an id")
        label = c.get("label")
        if isinstance(label, bool) or not isinstance(label, int) or label not in (0, 1):
            raise bad((*at, "label"), f"label must be 0 or 1, got {label!r}")
        segs = c.get("segments")
        if not isinstance(segs, list) or not all(isinstance(s, list) for s in segs):
            raise bad((*at, "segments"), "segments must be a list of lists of messages")
        msgs = []
        for j, seg in enumerate(segs):
            part = []
            for k, m in enumerate(seg):
                mat = (*at, "segments", j, k)
                if not isinstance(m, dict):
                    raise bad(mat, f"a message must be an object, got {type(m).__name__}")
                author, body = m.get("author"), m.get("body")
                if not isinstance(author, (str, int)) or str(author).strip() == "":
                    raise bad(mat, "message without an author")
                if not isinstance(body, str):
                    raise bad((*mat, "body"), f"body must be text, got {type(body).__name__}")
                part.append(ChatMessage(str(author), str(m.get("time", "")), body))
            msgs.append(part)
        flat = [m for seg in msgs for m in seg]
        line = lines[i] if i < len(lines) else _line_of(text, at)
        chat = Chat(str(cid), flat, label, str(c.get("user", cid)), f"{path}:{line}")
        chat.meta["segments"] = json.dumps([len(s) for s in msgs])
        yield chat


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid JSON number here")


def segment(chats: Iterable[Chat], lo: int = MIN_MESSAGES, hi: int = MAX_MESSAGES) -> list[Chat]:
    """PANC-style units: positive chats are split into segments (datapack separators, or
    consecutive runs of `hi` messages), kept when they have lo..hi non-empty messages; negative
    chats are kept whole under the same length rule (long ones cut to their first `hi`)."""
    out: list[Chat] = []
    for c in chats:
        msgs = [m for m in c.messages if m.text.strip()]
        sizes = json.loads(c.meta["segments"]) if "segments" in c.meta else None
        if c.label and sizes:
            parts, k = [], 0
            for n in sizes:
                seg = [m for m in c.messages[k : k + n] if m.text.strip()]
                parts.append(seg)
                k += n
        elif c.label:
            parts = [msgs[i : i + hi] for i in range(0, len(msgs), hi)]
        else:
            parts = [msgs[:hi]]
        for j, p in enumerate(parts):
            if lo <= len(p) <= hi:
                out.append(
                    Chat(f"{c.id}/{j}" if len(parts) > 1 else c.id, p, c.label, c.user, c.source)
                )
    return out


def write_pan12(chats: list[Chat], xml_path: Path, truth_path: Path, predators: set[str]) -> None:
    root = ET.Element("conversations")
    for c in chats:
        conv = ET.SubElement(root, "conversation", id=c.id)
        for i, m in enumerate(c.messages, 1):
            msg = ET.SubElement(conv, "message", line=str(i))
            ET.SubElement(msg, "author").text = m.author
            ET.SubElement(msg, "time").text = m.time
            ET.SubElement(msg, "text").text = m.text
    ET.ElementTree(root).write(xml_path, encoding="utf-8", xml_declaration=True)
    truth_path.write_text("".join(f"{p}\n" for p in sorted(predators)), encoding="utf-8")


def write_datapack(chats: list[Chat], path: Path) -> None:
    recs = []
    for c in chats:
        sizes = json.loads(c.meta.get("segments", json.dumps([len(c.messages)])))
        segs, k = [], 0
        for n in sizes:
            segs.append(
                [
                    {"author": m.author, "time": m.time, "body": m.text}
                    for m in c.messages[k : k + n]
                ]
            )
            k += n
        recs.append({"id": c.id, "label": c.label, "user": c.user, "segments": segs})
    path.write_text(json.dumps({"chats": recs}, ensure_ascii=False), encoding="utf-8")


def load_corpus(path: Path, truth: Path | None = None) -> list[Chat]:
    """PAN12 XML (needs the ground-truth file) or a datapack .json, segmented."""
    if path.suffix.lower() == ".xml":
        if truth is None:
            raise SafetylabError(f"{path}: PAN12 XML needs --truth (the predator id file)")
        chats = load_pan12(path, read_predators(truth))
    elif path.suffix.lower() == ".json":
        chats = load_datapack(path)
    else:
        raise SafetylabError(f"{path}: expected PAN12 .xml or a datapack .json")
    return segment(chats)
