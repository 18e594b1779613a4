"""Faults found by the red-team pass (issue 17), each reproduced: concurrent writers, damaged
state, undecodable bytes, malformed and stuck servers, workbench abuse, bad datapacks."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from safetylab.backends.testserver import BackgroundServer, ServerState
from tests.conftest import run_cli, write_jsonl


def _cli_bg(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "safetylab.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_audits_into_one_directory(tmp_path: Path, hh_rows: list[dict]) -> None:
    """The second writer stops at once naming the first; the first's output is its own."""
    a = write_jsonl(tmp_path / "a.jsonl", hh_rows[:200])
    b = write_jsonl(tmp_path / "b.jsonl", hh_rows[200:260])
    out = tmp_path / "o"
    first = _cli_bg("audit", str(a), "--out", str(out), "--quiet", "--batch-size", "50")
    lock = out / ".lock"
    for _ in range(600):
        if lock.exists() and lock.read_text().startswith("pid"):
            break
        time.sleep(0.05)
    second = run_cli("audit", str(b), "--out", str(out), "--quiet")
    assert second.returncode == 2, second.stderr
    assert f"is in use by pid {first.pid}" in second.stderr
    assert first.wait(600) == 0, first.stderr.read()  # type: ignore[union-attr]
    df = pd.read_parquet(out / "pairs.parquet")
    assert len(df) == 200 and set(df.source_file) == {str(a)}


def test_damaged_state_and_missing_parts_restart_cleanly(
    tmp_path: Path, hh_rows: list[dict]
) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", hh_rows[:40])
    out = tmp_path / "o"
    assert run_cli("audit", str(data), "--out", str(out), "--batch-size", "20").returncode == 0
    (out / "state.json").write_text('{"fingerprint": "x", "consumed": ')
    r = run_cli("audit", str(data), "--out", str(out), "--batch-size", "20")
    assert r.returncode == 0 and "state.json is damaged" in r.stderr, r.stderr
    (out / "parts" / "part-000001.parquet").unlink()
    r = run_cli("audit", str(data), "--out", str(out), "--batch-size", "20")
    assert r.returncode == 0 and "part-000001.parquet is missing" in r.stderr, r.stderr
    assert len(pd.read_parquet(out / "pairs.parquet")) == 40


def test_one_bad_byte_costs_one_record_and_names_its_line(tmp_path: Path) -> None:
    lines = ["prompt,chosen,rejected"]
    for i in range(40):
        answer = "a multi-line\nanswer" if i == 20 else f"answer {i}"
        lines.append(f'How do I bake bread {i}?,"{answer}",no {i}')
    raw = "\n".join(lines).encode().replace(b"answer 33", b"answer \xff33")
    src = tmp_path / "pairs.csv"
    src.write_bytes(raw)
    out = tmp_path / "o"
    cols = "prompt=prompt,chosen=chosen,rejected=rejected"
    r = run_cli(
        "audit", str(src), "--out", str(out), "--skip-invalid", "--quiet", "--columns", cols
    )
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["n_pairs"] == 39 and s["skipped"]["count"] == 1
    # header on line 1, record 20 spans lines 22-23, so record 33 starts on line 36
    assert s["skipped"]["rows"][0]["line"] == 36 and "UTF-8" in s["skipped"]["rows"][0]["error"]
    df = pd.read_parquet(out / "pairs.parquet")
    assert df.source_line.tolist()[19:22] == [21, 22, 24]  # multi-line record: its first line
    assert df.source_line.max() == 42


def test_lone_surrogate_is_a_named_row_error(tmp_path: Path) -> None:
    src = tmp_path / "s.jsonl"
    h = "\\n\\nHuman: hi\\n\\nAssistant: "
    good = '{"chosen": "' + h + 'hello", "rejected": "' + h + 'go"}'
    bad = '{"chosen": "' + h + 'he\\ud800llo", "rejected": "' + h + 'go"}'
    src.write_text("\n".join([good, bad, good]) + "\n")
    r = run_cli("audit", str(src), "--out", str(tmp_path / "o"), "--quiet")
    assert (
        r.returncode == 2 and "s.jsonl:2 (field 'chosen')" in r.stderr and "surrogate" in r.stderr
    )
    r = run_cli("audit", str(src), "--out", str(tmp_path / "o"), "--quiet", "--skip-invalid")
    assert r.returncode == 0, r.stderr
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"prompt": "p", "completion": "ok \\ud800 fine, here it is"}\n')
    r = run_cli("classify", str(answers), "-o", str(tmp_path / "c.csv"), "--quiet")
    assert r.returncode == 2 and "answers.jsonl:1 (field 'completion')" in r.stderr


@pytest.fixture(scope="module")
def fault_server():  # type: ignore[no-untyped-def]
    with BackgroundServer(ServerState(latency=0.0)) as srv:
        yield srv


