"""Faults of the second red-team pass (issue 22), each reproduced: numbers that looked valid and
were not, inputs read wrongly, and tracebacks instead of errors. Numbered as in the issue."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from safetylab.errors import InputError, SafetylabError
from tests.conftest import run_cli, write_jsonl


def _audit_copy(demo_out: Path, tmp_path: Path) -> Path:
    out = tmp_path / "audit"
    shutil.copytree(demo_out, out)
    (out / ".lock").unlink(missing_ok=True)
    return out


# 1 ---------------------------------------------------------------------------------------------


def test_01_ppi_with_constant_or_few_labels_is_never_narrower_than_the_labels() -> None:
    from safetylab.stats.ppi import ppi_rate

    two = ppi_rate([1, 1], [1, 1], [1] * 50 + [0] * 50)
    assert two["method"] == "human_only" and "only 2" in two["note"]
    assert two["ci95"][0] <= 0.35 and two["ci95"][1] == 1.0  # Wilson on 2 of 2
    none = ppi_rate([0] * 99, [0] * 98 + [1], [0] * 990 + [1] * 10)
    assert none["method"] == "human_only" and "agree" in none["note"]
    assert none["ci95"][0] == 0.0 and none["ci95"][1] >= 0.03  # 0 of 99 allows up to ~3.7 %
    ten = ppi_rate([1] * 10, [1] * 10, [1] * 100)
    assert ten["ci95"][1] - ten["ci95"][0] > 0.2
    # with labels that vary, PPI proper
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.3
    full = ppi_rate(y, y, np.r_[y, rng.random(800) < 0.3])
    assert full["method"] == "ppi++" and 0 < full["ci95"][1] - full["ci95"][0] < 0.2


def test_01_probe_with_all_refusal_labels_gets_an_honest_interval() -> None:
    from safetylab.probe.human import ppi_refusal

    responses = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(40)],
            "sample": 0,
            "group": ["none"] * 20 + ["religion:muslim"] * 20,
            "kind": "safe",
            "label": ["full_refusal"] * 40,
        }
    )
    labels = pd.DataFrame(
        {"row": range(10), "human_label": "full_refusal", "weight": 1.0, "sample": 0}
    )
    r = ppi_refusal(responses, labels)
    lo, hi = r["overall"]["ci95"]
    assert r["overall"]["method"] == "human_only" and lo < 0.75 and hi == 1.0


# 2, 19, 26 -------------------------------------------------------------------------------------


def test_02_partly_blank_inclusion_prob_is_an_error_naming_the_line(
    demo_out: Path, tmp_path: Path
) -> None:
    out = _audit_copy(demo_out, tmp_path)
    lab = tmp_path / "labels.csv"
    lab.write_text(
        "source_line,chosen_quality,inclusion_prob\n1,acceptable,0.5\n2,harmful,\n3,harmful,0.5\n"
    )
    from tests.conftest import DEMO

    r = run_cli("audit", str(DEMO), "--out", str(out), "--human-labels", str(lab), "--quiet")
    assert r.returncode == 2 and f"{lab}:3" in r.stderr and "inclusion_prob" in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "got 'abc'"), ("1e-300", "[1/40, 1]"), ("0", "[1/40, 1]"), ("1.5", "[1/40, 1]")],
)
def test_19_26_inclusion_probabilities_are_checked(value: str, message: str) -> None:
    from safetylab.audit.human import load_human_labels

    pairs = pd.DataFrame({"source_file": ["d.jsonl"] * 40, "source_line": range(1, 41)})
    p = Path(__file__).parent / "_tmp_labels.csv"
    p.write_text(f"source_line,chosen_quality,inclusion_prob\n1,harmful,{value}\n")
    try:
        with pytest.raises(InputError) as e:
            load_human_labels(p, pairs, ["d.jsonl"])
        assert message in str(e.value) and ":2" in str(e.value)
    finally:
        p.unlink()


def test_02_summary_json_never_holds_nan(tmp_path: Path) -> None:
    from safetylab.rundir import write_json

    p = write_json(tmp_path / "s.json", {"a": float("nan"), "b": [1.0, float("inf")]})
    assert json.loads(p.read_text()) == {"a": None, "b": [1.0, None]}
    assert "NaN" not in p.read_text() and "Infinity" not in p.read_text()


# 3, 12 -----------------------------------------------------------------------------------------


def test_03_stratified_sample_never_leaves_a_stratum_out() -> None:
    from safetylab.annotate.create import stratified_sample_with_probs

    strata = pd.Series(["hate"] * 23 + [f"s{i}" for i in range(13) for _ in range(6)])
    with pytest.raises(SafetylabError, match="fewer than the 14 strata"):
        stratified_sample_with_probs(strata, None, 13, 0)
    rows, probs = stratified_sample_with_probs(strata, None, 20, 0)
    taken = strata.iloc[rows]
    assert set(taken) == set(strata)  # every stratum has an item
    for r, p in zip(rows, probs, strict=True):  # probability = taken / stratum size
        k = strata.iloc[r]
        assert p == pytest.approx((taken == k).sum() / (strata == k).sum())


def test_12_annotate_create_rejects_a_negative_n(demo_out: Path, tmp_path: Path) -> None:
    r = run_cli(
        "annotate", "create", str(demo_out), "--out", str(tmp_path / "t"), "--annotators", "a",
        "--n", "-5",
    )  # fmt: skip
    assert r.returncode == 2 and "--n must be a whole number >= 1" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


# 4, 10, 14 -------------------------------------------------------------------------------------


def test_04_length_does_not_flip_the_label() -> None:
    from safetylab.classify import ResponseClassifier

    clf = ResponseClassifier()
    words = " ".join(f"Step {i}: stir the sauce and add a pinch of salt." for i in range(300))
    recipe = "Sure. Here is the recipe. " + words
    short = "Sure. Here is the recipe. Step 1: stir the sauce and add a pinch of salt."
    steps = "Sure. " + " ".join(f"{i}. Add {i} grams of flour number {i}." for i in range(1999))
    huge = "Sure, here is how to make it. " + ("Mix the flour and the water well. " * 150_000)
    js = clf.predict(["How do I make a sauce?"] * 4, [short, recipe, steps, huge])
    assert [j.label for j in js] == ["full_compliance"] * 4, [(j.label, j.confidence) for j in js]


def test_10_batches_with_nothing_classifiable_do_not_crash() -> None:
    from safetylab.classify import ResponseClassifier

    js = ResponseClassifier().predict(["a", "b"], ["", "   "])
    assert [j.label for j in js] == ["invalid", "invalid"]
    assert ResponseClassifier().predict(["a"], [""])[0].invalid_reason == "empty"


def test_14_short_foreign_and_emoji_answers_are_invalid() -> None:
    from safetylab.classify import ResponseClassifier

    js = ResponseClassifier().predict(["q"] * 3, ["你好，我不能帮你。", "😀👍🎉", "Sure!"])
    assert js[0].label == "invalid" and js[0].invalid_reason == "language:zh"
    assert js[1].label == "invalid" and js[1].invalid_reason == "no words"
    assert js[2].label == "full_compliance"


# 5, 17 -----------------------------------------------------------------------------------------


def test_05_17_classify_train_reads_false_as_false_and_names_file_lines(tmp_path: Path) -> None:
    from safetylab.classify.cli import _labelled_rows

    p = tmp_path / "mine.csv"
    p.write_text(
        "prompt,completion,label,moralizing,redirect\n"
        'q,"I can\'t help.",full_refusal,False,True\n'
        'q,"Sure, here.",full_compliance,false,0\n'
    )
    rows = _labelled_rows(p, "prompt", "completion")
    assert [r["styles"] for r in rows] == [["redirect"], []]
    bad = tmp_path / "bad.csv"
    bad.write_text('prompt,completion,label\nq,"multi\nline",full_refusal\nq,x,nonsense\n')
    with pytest.raises(InputError) as e:
        _labelled_rows(bad, "prompt", "completion")
    assert f"{bad}:4" in str(e.value)  # the record starts on line 4 of the file


# 15, 20 ----------------------------------------------------------------------------------------


def test_15_non_integer_ids_are_rejected_not_truncated(tmp_path: Path) -> None:
    from safetylab.audit.human import load_human_labels
    from safetylab.probe.human import load_probe_labels

    pairs = pd.DataFrame({"source_file": ["d.jsonl"] * 3, "source_line": [1, 2, 3]})
    p = write_jsonl(tmp_path / "l.jsonl", [{"source_line": 1.5, "chosen_quality": "harmful"}])
    with pytest.raises(InputError, match="whole number"):
        load_human_labels(p, pairs, ["d.jsonl"])
    resp = pd.DataFrame({"id": ["a"], "sample": [0]})
    q = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "sample": 0.9, "human_label": "x"}])
    with pytest.raises(InputError, match="whole number"):
        load_probe_labels(q, resp)


def test_20_probe_labels_are_case_insensitive_like_the_audits(tmp_path: Path) -> None:
    from safetylab.probe.human import load_probe_labels

    resp = pd.DataFrame({"id": ["a"], "sample": [0]})
    q = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "sample": 0, "human_label": "FULL_REFUSAL"}])
    assert load_probe_labels(q, resp)["human_label"].tolist() == ["full_refusal"]


# 16 --------------------------------------------------------------------------------------------


def test_16_statistics_validate_their_arguments() -> None:
    from safetylab.stats import rate
    from safetylab.stats.ppi import ppi_rate

    with pytest.raises(ValueError, match="k"):
        rate(5, 3)
    with pytest.raises(ValueError, match="yhat_labelled"):
        ppi_rate([1, 0, 1], [1, 0], [1, 0, 1, 1])
    with pytest.raises(ValueError, match="0/1"):
        ppi_rate([2, 0], [1, 0], [1, 0])


# 7 ---------------------------------------------------------------------------------------------


def test_07_repeated_samples_are_clusters_not_independent_answers() -> None:
    from safetylab.probe.run import ProbeConfig
    from safetylab.stats.rates import cluster_rate

    with pytest.raises(SafetylabError, match="temperature"):
        ProbeConfig("openai/m", Path("o"), samples=3, temperature=0.0)
    # 40 prompts x 3 identical samples: worth 40 answers, not 120
    y = pd.Series([1.0] * 30 + [0.0] * 90)
    ids = pd.Series([i for i in range(40) for _ in range(3)])
    y = pd.Series([float(i < 10) for i in range(40) for _ in range(3)])
    r = cluster_rate(y, ids)
    assert r["rate"] == 0.25 and r["clusters"] == 40 and r["n_effective"] == pytest.approx(40, 0.1)
    from safetylab.stats import rate

    naive = rate(30, 120)["ci95"]
    assert r["ci95"][1] - r["ci95"][0] > 1.6 * (naive[1] - naive[0])  # about sqrt(3) wider
    from safetylab.probe.presets import load_preset

    assert load_preset("qos-names").temperature > 0


# 11 --------------------------------------------------------------------------------------------


def test_11_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    from safetylab.io.tables import read_table

    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffsource_line,chosen_quality\n1,harmful\n".encode())
    assert list(read_table(p, required=["source_line"]).columns) == [
        "source_line",
        "chosen_quality",
    ]
    q = tmp_path / "bom.jsonl"
    q.write_bytes('\ufeff{"prompt": "a"}\n{"prompt": "b"}\n'.encode())
    assert read_table(q)["prompt"].tolist() == ["a", "b"]


# 8 ---------------------------------------------------------------------------------------------


def test_08_ctrl_c_exits_130_and_says_how_to_resume(tmp_path: Path, hh_rows: list[dict]) -> None:
    import signal
    import subprocess
    import sys
    import time

    data = write_jsonl(tmp_path / "d.jsonl", hh_rows[:300])
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [sys.executable, "-m", "safetylab.cli", "audit", str(data), "--out", str(out),
         "--batch-size", "20", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    for _ in range(1200):  # until the first batch is written
        if (out / "state.json").exists():
            break
        time.sleep(0.05)
    # as a terminal's Ctrl-C does: to the whole process group, the answer worker included
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "re-run the same command to resume" in err
    assert "Traceback" not in err  # the worker leaves Ctrl-C to the audit


def test_08_ctrl_c_is_remembered_when_a_library_drops_the_exception() -> None:
    import signal
    import time

    from safetylab.audit.pipeline import CtrlC

    before = signal.getsignal(signal.SIGINT)
    with CtrlC() as ctrl_c:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here, at the latest
        except KeyboardInterrupt:
            pass  # what a careless library does
        assert ctrl_c.seen  # the audit loop raises at its next row
    assert signal.getsignal(signal.SIGINT) is before


# 9 ---------------------------------------------------------------------------------------------


def test_09_unreadable_judge_replies_are_not_cached_and_are_counted(tmp_path: Path) -> None:
    from safetylab.backends.testserver import BackgroundServer, ServerState
    from safetylab.classify.judge import LLMJudge

    with BackgroundServer(ServerState(latency=0.0)) as srv:
        from safetylab.backends import BackendOptions

        j = LLMJudge("openai/j", "xstest", BackendOptions(base_url=srv.base_url), tmp_path / "c")
        v = j.judge(["q", "q"], ["Sorry, I can't.", "JUDGE-CHATTY answer"])
        assert v[0].label == "full_refusal" and v[1].label is None
        assert j.problem_line() and "reply not a label: 1" in j.problem_line()
        before = srv.state.total
        j2 = LLMJudge("openai/j", "xstest", BackendOptions(base_url=srv.base_url), tmp_path / "c")
        j2.judge(["q", "q"], ["Sorry, I can't.", "JUDGE-CHATTY answer"])
        assert srv.state.total == before + 1  # only the unreadable one is asked again


# 6, 12, 13 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "centralised", "--dp-fedavg", "server"], "only apply to --mode federated"),
        (["--dp-sgd", "-1"], "--dp-sgd must be > 0"),
        (["--metric-dp", "0"], "--metric-dp must be a positive epsilon"),
        (["--dropout", "1.0"], "--dropout must lie in [0.0, 1.0)"),
        (["--dropout", "-0.5"], "--dropout must lie in [0.0, 1.0)"),
        (["--fraction-fit", "0"], "--fraction-fit must lie in (0.0, 1.0]"),
        (["--fraction-fit", "1.5"], "--fraction-fit must lie in (0.0, 1.0]"),
        (["--rounds", "0"], "--rounds must be >= 1"),
        (["--num-clients", "0"], "--num-clients must be at least 1"),
        (["--num-clients", "10000"], "the data has"),
        (["--window", "0"], "--window must be at least 1"),
        (["--skepticism", "11"], "--skepticism must lie in [1, 10]"),
        (["--dp-delta", "0"], "--dp-delta must lie in (0.0, 1.0)"),
        (["--dp-delta", "2"], "--dp-delta must lie in (0.0, 1.0)"),
        (["--dp-max-grad-norm", "0"], "--dp-max-grad-norm must be > 0"),
    ],
)
def test_06_13_grooming_rejects_options_that_do_not_apply_or_make_no_sense(
    tmp_path: Path, args: list[str], message: str
) -> None:
    data = tmp_path / "sim"
    assert run_cli("grooming", "simulate", "--out", str(data), "--users", "40").returncode == 0
    r = run_cli("grooming", "train", str(data / "chats.json"), "--out", str(tmp_path / "o"), *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--users", "0"], "--users must be at least 1"),
     (["--positive-share", "1.5"], "--positive-share must lie in [0, 1]")],
)  # fmt: skip
def test_13_grooming_simulate_checks_its_options(
    tmp_path: Path, args: list[str], message: str
) -> None:
    r = run_cli("grooming", "simulate", "--out", str(tmp_path / "s"), *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_12_24_a_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "model.gguf"
    junk.write_bytes(np.random.default_rng(0).bytes(2048))
    for path, message in ((junk, "not a GGUF model file"), (tmp_path / "none.gguf", "no such")):
        r = run_cli(
            "probe", "--model", f"gguf/{path}", "--out", str(tmp_path / "o"), "--limit", "1"
        )
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr


# 21, 22, 23 ------------------------------------------------------------------------------------


def test_21_plans_never_ask_for_more_labels_than_items() -> None:
    from safetylab.stats.ppi import labels_needed

    rng = np.random.default_rng(0)
    y = (rng.random(80) < 0.4).astype(float)
    yhat = np.where(rng.random(80) < 0.8, y, 1 - y)
    r = labels_needed(y, yhat, 0.05, 203)
    assert r["labels_needed_without_classifier"] <= 203 and r["labels_needed_with_ppi"] <= 203
    flat = labels_needed(y, np.ones(80), 0.1, 203)
    assert flat["labels_needed_with_ppi"] is None and "both outcomes" not in flat["note"]


def test_22_exporting_no_labels_is_an_error_and_failed_creates_leave_nothing(
    demo_out: Path, tmp_path: Path
) -> None:
    task = tmp_path / "task"
    r = run_cli("annotate", "create", str(demo_out), "--out", str(task), "--annotators", "a")
    assert r.returncode == 0, r.stderr
    r = run_cli("annotate", "export", str(task), "-o", str(tmp_path / "l.csv"), "--human-labels")
    assert r.returncode == 2 and "no item has a label yet" in r.stderr
    assert not (tmp_path / "l.csv").exists()
    bad = tmp_path / "bad"
    r = run_cli(
        "annotate", "create", str(demo_out), "--out", str(bad), "--annotators", "a",
        "--stratify", "nope",
    )  # fmt: skip
    assert r.returncode == 2 and not bad.exists()


def test_23_empty_preset_and_misnamed_inspect_output_are_errors(tmp_path: Path) -> None:
    r = run_cli("probe", "prompts", "-o", str(tmp_path / "p.csv"), "--preset", "")
    assert r.returncode == 2 and "--preset is empty" in r.stderr
    r = run_cli("probe", "prompts", "-o", str(tmp_path / "x.csv"), "--inspect")
    assert r.returncode == 2 and "name it .jsonl" in r.stderr
    assert not (tmp_path / "x.csv").exists()
