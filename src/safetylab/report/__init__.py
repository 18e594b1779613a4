"""One self-contained HTML report builder (jinja2 + matplotlib PNGs inlined), used by all."""

from safetylab.report.builder import bar_with_ci, grouped_bars, heatmap, lines_with_ci, render

__all__ = ["bar_with_ci", "grouped_bars", "heatmap", "lines_with_ci", "render"]