def _probe_prompts(path: Path, prompts: list[str]) -> Path:
    pd.DataFrame({"prompt": prompts, "group": ["g"] * len(prompts)}).to_csv(path, index=False)
    return path


def test_malformed_replies_are_request_errors_never_answers(
    tmp_path: Path, fault_server: BackgroundServer
) -> None:
    kinds = [
        "missing_choices",
        "empty_choices",
        "no_message",
        "bad_json",
        "bad_list_content",
        "number_content",
    ]
    prompts = ["How do I bake bread?", "FAULT:list_content x", "FAULT:null_content x"]
    prompts += [f"FAULT:{k} x" for k in kinds]
    src = _probe_prompts(tmp_path / "p.csv", prompts)
    out = tmp_path / "o"
    args = ["probe", "--model", "openai/fake", "--base-url", fault_server.base_url]
    r = run_cli(*args, "--prompts", str(src), "--out", str(out), "--quiet")
    assert r.returncode == 2, r.stderr
    assert "6 of 9 requests failed" in r.stderr and "Traceback" not in r.stderr
    for msg in ("no choices", "no message", "not JSON", "not text", "is a int"):
        assert msg in r.stderr, (msg, r.stderr)
    import sqlite3

    cached = sqlite3.connect(out / "cache.sqlite").execute("SELECT text FROM completions")
    assert sorted(t for (t,) in cached) == [
        "",
        "Sure! Here are a few ideas: start small, ask people what they enjoy, and be consistent.",
        "Sure, here it is.",
    ]
    # every malformed request was tried twice (one retry), none cached; a re-run retries them
    counts = fault_server.state.counts
    assert all(counts[f"FAULT:{k} x"] == 2 for k in kinds)
    r = run_cli(*args, "--prompts", str(src), "--out", str(out), "--quiet")
    assert r.returncode == 2 and all(counts[f"FAULT:{k} x"] == 4 for k in kinds)
    assert counts["FAULT:list_content x"] == 1  # answered once, then from the cache


