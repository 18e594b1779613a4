"""`safetylab audit`: stream a preference dataset through the classifiers and write the audit.

Work happens in batches; each finished batch is written as a Parquet part and recorded in
`state.json`, so a killed run resumes after the last finished batch. When all parts exist they
are joined into `pairs.parquet` (input order) and the summary and report are built from it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from safetylab.audit.answers import AnswerWorker
from safetylab.audit.featurize import Featurizer
from safetylab.audit.flags import DuplicateIndex, pair_hash
from safetylab.audit.harm import HarmHead, request_text
from safetylab.audit.quality import (
    RULES_FILE,
    AnswerEvidence,
    QualityRules,
    QualityVerdict,
    load_rules,
    quality_verdicts,
)
from safetylab.backends import BackendOptions
from safetylab.classify.features import normalize_text
from safetylab.classify.judge import LLMJudge
from safetylab.errors import InputError, SafetylabError
from safetylab.io.hh import ColumnMap, pair_from_row, subset_of
from safetylab.io.readers import iter_rows
from safetylab.records import STYLES, Judgement, PreferencePair
from safetylab.results import AuditSummary
from safetylab.rundir import PAIRS, PARTS, REPORT, STATE, AuditRun, exclusive

STATE_VERSION = 2


@dataclass
class AuditConfig:
    inputs: list[Path]
    out: Path
    columns: ColumnMap = field(default_factory=ColumnMap)
    skip_invalid: bool = False
    batch_size: int = 1024
    near_dup_threshold: float = 0.8
    harm_threshold: float | None = None  # None: the harm head's cross-validated threshold
    encoder: str = "float"  # or "int8": the request encoder on int8 weights, ~1.6x the audit
    lexicon: Path | None = None
    classifier: Path | None = None
    limit: int | None = None
    human_labels: Path | None = None  # people's labels of a random sample: PPI estimates
    judge: str | None = None  # an LLM judge of answer quality beside the decision table
    judge_options: BackendOptions = field(default_factory=BackendOptions)
    engine: str = "local"  # or "ray": batches computed by Ray actors (same output)
    ray_address: str | None = None  # join this Ray cluster; None = a local Ray runtime
    workers: int | None = None  # Ray actors (default: one per CPU)

    def __post_init__(self) -> None:
        if isinstance(self.inputs, str | Path):
            raise SafetylabError(
                "AuditConfig.inputs must be a list of paths, e.g. [Path('x.jsonl')]"
            )
        self.inputs = [Path(p) for p in self.inputs]
        self.out = Path(self.out)
        if not self.inputs:
            raise SafetylabError("AuditConfig.inputs is empty: give at least one input file")
        if self.batch_size < 1:
            raise SafetylabError("AuditConfig.batch_size must be at least 1")
        if self.harm_threshold is not None and not 0.0 < self.harm_threshold < 1.0:
            raise SafetylabError("AuditConfig.harm_threshold must lie in (0, 1)")
        if not 0.0 < self.near_dup_threshold <= 1.0:
            raise SafetylabError("AuditConfig.near_dup_threshold must lie in (0, 1]")
        if self.limit is not None and self.limit < 1:
            raise SafetylabError("AuditConfig.limit must be at least 1")
        if self.engine not in ("local", "ray"):
            raise SafetylabError("--engine must be local or ray")
        if self.encoder not in ("float", "int8"):
            raise SafetylabError("--encoder must be float or int8")

    def fingerprint(self) -> str:
        """Changes when the inputs or any option that changes results changes."""
        h = hashlib.sha256()
        for p in self.inputs:
            st = p.stat()
            h.update(f"{p.resolve()}|{st.st_size}|{int(st.st_mtime)}".encode())
        opts = (
            self.columns,
            self.near_dup_threshold,
            self.harm_threshold,
            self.lexicon,
            self.classifier,
            self.limit,
            self.skip_invalid,
            self.judge,
            self.encoder,
        )
        h.update(repr(opts).encode())
        h.update(_models_digest(self.classifier).encode())
        return h.hexdigest()[:16]


def _models_digest(classifier: Path | None) -> str:
    """The bytes of every model and table the audit reads: a run resumed after an upgrade that
    changed one (a retrained classifier, a re-chosen harm threshold) starts over instead of
    joining parts labelled by two different models."""
    from safetylab.audit import answer_harm, harm
    from safetylab.classify.model import BUNDLE, HEADS_DIR

    files = [
        (classifier or HEADS_DIR) / BUNDLE,
        harm.WEIGHTS,
        harm.ADAPTER / "adapter_model.safetensors",
        answer_harm.WEIGHTS,
        RULES_FILE,
    ]
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes() if f.is_file() else f"missing:{f.name}".encode())
    return h.hexdigest()


@dataclass
class _State:
    fingerprint: str
    consumed: int = 0  # input rows consumed (parsed or skipped) by finished parts
    parts: int = 0
    pairs: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    version: int = STATE_VERSION

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.replace(path)


def _rows(cfg: AuditConfig) -> Iterator[tuple[PreferencePair | None, InputError | None]]:
    n = 0
    for path in cfg.inputs:
        for row in iter_rows(path):
            if cfg.limit is not None and n >= cfg.limit:
                return
            n += 1
            if row.error is not None:
                yield None, row.error
                continue
            try:
                yield pair_from_row(row.data, row.source, cfg.columns), None  # type: ignore[arg-type]
            except InputError as exc:
                yield None, exc


def _conversation(p: PreferencePair, max_chars: int = 3000) -> str:
    """What an LLM judge sees of the shared context: the last turns, newest last."""
    return _conversation_of([(t.role, t.text) for t in p.context], max_chars)


def _conversation_of(turns: Sequence[Sequence[str]], max_chars: int = 3000) -> str:
    text = "\n".join(f"{role.capitalize()}: {body}" for role, body in turns)
    return text[-max_chars:]


def _read_state(
    path: Path, out: Path, fingerprint: str, notice: Callable[[str], None] | None
) -> _State | None:
    """The saved state when it belongs to this run and every part it names exists; otherwise
    None (start afresh), saying why when something was found but cannot be used."""
    if not path.exists():
        return None
    say = notice or (lambda _msg: None)
    try:
        old = json.loads(path.read_text())
        state = _State(**old)
    except (ValueError, TypeError) as exc:
        say(f"{path} is damaged ({exc}); starting afresh")
        return None
    if state.fingerprint != fingerprint or state.version != STATE_VERSION:
        say(f"{out} holds an audit of other inputs, options or models; starting afresh")
        return None
    missing = [k for k in range(state.parts) if not _part_path(out, k).exists()]
    if missing:
        say(f"{_part_path(out, missing[0])} is missing; starting afresh")
        return None
    return state


@dataclass
class BatchEvidence:
    """One batch's evidence: answers are chosen ones then rejected ones (2n rows)."""

    firsts: list[str]
    lasts: list[str]
    contexts: list[str]
    judgements: list[Judgement]
    answers: list[AnswerEvidence]
    harm: np.ndarray  # (n, categories), conversation level
    p_last: np.ndarray  # (n,) P(harmful) of the last request alone
    p_answer: np.ndarray  # (2n,) P(the answer's content is harmful)
    groups: tuple[list[list[str]], list[list[str]], list[list[str]]]

    def p_conversation(self, benign: int) -> np.ndarray:
        return 1.0 - self.harm[:, benign]

    def verdicts(self, rules: QualityRules, benign: int) -> list[QualityVerdict]:
        pc = list(self.p_conversation(benign)) * 2
        pl = list(self.p_last) * 2
        return quality_verdicts(self.answers, pc, pl, list(self.p_answer), rules)


