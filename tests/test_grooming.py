"""`safetylab grooming`: corpus formats, PANC segmentation, the eSPD rule and metrics with their
published definitions, and federated training in Flower's simulation engine with DP, dropout
and a check of everything the server received."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from safetylab.io.shared_data import data_root
from tests.conftest import run_cli


def test_metric_definitions() -> None:
    from safetylab.grooming.metrics import (
        latency_weighted_f1,
        penalty,
        penalty_factor_for_median,
        speed,
        warning_latency,
    )

    p = penalty_factor_for_median(41)
    assert p == pytest.approx(math.log(3) / 40)
    assert penalty(41, p) == pytest.approx(0.5)
    assert penalty(1, p) == pytest.approx(0.0)
    assert penalty(10_000, p) == pytest.approx(1.0)
    # speed = 1 - median penalty of true-positive latencies
    lat = [1, 41, 81]
    assert speed(lat, p) == pytest.approx(0.5)
    assert latency_weighted_f1(0.8, lat, p) == pytest.approx(0.4)
    assert speed([], p) == 0.0
    # Warning: at least `skepticism` positives among the last 10 votes; final once raised.
    votes = [0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]
    assert warning_latency(votes, 3) == 5
    assert warning_latency(votes, 4) == 13  # votes 4..13 (1-based) hold four positives
    assert warning_latency(votes, 5) is None  # never five within any 10 votes
    assert warning_latency([1] * 12, 10) == 10
    assert warning_latency([], 1) is None


def test_corpus_formats_and_segmentation(tmp_path: Path) -> None:
    from safetylab.grooming.corpus import load_corpus, load_datapack, load_pan12, read_predators

    r = run_cli("grooming", "simulate", "--out", str(tmp_path), "--users", "40", "--seed", "3")
    assert r.returncode == 0, r.stderr
    pan = list(load_pan12(tmp_path / "pan12.xml", read_predators(tmp_path / "truth.txt")))
    pack = list(load_datapack(tmp_path / "chats.json"))
    assert [c.id for c in pan] == [c.id for c in pack]
    assert [c.label for c in pan] == [c.label for c in pack]  # labels from predator ids == pack
    assert [m.text for m in pan[0].messages] == [m.text for m in pack[0].messages]
    assert any(c.label for c in pack) and not all(c.label for c in pack)
    seg = load_corpus(tmp_path / "chats.json")
    assert all(6 <= len(c) <= 150 for c in seg)
    pos = [c for c in pack if c.label]
    # Positive chats are cut at their segment separators (four grooming stages here).
    n_seg = sum(1 for c in seg if c.label)
    assert n_seg == sum(len(json.loads(c.meta["segments"])) for c in pos)
    # The PAN12 path (no separators) keeps whole chats within 6..150 messages.
    assert all(
        6 <= len(c) <= 150 for c in load_corpus(tmp_path / "pan12.xml", tmp_path / "truth.txt")
    )

    bad = tmp_path / "bad.json"
    bad.write_text('{"chats": [{"id": 1, "label": 3, "segments": []}]}')
    r = run_cli("grooming", "train", str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "chats[0].label" in r.stderr
    (tmp_path / "broken.xml").write_text("<conversations><conversation id='a'><message>")
    r = run_cli("grooming", "train", str(tmp_path / "broken.xml"), "--truth",
                str(tmp_path / "truth.txt"), "--out", str(tmp_path / "o"))  # fmt: skip
    assert r.returncode == 2 and "broken.xml:1" in r.stderr
    r = run_cli("grooming", "train", str(tmp_path / "pan12.xml"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "--truth" in r.stderr


def test_metric_dp_noise_scale() -> None:
    from safetylab.grooming.features import metric_dp_noise, window_means

    rng = np.random.default_rng(0)
    z = metric_dp_noise(4000, epsilon=50.0, rng=rng)
    # |z| ~ Gamma(d, 1/eps): mean d / eps.
    assert np.linalg.norm(z, axis=1).mean() == pytest.approx(384 / 50.0, rel=0.02)
    e = np.arange(12, dtype=np.float32).reshape(6, 2)
    w = window_means(e, 3)
    assert np.allclose(w[0], e[0]) and np.allclose(w[5], e[3:6].mean(0))


@pytest.fixture(scope="module")
def chats_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("gchats")
    r = run_cli("grooming", "simulate", "--out", str(d), "--users", "80", "--seed", "1")
    assert r.returncode == 0, r.stderr
    return d / "chats.json"


def _train(chats: Path, out: Path, *args: str) -> dict:
    r = run_cli("grooming", "train", str(chats), "--out", str(out), *args)
    assert r.returncode == 0, r.stderr
    # Opacus warned once per client (hundreds of lines) before its expected warnings were scoped
    assert "Warning" not in r.stderr, r.stderr[:2000]
    return json.loads((out / "metrics.json").read_text())


def test_federated_private_and_robust(chats_file: Path, tmp_path: Path) -> None:
    """Flower simulation with 30 % of sampled clients dropping out and metric-DP noise on the
    embeddings still learns; the server only ever received two float arrays and numeric
    metrics per client."""
    base = _train(chats_file, tmp_path / "central", "--mode", "centralised", "--rounds", "4")
    fed = _train(chats_file, tmp_path / "fed", "--rounds", "6", "--fraction-fit", "0.3",
                 "--dropout", "0.3", "--metric-dp", "1000", "--engine", "flower")  # fmt: skip
    assert base["final"]["f1"] >= 0.8
    hist = [json.loads(x) for x in (tmp_path / "fed" / "history.jsonl").read_text().splitlines()]
    assert [h["round"] for h in hist] == list(range(7))  # round 0 = the warm-up model
    assert fed["final"]["f1"] >= 0.7 and fed["final"]["f1"] >= hist[0]["f1"]
    assert 0 < fed["final"]["latency_weighted_f1"] <= fed["final"]["f1"]
    assert fed["privacy"]["metric_dp_epsilon"] == 1000
    received = [
        json.loads(x) for x in (tmp_path / "fed" / "received.jsonl").read_text().splitlines()
    ]
    fails = sum(r.get("failures", 0) for r in received)
    fits = [r for r in received if "arrays" in r]
    assert fails > 0 and fits  # some sampled clients dropped out, the rounds still completed
    assert fails / (fails + len(fits)) == pytest.approx(0.3, abs=0.15)
    for r in fits:
        assert r["arrays"] == [[[1, 384], "float32"], [[1], "float32"]]
        assert set(r["metrics"].values()) <= {"float", "int"}
        assert r["bytes"] < 2000
    text = (tmp_path / "fed" / "received.jsonl").read_text()
    for word in ("secret", "parents", "homework"):
        assert word not in text
    r = run_cli(
        "grooming", "evaluate", str(tmp_path / "fed"), str(tmp_path / "central"), "--report"
    )
    assert r.returncode == 0 and "metric-DP" in r.stderr and "dropout 30%" in r.stderr
    html = (tmp_path / "fed" / "report.html").read_text()
    assert "Privacy / utility" in html and "centralised" in html


def test_dp_sgd_dp_fedavg_and_secagg(chats_file: Path, tmp_path: Path) -> None:
    # DP-SGD inside pfl's local training: Opacus' accountant, composed per client over rounds
    dp = _train(chats_file, tmp_path / "dpsgd", "--rounds", "3", "--fraction-fit", "0.3",
                "--dp-sgd", "0.8")  # fmt: skip
    assert dp["engine"] == "pfl"
    eps = dp["privacy"]["dp_sgd"]["epsilon_max"]
    assert eps is not None and 0 < eps < 50
    hist = [json.loads(x) for x in (tmp_path / "dpsgd" / "history.jsonl").read_text().splitlines()]
    assert all(h.get("epsilon_max", 0) > 0 for h in hist[1:])
    assert sorted(h["epsilon_max"] for h in hist[1:]) == [h["epsilon_max"] for h in hist[1:]]
    # central DP-FedAvg in pfl, with three accountants
    m = _train(chats_file, tmp_path / "dpc", "--rounds", "3", "--fraction-fit", "0.3",
               "--dp-fedavg", "server", "--dp-fedavg-noise", "0.8")  # fmt: skip
    e = m["privacy"]["dp_fedavg"]["epsilon"]
    assert 0 < e["pld"] <= e["rdp"] and e["pld"] == pytest.approx(e["prv"], rel=0.05)
    # Flower's DP-FedAvg wrapper and SecAgg+ (Flower only: pfl says so)
    m = _train(chats_file, tmp_path / "dpf", "--rounds", "3", "--fraction-fit", "0.3",
               "--dp-fedavg", "server", "--dp-fedavg-noise", "0.05", "--engine", "flower")  # fmt: skip  # noqa: E501
    assert m["privacy"]["dp_fedavg"]["mode"] == "server" and m["final"]["f1"] >= 0.5
    # ... and a simulation repeats with its seed: the same cohorts and the same noise
    _train(chats_file, tmp_path / "dpf2", "--rounds", "3", "--fraction-fit", "0.3",
           "--dp-fedavg", "server", "--dp-fedavg-noise", "0.05", "--engine", "flower")  # fmt: skip  # noqa: E501
    a, b = np.load(tmp_path / "dpf" / "model.npz"), np.load(tmp_path / "dpf2" / "model.npz")
    for k in a:  # up to FedAvg's summation order
        np.testing.assert_allclose(a[k], b[k], atol=1e-6)
    r = run_cli("grooming", "train", str(chats_file), "--out", str(tmp_path / "x"), "--secagg")
    assert r.returncode == 2 and "--engine flower" in r.stderr
    s = _train(chats_file, tmp_path / "sa", "--rounds", "2", "--fraction-fit", "0.2", "--secagg",
               "--engine", "flower")  # fmt: skip
    assert s["config"]["secagg"] and s["final"]["f1"] >= 0.5
    assert "report.html" in {p.name for p in (tmp_path / "sa").iterdir()}


def test_engines_agree(chats_file: Path, tmp_path: Path) -> None:
    """The same small federation (60 users, 3 rounds, the same cohorts, no DP) through Flower,
    pfl, and pfl with batched local training: the same global weights, the same warnings."""
    import asyncio

    from safetylab.grooming.corpus import load_corpus
    from safetylab.grooming.fl import FLConfig, simulate
    from safetylab.grooming.metrics import warning_latency
    from safetylab.grooming.model import chat_probs
    from safetylab.grooming.pfl_engine import simulate_pfl
    from safetylab.grooming.pipeline import prepare

    asyncio.run(asyncio.sleep(0))  # as a probe run earlier in the process leaves it: no loop
    store, data, info = prepare(load_corpus(chats_file), tmp_path / "prep", 50, None, 0)
    assert info["client_users"] == 60
    runs = {}
    for name in ("flower", "pfl", "pfl-batched"):
        # no seeded_cohorts flag: Flower's simulation draws pfl's seeded cohorts by itself
        cfg = FLConfig(store=str(store), out=str(tmp_path / name), rounds=3, fraction_fit=0.4,
                       dropout=0.1)  # fmt: skip
        hist = (
            simulate(cfg, data)
            if name == "flower"
            else simulate_pfl(cfg, data, "batched" in name)[0]
        )
        w = np.load(tmp_path / name / "model.npz")
        runs[name] = ([w["weight"], w["bias"]], hist)
    ref = runs["flower"][0]
    warn = [warning_latency(p >= 0.5, 5) for p in chat_probs(ref, data.test)]
    for name in ("pfl", "pfl-batched"):
        w, hist = runs[name]
        assert np.abs(w[0] - ref[0]).max() < 1e-5 and np.abs(w[1] - ref[1]).max() < 1e-5
        assert [warning_latency(p >= 0.5, 5) for p in chat_probs(w, data.test)] == warn
        assert [h["round"] for h in hist] == [h["round"] for h in runs["flower"][1]]
        assert [h["f1"] for h in hist] == [h["f1"] for h in runs["flower"][1]]
    assert any(h.get("failures") for h in runs["pfl"][1])  # dropout hit some sampled clients


def test_batched_cohort_training_matches_per_client() -> None:
    from safetylab.grooming.batched import train_cohort
    from safetylab.grooming.model import LocalTraining, train_local

    rng = np.random.default_rng(0)
    data = [
        (rng.standard_normal((int(n), 384)).astype(np.float32), (rng.random(int(n)) < 0.3).astype(np.float32))  # noqa: E501
        for n in rng.integers(1, 200, size=40)
    ]  # fmt: skip
    w0 = [rng.standard_normal((1, 384)).astype(np.float32) * 0.01, np.zeros(1, np.float32)]
    local = LocalTraining(epochs=2, batch_size=16, lr=0.2)
    seeds = list(range(100, 140))
    batched = train_cohort(w0, data, seeds, local)
    for (x, y), s, b in zip(data, seeds, batched, strict=True):
        per, _ = train_local(w0, x, y, LocalTraining(epochs=2, batch_size=16, lr=0.2, seed=s))
        assert np.abs(per[0] - b[0]).max() < 1e-6 and np.abs(per[1] - b[1]).max() < 1e-6


def test_pan12_real_label_files_and_schema(tmp_path: Path) -> None:
    """The corpus' own predator lists, and an XML in exactly the schema its readme gives."""
    from safetylab.grooming.corpus import load_pan12, read_predators

    d = data_root() / "pan12-labels"
    if not d.exists():
        pytest.skip("shared pan12-labels not found")
    train = read_predators(
        d / "pan12-sexual-predator-identification-training-corpus-predators-2012-05-01.txt"
    )  # noqa: E501
    test = read_predators(d / "pan12-sexual-predator-identification-groundtruth-problem1.txt")
    assert len(train) == 142 and len(test) == 254
    assert all(len(a) == 32 and int(a, 16) >= 0 for a in train | test)
    pred = sorted(train)[0]
    xml = tmp_path / "corpus.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<conversations>\n'
        '<conversation id="e621da5de598c9321a1d505ea95e6a2d">\n'
        f'<message line="1"><author>{pred}</author><time>03:20</time><text>hey whats up</text></message>\n'  # noqa: E501
        '<message line="2"><author>0a39f6f4b3e2d6c8a1b7c9d0e1f2a3b4</author><time>03:21</time><text>not much &amp; you?</text></message>\n'  # noqa: E501
        '</conversation>\n<conversation id="9cbfd2a1f6b5d5e1c0a7a8b9c0d1e2f3">\n'
        '<message line="1"><author>0a39f6f4b3e2d6c8a1b7c9d0e1f2a3b4</author><time>11:02</time><text>hi</text></message>\n'  # noqa: E501
        "</conversation>\n</conversations>\n"
    )  # noqa: E501
    chats = list(load_pan12(xml, train))
    assert [c.label for c in chats] == [1, 0]
    assert chats[0].messages[1].text == "not much & you?" and chats[0].source.endswith(":3")
    assert chats[0].user == "0a39f6f4b3e2d6c8a1b7c9d0e1f2a3b4"


