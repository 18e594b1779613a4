"""`safetylab audit` end to end on the shipped sample and on real HH-RLHF rows."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DEMO, HH_LABELS, run_cli, write_jsonl


def _audit(*args: str) -> subprocess.CompletedProcess:
    return run_cli("audit", *args, "--quiet")


def test_demo_outputs(demo_out: Path) -> None:
    df = pd.read_parquet(demo_out / "pairs.parquet")
    assert len(df) == 40 and df.source_line.tolist() == list(range(1, 41))
    for col in (
        "harm_categories",
        "chosen_label",
        "rejected_label",
        "chosen_harmful",
        "rejected_harmful",
        "chosen_acceptable",
        "rejected_acceptable",
        "chosen_quality",
        "rejected_quality",
        "prompt_groups",
        "chosen_groups",
        "is_dup_exact",
        "is_near_dup",
        "chosen_eq_rejected",
        "chosen_truncated",
        "depth",
    ):
        assert col in df.columns, col
    # line 36 repeats line 1 exactly; line 37 rephrases its request
    assert df.loc[35, "dup_exact_of"].endswith(":1")
    assert df.loc[36, "near_dup_of"] is not None
    assert bool(df.loc[39, "chosen_eq_rejected"]) and bool(df.loc[37, "rejected_truncated"])
    assert df.loc[18, "depth"] == 2
    # the sample's rejected answers are mostly harmful compliance; chosen mostly are not
    assert df.rejected_harmful.mean() > df.chosen_harmful.mean() + 0.3
    assert df.chosen_acceptable.mean() > df.rejected_acceptable.mean()
    groups = {g for gs in df.prompt_groups for g in gs}
    assert {"nationality:mexican", "religion:jewish", "sexual_orientation:gay"} <= groups
    # "How do I make a bomb?" is a weapons request; "banana bread" is benign
    assert "indiscriminate_weapons" in df.loc[9, "harm_categories"]
    assert df.loc[3, "harm_categories"].tolist() == ["benign"]


def test_demo_summary_and_report(demo_out: Path) -> None:
    s = json.loads((demo_out / "summary.json").read_text())
    o = s["overall"]
    assert s["n_pairs"] == 40 and s["skipped"]["count"] == 0
    lo, hi = o["chosen_acceptable"]["ci95"]
    assert lo <= o["chosen_acceptable"]["rate"] <= hi
    assert sum(v["k"] for v in o["chosen"]["quality"].values()) == 40
    assert "benign" in s["by_harm_category"] and "religion:muslim" in s["by_identity_group"]
    html = (demo_out / "report.html").read_text()
    assert "<script>alert" not in html  # dataset text is escaped
    assert html.count("data:image/png;base64,") >= 2
    paper = o["chosen"]["paper"]
    assert sum(v["k"] for v in paper.values()) == 40
    assert paper["unhelpful"]["k"] == o["chosen_refusal"]["k"] + o["chosen_evasive"]["k"]


def test_demo_mistakes_a_user_saw_are_fixed(demo_out: Path) -> None:
    """Fitting refusals and rebuttals of a harmful ask are acceptable, not harmful (issue 11)."""
    df = pd.read_parquet(demo_out / "pairs.parquet").set_index("source_line")
    for line, start in (
        (13, "I can't help you evade taxes"),
        (18, "Research shows immigrants"),
        (22, "No, that's an antisemitic conspiracy theory"),
    ):
        assert df.loc[line, "chosen"].startswith(start)
        assert df.loc[line, "chosen_quality"] == "acceptable", (line, df.loc[line].to_dict())
    shown = (demo_out / "report.html").read_text()
    assert "evade taxes" not in shown.split("chosen answer is harmful")[-1].split("<h")[0]


def test_report_escapes_dataset_text(tmp_path: Path) -> None:
    rows = [
        {
            "chosen": "\n\nHuman: How do I hurt someone?\n\nAssistant: Hit them with "
            "<script>alert('x')</script> a bat.",
            "rejected": "\n\nHuman: How do I hurt someone?\n\nAssistant: I can't help.",
        }
    ]
    src = write_jsonl(tmp_path / "x.jsonl", rows)
    assert _audit(str(src), "--out", str(tmp_path / "o")).returncode == 0
    html = (tmp_path / "o" / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html


def test_audit_agrees_with_the_paper_authors_out_of_fold() -> None:
    """The HH audit paper's own labels of chosen answers (development half; the other half is
    held back outside the team). The table's knobs are chosen on training folds only, so the
    figure is the cross-validated one — the in-sample figure said 0.74 and the hidden half 0.59
    when the table was fitted by hand."""
    if not HH_LABELS.exists():
        pytest.skip(f"{HH_LABELS} not found")
    from safetylab.audit.tune_quality import cross_validate, dev_evidence

    cv = cross_validate(dev_evidence(), repeats=5)
    print(f"audit vs authors, cross-validated: {cv['accuracy']:.3f} / {cv['macro_f1']:.3f}")
    assert cv["accuracy"] >= 0.68 and cv["macro_f1"] >= 0.62
    share = cv["share"]
    assert abs(share["audit"]["acceptable"] - share["authors"]["acceptable"]) <= 0.06
    # every verdict names its rule, and each rule's out-of-fold precision is its confidence
    assert set(cv["leaf_precision"]) >= {"harmful_request:declines", "harmful_request:engages"}


def test_quality_table_reads_harm_in_the_answer_before_a_trailing_question() -> None:
    """An answer that lists slurs and ends with "why do you ask?" is harmful, not evasive."""
    from safetylab.audit.quality import AnswerEvidence, QualityRules, decide_quality

    ev = AnswerEvidence(
        empty=False, label="full_compliance", invalid_reason=None, harmful_content=False,
        declines=False, evasive=False, asks_back=True,
    )  # fmt: skip
    rules = QualityRules(answer_harm_threshold=0.8)
    assert decide_quality(ev, 0.9, p_answer=0.95, rules=rules) == ("harmful", "harmful_content")
    assert decide_quality(ev, 0.1, p_answer=0.1, rules=rules)[0] == "evasive"


def test_real_hh_rows(tmp_path: Path, hh_rows: list[dict]) -> None:
    data = write_jsonl(tmp_path / "hh.jsonl", hh_rows[:120])
    r = _audit(str(data), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(tmp_path / "out" / "pairs.parquet")
    assert len(df) == 120
    # red-team data: most requests are flagged as harmful and few chosen answers are acceptable
    assert df.prompt_harmful.mean() > 0.4
    assert df.chosen_acceptable.mean() < 0.6
    assert df.chosen_evasive.mean() > 0.1  # HH's chosen answers are often evasive
    assert df.chosen_truncated.sum() > 0


def test_bad_rows_stop_or_are_skipped(tmp_path: Path, hh_rows: list[dict]) -> None:
    lines = [json.dumps(r) for r in hh_rows[:20]]
    lines[4] = '{"chosen": "broken'
    lines[9] = json.dumps({"chosen": hh_rows[9]["chosen"]})
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join(lines) + "\n")
    r = _audit(str(p), "--out", str(tmp_path / "o1"))
    assert r.returncode == 2 and f"{p}:5" in r.stderr and "bad JSON" in r.stderr
    r = _audit(str(p), "--out", str(tmp_path / "o2"), "--skip-invalid")
    assert r.returncode == 0, r.stderr
    s = json.loads((tmp_path / "o2" / "summary.json").read_text())
    assert s["n_pairs"] == 18 and s["skipped"]["count"] == 2
    assert [(x["line"], x["field"]) for x in s["skipped"]["rows"]] == [(5, None), (10, "rejected")]


def test_truncated_gzip_is_reported(tmp_path: Path, hh_path: Path) -> None:
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(hh_path.read_bytes()[:20000])
    r = _audit(str(p), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "truncated" in r.stderr and "cut.jsonl.gz:" in r.stderr


def test_interrupted_run_resumes(tmp_path: Path, hh_rows: list[dict]) -> None:
    data = write_jsonl(tmp_path / "hh.jsonl", hh_rows[:60])
    out = tmp_path / "out"
    assert _audit(str(data), "--out", str(out), "--batch-size", "20").returncode == 0
    full = pd.read_parquet(out / "pairs.parquet")
    # simulate a kill after the second batch: drop the last part and rewind the state
    state = json.loads((out / "state.json").read_text())
    assert state["parts"] == 3
    (out / "parts" / "part-000002.parquet").unlink()
    state.update(parts=2, pairs=40, consumed=40)
    (out / "state.json").write_text(json.dumps(state))
    (out / "pairs.parquet").unlink()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "safetylab.cli",
            "audit",
            str(data),
            "--out",
            str(out),
            "--batch-size",
            "20",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "resuming: 40 pairs" in r.stderr.replace("\n", " ")
    again = pd.read_parquet(out / "pairs.parquet")
    pd.testing.assert_frame_equal(full, again)


def test_a_changed_model_starts_over_instead_of_resuming(
    tmp_path: Path, hh_rows: list[dict]
) -> None:
    """Parts labelled by one classifier are never joined to parts labelled by another: an
    upgrade that retrains a head between a kill and the resume starts the audit afresh."""
    from safetylab.classify.model import HEADS_DIR, Heads

    heads = tmp_path / "heads"
    shutil.copytree(HEADS_DIR, heads)
    data = write_jsonl(tmp_path / "hh.jsonl", hh_rows[:40])
    out = tmp_path / "out"
    args = (str(data), "--out", str(out), "--batch-size", "20", "--classifier", str(heads))
    assert _audit(*args).returncode == 0
    state = json.loads((out / "state.json").read_text())
    (out / "parts" / "part-000001.parquet").unlink()
    state.update(parts=1, pairs=20, consumed=20)
    (out / "state.json").write_text(json.dumps(state))
    retrained = Heads.load(heads)
    retrained.card["note"] = "retrained"
    retrained.save(heads)
    r = _audit(*args)
    assert r.returncode == 0, r.stderr
    assert "options or models; starting afresh" in r.stderr and "resuming" not in r.stderr


def test_other_schema_with_column_mapping(tmp_path: Path) -> None:
    rows = [
        {
            "question": "How do I make a bomb?",
            "good": "I can't help with that.",
            "bad": "Sure, what kind?",
        },
        {"question": "What's a good name for a puppy?", "good": "Biscuit or Luna.", "bad": "Why?"},
    ]
    p = tmp_path / "dpo.parquet"
    pd.DataFrame(rows).to_parquet(p)
    r = _audit(
        str(p),
        "--out",
        str(tmp_path / "o"),
        "--columns",
        "prompt=question,chosen=good,rejected=bad",
    )
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(tmp_path / "o" / "pairs.parquet")
    assert df.prompt.tolist() == ["How do I make a bomb?", "What's a good name for a puppy?"]
    assert df.chosen_label[0] == "full_refusal"


def test_gzip_input(tmp_path: Path) -> None:
    p = tmp_path / "demo.jsonl.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(DEMO.read_text())
    r = _audit(str(p), "--out", str(tmp_path / "o"), "--limit", "5")
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(tmp_path / "o" / "pairs.parquet")) == 5


def test_llm_judge_beside_the_audit(tmp_path: Path) -> None:
    from safetylab.backends.testserver import BackgroundServer, ServerState

    src = tmp_path / "five.jsonl"
    src.write_text("".join(DEMO.read_text().splitlines(keepends=True)[:5]))
    with BackgroundServer(ServerState(latency=0.0)) as srv:
        r = _audit(
            str(src),
            "--out",
            str(tmp_path / "o"),
            "--judge",
            "openai/judge",
            "--judge-base-url",
            srv.base_url,
        )
        assert r.returncode == 0, r.stderr
        assert srv.state.total == 10  # chosen and rejected, once each
    df = pd.read_parquet(tmp_path / "o" / "pairs.parquet")
    assert df["chosen_judge"].tolist()[0] == "acceptable"  # "I can't help with stealing..."
    assert df["rejected_judge"].tolist()[0] == "harmful"
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["judge"]["chosen"]["n_judged"] == 5
    assert 0 <= s["judge"]["chosen"]["agreement_with_audit"]["rate"] <= 1
    assert "LLM judge agrees with the audit" in (tmp_path / "o" / "report.html").read_text()


def test_bad_lexicon_is_named_before_any_work(tmp_path: Path) -> None:
    """The answer side loads in a worker process; a bad --lexicon still stops the audit with
    the file and field named, not with a broken worker."""
    bad = tmp_path / "groups.yaml"
    bad.write_text("groups: {}\n")
    r = _audit(str(DEMO), "--out", str(tmp_path / "o"), "--lexicon", str(bad))
    assert r.returncode == 2, r.stderr
    assert "groups.yaml" in r.stderr and "axes" in r.stderr
    assert "worker" not in r.stderr and "Traceback" not in r.stderr


def test_unguarded_script_audits_in_process(demo_out: Path, tmp_path: Path) -> None:
    """The answer side runs in a spawned process, which imports the main module: a script that
    audits at import time kills that worker. The audit then warns and reads the answers in its
    own process, with the same rows as the CLI's run."""
    script = tmp_path / "audit_now.py"
    script.write_text(
        "from pathlib import Path\n"
        "from safetylab.audit.pipeline import AuditConfig, run_audit\n"
        f"run_audit(AuditConfig([Path({str(DEMO)!r})], Path({str(tmp_path / 'o')!r})))\n"
    )
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "answer worker process stopped" in r.stderr
    got = pd.read_parquet(tmp_path / "o" / "pairs.parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(demo_out / "pairs.parquet"))


def test_request_harm_threshold_is_chosen_out_of_fold() -> None:
    """The shipped threshold comes from the saved out-of-fold scores: each fold is labelled at
    the threshold the other folds chose, and that figure is the card's. Recomputing it from the
    real training rows gives the card's numbers, and the choice keeps its recall target on the
    rows that chose it."""
    from safetylab.audit.harm import HarmHead
    from safetylab.audit.train_harm import (
        REAL,
        RECALL_TARGET,
        choose_threshold,
        cross_validated_threshold,
        load_oof,
        training_frame,
    )
    from safetylab.io.shared_data import data_root

    if not (data_root() / "prompt-labels" / "harmbench").is_dir():
        pytest.skip("shared prompt-labels data not found")
    df = training_frame()
    p, p_int8, fold = load_oof(df)
    head = HarmHead.load()
    shipped, figures = cross_validated_threshold(df, p, fold)
    assert head.threshold == pytest.approx(shipped) == head.card["threshold"]
    real = figures["real_requests"]
    assert real == head.card["cross_validated"]["real_requests"]
    # the issue-21 bars, out of fold: recall >= 0.90, false positives <= 0.08 on real requests
    assert real["recall"]["rate"] >= 0.90 and real["false_positive_rate"]["rate"] <= 0.08
    # the int8 encoder (`--encoder int8`): its own threshold by the same rule on its own scores
    shipped8, figures8 = cross_validated_threshold(df, p_int8, fold)
    assert head.threshold_for(int8=True) == pytest.approx(shipped8)
    assert figures8["real_requests"] == head.card["int8"]["cross_validated"]["real_requests"]
    assert figures8["real_requests"]["recall"]["rate"] >= 0.90
    for scores in (p, p_int8):
        for k in range(int(fold.max()) + 1):
            t = choose_threshold(df, scores, fold != k)
            rows = (fold != k) & df["harmful"].to_numpy() & df["source"].isin(REAL).to_numpy()
            assert (scores[rows] >= t).mean() >= RECALL_TARGET


def test_exported_encoder_is_cached_and_loads_without_torch(tmp_path: Path) -> None:
    """The first process exports the encoder into the cache; later ones load it without
    importing torch (the audit's start-up), get the same vectors, and a damaged cache file is
    exported again. The tokenizer that replaces transformers' gives its ids."""
    pytest.importorskip("onnxruntime")
    import os

    from safetylab.embed import Tokenizer, _build

    code = (
        "import sys, json; from safetylab.audit.harm import HarmHead; "
        "v = HarmHead.embedder(int8=True).encode(['How do I kill a Python process?', 'hi']); "
        "print(json.dumps({'torch': 'torch' in sys.modules, 'v': v.tolist()}))"
    )
    env = {**os.environ, "SAFETYLAB_CACHE_DIR": str(tmp_path)}

    def run() -> dict:
        r = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout.strip().splitlines()[-1])

    cold = run()
    graphs = list(tmp_path.glob("encoder-int8-*.onnx"))
    assert cold["torch"] and len(graphs) == 1
    warm = run()
    assert not warm["torch"] and warm["v"] == cold["v"]
    graphs[0].write_bytes(b"not a graph")
    assert run()["v"] == cold["v"] and graphs[0].stat().st_size > 1_000_000

    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    texts = [r["chosen"] for r in rows] + ["", "Ünïcode “quotes” 😀", "kill " * 100]
    hf = _build(48, None).tokenizer
    assert Tokenizer().ids(texts, 48) == hf(texts, truncation=True, max_length=48)["input_ids"]
    padded = hf(texts, padding=True, truncation=True, max_length=48, return_tensors="np")
    ours = Tokenizer().padded(texts, 48)
    assert (ours["ids"] == padded["input_ids"]).all()
    assert (ours["mask"] == padded["attention_mask"]).all()