class CtrlC:
    """Ctrl-C raises KeyboardInterrupt as usual and is also remembered, so that an interrupt
    whose exception some library caught and dropped still stops the run at the next row (seen
    once: an audit that ran to the end with exit 0 after SIGINT). Main thread only."""

    def __init__(self) -> None:
        self.seen = False
        self._old: Any = None
        self._installed = False

    def _handle(self, signum: int, frame: Any) -> None:
        self.seen = True
        raise KeyboardInterrupt

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._old if self._old is not None else signal.SIG_DFL)


def _part_path(out: Path, k: int) -> Path:
    return out / PARTS / f"part-{k:06d}.parquet"


def _columns_worker(cfg: AuditConfig) -> Callable[[list[PreferencePair]], dict[str, list[Any]]]:
    """What a Ray actor builds once: an auditor without a judge (the driver asks the judge),
    reading answers in its own process (the actors are the parallelism)."""
    return Auditor(cfg, with_judge=False, answers_in_process=False).batch_columns


def human_turns(pairs: list[PreferencePair]) -> list[list[str]]:
    """Each pair's human turns, normalised: what the request-harm encoder embeds."""
    return [
        [normalize_text(t.text) for t in p.context if t.role == "human"]
        or [normalize_text(p.prompt)]
        for p in pairs
    ]


