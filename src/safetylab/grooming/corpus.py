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

from safetylab.errors import InputError, SafetylabError
from safetylab.grooming.records import Chat, ChatMessage

MIN_MESSAGES, MAX_MESSAGES = 6, 150


def read_predators(path: Path) -> set[str]:
    if not path.exists():
        raise SafetylabError(f"{path}: no such ground-truth file")
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def load_pan12(xml_path: Path, predators: set[str]) -> Iterator[Chat]:
    """Stream conversations (iterparse: the real corpus is large) with their label."""
    if not xml_path.exists():
        raise SafetylabError(f"{xml_path}: no such file")
    try:
        for _, el in ET.iterparse(xml_path, events=("end",)):
            if el.tag != "conversation":
                continue
            cid = el.get("id")
            if not cid:
                raise InputError(str(xml_path), None, "conversation without an id", "id")
            msgs = []
            for m in el.findall("message"):
                author = (m.findtext("author") or "").strip()
                if not author:
                    raise InputError(
                        str(xml_path), None, f"conversation {cid}: message without author", "author"
                    )
                msgs.append(
                    ChatMessage(
                        author,
                        (m.findtext("time") or "").strip(),
                        (m.findtext("text") or "").strip(),
                    )
                )
            label = int(any(m.author in predators for m in msgs))
            authors = sorted({m.author for m in msgs if m.author not in predators})
            yield Chat(
                cid, msgs, label, user=authors[0] if authors else cid, source=f"{xml_path}#{cid}"
            )
            el.clear()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InputError(str(xml_path), line, f"malformed XML: {exc}") from None


def load_datapack(path: Path) -> Iterator[Chat]:
    if not path.exists():
        raise SafetylabError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), exc.lineno, f"bad JSON: {exc.msg}") from None
    chats = data.get("chats") if isinstance(data, dict) else None
    if not isinstance(chats, list):
        raise InputError(str(path), None, "expected an object with a 'chats' list", "chats")
    for i, c in enumerate(chats):
        where = f"chats[{i}]"
        try:
            segs = c["segments"]
            label = int(c["label"])
            msgs = [
                [ChatMessage(str(m["author"]), str(m.get("time", "")), str(m["body"])) for m in seg]
                for seg in segs
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(str(path), None, f"bad chat record ({exc!r})", where) from None
        if label not in (0, 1):
            raise InputError(
                str(path), None, f"label must be 0 or 1, got {label}", f"{where}.label"
            )
        flat = [m for seg in msgs for m in seg]
        chat = Chat(
            str(c.get("id", i)), flat, label, str(c.get("user", c.get("id", i))), f"{path}#{where}"
        )
        chat.meta["segments"] = json.dumps([len(s) for s in msgs])
        yield chat


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
