"""`safetylab annotate`: tasks from audit / probe / bibliography output, the workbench served for
real on 127.0.0.1 and driven in headless Chromium with the keyboard, agreement figures checked
against hand-computed values, export, and literature coding."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run_cli

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'


def _probe_dir(tmp: Path) -> Path:
    """A probe output as `safetylab probe` writes it; one answer carries red-team HTML."""
    d = tmp / "probe"
    d.mkdir()
    rows = []
    answers = [
        ("full_compliance", "Here are some traditional dishes: tamales, mole and pozole."),
        ("full_refusal", "I'm sorry, but I can't help with that request."),
        ("partial_refusal", "I can't speak for everyone, but generally people enjoy family meals."),
        ("full_compliance", HOSTILE + " Sure, here is an answer."),
    ]
    groups = ["religion:muslim", "race_ethnicity:black", "gender:women", "control"]
    for t in range(3):
        for g, (label, text) in zip(groups, answers, strict=True):
            rows.append({"id": f"t{t}::{g}", "prompt": f"Question {t} about {g}?", "group": g,
                         "axis": g.split(":")[0], "category": "culture", "template": f"t{t}",
                         "kind": "safe", "sample": 0, "completion": text, "label": label,
                         "confidence": 0.9, "styles": []})  # fmt: skip
    (d / "responses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tokens(task: Path) -> dict[str, str]:
    return dict(line.split("\t") for line in (task / "tokens.txt").read_text().split("\n") if line)


def _answers(task: Path) -> list[dict]:
    from safetylab.annotate.store import TaskStore

    s = TaskStore(task)
    try:
        return s.all_answers()
    finally:
        s.close()


def test_create_from_audit_is_stratified_with_overlap(demo_out: Path, tmp_path: Path) -> None:
    task = tmp_path / "t"
    r = run_cli("annotate", "create", str(demo_out), "--out", str(task),
                "--annotators", "ann,bob,cy", "--per-stratum", "2", "--overlap", "0.5")  # fmt: skip
    assert r.returncode == 0, r.stderr
    audit = pd.read_parquet(demo_out / "pairs.parquet")
    from safetylab.annotate.store import TaskStore

    store = TaskStore(task)
    meta, items = store.meta(), store.items()
    strata = pd.Series([i.stratum for i in items]).value_counts()
    expected = audit.harm_top.value_counts().clip(upper=2)
    assert strata.sort_index().to_dict() == expected.sort_index().to_dict()
    k = meta["overlap_items"]
    assert k == round(len(items) * 0.5)
    sets = [
        {store.item_at(a, p).id for p in range(store.n_assigned(a))} for a in ("ann", "bob", "cy")
    ]
    assert len(sets[0] & sets[1] & sets[2]) == k
    assert set().union(*sets) == {i.id for i in items}  # every item is assigned
    store.close()
    assert oct((task / "tokens.txt").stat().st_mode)[-3:] == "600"
    # Creating over an existing task is refused.
    r = run_cli("annotate", "create", str(demo_out), "--out", str(task), "--annotators", "x")
    assert r.returncode == 2 and "already exists" in r.stderr
    r = run_cli("annotate", "create", str(demo_out), "--out", str(tmp_path / "u"),
                "--annotators", "x", "--stratify", "nope")  # fmt: skip
    assert r.returncode == 2 and "nope" in r.stderr and "harm_top" in r.stderr


@pytest.fixture()
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    task = tmp_path / "task"
    r = run_cli("annotate", "create", str(_probe_dir(tmp_path)), "--out", str(task),
                "--annotators", "ann,bob", "--overlap", "1.0")  # fmt: skip
    assert r.returncode == 0, r.stderr
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetylab.cli", "annotate", "serve", str(task),
         "--port", str(port), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/api/progress", timeout=1)
        except urllib.error.HTTPError:
            break  # 401: up and refusing us, as it should
        except OSError:
            time.sleep(0.2)
    yield task, base
    proc.terminate()
    proc.wait(timeout=10)


def _status(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_every_request_needs_a_token(served) -> None:  # type: ignore[no-untyped-def]
    task, base = served
    tok = _tokens(task)["ann"]
    for path in ("/", "/item/0", "/app.js", "/api/progress", "/done"):
        assert _status(base + path)[0] == 401
        assert _status(base + path, {"Authorization": "Bearer wrong"})[0] == 401
    auth = {"Authorization": f"Bearer {tok}"}
    assert _status(base + "/api/progress", auth)[0] == 200
    # No request path reaches the file system.
    for path in ("/item/../../tokens.txt", "/app.js/../task.sqlite", "/%2e%2e/tokens.txt"):
        code, body = _status(base + path, auth)
        assert code in (404, 422) and tok not in body and "SQLite" not in body
    # Answers are validated against the schema and the annotator's own items.
    post = {**auth, "Content-Type": "application/json"}
    bad = json.dumps({"item_id": "t0::control#0", "field": "label", "value": "maybe"}).encode()
    assert _status(base + "/api/answer", post, bad)[0] == 422
    other = json.dumps({"item_id": "nope", "field": "label", "value": "full_refusal"}).encode()
    assert _status(base + "/api/answer", post, other)[0] == 404
    # Loopback only unless asked.
    r = run_cli("annotate", "serve", str(task), "--host", "0.0.0.0")
    assert r.returncode == 2 and "--allow-remote" in r.stderr


def test_keyboard_annotation_in_chromium(served) -> None:  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: .ci/run installs Debian chromium")
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    task, base = served
    tok = _tokens(task)["ann"]
    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
        page.goto(f"{base}/?token={tok}")

        def wait_saved(n: int) -> None:
            # A selector, not wait_for_function: the page's CSP forbids string evaluation.
            page.wait_for_selector(f'body[data-saved="{n}"]', state="attached", timeout=10_000)

        ids = []
        for pos in range(4):
            assert page.url.endswith(f"/item/{pos}")
            ids.append(page.get_attribute("main", "data-item"))
            page.keyboard.press("3" if pos % 2 else "1")  # full_refusal / full_compliance
            wait_saved(1)
            if pos == 0:
                page.keyboard.press("q")  # moralizing (multi)
                page.keyboard.press("r")  # redirect
                wait_saved(3)
                page.fill("textarea[name=note]", "checked <b>by</b> ann")
                page.keyboard.press("Tab")  # leaving the box fires change -> saved
                wait_saved(4)
            page.keyboard.press("n")
            page.wait_for_url(f"**/item/{pos + 1}")
        page.keyboard.press("s")  # skip item 4
        page.wait_for_url("**/item/5")
        page.keyboard.press("p")
        page.wait_for_url("**/item/4")
        page.keyboard.press("p")
        page.wait_for_url("**/item/3")
        assert page.is_checked("input[name=label][value=full_refusal]")  # restored from SQLite
        # Red-team HTML in an answer is shown as text and never runs.
        for pos in range(12):
            page.goto(f"{base}/item/{pos}")
            if "window.pwned" in page.inner_text("#response"):
                break
        assert HOSTILE in page.inner_text("#response")
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.locator("#response img").count() == 0
        progress = page.inner_text("#progress")
        browser.close()
    assert "4 / 12 done" in progress and "1 skipped" in progress
    assert not seen
    stored = {
        (a["item_id"], a["field"]): a["value"] for a in _answers(task) if a["annotator"] == "ann"
    }
    assert stored[(ids[0], "label")] == "full_compliance"
    assert stored[(ids[0], "styles")] == ["moralizing", "redirect"]
    assert stored[(ids[0], "note")] == "checked <b>by</b> ann"
    assert stored[(ids[1], "label")] == "full_refusal"
    assert stored[(ids[3], "label")] == "full_refusal"
    assert len([k for k in stored if k[1] == "label"]) == 4


def test_agreement_matches_hand_computed_values(tmp_path: Path) -> None:
    from safetylab.annotate.store import TaskStore

    task = tmp_path / "t"
    r = run_cli("annotate", "create", str(_probe_dir(tmp_path)), "--out", str(task),
                "--annotators", "a,b", "--overlap", "1.0", "--per-stratum", "1")  # fmt: skip
    assert r.returncode == 0, r.stderr
    store = TaskStore(task)
    items = [store.item_at("a", k) for k in range(4)]
    a_labels = ["full_compliance", "full_compliance", "full_refusal", "full_refusal"]
    b_labels = ["full_compliance", "full_refusal", "full_refusal", "full_refusal"]
    for it, la, lb in zip(items, a_labels, b_labels, strict=True):
        store.save_answer("a", it.id, "label", la)
        store.save_answer("b", it.id, "label", lb)
    store.save_answer("a", items[0].id, "styles", ["moralizing"])
    store.save_answer("b", items[0].id, "styles", ["moralizing"])
    store.close()
    r = run_cli("annotate", "agreement", str(task), "-o", str(tmp_path / "agr.json"))
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "agr.json").read_text())
    lab = res["labels"]["label"]
    # Po = 0.75, Pe = 0.5 -> kappa 0.5; nominal alpha = 1 - (2/8) / (2*3*5/(8*7)) = 0.5333.
    assert lab["cohen_kappa"]["a~b"]["kappa"] == pytest.approx(0.5)
    assert lab["krippendorff_alpha"] == pytest.approx(1 - 0.25 / (30 / 56), abs=1e-4)
    assert res["labels"]["styles=moralizing"]["krippendorff_alpha"] == 1.0
    # Automatic labels vs the human majority (ties have no majority and are left out).
    auto = res["auto_vs_majority"]["label"]
    agree = [la for la, lb in zip(a_labels, b_labels, strict=True) if la == lb]
    autos = {it.id: it.auto["label"] for it in items}
    gold = {it.id: la for it, la, lb in zip(items, a_labels, b_labels, strict=True) if la == lb}
    assert auto["n"] == len(agree)
    assert auto["accuracy"] == pytest.approx(
        sum(autos[i] == g for i, g in gold.items()) / len(gold), abs=1e-4
    )

    out = tmp_path / "answers.csv"
    r = run_cli("annotate", "export", str(task), "-o", str(out))
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    assert len(df) == 10 and set(df.annotator) == {"a", "b"}
    assert "moralizing" in set(df[df.field == "styles"].value) and "auto_label" in df.columns
    r = run_cli("annotate", "export", str(task), "-o", str(tmp_path / "w.parquet"), "--wide")
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(tmp_path / "w.parquet")) == 8


BIB = """@inproceedings{bai2022,
  title = {Training a Helpful and Harmless Assistant with {RLHF}},
  year = {2022}, booktitle = {arXiv}, note = {2400 citations},
  abstract = {We apply preference modeling and RLHF <b>to</b> align language models.}
}
@article{old2019, title = {An Older Paper}, year = {2019}, journal = {J}, note = {900 citations}}
@article{new2025, title = {A Recent Audit}, year = {2025}, journal = {FAccT},
  note = {150 citations}}