def _free_ports(n: int) -> list[int]:
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_same_apps_run_as_a_real_deployment(tmp_path: Path) -> None:
    """SuperLink + three SuperNodes as separate processes on 127.0.0.1, and `flwr run` submits
    the packaged Flower App: the ServerApp/ClientApp code the simulation uses."""
    import os
    import shutil
    import subprocess
    import sys
    import time

    from safetylab.grooming.corpus import segment
    from safetylab.grooming.fl import FLConfig, save_server_data
    from safetylab.grooming.pipeline import prepare
    from safetylab.grooming.synth import generate

    chats = segment(generate(users=16, positive_share=0.5, seed=4))
    store, data, _ = prepare(chats, tmp_path / "d", 50, None, 0)
    save_server_data(data, tmp_path / "d" / "server.npz")
    cfg = FLConfig(store=str(store), out=str(tmp_path / "run"), rounds=2, fraction_fit=1.0,
                   min_fit_clients=3)  # fmt: skip
    fleet, control, appio, *node_ports = _free_ports(6)
    home = tmp_path / "flwr"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "deploy"\n\n[superlink.deploy]\n'
        f'address = "127.0.0.1:{control}"\ninsecure = true\n'
    )
    bin_dir = Path(sys.executable).parent
    # SuperLink and SuperNodes start their helpers (flower-superexec, ...) from PATH.
    env = {**os.environ, "FLWR_HOME": str(home),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    procs = [subprocess.Popen(
        [str(bin_dir / "flower-superlink"), "--insecure", "--fleet-api-address",
         f"127.0.0.1:{fleet}", "--control-api-address", f"127.0.0.1:{control}",
         "--serverappio-api-address", f"127.0.0.1:{appio}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]  # fmt: skip
    try:
        import socket

        deadline = time.time() + 90  # a cold venv takes a while to import Flower
        while True:
            try:
                socket.create_connection(("127.0.0.1", control), timeout=1).close()
                socket.create_connection(("127.0.0.1", fleet), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "SuperLink did not start"
                assert procs[0].poll() is None, "SuperLink exited"
                time.sleep(0.5)
        for i, port in enumerate(node_ports):
            procs.append(subprocess.Popen(
                [str(bin_dir / "flower-supernode"), "--insecure", "--superlink",
                 f"127.0.0.1:{fleet}", "--clientappio-api-address", f"127.0.0.1:{port}",
                 "--node-config", f"partition-id={i}"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        app = tmp_path / "app"
        shutil.copytree(Path(__file__).parents[1] / "src/safetylab/grooming/flower_app", app)
        run_cfg = f"fl-config='{cfg.to_json()}' server-data='{tmp_path / 'd' / 'server.npz'}'"
        r = subprocess.run(
            [str(bin_dir / "flwr"), "run", ".", "deploy", "--run-config", run_cfg, "--stream"],
            cwd=app, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:  # a SuperNode slow to stop on a loaded machine
                p.kill()
                p.wait()
    hist = [json.loads(x) for x in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    assert [h["round"] for h in hist] == [0, 1, 2]
    received = [
        json.loads(x) for x in (tmp_path / "run" / "received.jsonl").read_text().splitlines()
    ]
    fits = [x for x in received if "arrays" in x]
    assert len(fits) == 6  # 3 SuperNodes x 2 rounds, each sent only the two weight arrays
    assert all(x["arrays"] == [[[1, 384], "float32"], [[1], "float32"]] for x in fits)


def test_pfl_multi_process_with_torchrun(chats_file: Path, tmp_path: Path) -> None:
    """pfl's distributed simulation: two processes under torchrun split every cohort and reach
    the model one process reaches."""
    import os
    import subprocess
    import sys

    torchrun = Path(sys.executable).with_name("torchrun")
    args = ["grooming", "train", str(chats_file), "--rounds", "2", "--fraction-fit", "0.5"]
    env = {**os.environ, "PATH": f"{torchrun.parent}:{os.environ.get('PATH', '')}"}
    cmd = [str(torchrun), "--nproc_per_node=2", "-m", "safetylab.cli", *args]
    r = subprocess.run(
        [*cmd, "--out", str(tmp_path / "two")], capture_output=True, text=True, timeout=600, env=env
    )
    assert r.returncode == 0, r.stderr[-3000:]
    one = _train(chats_file, tmp_path / "one", "--rounds", "2", "--fraction-fit", "0.5")
    two = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert two["final"]["f1"] == one["final"]["f1"]
    a, b = np.load(tmp_path / "one" / "model.npz"), np.load(tmp_path / "two" / "model.npz")
    assert np.abs(a["weight"] - b["weight"]).max() < 1e-5
    # DP-SGD: every rank accounts for its own clients; the reported budget is the largest of all
    dp = ["--dp-sgd", "1.0", "--out"]
    r = subprocess.run([*cmd, *dp, str(tmp_path / "two-dp")], capture_output=True, text=True,
                       timeout=600, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    one = _train(chats_file, tmp_path / "one-dp", "--rounds", "2", "--fraction-fit", "0.5",
                 "--dp-sgd", "1.0")  # fmt: skip
    two = json.loads((tmp_path / "two-dp" / "metrics.json").read_text())
    eps1, eps2 = one["privacy"]["dp_sgd"]["epsilon_max"], two["privacy"]["dp_sgd"]["epsilon_max"]
    assert eps1 > 0 and eps2 == pytest.approx(eps1, rel=1e-9)


def _datapack(path: Path, n: int) -> Path:
    chat = {
        "label": 0,
        "user": "u",
        "segments": [[{"author": "a", "time": "18:00", "body": "hi, how was school?"}] * 6],
    }
    path.write_text(json.dumps({"chats": [{**chat, "id": f"c{i}"} for i in range(n)]}, indent=1))
    return path


def test_datapack_loader_records_source_lines(tmp_path: Path) -> None:
    """Every chat records its source line, found in one pass (the per-chat search from the
    file's start was quadratic: minutes at 8,000 chats; its speed is in benchmarks/bench_cli)."""
    from safetylab.grooming.corpus import load_datapack

    for n in (1, 3, 20_000):
        p = _datapack(tmp_path / f"{n}.json", n)
        chats = list(load_datapack(p))
        assert len(chats) == n
        assert [c.source for c in chats[:2]] == [f"{p}:{3 + 39 * i}" for i in range(min(n, 2))]
        assert chats[-1].source == f"{p}:{3 + 39 * (n - 1)}"
