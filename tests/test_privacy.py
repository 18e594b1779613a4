"""`safetylab grooming privacy`: the metric-DP sampler against its definition, the attacks on
real text and on two small federations (with and without DP-FedAvg), the empirical epsilon
bound cross-checked with `privacy_estimates` and never above the accountant."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests.conftest import run_cli


def test_metric_dp_sampler_density_ratio() -> None:
    """Monte-Carlo: in 2-D, the histogram density of x + noise over that of x' + noise stays
    within exp(eta * ||x - x'||) (and reaches near it: the bound is tight, so a sampler with
    too little noise fails); in 384-D the radius is Gamma(d, 1/eta) and the direction uniform."""
    from safetylab.grooming.features import metric_dp_noise

    rng = np.random.default_rng(0)
    eta, n = 1.0, 1_000_000
    x, x2 = np.array([0.0, 0.0]), np.array([1.0, 0.0])
    bound = eta * float(np.linalg.norm(x - x2))
    edges = np.linspace(-4, 5, 19)
    h1, _, _ = np.histogram2d(*(x + metric_dp_noise(n, eta, rng, 2)).T, bins=[edges, edges])
    h2, _, _ = np.histogram2d(*(x2 + metric_dp_noise(n, eta, rng, 2)).T, bins=[edges, edges])
    ok = (h1 > 2000) & (h2 > 2000)  # bins with a few percent of sampling error
    log_ratio = np.abs(np.log(h1[ok] / h2[ok]))
    assert ok.sum() > 50
    assert log_ratio.max() <= bound * 1.05
    assert log_ratio.max() >= bound * 0.7

    z = metric_dp_noise(20_000, 25.0, rng, 384).astype(np.float64)
    r = np.linalg.norm(z, axis=1)
    assert stats.kstest(r, stats.gamma(a=384, scale=1 / 25.0).cdf).pvalue > 0.01
    u = z / r[:, None]
    assert np.abs(u.mean(0)).max() < 0.03  # no preferred direction


def test_eps_lower_bound_agrees_with_privacy_estimates() -> None:
    from privacy_estimates import AttackResults, compute_eps_lo

    from safetylab.stats.dp_audit import eps_from_rates, eps_lower_bound

    for tp, fn, fp, tn in [(90, 10, 5, 95), (50, 50, 50, 50), (100, 0, 0, 100), (30, 20, 10, 40),
                           (5, 95, 0, 100), (70, 30, 60, 40)]:  # fmt: skip
        ref = compute_eps_lo(AttackResults(FN=fn, FP=fp, TN=tn, TP=tp), 1e-5, 0.05, "beta")
        assert eps_lower_bound(tp, fn, fp, tn, 1e-5, 0.05) == pytest.approx(ref, abs=1e-9)
    assert eps_from_rates(0.5, 0.5, 0.0) == 0.0
    assert eps_from_rates(0.1, 0.1, 0.0) == pytest.approx(np.log(9))
    with pytest.raises(ValueError, match="at least one"):
        eps_lower_bound(0, 0, 3, 4, 1e-5, 0.05)


@pytest.fixture(scope="module")
def real_text() -> tuple[list[str], np.ndarray]:
    from safetylab.classify import sources
    from safetylab.classify.sources import data_root
    from safetylab.embed import Embedder

    if not (data_root() / "response-labels").is_dir():
        pytest.skip("shared response-labels data not found")
    df = sources.diasafety("train")
    texts = sorted({t.strip() for t in df["response"] if len(t.split()) >= 4})
    texts = [texts[i] for i in np.random.default_rng(1).permutation(len(texts))[:800]]
    return texts, np.asarray(Embedder().encode(texts), dtype=np.float64)


def test_reidentification_and_token_recovery_on_real_dialogue(
    real_text: tuple[list[str], np.ndarray],
) -> None:
    """DiaSafety replies (MiniLM, unit vectors): nearly all re-identified at little noise, near
    chance at much noise, monotone between; the inverter recovers words well above what word
    frequencies alone give only when the noise is small."""
    from safetylab.grooming.attacks import reidentification, sensitive_words, token_recovery

    texts, vec = real_text
    rng = np.random.default_rng(0)
    pool = vec[:300]
    top1 = [reidentification(pool, eta, rng)["top1"] for eta in (5, 25, 50, 100, 1000)]
    assert top1 == sorted(top1)
    assert top1[0] <= 0.03 and top1[-1] >= 0.97
    r = reidentification(pool, 50, rng)
    assert r["top1_ci95"][0] <= r["top1"] <= r["top1_ci95"][1] and r["top5"] >= r["top1"]
    cut = 600
    args = (texts[:cut], vec[:cut], texts[cut:], vec[cut:])
    hi = token_recovery(*args, 2000.0, 200, sensitive_words(), rng)
    lo = token_recovery(*args, 5.0, 200, sensitive_words(), rng)
    assert hi["f1"] > hi["prior_f1"] + 0.1, hi
    assert lo["f1"] < lo["prior_f1"] + 0.05, lo
    assert hi["f1_ci95"][0] <= hi["f1"] <= hi["f1_ci95"][1]


def test_sensitive_words_survive_stop_words() -> None:
    from safetylab.grooming.attacks import words

    got = words("Are you alone? I am twelve, add me on Snapchat")
    assert {"alone", "twelve", "snapchat"} <= got
    assert "the" not in words("the")


# --- two small federations, with and without DP-FedAvg ------------------------------------------


_TRAIN = ("--batched", "--rounds", "10", "--fraction-fit", "0.5", "--epochs", "5", "--lr", "0.5")
_DP = ("--dp-fedavg", "server", "--dp-fedavg-noise", "5")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("privacy")
    r = run_cli("grooming", "simulate", "--out", str(d), "--users", "120", "--seed", "3")
    assert r.returncode == 0, r.stderr
    out = {}
    for name, extra in (("plain", ()), ("dp", _DP)):
        out[name] = d / name
        r = run_cli("grooming", "train", str(d / "chats.json"), "--out", str(out[name]),
                    *_TRAIN, *extra)  # fmt: skip
        assert r.returncode == 0, r.stderr
        r = run_cli("grooming", "privacy", str(out[name]), "--text", "chats", "--texts", "300",
                    "--pool", "150", "--members", "30", "--shadows", "3", "--canaries", "100",
                    "--eta", "10", "--eta", "400")  # fmt: skip
        assert r.returncode == 0, r.stderr
    return out


def test_replay_reproduces_the_run(runs: dict[str, Path]) -> None:
    """The in-process federation the shadow and canary runs use gives the run's own model."""
    from safetylab.grooming.privacy import load_run
    from safetylab.grooming.replay import Federation, StoreUsers

    run = load_run(runs["plain"])
    w, _ = Federation(run.cfg, run.warmup).run(StoreUsers(run.store), run.cfg.seed)
    for a, b in zip(w, run.weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_dp_fedavg_simulation_repeats_with_its_seed(runs: dict[str, Path], tmp_path: Path) -> None:
    """pfl seeds its central noise from NumPy's global state; the run's --seed must fix it, or
    no DP figure (nor the membership attack on it) can be reproduced."""
    chats = runs["dp"].parent / "chats.json"
    r = run_cli("grooming", "train", str(chats), "--out", str(tmp_path / "again"), *_TRAIN, *_DP)
    assert r.returncode == 0, r.stderr
    a, b = np.load(runs["dp"] / "model.npz"), np.load(tmp_path / "again" / "model.npz")
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_privacy_report(runs: dict[str, Path]) -> None:
    plain = json.loads((runs["plain"] / "privacy.json").read_text())
    dp = json.loads((runs["dp"] / "privacy.json").read_text())
    for key in ("metric_dp", "membership", "gradient_inversion", "empirical_epsilon", "epsilons"):
        assert key in plain
    md = plain["metric_dp"]
    assert {"reidentification", "token_recovery", "median_distance"} <= set(md)
    reid = {r["eta"]: r for r in md["reidentification"]}
    assert reid[400]["top1"] >= 0.9 and reid[10]["top1"] <= 0.1
    assert reid[400]["scale"] == pytest.approx(400 * md["median_distance"]["chats"], rel=1e-3)
    tr = md["token_recovery"][0]
    assert {"eta", "precision", "recall", "f1", "sensitive_recall"} <= set(tr)
    # membership: the reference attack finds members of the plain run, not of the DP run
    m_plain, m_dp = plain["membership"]["reference"], dp["membership"]["reference"]
    assert {"auc", "auc_ci95", "advantage", "tpr_at_fpr"} <= set(m_plain)
    assert set(m_plain["tpr_at_fpr"]) == {"0.01", "0.001"}
    assert m_plain["auc"] > m_dp["auc"] and m_plain["auc_ci95"][0] > 0.5
    # one-sided, as the claim is: no evidence that the attack finds the DP run's members (with
    # 30 members, an interval below 0.5 is chance, as unseeded noise once showed: [0.20, 0.49])
    assert m_dp["auc_ci95"][0] < 0.5
    assert m_plain["members"] == m_plain["non_members"] >= 20  # matched on contacted users
    # the server reads one example's input from a plain update, not from a DP-SGD one
    g = plain["gradient_inversion"]
    assert g["fedavg"]["mean_cosine"] > 0.999 and g["dp_sgd"]["mean_cosine"] < 0.3
    assert g["secagg"]["visible"] is False
    # empirical epsilon: positive without DP, never above the accountant with it
    e_plain, e_dp = plain["empirical_epsilon"], dp["empirical_epsilon"]
    assert e_plain["lower_bound"] > 0.5 and e_plain["accountant_epsilon"] is None
    assert e_dp["accountant_epsilon"] > 0
    assert e_dp["lower_bound"] <= e_dp["accountant_epsilon"]
    assert e_dp["lower_bound"] < e_plain["lower_bound"]
    assert {"lower_bound", "alpha", "canaries", "accountant_epsilon"} <= set(e_dp)
    names = [e["name"] for e in dp["epsilons"]]
    assert "DP-FedAvg (central, PLD accountant)" in names
    assert all(e["unit"] for e in dp["epsilons"])
    html = (runs["plain"] / "report.html").read_text()
    assert "re-identif" in html.lower() and "membership" in html.lower()


def test_privacy_errors(runs: dict[str, Path], tmp_path: Path) -> None:
    r = run_cli("grooming", "privacy", str(runs["plain"]), "--eta", "-1")
    assert r.returncode == 2 and "--eta" in r.stderr
    r = run_cli("grooming", "privacy", str(runs["plain"]), "--chats", str(tmp_path / "nope.json"))
    assert r.returncode == 2 and "nope.json" in r.stderr
    r = run_cli("grooming", "privacy", str(tmp_path))
    assert r.returncode == 2 and str(tmp_path) in r.stderr


def test_default_sweep_without_shared_data(
    runs: dict[str, Path], tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]  # noqa: E501
    """Installed without ../shared/data: the default sweep measures the run's own chats and says
    which real-text sources it left out; naming one with --text that is missing is an error."""
    monkeypatch.setenv("SAFETYLAB_DATA", str(tmp_path / "none"))
    r = run_cli("grooming", "privacy", str(runs["plain"]), "--out", str(tmp_path / "o"),
                "--texts", "200", "--pool", "100", "--members", "20", "--shadows", "1",
                "--canaries", "40", "--eta", "50")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "diasafety left out" in r.stderr and "hh left out" in r.stderr
    rep = json.loads((tmp_path / "o" / "privacy.json").read_text())
    assert set(rep["metric_dp"]["texts"]) == {"chats"}
    r = run_cli("grooming", "privacy", str(runs["plain"]), "--out", str(tmp_path / "p"),
                "--text", "hh")  # fmt: skip
    assert r.returncode == 2 and "HH-RLHF is not here" in r.stderr