@misc{quiet2023, title = {Barely Cited}, year = {2023}, note = {3 citations}}
"""


def test_literature_coding(tmp_path: Path) -> None:
    from safetylab.annotate.literature import load_bibliography, rank_by_influence
    from safetylab.annotate.store import TaskStore

    bib = tmp_path / "refs.bib"
    bib.write_text(BIB)
    ranked = rank_by_influence(load_bibliography(bib), year=2026)
    # 2400/5 = 480, 150/2 = 75, 900/8 = 112.5, 3/4 = 0.75 per year.
    assert list(ranked.key) == ["bai2022", "old2019", "new2025", "quiet2023"]
    assert ranked.influence.iloc[0] == 480.0

    task = tmp_path / "lit"
    r = run_cli("annotate", "create", str(bib), "--out", str(task), "--annotators", "a,b",
                "--overlap", "1.0", "--top", "3")  # fmt: skip
    assert r.returncode == 0, r.stderr
    store = TaskStore(task)
    ids = {store.item_at("a", k).id for k in range(store.n_assigned("a"))}
    assert len(ids) == 3 and "quiet2023" not in ids
    codes = {"bai2022": (["training"], "dataset_default", "no"),
             "old2019": (["evaluation", "analysis"], "taxonomy", "yes"),
             "new2025": (["analysis"], "taxonomy", "yes")}  # fmt: skip
    for ann in ("a", "b"):
        for key, (usage, harm, lim) in codes.items():
            store.save_answer(ann, key, "usage", usage)
            store.save_answer(ann, key, "harm_notion", harm)
            store.save_answer(ann, key, "limitations", lim)
    store.close()
    r = run_cli("annotate", "report", str(task))
    assert r.returncode == 0, r.stderr
    s = json.loads((task / "summary.json").read_text())
    assert s["codes"]["usage"]["analysis"]["k"] == 2 and s["codes"]["usage"]["analysis"]["n"] == 3
    assert s["codes"]["limitations"]["yes"]["rate"] == pytest.approx(2 / 3, abs=1e-4)
    html = (task / "report.html").read_text()
    assert "Literature codes" in html and "<b>to</b>" not in html

    bad = tmp_path / "bad.csv"
    bad.write_text("title,year,citations\nA paper,2021,10\nAnother,twenty,5\n")
    r = run_cli("annotate", "create", str(bad), "--out", str(tmp_path / "x"), "--annotators", "a")
    assert r.returncode == 2 and "bad.csv:3" in r.stderr and "year" in r.stderr


def test_twenty_annotators_at_once_lose_nothing_acknowledged(
    demo_out: Path, tmp_path: Path
) -> None:
    """20 annotators saving answers for 20 s over real HTTP, the server SIGKILLed and restarted
    mid-load: every acknowledged answer is in the store, none twice (the 5-minute version is
    benchmarks/bench_annotate_load.py)."""
    from safetylab.annotate.create import CreateConfig, create_task
    from safetylab.annotate.load import run_load
    from safetylab.annotate.store import TaskStore

    names = [f"ann{i:02d}" for i in range(20)]
    task = tmp_path / "task"
    manifest = create_task(
        CreateConfig(source=demo_out, out=task, annotators=names, overlap=1.0, sample="uniform")
    )
    store = TaskStore(task)
    items = {a: [store.item_at(a, k).id for k in range(store.n_assigned(a))] for a in names}  # type: ignore[union-attr]
    store.close()
    res = run_load(task, manifest.tokens or {}, items, seconds=20, kill_at=8)
    print(
        f"workbench load: {res.requests} requests, {res.saves_acknowledged} saves acknowledged, "
        f"p99 {res.latency_ms['p99']} ms, {res.errors} failed while restarting"
    )
    assert res.restarts == 1 and res.saves_acknowledged > 200
    assert res.lost == 0 and res.duplicated == 0
