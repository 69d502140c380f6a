"""What a sweep found: per-point summaries, objectives, effects, sensitivity and discovery.

Per point, each metric is summarised as ``nukesim run`` does (its CI and missing count) and each
objective is met, not met or undecided. One-at-a-time effects are paired differences from the
base point on common random numbers (``comparison.paired_differences``). Morris and Sobol
indices come from SALib, computed on each point's mean over the replications in which the metric
happened; because a censored (missing) time is not a number SALib can take, the share of missing
runs is analysed as an output of its own (``missing:<metric>``), and so is each objective's share
of runs done within its target (a missing run is not done). PRIM (EMA Workbench) finds the
factor ranges where a deadline is missed too often.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..runner import Replications
from ..scenario.durations import format_count, format_count_difference, format_difference, format_time_value
from ..scenario.metricdefs import is_count, is_time_to_event
from ..stats import MetricSummary, ObjectiveResult, evaluate_objective, summarise
from .execute import SweepResult


@dataclass
class PointSummary:
    key: str
    values: dict
    replications: int
    metrics: dict[str, MetricSummary]
    objectives: list[ObjectiveResult]


@dataclass
class Analysis:
    result: SweepResult
    factors: list[str]
    focus: list[str]
    """The metrics the effects and plots are about: the objectives', else team_mobilized."""
    points: list[PointSummary]
    best_worst: list[dict] = field(default_factory=list)
    oat: list[dict] = field(default_factory=list)
    morris: list[dict] = field(default_factory=list)
    sobol: list[dict] = field(default_factory=list)
    prim: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verdict(o: ObjectiveResult) -> str:
    return "undecided" if not o.decided else ("met" if o.met else "not met")


def analyse(result: SweepResult) -> Analysis:
    prep = result.prepared
    metrics = prep.metrics
    factors = [f.name for f in prep.sweep.factors]
    focus = list(dict.fromkeys(o.metric for o in prep.objectives)) or (
        ["team_mobilized"] if "team_mobilized" in metrics else metrics[:1]
    )
    unique = prep.design.unique()
    points = []
    empty = 0
    for key, values in unique.items():
        rows = result.values[key]
        if not len(rows):  # a point an interrupted sweep never reached (the report of its store)
            empty += 1
            continue
        summaries = {m: summarise(rows[:, i], censored=is_time_to_event(m)) for i, m in enumerate(metrics)}
        objectives = [
            evaluate_objective(
                o.name, o.metric, o.statistic, o.target, rows[:, metrics.index(o.metric)], o.within
            )
            for o in prep.objectives
        ]
        points.append(PointSummary(key, values, len(rows), summaries, objectives))
    a = Analysis(result, factors, focus, points)
    a.best_worst = _best_worst(a)
    if empty:
        a.notes.append(f"{empty} of {len(unique)} points have no results yet")
    if prep.design.type == "oat" and len(result.values[prep.design.keys[0]]):
        a.oat = _oat(a)
    if prep.design.type in ("morris", "sobol"):
        if empty:
            a.notes.append(f"no {prep.design.type} indices: they need every point of the design")
        else:
            _salib(a)
    for spec in prep.sweep.discovery:
        a.prim.append(_prim(a, spec))
    return a


def _best_worst(a: Analysis) -> list[dict]:
    out = []
    for j, o in enumerate(a.result.prepared.objectives):
        scored = [
            (p.objectives[j].value, p)
            for p in a.points
            if p.objectives[j].value is not None and not math.isnan(p.objectives[j].value)
        ]
        if not scored:
            continue
        higher_better = o.statistic == "share"
        scored.sort(key=lambda vp: vp[0], reverse=higher_better)
        (bv, best), (wv, worst) = scored[0], scored[-1]
        counts = {
            v: sum(verdict(p.objectives[j]) == v for p in a.points) for v in ("met", "not met", "undecided")
        }
        out.append(
            {
                "objective": o.name,
                "metric": o.metric,
                "statistic": o.statistic,
                **counts,
                "best": {"point": best.values, "value": _num(bv)},
                "worst": {"point": worst.values, "value": _num(wv)},
            }
        )
    return out