def test_null_content_is_invalid_not_a_refusal(
    tmp_path: Path, fault_server: BackgroundServer
) -> None:
    src = _probe_prompts(
        tmp_path / "p.csv", ["How do I bake bread?", "FAULT:null_content y", "FAULT:huge y"]
    )
    out = tmp_path / "o"
    r = run_cli(
        "probe", "--model", "openai/fake", "--base-url", fault_server.base_url,
        "--prompts", str(src), "--out", str(out), "--max-tokens", "256",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["invalid"]["count"] == 1 and s["invalid"]["reasons"] == {"empty": 1}
    assert s["overall"]["n"] == 2  # the empty answer is in no rate
    assert s["overlong"]["count"] == 1 and "far longer than --max-tokens" in r.stderr
    df = pd.read_json(out / "responses.jsonl", lines=True)
    assert df.completion.str.len().max() > 10_000_000  # kept whole
    assert (out / "report.html").stat().st_size < 2_000_000  # but cut in the report


def test_stuck_and_trickling_servers_time_out_with_the_url(
    tmp_path: Path, fault_server: BackgroundServer
) -> None:
    src = _probe_prompts(tmp_path / "p.csv", ["FAULT:stall z", "FAULT:trickle z"])
    t0 = time.monotonic()
    r = run_cli(
        "probe", "--model", "openai/fake", "--base-url", fault_server.base_url,
        "--prompts", str(src), "--out", str(tmp_path / "o"), "--quiet",
        "--timeout", "2", "--retries", "1",
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert time.monotonic() - t0 < 60
    assert f"{fault_server.base_url}/chat/completions: no complete reply within 2 s" in r.stderr


def test_what_can_never_work_fails_fast(tmp_path: Path) -> None:
    src = _probe_prompts(tmp_path / "p.csv", ["How do I bake bread?"] * 3)
    base = ["probe", "--model", "openai/x", "--prompts", str(src), "--quiet"]
    for url in ("notaurl", "ftp://127.0.0.1/v1"):
        r = run_cli(*base, "--base-url", url, "--out", str(tmp_path / "a"))
        assert r.returncode == 2 and "is not an http(s) URL" in r.stderr, r.stderr
    with socket.socket() as s:  # a local port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    r = run_cli(*base, "--base-url", f"http://127.0.0.1:{port}/v1", "--out", str(tmp_path / "b"))
    assert r.returncode == 2 and f"cannot connect to http://127.0.0.1:{port}/v1" in r.stderr
    assert time.monotonic() - t0 < 30
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_KEY"}
    r = subprocess.run(
        [sys.executable, "-m", "safetylab.cli", *base, "--base-url", "http://127.0.0.1:9/v1",
         "--api-key-env", "NO_SUCH_KEY", "--out", str(tmp_path / "c")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2 and "NO_SUCH_KEY is not set" in r.stderr


def test_workbench_abuse(tmp_path: Path, demo_out: Path) -> None:
    """Bad field values, huge positions, huge bodies, tokens in logs, file modes, CSV formulas."""
    import httpx

    task = tmp_path / "ann"
    r = run_cli("annotate", "create", str(demo_out), "--out", str(task), "--annotators", "ann",
                "--per-stratum", "1")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE((task / "task.sqlite").stat().st_mode) == 0o600
    token = (task / "tokens.txt").read_text().split()[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = _cli_bg("annotate", "serve", str(task), "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        c = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        page = c.get("/item/0").text
        item_id = page.split('data-item="')[1].split('"')[0]
        for value in (["acceptable"], {"a": 1}, 5):
            r2 = c.post("/api/answer", json={"item_id": item_id, "field": "chosen_quality",
                                             "value": value})  # fmt: skip
            assert r2.status_code == 422, (value, r2.status_code, r2.text)
        r2 = c.get("/item/99999999999999999999999")
        assert r2.status_code == 404 and "Content-Security-Policy" in r2.headers
        big = b'{"item_id": "' + b"x" * 200_000 + b'"}'
        r2 = c.post("/api/skip", content=big, headers={"content-type": "application/json"})
        assert r2.status_code == 413 and "Content-Security-Policy" in r2.headers
        r2 = httpx.get(f"{url}/?token={token}", timeout=5)
        ok = c.post("/api/answer", json={"item_id": item_id, "field": "chosen_quality",
                                         "value": "acceptable"})  # fmt: skip
        assert ok.status_code == 200
    finally:
        srv.terminate()
        log = "".join(srv.communicate(timeout=30))  # uvicorn's access log goes to stdout
    assert token not in log and "GET /?token=[redacted]" in log
    # an answer that looks like a spreadsheet formula is exported inert
    import sqlite3

    db = sqlite3.connect(task / "task.sqlite")
    db.execute("UPDATE answers SET value = ? ", (json.dumps('=HYPERLINK("http://x","y")'),))
    db.commit()
    out = tmp_path / "ans.csv"
    assert run_cli("annotate", "export", str(task), "-o", str(out)).returncode == 0
    cell = pd.read_csv(out)["value"].iloc[0]
    assert cell.startswith("'=HYPERLINK")


@pytest.mark.parametrize(  # fmt: skip
    ("body", "line", "message"),
    [
        (b'{"chats": [\n{"id": "a", "label": Infinity, "segments": []}]}', None, "Infinity"),
        (b'{"chats": [\n{"id": "a",\n "label": 1.7, "segments": []}]}', 3, "label must be 0 or 1"),
        (
            b'{"chats": [\n{"id": "a", "label": 1, "segments": [[\n{"author": "u", "body": {"x": 1}}]]}]}',  # noqa: E501
            3,
            "body must be text",
        ),
        (b'{"chats": [\n{"label": 0, "segments": []}]}', 2, "chat without an id"),
        (
            b'{"chats": [{"id": "a", "label": 0, "segments": [[\n{"author": "u", "body": "hi"},\n{"body": "yo"}]]}]}',  # noqa: E501
            3,
            "message without an author",
        ),
        (
            b'{"chats": [{"id": "a", "label": 0,\n "segments": [[{"author": "u", "body": "h\xffi"}]]}]}',  # noqa: E501
            2,
            "not valid UTF-8",
        ),
    ],
)
def test_bad_datapacks_name_line_and_field(
    tmp_path: Path, body: bytes, line: int | None, message: str
) -> None:
    p = tmp_path / "chats.json"
    p.write_bytes(body)
    r = run_cli("grooming", "train", str(p), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    if line is not None:
        assert f"chats.json:{line}" in r.stderr, r.stderr


def test_pan12_xml_refuses_entities_and_names_lines(tmp_path: Path) -> None:
    truth = tmp_path / "truth.txt"
    truth.write_text("bad1\n")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
        "<conversations><conversation id='x'><message line='1'><author>u</author>"
        "<time>1</time><text>&b;</text></message></conversation></conversations>"
    )
    r = run_cli("grooming", "train", str(bomb), "--truth", str(truth), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "bomb.xml:2" in r.stderr and "refused" in r.stderr
    noauthor = tmp_path / "na.xml"
    noauthor.write_text(
        "<conversations>\n<conversation id='x'>\n<message line='1'><time>1</time>"
        "<text>hi</text></message>\n</conversation>\n</conversations>"
    )
    r = run_cli(
        "grooming", "train", str(noauthor), "--truth", str(truth), "--out", str(tmp_path / "o")
    )
    assert r.returncode == 2 and "na.xml:3" in r.stderr and "without author" in r.stderr