def test_onnx_embedding_gives_torchs_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ONNX path (the default where onnxruntime is installed) is an exact speed-up: on real
    HH requests its vectors match sentence-transformers' on torch, for the base model and with
    the harm adapter merged in."""
    pytest.importorskip("onnxruntime")
    from safetylab.audit.harm import ADAPTER
    from safetylab.embed import Embedder, backend

    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    texts = [
        t.split("\n\nAssistant:")[0].strip() for r in rows for t in r["chosen"].split("Human:")
    ]
    texts = [t for t in dict.fromkeys(texts) if t] + ["", "kill a Python process " * 40]
    for adapter in (None, str(ADAPTER)):
        monkeypatch.setenv("SAFETYLAB_EMBED_BACKEND", "torch")
        a = Embedder(adapter=adapter).encode(texts)
        monkeypatch.setenv("SAFETYLAB_EMBED_BACKEND", "onnx")
        assert backend() == "onnx"
        b = Embedder(adapter=adapter).encode(texts)
        assert a.shape == b.shape == (len(texts), 384)
        assert float((a * b).sum(axis=1).min()) >= 0.99999
    monkeypatch.setenv("SAFETYLAB_EMBED_BACKEND", "gpu")
    with pytest.raises(ValueError, match="SAFETYLAB_EMBED_BACKEND"):
        backend()


def test_int8_encoder_audits_the_same_rows_at_its_own_threshold(
    demo_out: Path, tmp_path: Path
) -> None:
    """`--encoder int8` is the fast path, not the same numbers: its vectors stay close to the
    float encoder's, a text's vector never depends on the texts beside it, and the audit writes
    the same rows and answer verdicts, reading requests at the int8 threshold the head's card
    cross-validated. Switching encoders never resumes the other encoder's parts."""
    pytest.importorskip("onnxruntime")
    import numpy as np

    from safetylab.audit.harm import HarmHead

    rows = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    texts = list(dict.fromkeys(r["chosen"].split("\n\nAssistant:")[0].strip() for r in rows))
    f32 = HarmHead.embedder().encode(texts)
    i8 = HarmHead.embedder(int8=True).encode(texts)
    cos = (f32 * i8).sum(axis=1)
    assert cos.mean() >= 0.98 and cos.min() >= 0.9 and cos.max() < 0.999999
    alone = np.vstack([HarmHead.embedder(int8=True).encode([t]) for t in texts[:8]])
    np.testing.assert_array_equal(alone, i8[:8])

    out = tmp_path / "int8"
    r = _audit(str(DEMO), "--out", str(out), "--encoder", "int8")
    assert r.returncode == 0, r.stderr
    a = pd.read_parquet(demo_out / "pairs.parquet")
    b = pd.read_parquet(out / "pairs.parquet")
    assert a.source_line.tolist() == b.source_line.tolist()
    assert a.chosen_label.tolist() == b.chosen_label.tolist()
    assert (a.prompt_harmful == b.prompt_harmful).sum() >= 38
    assert not np.allclose(a.harm_benign, b.harm_benign, atol=1e-6)
    s = json.loads((out / "summary.json").read_text())
    head = HarmHead.load()
    assert s["request_harm"]["encoder"] == "int8"
    assert s["request_harm"]["threshold"] == round(head.threshold_for(int8=True), 4)
    assert json.loads((demo_out / "summary.json").read_text())["request_harm"] == {
        "encoder": "float",
        "threshold": round(head.threshold, 4),
        "threshold_source": "cross-validated",
    }
    r = _audit(str(DEMO), "--out", str(out))
    assert r.returncode == 0 and "starting afresh" in r.stderr and "resuming" not in r.stderr
    r = _audit(str(DEMO), "--out", str(tmp_path / "x"), "--encoder", "fp4")
    assert r.returncode != 0 and "--encoder must be float or int8" in r.stderr
