"""Run a probe: prompts x samples -> cached generation -> shared classifier -> analysis.

Every request is looked up in the SQLite cache first; only misses reach the back-end, and each
answer is stored the moment it arrives. Re-running the same command into the same --out sends
no request twice, and a killed run resumes with everything that had finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from safetylab.backends import BackendOptions, GenerationRequest, GenerationResult, make_backend
from safetylab.backends.cache import RequestCache
from safetylab.errors import SafetylabError
from safetylab.probe.prompts import CONTROL, ProbePrompt
from safetylab.records import STYLES
from safetylab.results import ProbeSummary
from safetylab.rundir import (
    CACHE,
    CONFIG,
    JUDGE_CACHE,
    REPORT,
    RESPONSES,
    ProbeRun,
    dumps,
    exclusive,
    write_json,
)


@dataclass
class ProbeConfig:
    model: str
    out: Path
    system_prompt: str | None = None
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 0
    samples: int = 1
    backend: BackendOptions = field(default_factory=BackendOptions)
    judge: str | None = None  # an LLM judge (XSTest's prompt) beside the classifier
    judge_options: BackendOptions = field(default_factory=BackendOptions)
    reference: str = CONTROL  # the group every other is compared with
    phrases: str | None = None  # a published string matcher to report beside the classifier
    preset: str | None = None  # the study preset the prompts came from

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if not isinstance(self.model, str) or "/" not in self.model:
            raise SafetylabError(f"ProbeConfig.model must be BACKEND/NAME, got {self.model!r}")
        for name, lo in (("samples", 1), ("max_tokens", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise SafetylabError(f"ProbeConfig.{name} must be a whole number >= {lo}")
        if not 0.0 <= float(self.temperature) <= 2.0:
            raise SafetylabError("ProbeConfig.temperature must lie in [0, 2]")
        if self.samples > 1 and self.temperature == 0:
            raise SafetylabError(
                f"{self.samples} samples at temperature 0 are one answer counted "
                f"{self.samples} times: set a temperature above 0 (e.g. 0.7) or one sample"
            )


def build_requests(prompts: list[ProbePrompt], cfg: ProbeConfig) -> list[GenerationRequest]:
    return [
        GenerationRequest(
            p.prompt, cfg.system_prompt, cfg.temperature, cfg.max_tokens, cfg.seed, s, p.id
        )
        for p in prompts
        for s in range(cfg.samples)
    ]


def generate(
    prompts: list[ProbePrompt], cfg: ProbeConfig, progress: Callable[..., None] | None = None
) -> tuple[list[str], dict[str, Any]]:
    """Completions for every (prompt, sample), from the cache or the back-end."""
    reqs = build_requests(prompts, cfg)
    cache = RequestCache(cfg.out / CACHE)
    try:
        keys = [r.cache_key(cfg.model) for r in reqs]
        have = cache.get_many(keys)
        todo = [i for i, k in enumerate(keys) if k not in have]
        if progress and len(reqs) - len(todo):
            progress(len(reqs) - len(todo))
        failures: dict[int, str] = {}
        tokens = [0]
        t0 = time.perf_counter()
        if todo:
            backend = make_backend(cfg.model, cfg.backend)
            sub = [reqs[i] for i in todo]

            def store(j: int, res: GenerationResult) -> None:
                i = todo[j]
                if res.error:
                    failures[i] = res.error
                else:
                    cache.put(keys[i], cfg.model, res.text, res.finish_reason)
                    have[keys[i]] = res.text
                    tokens[0] += res.tokens or 0
                if progress:
                    progress(1, tokens=res.tokens)

            backend.generate(sub, store)
        if failures:
            kinds = list(dict.fromkeys(failures.values()))
            raise SafetylabError(
                f"{len(failures)} of {len(todo)} requests failed; "
                + "; ".join(kinds[:5])
                + (f"; and {len(kinds) - 5} other errors" if len(kinds) > 5 else "")
                + ". Answers that came back are cached: re-run to retry the rest."
            )
        seconds = time.perf_counter() - t0
        return [have[k] for k in keys], {
            "requests": len(reqs),
            "cached": len(reqs) - len(todo),
            "sent": len(todo),
            "seconds": round(seconds, 2),
            "completion_tokens": tokens[0] or None,
            "tokens_per_second": round(tokens[0] / seconds, 1) if tokens[0] else None,
        }
    finally:
        cache.close()


def classify_responses(
    prompts: list[ProbePrompt],
    completions: list[str],
    samples: int,
    model_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    from safetylab.classify.model import ResponseClassifier

    rows = [{**p.as_dict(), "sample": s} for p in prompts for s in range(samples)]
    clf = ResponseClassifier(model_dir)
    judg = clf.predict([r["prompt"] for r in rows], completions, progress=progress)
    for r, c, j in zip(rows, completions, judg, strict=True):
        rec = j.to_record()
        r["completion"] = c
        r["label"], r["confidence"] = rec["label"], rec["confidence"]
        r["styles"] = [s for s in STYLES if rec[s]]  # one list column, as responses.jsonl has it
        r["invalid_reason"] = rec["invalid_reason"]
        r["evidence"] = list(j.evidence)  # the sentences the label rests on
    return pd.DataFrame(rows)


def write_responses(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in df.to_dict("records"):
            fh.write(dumps(rec) + "\n")
    tmp.replace(path)


OVERLONG_CHARS_PER_TOKEN = 16  # ~4 characters a token, and four times the slack


def run_probe(
    prompts: list[ProbePrompt],
    cfg: ProbeConfig,
    classifier: Path | None = None,
    correction: str = "holm",
    quiet: bool = True,
    n_boot: int = 200,
    human_labels: Path | None = None,
    report: bool = True,
) -> ProbeRun:
    """Probe `cfg.model` into `cfg.out` — config, cached generations, responses, summary and
    report — holding the directory for this process. A re-run sends nothing twice."""
    from safetylab.probe.analysis import agreement_by_group, summarize
    from safetylab.probe.report import build_report
    from safetylab.progress import console, progress_bar

    if not prompts:
        raise SafetylabError("no prompts")
    with exclusive(cfg.out, "safetylab probe"):
        write_json(
            cfg.out / CONFIG, {**asdict(cfg), "out": str(cfg.out), "n_prompts": len(prompts)}
        )
        with progress_bar("generating", len(prompts) * cfg.samples, quiet) as advance:
            completions, gen = generate(prompts, cfg, advance)
        with progress_bar("classifying", len(completions), quiet) as advance:
            df = classify_responses(prompts, completions, cfg.samples, classifier, advance)
        df["overlong"] = [
            isinstance(c, str) and len(c) > cfg.max_tokens * OVERLONG_CHARS_PER_TOKEN
            for c in completions
        ]
        if cfg.judge:
            from safetylab.classify.judge import LLMJudge

            judge = LLMJudge(cfg.judge, "xstest", cfg.judge_options, cfg.out / JUDGE_CACHE)
            with progress_bar("judging", len(df), quiet) as advance:
                verdicts = judge.judge(df["prompt"].tolist(), df["completion"].tolist(), advance)
            df["judge_label"] = [v.label for v in verdicts]
            line = judge.problem_line()  # the probe re-judges everything on a re-run
            if line:
                console.print(line)
        if cfg.phrases:
            from safetylab.classify.baseline import PhraseMatcher

            matcher = PhraseMatcher(cfg.phrases)
            df["phrase_refused"] = [matcher.refused(c) for c in df["completion"]]
        write_responses(df, cfg.out / RESPONSES)
        summary = summarize(df, correction, n_boot, cfg.reference)
        if cfg.phrases:
            from safetylab.probe.analysis import phrase_block

            summary["phrase_detector"] = phrase_block(df, matcher.source)
        if cfg.preset:
            from safetylab.probe.presets import load_preset, published_comparison

            preset = load_preset(cfg.preset)
            summary["preset"] = preset.provenance()
            summary["published"] = published_comparison(preset, summary)
        summary["generation"] = gen
        summary["model"] = cfg.model
        summary["overlong"] = {
            "count": int(df["overlong"].sum()),
            "max_tokens": cfg.max_tokens,
            "ids": df.loc[df["overlong"], "id"].astype(str).head(50).tolist(),
        }
        if human_labels is not None:
            from safetylab.probe.human import load_probe_labels, ppi_refusal

            labels = load_probe_labels(human_labels, df)
            summary["classifier_agreement"] = agreement_by_group(df, labels)
            summary["ppi"] = ppi_refusal(df, labels, cfg.reference)
        result = ProbeSummary.model_validate(summary)
        result.write(cfg.out)
        if report:
            build_report(result, df, cfg.out / REPORT, cfg.model)
    return ProbeRun(cfg.out, result)
