from __future__ import annotations

import atexit
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from safetylab.io.shared_data import data_root

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Exported encoders go to a cache of this session (every CLI test's subprocess shares it), never
# the user's ~/.cache.
if "SAFETYLAB_CACHE_DIR" not in os.environ:
    os.environ["SAFETYLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="safetylab-test-cache-")
    atexit.register(shutil.rmtree, os.environ["SAFETYLAB_CACHE_DIR"], True)

ROOT = Path(__file__).resolve().parents[1]
# the package's own lookup: SAFETYLAB_DATA, else shared/data beside the checkout
DATA = data_root()
HH = DATA / "hh-rlhf" / "harmless-base-test.jsonl.gz"
HH_LABELS = DATA / "hh-audit-labels" / "dev.jsonl"
DEMO = ROOT / "src" / "safetylab" / "demo" / "hh_sample.jsonl"


@pytest.fixture(scope="session")
def hh_path() -> Path:
    if not HH.exists():
        pytest.skip(f"shared HH data not found at {HH}")
    return HH


@pytest.fixture(scope="session")
def hh_rows(hh_path: Path) -> list[dict]:
    with gzip.open(hh_path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for _, line in zip(range(300), fh, strict=False)]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run `safetylab ARGS` in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "safetylab.cli", *args], capture_output=True, text=True, timeout=900
    )


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample audited once per session (audit and finetune tests read it)."""
    out = tmp_path_factory.mktemp("demo")
    r = run_cli("audit", str(DEMO), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    return out
