"""The sweep's figures (matplotlib): a metric against each factor with its CI band, a
two-factor heat map, the one-at-a-time tornado, and Morris and Sobol bars with their CIs.

``sweep_figures`` makes them — the one code path — and ``write_plots`` saves each as an SVG file
of its own; the HTML report (``nukesim report``) embeds the same figures inline
(``report.svg.to_svg``), with the text alternative each figure carries.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..scenario.durations import format_difference, format_time_value


@dataclass
class SweepFigure:
    """One figure: its file name, a title, the matplotlib figure and a text alternative."""

    name: str
    title: str
    fig: Any
    alt: str


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "nukesim"  # the same SVG for the same figures
    return plt


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _ci(s) -> tuple[float, float]:
    return (s.ci95[0], s.ci95[1]) if s.ci95 else (math.nan, math.nan)


def write_plots(directory: Path, a) -> list[str]:
    """Every figure of the analysis as ``directory/<name>``; returns the names written."""
    plt = _plt()
    names: list[str] = []
    for f in sweep_figures(a):
        f.fig.savefig(directory / f.name, format="svg", metadata={"Date": None})
        plt.close(f.fig)
        names.append(f.name)
    return names


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def sweep_figures(a) -> list[SweepFigure]:
    """The analysis's figures, in the order the report shows them (each with tight layout)."""
    plt = _plt()
    out: list[SweepFigure] = []
    metric = a.focus[0]
    design = a.result.prepared.design.type

    def save(fig, name: str, title: str = "", alt: str = "") -> None:
        fig.tight_layout()
        out.append(SweepFigure(name, title, fig, alt))

    for f in a.factors:
        groups: dict[tuple, list] = defaultdict(list)
        others = [g for g in a.factors if g != f]
        for p in a.points:
            if design == "oat" and any(p.values[g] != a.points[0].values[g] for g in others):
                continue
            groups[tuple(p.values[g] for g in others) if design in ("grid", "oat") else ()].append(p)
        xs_all = [p.values[f] for p in a.points]
        if not _numeric(xs_all) or len(groups) > 6 or len(set(xs_all)) < 2:
            continue
        fig, ax = plt.subplots(figsize=(6, 4))
        alt = []
        for label, pts in groups.items():
            pts = sorted(pts, key=lambda p: p.values[f])
            x = [p.values[f] for p in pts]
            mean = [np.nan if p.metrics[metric].mean is None else p.metrics[metric].mean for p in pts]
            lo, hi = zip(*(_ci(p.metrics[metric]) for p in pts), strict=True)
            name = ", ".join(f"{g}={v}" for g, v in zip(others, label, strict=False)) or None
            alt.append((f"{name}: " if name else "") + ", ".join(
                f"{f}={_short(p.values[f])}: {format_time_value(p.metrics[metric].mean)}" for p in pts))
            if design in ("grid", "oat"):
                line = ax.plot(x, mean, marker="o", label=name)[0]
                ax.fill_between(x, lo, hi, alpha=0.2, color=line.get_color())
            else:
                ax.errorbar(x, mean, yerr=[np.subtract(mean, lo), np.subtract(hi, mean)], fmt="o", ms=3)
        ax.set_xlabel(f)
        ax.set_ylabel(f"{metric} mean (minutes), 95% CI")
        if any(label for label in groups) and len(groups) > 1:
            ax.legend(fontsize="small")
        save(fig, f"metric_vs_{f}.svg", f"{metric} against {f}",
             f"Mean {metric} (95 % CI band) at each value of {f}. " + "; ".join(alt) + ".")

    if design == "grid" and len(a.factors) >= 2:
        fx, fy = a.factors[:2]
        xv = list(dict.fromkeys(p.values[fx] for p in a.points))
        yv = list(dict.fromkeys(p.values[fy] for p in a.points))
        cells: dict[tuple, list[float]] = defaultdict(list)
        for p in a.points:
            if p.metrics[metric].mean is not None:
                cells[(xv.index(p.values[fx]), yv.index(p.values[fy]))].append(p.metrics[metric].mean)
        grid = np.full((len(yv), len(xv)), np.nan)
        for (i, j), ms in cells.items():
            grid[j, i] = float(np.mean(ms))
        fig, ax = plt.subplots(figsize=(1.2 + 0.8 * len(xv), 1.2 + 0.5 * len(yv)))
        # vector cells (not imshow, which embeds a raster image): the report inlines this SVG
        im = ax.pcolormesh(np.arange(len(xv) + 1) - 0.5, np.arange(len(yv) + 1) - 0.5,
                           np.ma.masked_invalid(grid), cmap="viridis")
        ax.set_xticks(range(len(xv)), [str(v) for v in xv])
        ax.set_yticks(range(len(yv)), [str(v) for v in yv])
        ax.set_xlabel(fx)
        ax.set_ylabel(fy)
        for (j, i), v in np.ndenumerate(grid):
            if not np.isnan(v):
                ax.text(i, j, f"{v:.0f}", ha="center", va="center", fontsize=7, color="white")
        bar = fig.colorbar(im, ax=ax, label=f"{metric} mean (minutes)")
        bar.solids.set_rasterized(False)
        cells_alt = "; ".join(f"{fx}={_short(xv[i])}, {fy}={_short(yv[j])}: {format_time_value(v)}"
                              for (j, i), v in np.ndenumerate(grid) if not np.isnan(v))
        save(fig, "heatmap.svg", f"{metric} over {fx} and {fy}",
             f"Mean {metric} (minutes) over {fx} (across) and {fy} (up): {cells_alt}.")

    for k, focus in enumerate(a.focus if a.oat else []):
        # one tornado per focus metric: tornado.svg for the first, tornado_<metric>.svg for the others
        rows = [r for r in a.oat if r["metric"] == focus and r["mean_diff"] is not None]
        by: dict[str, list] = defaultdict(list)
        for r in rows:
            by[r["factor"]].append(r)
        order = sorted(by, key=lambda f: max(abs(r["mean_diff"]) for r in by[f]))
        fig, ax = plt.subplots(figsize=(6, 1 + 0.45 * len(order)))
        for y, f in enumerate(order):
            for r in by[f]:
                ax.barh(y, r["mean_diff"], color="tab:red" if r["mean_diff"] > 0 else "tab:blue", alpha=0.6)
                if r["ci_low"] is not None:
                    ax.plot([r["ci_low"], r["ci_high"]], [y, y], color="black", lw=1)
                ax.text(r["mean_diff"], y, f" {r['value']}", va="center", fontsize=7)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(range(len(order)), order)
        ax.set_xlabel(f"{focus}: point − base, minutes (paired, 95% CI)")
        effects = "; ".join(f"{r['factor']}={_short(r['value'])}: "
                            + format_difference(r["mean_diff"], (r["ci_low"], r["ci_high"]))
                            for f in reversed(order) for r in by[f])
        save(fig, "tornado.svg" if k == 0 else f"tornado_{focus.replace(':', '_')}.svg",
             f"One-at-a-time effects on {focus}",
             f"{focus}, each point minus the base, paired by replication, with its 95 % CI, the "
             f"largest first: {effects or 'no effect could be computed'}.")

    for rows, name, pairs in (
        (a.morris, "morris", (("mu_star", "mu_star_conf"), ("sigma", None))),
        (a.sobol, "sobol", (("S1", "S1_conf"), ("ST", "ST_conf"))),
    ):
        rows = [r for r in rows if r["output"] == metric]
        if not rows:
            continue
        fig, ax = plt.subplots(figsize=(6, 1 + 0.45 * len(rows)))
        y = np.arange(len(rows))
        for k, (col, conf) in enumerate(pairs):
            vals = [r[col] for r in rows]
            if conf:
                err = [r[conf] for r in rows]
            else:
                err = [
                    [r[col] - r["sigma_ci_low"] for r in rows],
                    [r["sigma_ci_high"] - r[col] for r in rows],
                ]
            ax.barh(y + 0.4 * k - 0.2, vals, height=0.4, xerr=err, label=col, capsize=2)
        ax.set_yticks(y, [r["factor"] for r in rows])
        ax.set_xlabel(f"{metric}: {name} indices, 95% CI")
        ax.legend(fontsize="small")
        alt = "; ".join(f"{r['factor']}: " + ", ".join(
            f"{col} {r[col]:.3g}" + (f" ± {r[conf]:.3g}" if conf else "") for col, conf in pairs)
            for r in rows)
        save(fig, f"{name}.svg", f"{name.capitalize()} indices of {metric}",
             f"{name.capitalize()} indices of {metric} per factor with their 95 % CIs: {alt}.")
    return out
