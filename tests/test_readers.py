"""Readers stream every supported format and name file:line for every kind of bad row."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from safetylab.errors import InputError
from safetylab.io.hh import ColumnMap, pair_from_row, parse_transcript
from safetylab.io.readers import iter_rows
from safetylab.io.tables import read_table
from tests.conftest import write_jsonl

GOOD = {
    "chosen": "\n\nHuman: hi\n\nAssistant: hello",
    "rejected": "\n\nHuman: hi\n\nAssistant: go away",
}


def test_hh_file_streams_all_rows_with_line_numbers(hh_path: Path) -> None:
    rows = list(iter_rows(hh_path))
    assert len(rows) == 2312
    assert all(r.error is None for r in rows)
    assert [r.source.line for r in rows[:3]] == [1, 2, 3]
    pair = pair_from_row(rows[1].data, rows[1].source)
    assert pair.chosen and pair.rejected and pair.prompt
    assert pair.chosen != pair.rejected


def test_formats_agree(tmp_path: Path, hh_rows: list[dict]) -> None:
    rows = hh_rows[:50]
    write_jsonl(tmp_path / "a.jsonl", rows)
    with gzip.open(tmp_path / "a.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    pd.DataFrame(rows).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "a.parquet")
    import datasets

    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "hfdir"))
    for name in ("a.jsonl", "a.jsonl.gz", "a.csv", "a.parquet", "hfdir"):
        got = [r.data for r in iter_rows(tmp_path / name)]
        assert [g["chosen"] for g in got] == [r["chosen"] for r in rows], name


def test_csv_line_numbers_count_multiline_fields(tmp_path: Path) -> None:
    pd.DataFrame([GOOD, GOOD]).to_csv(tmp_path / "m.csv", index=False)
    lines = [r.source.line for r in iter_rows(tmp_path / "m.csv")]
    # each record spans 5 physical lines (embedded newlines); line = where the record ends
    assert lines[0] < lines[1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"chosen": "x", \n', "bad JSON"),
        (b"[1, 2]\n", "expected a JSON object"),
        (b'{"chosen": "\xff\xfe"}\n', "not valid UTF-8"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_bytes((json.dumps(GOOD) + "\n").encode() + content)
    rows = list(iter_rows(p))
    assert rows[0].error is None
    err = rows[1].error
    assert err is not None and err.line == 2 and message in str(err)
    assert str(err).startswith(f"{p}:2")


def test_truncated_gzip_reports_where_it_stopped(tmp_path: Path, hh_path: Path) -> None:
    data = hh_path.read_bytes()
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(data[: len(data) // 3])
    rows = list(iter_rows(p))
    assert rows[-1].error is not None and "truncated" in str(rows[-1].error)
    assert all(r.error is None for r in rows[:-1]) and len(rows) > 100


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"chosen": GOOD["chosen"]}, "rejected", "missing field"),
        ({"chosen": 5, "rejected": GOOD["rejected"]}, "chosen", "expected a string"),
        ({"chosen": "just some text", "rejected": GOOD["rejected"]}, "chosen", "before the first"),
        ({"chosen": "\n\nAssistant: hi", "rejected": GOOD["rejected"]}, "chosen", "no 'Human:'"),
    ],
)
def test_malformed_pairs(row: dict, field: str, message: str) -> None:
    from safetylab.records import Source

    with pytest.raises(InputError) as ei:
        pair_from_row(row, Source("f.jsonl", 7))
    assert ei.value.field == field and ei.value.line == 7 and message in str(ei.value)


def test_prompt_column_schema_and_chat_messages() -> None:
    from safetylab.records import Source

    cols = ColumnMap.parse("prompt=question,chosen=good,rejected=bad")
    p = pair_from_row(
        {"question": "Is it safe?", "good": "Yes.", "bad": "No idea."}, Source("x", 1), cols
    )
    assert (p.prompt, p.chosen, p.rejected) == ("Is it safe?", "Yes.", "No idea.")
    msgs = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    p2 = pair_from_row(
        {"chosen": msgs, "rejected": msgs[:1] + [{"role": "assistant", "content": "bye"}]},
        Source("x", 2),
    )
    assert (p2.prompt, p2.chosen, p2.rejected) == ("hi", "hello", "bye")
    with pytest.raises(ValueError):
        ColumnMap.parse("answer=x")


def test_transcript_parsing_multi_turn() -> None:
    t = parse_transcript("\n\nHuman: a\n\nAssistant: b\n\nHuman: c\n\nAssistant: d")
    assert [x.role for x in t] == ["human", "assistant", "human", "assistant"]
    assert [x.text for x in t] == ["a", "b", "c", "d"]


def test_read_table_missing_column(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "t.jsonl", [{"prompt": "a"}])
    with pytest.raises(InputError, match="missing column 'completion'"):
        read_table(p, required=["prompt", "completion"])


def test_unsupported_extension(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("hi")
    with pytest.raises(InputError, match="unsupported file type"):
        list(iter_rows(p))
