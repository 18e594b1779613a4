"""`--engine ray`: the audit and the classifier on a real local Ray cluster (a head started on
127.0.0.1 with 2 worker processes) write what one process writes: same rows, same order, same
values; bad rows are still named by file and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli, write_jsonl

pytest.importorskip("ray")
RAY = Path(sys.executable).with_name("ray")


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from safetylab.annotate.load import free_port

    port = free_port()
    tmp = tmp_path_factory.mktemp("ray")
    env = {**os.environ, "RAY_TMPDIR": str(tmp)}
    r = subprocess.run(
        [str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
         "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats"],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=120, env=env)


def test_audit_on_ray_writes_what_one_process_writes(
    ray_head: str, tmp_path: Path, hh_rows: list[dict]
) -> None:
    rows = hh_rows[:90]
    lines = [json.dumps(r) for r in rows]
    lines[40] = '{"chosen": "broken'  # a bad row, skipped and named by line
    data = tmp_path / "hh.jsonl"
    data.write_text("\n".join(lines) + "\n")
    common = ["--batch-size", "20", "--skip-invalid", "--quiet"]
    one = run_cli("audit", str(data), "--out", str(tmp_path / "one"), *common)
    assert one.returncode == 0, one.stderr
    ray = run_cli(
        "audit", str(data), "--out", str(tmp_path / "ray"), *common,
        "--engine", "ray", "--address", ray_head, "--workers", "2",
    )  # fmt: skip
    assert ray.returncode == 0, ray.stderr
    a = pd.read_parquet(tmp_path / "one" / "pairs.parquet")
    b = pd.read_parquet(tmp_path / "ray" / "pairs.parquet")
    assert len(a) == 89 and list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a, b)
    s = json.loads((tmp_path / "ray" / "summary.json").read_text())
    assert [x["line"] for x in s["skipped"]["rows"]] == [41]
    assert len(list((tmp_path / "ray" / "parts").glob("*.parquet"))) == 5  # resumable parts


def test_classify_on_ray_matches_one_process(ray_head: str, tmp_path: Path) -> None:
    rows = [{"prompt": "q", "completion": "I can't help with that."},
            {"prompt": "q", "completion": "Sure: mix flour and water, then bake."},
            {"prompt": "q", "completion": ""}] * 50  # fmt: skip
    src = write_jsonl(tmp_path / "a.jsonl", rows)
    one = run_cli("classify", str(src), "-o", str(tmp_path / "one.csv"), "--quiet")
    ray = run_cli(
        "classify", str(src), "-o", str(tmp_path / "ray.csv"), "--quiet",
        "--engine", "ray", "--address", ray_head,
    )  # fmt: skip
    assert one.returncode == 0 and ray.returncode == 0, ray.stderr
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "one.csv"), pd.read_csv(tmp_path / "ray.csv")
    )