def _num(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


def _oat(a: Analysis) -> list[dict]:
    from ..comparison import paired_differences

    prep, res = a.result.prepared, a.result
    keys = prep.design.keys
    base_key = keys[0]
    base = res.values[base_key]
    out = []
    for key, changed in zip(keys[1:], prep.design.changed[1:], strict=True):
        rows = res.values[key]
        if not len(rows):
            continue
        n = min(len(base), len(rows))
        ra = Replications(prep.scenarios[base_key], prep.sweep.seed, prep.metrics, base[:n])
        rb = Replications(prep.scenarios[key], prep.sweep.seed, prep.metrics, rows[:n])
        for d in paired_differences(ra, rb, a.focus, seed=prep.sweep.seed):
            out.append(
                {
                    "factor": changed,
                    "value": json.loads(key)[changed],
                    "base": json.loads(base_key)[changed],
                    "metric": d.metric,
                    "pairs": d.pairs,
                    "mean_diff": _num(d.mean_diff),
                    "ci_low": _num(d.mean_diff_ci95[0]),
                    "ci_high": _num(d.mean_diff_ci95[1]),
                    "missing_base": d.missing_a,
                    "missing_point": d.missing_b,
                }
            )
    return out


def _outputs(a: Analysis) -> dict[str, np.ndarray]:
    """Y per design row for SALib. Per focus metric: the point's mean over the runs where it
    happened, and, when any run missed it, the point's share of missing runs. Per objective
    on a time: the share of runs done within the target — a missing run counts as not done,
    so this output needs no number for a censored time."""
    prep, res = a.result.prepared, a.result
    keys = prep.design.keys
    out = {}

    def per_row(f) -> np.ndarray:
        cache = {k: f(res.values[k]) for k in set(keys)}
        return np.array([cache[k] for k in keys])

    for m in a.focus:
        i = prep.metrics.index(m)
        out[m] = per_row(
            lambda v, i=i: float(np.nanmean(v[:, i])) if np.any(~np.isnan(v[:, i])) else math.nan
        )
        missing = per_row(lambda v, i=i: float(np.mean(np.isnan(v[:, i]))))
        if missing.any():
            out[f"missing:{m}"] = missing
    for o in prep.objectives:
        limit = o.within if o.statistic == "share" else o.target
        if limit is None:
            continue
        i = prep.metrics.index(o.metric)
        out[f"within {limit:g}m:{o.metric}"] = per_row(lambda v, i=i, t=limit: float(np.mean(v[:, i] <= t)))
    return out


def _salib(a: Analysis) -> None:
    from scipy.stats import chi2

    prep = a.result.prepared
    d, problem, unit = prep.sweep.design, prep.design.problem, prep.design.unit
    for name, y in _outputs(a).items():
        if not np.all(np.isfinite(y)):
            a.notes.append(f"{name}: some points never reached it; no {d.type} indices")
            continue
        if d.type == "morris":
            from SALib.analyze import morris

            res = morris.analyze(
                problem, unit, y, num_resamples=1000, conf_level=0.95, num_levels=d.levels, seed=d.seed
            )
            r = d.samples
            lo_f, hi_f = (
                math.sqrt((r - 1) / chi2.ppf(0.975, r - 1)),
                math.sqrt((r - 1) / chi2.ppf(0.025, r - 1)),
            )
            for i, f in enumerate(a.factors):
                s = float(res["sigma"][i])
                a.morris.append(
                    {
                        "output": name,
                        "factor": f,
                        "mu_star": float(res["mu_star"][i]),
                        "mu_star_conf": float(res["mu_star_conf"][i]),
                        "mu": float(res["mu"][i]),
                        "sigma": s,
                        "sigma_ci_low": s * lo_f,
                        "sigma_ci_high": s * hi_f,
                    }
                )
        else:
            from SALib.analyze import sobol

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sobol.analyze(
                    problem,
                    y,
                    calc_second_order=d.second_order,
                    num_resamples=1000,
                    conf_level=0.95,
                    seed=d.seed,
                )
            for i, f in enumerate(a.factors):
                a.sobol.append(
                    {
                        "output": name,
                        "factor": f,
                        "S1": float(res["S1"][i]),
                        "S1_conf": float(res["S1_conf"][i]),
                        "ST": float(res["ST"][i]),
                        "ST_conf": float(res["ST_conf"][i]),
                    }
                )


def _prim(a: Analysis, spec) -> dict:
    """PRIM boxes over the points: where more than ``share`` of runs miss ``within``."""
    import pandas as pd

    prep = a.result.prepared
    i = prep.metrics.index(spec.metric)
    x = pd.DataFrame([p.values for p in a.points], columns=a.factors)
    late = np.array([float(np.mean(~(a.result.values[p.key][:, i] <= spec.within))) for p in a.points])
    y = late > spec.share
    doc = {
        "metric": spec.metric,
        "within": spec.within,
        "share": spec.share,
        "points": len(y),
        "bad_points": int(y.sum()),
        "boxes": [],
    }
    if y.all() or not y.any():
        doc["note"] = (
            "every point" if y.all() else "no point"
        ) + " misses the deadline that often: nothing to discover"
        return doc
    for c in x.columns:
        if not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(str).astype("category")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("EMA").setLevel(logging.ERROR)
        from ema_workbench.analysis import prim

        box = prim.Prim(x, y, threshold=0.8).find_box()
    trajectory = box.peeling_trajectory
    for idx in range(len(trajectory)):
        lims = box.box_lims[idx]
        limits = {}
        for c in x.columns:
            lo, hi = lims[c].iloc[0], lims[c].iloc[1]
            if isinstance(lo, set):
                if lo != set(x[c].cat.categories):
                    limits[c] = sorted(map(str, lo))
            elif lo > x[c].min() or hi < x[c].max():
                limits[c] = [_plain(lo), _plain(hi)]
        doc["boxes"].append(
            {
                "coverage": float(trajectory["coverage"].iloc[idx]),
                "density": float(trajectory["density"].iloc[idx]),
                "mass": float(trajectory["mass"].iloc[idx]),
                "limits": limits,
            }
        )
    return doc


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def chosen_box(doc: dict) -> dict | None:
    """The box to report: the densest with coverage at least 0.5 (else the first)."""
    boxes = [b for b in doc.get("boxes", []) if b["coverage"] >= 0.5]
    return max(boxes, key=lambda b: (b["density"], b["coverage"])) if boxes else None


# --- output ---------------------------------------------------------------------------------------


_fmt = format_time_value


def _value_format(metric: str):
    """How a value of ``metric`` reads: a count of people as a number, anything else as a time."""
    return format_count if is_count(metric) else _fmt


def print_analysis(console, a: Analysis, limit: int = 30) -> None:
    from rich.table import Table

    metric = a.focus[0]
    prep = a.result.prepared
    table = Table(
        title=f"{prep.base.name}: {len(a.points)} points ({prep.design.type}), seed {prep.sweep.seed}"
    )
    for f in a.factors:
        table.add_column(f)
    for name in ("n", f"{metric} mean", "95% CI", "missing", "objectives met/not/undecided"):
        table.add_column(name, justify="right")
    value = _value_format(metric)
    for p in a.points[:limit]:
        m = p.metrics[metric]
        ci = "—" if m.ci95 is None else f"{value(m.ci95[0])} – {value(m.ci95[1])}"
        counts = [sum(verdict(o) == v for o in p.objectives) for v in ("met", "not met", "undecided")]
        table.add_row(
            *(_short(p.values[f]) for f in a.factors),
            str(p.replications),
            value(m.mean),
            ci,
            str(m.missing),
            "/".join(map(str, counts)),
        )
    console.print(table)
    if len(a.points) > limit:
        console.print(f"… and {len(a.points) - limit} more points (points.csv with --out)", markup=False)
    for bw in a.best_worst:
        fmt = (
            (lambda v: "—" if v is None else f"{100 * v:.1f}%")
            if bw["statistic"] == "share"
            else (lambda v, m=bw["metric"]: "not reached (censored)" if v is None else _value_format(m)(v))
        )
        console.print(
            f"{bw['objective']}: met at {bw['met']}, not met at {bw['not met']}, undecided at "
            f"{bw['undecided']} points; best {_point(bw['best']['point'])} ({fmt(bw['best']['value'])}), "
            f"worst {_point(bw['worst']['point'])} ({fmt(bw['worst']['value'])})",
            markup=False,
            soft_wrap=True,
        )
    if a.oat:
        console.print(_effects_table(a))
    for rows, title, cols in (
        (a.morris, "Morris (per whole range of each factor)", ("mu_star", "mu_star_conf", "sigma")),
        (a.sobol, "Sobol", ("S1", "S1_conf", "ST", "ST_conf")),
    ):
        if rows:
            t = Table(title=title)
            for c in ("output", "factor", *cols):
                t.add_column(c, justify="left" if c in ("output", "factor") else "right")
            for r in rows:
                t.add_row(r["output"], r["factor"], *(f"{r[c]:.3g}" for c in cols))
            console.print(t)
    for doc in a.prim:
        box = chosen_box(doc)
        head = (
            f"PRIM: {doc['metric']} later than {_fmt(doc['within'])} in more than "
            f"{100 * doc['share']:g}% of runs at {doc['bad_points']} of {doc['points']} points"
        )
        if box is None:
            console.print(head + (f"; {doc['note']}" if "note" in doc else "; no box found"), markup=False)
        else:
            console.print(
                head
                + f"; box (coverage {box['coverage']:.2f}, density {box['density']:.2f}): "
                + (", ".join(f"{k} in {v}" for k, v in box["limits"].items()) or "everywhere"),
                markup=False,
                soft_wrap=True,
            )
    for note in a.notes:
        console.print(f"note: {note}", markup=False)


def _effects_table(a: Analysis):
    from rich.table import Table

    t = Table(title="one-at-a-time effects: point − base, paired (mean over runs where both happened)")
    for c in ("factor", "value", "base", "metric", "difference (95% CI)", "missing base/point"):
        t.add_column(c)
    for r in a.oat:
        diff = (format_count_difference if is_count(r["metric"]) else format_difference)(
            r["mean_diff"], (r["ci_low"], r["ci_high"]))
        t.add_row(
            r["factor"],
            _short(r["value"]),
            _short(r["base"]),
            r["metric"],
            diff,
            f"{r['missing_base']}/{r['missing_point']}",
        )
    return t


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _point(values: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def points_frame(a: Analysis):
    import pandas as pd

    rows = []
    for p in a.points:
        for m, s in p.metrics.items():
            rows.append(
                {
                    **p.values,
                    "metric": m,
                    "replications": p.replications,
                    "n": s.n,
                    "missing": s.missing,
                    "mean": s.mean,
                    "ci_low": s.ci95[0] if s.ci95 else None,
                    "ci_high": s.ci95[1] if s.ci95 else None,
                    "p50": s.p50,
                    "p90": s.p90,
                }
            )
    return pd.DataFrame(rows)


def objectives_frame(a: Analysis):
    import pandas as pd

    rows = []
    for p in a.points:
        for o in p.objectives:
            rows.append(
                {
                    **p.values,
                    "objective": o.name,
                    "metric": o.metric,
                    "statistic": o.statistic,
                    "target": o.target,
                    "value": _num(o.value),
                    "ci_low": _num(o.ci95[0]) if o.ci95 else None,
                    "ci_high": _num(o.ci95[1]) if o.ci95 else None,
                    "verdict": verdict(o),
                }
            )
    return pd.DataFrame(rows)


ANALYSIS_FILES = ("points.csv", "objectives.csv", "results.csv", "results.parquet", "analysis.json",
                  "oat.csv", "morris.csv", "sobol.csv", "provenance.json")


def write_analysis(directory: Path, a: Analysis, store: Path, parquet: bool = False,
                   provenance: dict | None = None) -> list[str]:
    """Every analysis file, or none: written to a temporary folder first, then moved in.

    ``provenance`` (``nukesim.provenance.sweep_provenance``) goes into ``provenance.json`` and
    ``analysis.json``, as ``run --out`` does with ``summary.json``."""
    import pandas as pd

    from .plots import write_plots
    from .store import load_sweep

    directory.mkdir(parents=True, exist_ok=True)
    prep = a.result.prepared
    with tempfile.TemporaryDirectory(dir=directory, prefix=".partial-") as tmp:
        staging = Path(tmp)
        names = ["points.csv", "objectives.csv", "results.csv", "analysis.json"]
        points_frame(a).to_csv(staging / "points.csv", index=False)
        objectives_frame(a).to_csv(staging / "objectives.csv", index=False)
        results = load_sweep(store, points=prep.design.keys)
        results.to_csv(staging / "results.csv", index=False)
        if parquet:
            results.to_parquet(staging / "results.parquet", index=False)
            names.append("results.parquet")
        for rows, name in ((a.oat, "oat.csv"), (a.morris, "morris.csv"), (a.sobol, "sobol.csv")):
            if rows:
                pd.DataFrame(rows).to_csv(staging / name, index=False)
                names.append(name)
        doc = {
            "sweep": str(prep.file.path),
            "scenario": prep.base.name,
            "design": prep.design.type,
            "seed": prep.sweep.seed,
            "points": len(a.points),
            "factors": a.factors,
            "focus": a.focus,
            "best_worst": a.best_worst,
            "prim": a.prim,
            "notes": a.notes,
        }
        if provenance is not None:
            doc["provenance"] = provenance
            (staging / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
            names.append("provenance.json")
        (staging / "analysis.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
        names += write_plots(staging, a)
        # files of an earlier analysis that this one does not write (another design's plots)
        stale = [*directory.glob("*.svg"), *(directory / n for n in ANALYSIS_FILES)]
        for path in stale:
            if path.name not in names:
                path.unlink(missing_ok=True)
        for name in names:
            shutil.move(str(staging / name), directory / name)
    return names
