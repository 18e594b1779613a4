"""Render reports: a jinja2 template with autoescaping (dataset text is untrusted) and plots
embedded as base64 PNG, so a report is one file that opens anywhere, offline."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}%"
CLIP_CHARS = 2000


def clip(text: object, limit: int = CLIP_CHARS) -> str:
    """Dataset text as shown in a report: whole up to `limit` characters, then cut with a note
    (a 10 MB answer must not become a 20 MB report; the data files keep it whole)."""
    t = "" if text is None else str(text)
    return t if len(t) <= limit else f"{t[:limit]} [… {len(t) - limit:,} more characters]"


_env.filters["clip"] = clip


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_with_ci(
    labels: Sequence[str], rates: Sequence[Any], title: str, xlabel: str = "rate"
) -> str:
    """Horizontal bars of rates with their 95 % CI as error bars; returns a data URI."""
    rates = [r.model_dump() if hasattr(r, "model_dump") else r for r in rates]
    plt = _plt()
    vals = [r["rate"] or 0.0 for r in rates]
    lo = [max(v - (r["ci95"][0] or 0.0), 0) for v, r in zip(vals, rates, strict=True)]
    hi = [max((r["ci95"][1] or 0.0) - v, 0) for v, r in zip(vals, rates, strict=True)]
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(labels) + 1.2))
    y = range(len(labels))
    ax.barh(list(y), vals, xerr=[lo, hi], color="#4c72b0", ecolor="#333", capsize=2)
    ax.set_yticks(
        list(y), [f"{lab} (n={r['n']})" for lab, r in zip(labels, rates, strict=True)], fontsize=8
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    return _png(fig)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float]], title: str) -> str:
    plt = _plt()
    import numpy as np

    x = np.arange(len(categories))
    w = 0.8 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(7, 3))
    for i, (name, vals) in enumerate(series.items()):
        ax.bar(x + i * w, vals, w, label=name)
    ax.set_xticks(x + w * (len(series) - 1) / 2, categories, fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _png(fig)


def lines_with_ci(
    series: dict[str, tuple[Sequence[float], Sequence[float | None], Sequence[Sequence[Any]]]],
    title: str,
    xlabel: str,
    ylabel: str,
    ylim: tuple[float, float] | None = (0, 1),
    logx: bool = False,
    mark: tuple[float, str] | None = None,
) -> str:
    """One line per series: name -> (x, y, [[lo, hi], ...]); CIs drawn as bands where known;
    `mark`: a vertical line at x with its label."""
    plt = _plt()
    import numpy as np

    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name, (x, y, ci) in series.items():
        yy = np.array([np.nan if v is None else v for v in y], dtype=float)
        ax.plot(x, yy, marker="o", label=name)
        lo = np.array([np.nan if c[0] is None else c[0] for c in ci], dtype=float)
        hi = np.array([np.nan if c[1] is None else c[1] for c in ci], dtype=float)
        if np.isfinite(lo).any():
            ax.fill_between(x, lo, hi, alpha=0.2)
    if ylim:
        ax.set_ylim(*ylim)
    if logx:
        ax.set_xscale("log")
    if mark:
        ax.axvline(mark[0], color="#c44e52", ls="--", lw=1, label=mark[1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return _png(fig)


def heatmap(table: Mapping[str, Mapping[str, float | None]], title: str) -> str:
    """Rows x columns of rates (None shown blank) as an annotated heatmap; returns a data URI,
    or "" when there is nothing to draw (every answer invalid)."""
    rows = list(table)
    cols = sorted({c for r in table.values() for c in r})
    if not rows or not cols:
        return ""
    plt = _plt()
    import numpy as np

    m = np.array(
        [[np.nan if table[r].get(c) is None else table[r][c] for c in cols] for r in rows],
        dtype=float,
    )
    fig, ax = plt.subplots(figsize=(1.1 * len(cols) + 3, 0.3 * len(rows) + 1.5))
    im = ax.imshow(m, cmap="Reds", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for i in range(len(rows)):
        for j in range(len(cols)):
            if not np.isnan(m[i, j]):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, fraction=0.03)
    ax.set_title(title, fontsize=10)
    return _png(fig)


def render_string(template: str, **context: Any) -> str:
    """A template rendered with autoescaping (the annotation workbench serves these)."""
    return _env.get_template(template).render(**context)


def render(template: str, out: Path, **context: Any) -> Path:
    """Write a report; every page gets the toolkit version and creation time (UTC)."""
    import datetime as dt

    from safetylab import __version__

    context.setdefault("version", __version__)
    context.setdefault("created", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    html = render_string(template, **context)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
