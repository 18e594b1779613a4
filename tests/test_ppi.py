"""Prediction-powered estimates: coverage by simulation, and end to end through the audit, the
probe and the annotation workbench's export (issue 12)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from safetylab.stats.ppi import labels_needed, ppi_difference, ppi_rate
from tests.conftest import DEMO, HH_LABELS, run_cli


def _simulate(reps: int, rng: np.random.Generator, n: int = 300, weights: bool = False):  # type: ignore[no-untyped-def]
    N, p = 5000, 0.2
    cover = {"ppi": 0, "classifier": 0, "human": 0}
    width = {"ppi": [], "human": []}
    for _ in range(reps):
        y = rng.random(N) < p
        # a biased classifier: misses 30 % of positives, flags 10 % of negatives
        yhat = np.where(y, rng.random(N) > 0.3, rng.random(N) < 0.1)
        if weights:  # stratified by the classifier's label: positives sampled 4x as often
            pi = np.where(yhat, 0.12, 0.03)
            idx = np.flatnonzero(rng.random(N) < pi)
            e = ppi_rate(y[idx], yhat[idx], yhat, 1 / pi[idx])
        else:
            idx = rng.choice(N, n, replace=False)
            e = ppi_rate(y[idx], yhat[idx], yhat)
        for k, key in (
            ("ppi", "ci95"),
            ("classifier", "classifier_only_ci95"),
            ("human", "human_only_ci95"),
        ):  # noqa: E501
            lo, hi = e[key]
            cover[k] += lo <= p <= hi
        width["ppi"].append(e["ci95"][1] - e["ci95"][0])
        width["human"].append(e["human_only_ci95"][1] - e["human_only_ci95"][0])
    return {k: v / reps for k, v in cover.items()}, {k: float(np.mean(v)) for k, v in width.items()}


def test_ppi_covers_the_truth_when_the_classifier_is_biased() -> None:
    cover, width = _simulate(1000, np.random.default_rng(0))
    assert 0.93 <= cover["ppi"] <= 0.97, cover
    assert cover["classifier"] < 0.2, cover  # the classifier's own interval is confidently wrong
    assert 0.93 <= cover["human"] <= 0.97, cover
    assert width["ppi"] < 0.9 * width["human"], width  # and PPI is narrower than people alone


def test_ppi_with_inclusion_probabilities() -> None:
    cover, _ = _simulate(600, np.random.default_rng(1), weights=True)
    assert 0.92 <= cover["ppi"] <= 0.98, cover


def test_difference_and_power_helpers() -> None:
    rng = np.random.default_rng(2)
    y = rng.random(400) < 0.3
    yhat = np.where(y, rng.random(400) > 0.1, rng.random(400) < 0.05)
    a = ppi_rate(y[:100], yhat[:100], yhat[:200])
    b = ppi_rate(y[200:300], yhat[200:300], yhat[200:])
    d = ppi_difference(a, b)
    assert d["ci95"][0] < d["estimate"] < d["ci95"][1]
    plan = labels_needed(y[:80], yhat[:80], 0.05, 5000)
    assert plan["labels_needed_with_ppi"] < plan["labels_needed_without_classifier"]


@pytest.fixture(scope="module")
def half_labels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    if not HH_LABELS.exists():
        pytest.skip("shared hh-audit-labels not found")
    gold = pd.read_json(HH_LABELS, lines=True)["label"]
    idx = np.random.default_rng(1).permutation(len(gold))[: len(gold) // 2]
    path = tmp_path_factory.mktemp("ppi") / "half.csv"
    pd.DataFrame({"source_line": idx + 1, "chosen_quality": gold.to_numpy()[idx]}).to_csv(
        path, index=False
    )
    return path, gold.value_counts(normalize=True).to_dict()


def test_audit_with_people_labels_of_half_the_hh_pairs(
    tmp_path: Path, half_labels: tuple[Path, dict[str, float]]
) -> None:
    labels, truth = half_labels
    out = tmp_path / "o"
    r = run_cli("audit", str(HH_LABELS), "--out", str(out), "--human-labels", str(labels))
    assert r.returncode == 0, r.stderr
    assert "people's labels (PPI, 95% CI)" in r.stderr
    p = json.loads((out / "summary.json").read_text())["ppi"]
    assert p["n_labelled"] == 101 and p["n_total"] == 203 and p["chosen_quality_scheme"] == "paper"
    for c, share in truth.items():  # the authors' share over all 203 pairs is inside
        e = p["chosen_quality"][c]
        assert e["ci95"][0] <= share <= e["ci95"][1], (c, share, e)
        assert e["human_only"] is not None and e["classifier_only"] is not None
    assert "prediction-powered estimates" in (out / "report.html").read_text()
    # bad label files name their line
    bad = tmp_path / "bad.csv"
    for body, msg in (
        ("source_line,chosen_quality\n1,acceptable\n2,great\n", "bad.csv:3 (field 'chosen_quality')"),  # noqa: E501
        ("source_line,chosen_quality\n1,acceptable\n1,harmful\n", "bad.csv:3 (field 'source_line'): "),  # noqa: E501
        ("source_line,chosen_quality\n9999,harmful\n", "bad.csv:2 (field 'source_line'): no audited pair"),  # noqa: E501
    ):  # fmt: skip
        bad.write_text(body)
        r = run_cli("audit", str(HH_LABELS), "--out", str(out), "--human-labels", str(bad))
        assert r.returncode == 2 and msg in r.stderr, (msg, r.stderr)


def test_probe_with_people_labels(tmp_path: Path) -> None:
    from safetylab.backends.testserver import BackgroundServer, ServerState

    out = tmp_path / "p"
    with BackgroundServer(ServerState(latency=0.0)) as srv:
        args = ["probe", "--model", "openai/fake", "--base-url", srv.base_url, "--out", str(out),
                "--groups", "religion:muslim,gender:women", "--quiet", "--samples", "3",
                "--temperature", "0.7"]  # fmt: skip
        assert run_cli(*args).returncode == 0
        resp = pd.read_json(out / "responses.jsonl", lines=True, dtype={"id": str})
        # people label 60 % of answers; they call every "I can't speak for everyone" a refusal
        take = resp.sample(frac=0.6, random_state=0)
        human = take["label"].where(take["completion"].str.startswith("Sure"), "full_refusal")
        labels = tmp_path / "labels.csv"
        pd.DataFrame({"id": take["id"], "sample": take["sample"], "human_label": human}).to_csv(
            labels, index=False
        )
        r = run_cli(*args, "--human-labels", str(labels))
        assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    mus = s["ppi"]["groups"]["religion:muslim"]
    assert mus["n_labelled"] >= 10 and mus["ci95"][0] <= mus["estimate"] <= mus["ci95"][1]
    assert mus["vs_control"]["estimate"] > 0
    assert "classifier_agreement" in s
    assert "prediction-powered refusal rates" in (out / "report.html").read_text()


def test_annotation_sample_export_and_plan(tmp_path: Path, demo_out: Path) -> None:
    task = tmp_path / "t"
    r = run_cli("annotate", "create", str(demo_out), "--out", str(task), "--annotators", "ann",
                "--sample", "uniform", "--n", "20", "--show-auto")  # fmt: skip
    assert r.returncode == 0 and "a uniform random sample" in r.stderr, r.stderr
    import sqlite3

    db = sqlite3.connect(task / "task.sqlite")
    items = [i for (i,) in db.execute("SELECT id FROM items")]
    auto = {i: json.loads(a) for i, a in db.execute("SELECT id, auto FROM items")}
    for k, item in enumerate(items):  # a person who disagrees with every fourth automatic label
        q = auto[item]["chosen_quality"]
        if k % 4 == 0:
            q = "harmful" if q != "harmful" else "acceptable"
        db.execute(
            "INSERT INTO answers VALUES ('ann', ?, 'chosen_quality', ?, 0)", (item, json.dumps(q))
        )
    db.commit()
    out = tmp_path / "labels.csv"
    r = run_cli("annotate", "export", str(task), "-o", str(out), "--human-labels")
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out)
    assert list(table.columns[:3]) == ["source_file", "source_line", "chosen_quality"]
    assert len(table) == 20 and (table["inclusion_prob"] == 0.5).all()  # 20 of the 40 pairs
    audit = tmp_path / "audit"
    shutil.copytree(demo_out, audit)  # the finished audit resumes: only the summary is redone
    r = run_cli("audit", str(DEMO), "--out", str(audit), "--human-labels", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads((audit / "summary.json").read_text())["ppi"]["n_labelled"] == 20
    r = run_cli("annotate", "plan", str(task), "--width", "0.1")
    assert r.returncode == 0 and "labels with PPI" in r.stderr, r.stderr