class Auditor:
    """The audit of one configuration. Close it (or use it as a context manager): the answer
    side runs in a worker process."""

    def __init__(self, cfg: AuditConfig, with_judge: bool = True, answers_in_process: bool = True):
        self.cfg = cfg
        self.harm_head = HarmHead.load()
        self.rules = load_rules()
        int8 = cfg.encoder == "int8"
        self.fz = Featurizer(self.harm_head, int8=int8)
        self.harm_threshold = (
            self.harm_head.threshold_for(int8) if cfg.harm_threshold is None else cfg.harm_threshold
        )
        self.dups = DuplicateIndex(cfg.near_dup_threshold)
        self.classifier_stats: dict[str, Any] = {}
        self.judge = (
            LLMJudge(cfg.judge, "quality", cfg.judge_options, cfg.out / "judge.sqlite")
            if cfg.judge and with_judge
            else None
        )
        self.answers = AnswerWorker(cfg.classifier, cfg.lexicon, answers_in_process)

    def close(self) -> None:
        self.answers.close()

    def __enter__(self) -> Auditor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evidence(self, pairs: list[PreferencePair]) -> BatchEvidence:
        """Everything the audit's verdicts are made from, for one batch (chosen answers first,
        then rejected ones)."""
        firsts = [next((t.text for t in p.context if t.role == "human"), p.prompt) for p in pairs]
        lasts = [p.prompt for p in pairs]
        # Models see normalised text (typographic quotes -> ASCII); outputs keep the original.
        nl = [normalize_text(x) for x in lasts]
        answers = [
            normalize_text(a) for a in [p.chosen for p in pairs] + [p.rejected for p in pairs]
        ]
        humans = human_turns(pairs)
        ctx_text = ["\n".join(t.text for t in p.context) for p in pairs]
        # The answer side reads while this process embeds the requests.
        side = self.answers.submit(
            nl + nl,
            answers,
            [len(h) == 1 for h in humans] * 2,
            (ctx_text, [p.chosen for p in pairs], [p.rejected for p in pairs]),
        )
        harm, p_last = self.fz.conversation_harm(humans)
        read = side.result()
        self.classifier_stats = read.classifier_stats
        return BatchEvidence(
            firsts,
            lasts,
            ctx_text,
            read.judgements,
            read.evidence,
            harm,
            np.asarray(p_last),
            read.p_answer,
            read.groups,
        )

    def audit_batch(self, pairs: list[PreferencePair]) -> pa.Table:
        """Every column of pairs.parquet for one batch."""
        return self.finish_batch(pairs, self.batch_columns(pairs))

    def batch_columns(self, pairs: list[PreferencePair]) -> dict[str, list[Any]]:
        """The columns one batch's pairs determine on their own — everything but the flags that
        need the batches before it. Parallel engines compute these on workers."""
        ev = self.evidence(pairs)
        firsts, lasts, ctx_text, judg, harm = (
            ev.firsts,
            ev.lasts,
            ev.contexts,
            ev.judgements,
            ev.harm,
        )
        prompt_groups, chosen_groups, rejected_groups = ev.groups
        reqs = [request_text(f, x) for f, x in zip(firsts, lasts, strict=True)]
        chosen = [p.chosen for p in pairs]
        rejected = [p.rejected for p in pairs]
        n = len(pairs)
        cats = self.harm_head.categories
        cols: dict[str, list[Any]] = {
            "source_file": [p.source.file for p in pairs],
            "source_line": [p.source.line for p in pairs],
            "prompt": lasts,
            "first_request": firsts,
            "chosen": chosen,
            "rejected": rejected,
            "depth": [p.depth for p in pairs],
            # The whole shared context, so dataset variants can be rebuilt from the audit alone.
            "context": [
                json.dumps([[t.role, t.text] for t in p.context], ensure_ascii=False) for p in pairs
            ],
            "subset": [subset_of(p.source.file, p.split) for p in pairs],
        }
        b = cats.index("benign")
        tau = self.harm_threshold
        harmful = harm[:, b] < 1.0 - tau
        labels = []
        for row, bad in zip(harm, harmful, strict=True):
            hits = [c for j, c in enumerate(cats) if c != "benign" and row[j] >= tau]
            if bad and not hits:  # harmful, no category sure: name the likeliest
                hits = [max((c for c in cats if c != "benign"), key=lambda c: row[cats.index(c)])]
            labels.append(hits if bad else ["benign"])
        cols["harm_categories"] = labels
        cols["harm_top"] = [cats[int(np.argmax(r))] for r in harm]
        cols["prompt_harmful"] = [bool(x) for x in harmful]
        cols["prompt_harm_last"] = [round(float(v), 4) for v in ev.p_last]
        verdicts = ev.verdicts(self.rules, cats.index("benign"))
        for j, c in enumerate(cats):
            cols[f"harm_{c}"] = [round(float(v), 4) for v in harm[:, j]]
        for side, off in (("chosen", 0), ("rejected", n)):
            js = judg[off : off + n]
            vs = verdicts[off : off + n]
            qs = [v.quality for v in vs]
            cols[f"{side}_label"] = [j.label for j in js]
            cols[f"{side}_confidence"] = [round(j.confidence, 4) for j in js]
            cols[f"{side}_styles"] = [[s for s in STYLES if j.styles.get(s)] for j in js]
            cols[f"{side}_answer_harm"] = [round(float(v), 4) for v in ev.p_answer[off : off + n]]
            cols[f"{side}_quality"] = qs
            cols[f"{side}_quality_rule"] = [v.leaf for v in vs]
            cols[f"{side}_quality_confidence"] = [v.confidence for v in vs]
            cols[f"{side}_harmful"] = [q == "harmful" for q in qs]
            cols[f"{side}_acceptable"] = [q == "acceptable" for q in qs]
            cols[f"{side}_refusal"] = [q == "refusal" for q in qs]
            cols[f"{side}_evasive"] = [q == "evasive" for q in qs]
        cols["prompt_groups"] = prompt_groups
        cols["chosen_groups"] = chosen_groups
        cols["rejected_groups"] = rejected_groups
        cols["pair_hash"] = [
            pair_hash(c, p.chosen, p.rejected).hex() for p, c in zip(pairs, ctx_text, strict=True)
        ]
        cols["_request"] = reqs
        cw = [len(a.split()) for a in chosen]
        rw = [len(a.split()) for a in rejected]
        cols["chosen_words"], cols["rejected_words"] = cw, rw
        cols["chosen_longer"] = [a > b for a, b in zip(cw, rw, strict=True)]
        cols["chosen_shorter"] = [a < b for a, b in zip(cw, rw, strict=True)]
        cols["chosen_eq_rejected"] = [p.chosen.strip() == p.rejected.strip() for p in pairs]
        cols["chosen_empty"] = [not a.strip() for a in chosen]
        cols["rejected_empty"] = [not a.strip() for a in rejected]
        cols["chosen_truncated"] = [p.chosen_truncated for p in pairs]
        cols["rejected_truncated"] = [p.rejected_truncated for p in pairs]
        return cols

    def finish_batch(self, pairs: list[PreferencePair], cols: dict[str, list[Any]]) -> pa.Table:
        """The flags that depend on every batch before this one (exact and near duplicates,
        in input order) and the LLM judge's verdicts; then the part's table."""
        exact, near = [], []
        for p, r, h in zip(pairs, cols.pop("_request"), cols["pair_hash"], strict=True):
            e, nd = self.dups.check_add(str(p.source), r, bytes.fromhex(h))
            exact.append(e)
            near.append(nd)
        cols["dup_exact_of"] = exact
        cols["near_dup_of"] = near
        cols["is_dup_exact"] = [e is not None for e in exact]
        cols["is_near_dup"] = [x is not None for x in near]
        if self.judge is not None:
            n = len(pairs)
            convo = [_conversation(p) for p in pairs]
            judged = self.judge.judge(convo + convo, cols["chosen"] + cols["rejected"])
            cols["chosen_judge"] = [v.label for v in judged[:n]]
            cols["rejected_judge"] = [v.label for v in judged[n:]]
        types = {
            k: pa.list_(pa.string())
            for k in cols
            if k.endswith(("_groups", "_styles")) or k == "harm_categories"
        }
        types.update(dup_exact_of=pa.string(), near_dup_of=pa.string())
        types.update({k: pa.string() for k in ("chosen_judge", "rejected_judge") if k in cols})
        return pa.table({k: pa.array(v, type=types.get(k)) for k, v in cols.items()})

    def _restore(self, state: _State) -> None:
        """Rebuild the duplicate index from finished parts (resume)."""
        for k in range(state.parts):
            t = pq.read_table(
                _part_path(self.cfg.out, k),
                columns=["source_file", "source_line", "prompt", "first_request", "pair_hash"],
            )
            for rec in t.to_pylist():
                key = f"{rec['source_file']}:{rec['source_line']}"
                req = request_text(rec["first_request"], rec["prompt"])
                self.dups.check_add(key, req, bytes.fromhex(rec["pair_hash"]))

    def run(
        self,
        progress: Callable[[int], None] | None = None,
        on_resume: Callable[[int], None] | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> _State:
        with CtrlC() as ctrl_c:
            return self._run(ctrl_c, progress, on_resume, notice)

    def _run(
        self,
        ctrl_c: CtrlC,
        progress: Callable[[int], None] | None,
        on_resume: Callable[[int], None] | None,
        notice: Callable[[str], None] | None,
    ) -> _State:
        cfg = self.cfg
        cfg.out.mkdir(parents=True, exist_ok=True)
        state_path = cfg.out / STATE
        fp = cfg.fingerprint()
        state = _State(fp)
        old = _read_state(state_path, cfg.out, fp, notice)
        if old is not None:
            state = old
            self._restore(state)
            if on_resume:
                on_resume(state.pairs)
        else:
            shutil.rmtree(cfg.out / PARTS, ignore_errors=True)
        (cfg.out / PARTS).mkdir(exist_ok=True)
        engine = None
        if cfg.engine == "ray":
            from functools import partial

            from safetylab.rayengine import RayMap

            engine = RayMap(partial(_columns_worker, cfg), cfg.workers, cfg.ray_address)
        # batches computed together: one at a time here, a few per Ray actor on a cluster
        window = 1 if engine is None else 4 * engine.workers
        batch: list[PreferencePair] = []
        pending: list[tuple[list[PreferencePair], int]] = []  # (pairs, rows consumed after)
        consumed = 0

        def drain() -> None:
            t0 = time.perf_counter()
            todo = [b for b, _ in pending if b]
            cols = [self.batch_columns(b) for b in todo] if engine is None else engine.map(todo)
            computed = iter(cols)
            for b, upto in pending:
                if b:
                    pq.write_table(
                        self.finish_batch(b, next(computed)), _part_path(cfg.out, state.parts)
                    )
                    state.parts += 1
                    state.pairs += len(b)
                state.consumed = upto
                state.save(state_path)
                if progress:
                    progress(len(b))
            state.seconds += time.perf_counter() - t0
            state.save(state_path)
            pending.clear()

        for pair, err in _rows(cfg):
            if ctrl_c.seen:
                raise KeyboardInterrupt  # Ctrl-C whose exception a library swallowed
            consumed += 1
            if consumed <= state.consumed:
                continue
            if err is not None:
                if not cfg.skip_invalid:
                    drain()  # everything before the bad row is kept: a re-run resumes there
                    raise err
                state.skipped.append(err.as_dict())
                continue
            batch.append(pair)  # type: ignore[arg-type]
            if len(batch) >= cfg.batch_size:
                pending.append((batch, consumed))
                batch = []
                if len(pending) >= window:
                    drain()
        pending.append((batch, consumed))
        drain()
        if state.pairs == 0:
            raise SafetylabError(
                f"no valid pairs in {', '.join(map(str, cfg.inputs))}"
                f" ({len(state.skipped)} skipped)"
            )
        if self.judge is not None:
            self.judge.problems = {}  # what is still missing after the retry
            self.retry_judge(state.parts)
            line = self.judge.problem_line()
            if line and notice:
                notice(line)
        return state

    def retry_judge(self, n_parts: int) -> None:
        """Ask the judge again for every answer of a finished part that has no verdict (a
        failed request or an unreadable reply in this run or an earlier one); verdicts that
        came back are cached and cost nothing."""
        assert self.judge is not None
        for k in range(n_parts):
            path = _part_path(self.cfg.out, k)
            t = pq.read_table(path)
            cols = t.column_names
            if "chosen_judge" not in cols:
                continue
            df = t.to_pandas()
            todo = [
                (i, side)
                for side in ("chosen", "rejected")
                for i in np.flatnonzero(df[f"{side}_judge"].isna().to_numpy())
            ]
            if not todo:
                continue
            convo = [_conversation_of(json.loads(df["context"].iat[i])) for i, _ in todo]
            answers = [str(df[side].iat[i]) for i, side in todo]
            verdicts = self.judge.judge(convo, answers)
            for (i, side), v in zip(todo, verdicts, strict=True):
                df.loc[df.index[i], f"{side}_judge"] = v.label
            tmp = path.with_suffix(".tmp")
            pq.write_table(pa.Table.from_pandas(df, schema=t.schema, preserve_index=False), tmp)
            tmp.replace(path)


def join_parts(out: Path, n_parts: int) -> Path:
    """Concatenate the parts into pairs.parquet without holding more than one part in memory."""
    dest = out / PAIRS
    tmp = out / (PAIRS + ".tmp")
    writer = None
    for k in range(n_parts):
        t = pq.read_table(_part_path(out, k))
        if writer is None:
            writer = pq.ParquetWriter(tmp, t.schema)
        writer.write_table(t.cast(writer.schema))
    if writer is not None:
        writer.close()
        tmp.replace(dest)
    return dest


def run_audit(
    cfg: AuditConfig,
    examples: int = 8,
    progress: Callable[[int], None] | None = None,
    on_resume: Callable[[int], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> AuditRun:
    """Audit `cfg.inputs` into `cfg.out` — parts, pairs.parquet, summary.json, report.html —
    holding the directory for this process; a re-run resumes."""
    from safetylab.audit.report import build_report
    from safetylab.audit.summary import build_summary, load_summary_frame

    for p in cfg.inputs:
        if not p.exists():
            raise SafetylabError(f"{p}: no such file or directory")
    with exclusive(cfg.out, "safetylab audit"):
        with Auditor(cfg) as auditor:
            state = auditor.run(progress=progress, on_resume=on_resume, notice=notice)
        pairs = join_parts(cfg.out, state.parts)
        summary = build_summary(
            load_summary_frame(pairs),
            state.skipped,
            [str(p) for p in cfg.inputs],
            {
                "timing": {
                    "audit_seconds": round(state.seconds, 2),
                    "pairs_per_second": round(state.pairs / max(state.seconds, 1e-9), 2),
                },
                "classifier_last_batch": auditor.classifier_stats,
            },
        )
        summary["quality_rules"] = {
            **auditor.rules.knobs,
            "cross_validated": auditor.rules.provenance.get("cross_validated", {}).get("accuracy"),
            "source": str(RULES_FILE.name),
        }
        summary["request_harm"] = {
            "encoder": cfg.encoder,
            "threshold": round(auditor.harm_threshold, 4),
            "threshold_source": "given" if cfg.harm_threshold is not None else "cross-validated",
        }
        if cfg.human_labels is not None:
            from safetylab.audit.human import load_human_labels, ppi_block

            cols = ["source_file", "source_line", "chosen_quality", "rejected_quality"]
            frame = pq.read_table(
                pairs, columns=[*cols, "harm_categories", "prompt_groups", "prompt_harmful"]
            ).to_pandas()
            labels = load_human_labels(cfg.human_labels, frame, [str(p) for p in cfg.inputs])
            summary["ppi"] = ppi_block(frame, labels)
        result = AuditSummary.model_validate(summary)
        result.write(cfg.out)
        build_report(result, pairs, cfg.out / REPORT, examples)
    return AuditRun(cfg.out, result)
