"""The report of a sweep folder (``sweep --out DIR --report``, ``nukesim report DIR``).

A sweep's numbers live in its SQLite store; its analysis is ``sweep.analysis.analyse`` of what
the store holds. The report rebuilds that analysis from the store and the sweep file — the same
function the CLI ran, so the page shows the numbers of ``points.csv``, ``objectives.csv`` and
the effect tables — and formats it with the run report's table helpers. It works on the store of
an interrupted sweep too (no analysis files yet) and says which points are incomplete. It needs
the sweep file and the scenario unchanged (SHA-256), as ``--resume`` does; if they changed it
refuses and says what changed, rather than show numbers of another sweep.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..provenance import read_provenance
from ..scenario import ScenarioError
from ..scenario.durations import format_difference, format_duration, format_time_value
from ..sweep.analysis import Analysis, chosen_box, verdict
from .build import Figure, kpi_rows, objective_rows
from .data import ReportError
from .timeaxis import utc_offset

STORE_NAME = "sweep.sqlite"


@dataclass
class SweepData:
    """A sweep folder read back: its analysis, rebuilt from the store, and where it came from."""

    directory: Path
    store: Path
    meta: dict
    """The store's records: sweep file, its SHA-256 and text, command, nukesim version, created."""
    provenance: dict | None
    analysis: Analysis
    incomplete: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Point key -> (replications held, replications planned), for points short of their plan."""


def is_sweep_folder(directory: Path) -> bool:
    """A folder of ``sweep --out``: it has the store, or a provenance naming a sweep."""
    if (directory / STORE_NAME).is_file():
        return True
    try:
        doc = read_provenance(directory)
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and "sweep" in doc


def _store_path(directory: Path, provenance: dict | None) -> Path:
    if (directory / STORE_NAME).is_file():
        return directory / STORE_NAME
    recorded = (provenance or {}).get("sweep", {}).get("store")
    if recorded and Path(recorded).is_file():
        return Path(recorded)
    where = f" nor at {recorded}, where the sweep recorded it" if recorded else ""
    raise ReportError(f"the sweep's result store is not here ({STORE_NAME}){where}: the report is "
                      "made from it")


def load_sweep_folder(directory: Path) -> SweepData:
    """Rebuild the sweep's analysis from its store; a ``ReportError`` says why it cannot."""
    from ..sweep.analysis import analyse
    from ..sweep.execute import prepare, stored_result
    from ..sweep.store import Store, describe_changes

    try:
        provenance = read_provenance(directory)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read provenance.json: {exc}") from None
    path = _store_path(directory, provenance)
    try:
        store = Store(path)
    except ScenarioError as exc:
        raise ReportError(str(exc.problems[0])) from None
    try:
        keys = ("sweep_file", "sweep_sha256", "sweep_text", "command", "nukesim_version", "created",
                "fingerprint", "replications")
        meta = {k: store.meta(k) for k in keys}
        if meta["sweep_file"] is None or meta["fingerprint"] is None:
            raise ReportError(f"{path} holds no sweep yet (it was never started)")
        sweep_file = Path(meta["sweep_file"])
        if not sweep_file.is_file():
            raise ReportError(f"the sweep file {sweep_file} is not there: the report rebuilds the analysis "
                              "from it (run `nukesim report` from where the sweep was made)")
        replications = json.loads(meta["replications"]) if meta["replications"] else None
        try:
            prepared = prepare(sweep_file, replications)
        except ScenarioError as exc:
            raise ReportError(f"the sweep file no longer loads: {exc.problems[0]}") from None
        if prepared.file.sha256 != meta["sweep_sha256"]:
            raise ReportError(f"the sweep file {sweep_file} has changed since the sweep (its SHA-256 "
                              "differs): restore it to report on this store")
        changed = describe_changes(json.loads(meta["fingerprint"]), prepared.fingerprint())
        if changed:
            raise ReportError(f"what the stored results depend on has changed: {'; '.join(changed)}")
        result, incomplete = stored_result(prepared, store)
    finally:
        store.close()
    meta["command"] = json.loads(meta["command"]) if meta["command"] else []
    return SweepData(directory, path, meta, provenance, analyse(result), incomplete)


# --- the page ------------------------------------------------------------------------------------


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _levels(f) -> str:
    if f.values is not None:
        return ", ".join(_short(v) if not isinstance(v, (dict, list)) else json.dumps(v) for v in f.values)
    r = f.range
    spacing = "log" if r.log else "even"
    return (f"{_short(r.low)} to {_short(r.high)} ({r.steps} {spacing} levels for grid and one-at-a-time"
            + (", integers" if r.integer else "") + ")")


def _design(prepared) -> str:
    d = prepared.sweep.design
    used = {"random": ("points", "seed"), "lhs": ("points", "seed"),
            "sobol": ("samples", "second_order", "seed"), "morris": ("samples", "levels", "seed")}
    params = [f"{k} {getattr(d, k)}" for k in used.get(d.type, ())]
    return d.type + (f" ({', '.join(params)})" if params else "")


def _replications(sweep) -> str:
    if sweep.precision is not None:
        p = sweep.precision
        return (f"precision target ±{100 * p.target:g}% of the mean (95 % CI half-width), in stages of "
                f"{p.batch}, at most {p.max}")
    from ..sweep.execute import DEFAULT_REPLICATIONS

    return str(sweep.replications or DEFAULT_REPLICATIONS)


def provenance_rows(data: SweepData) -> list[tuple[str, str]]:
    a = data.analysis
    prep = a.result.prepared
    sweep = prep.sweep
    fp = json.loads(data.meta["fingerprint"])
    start = prep.base.start
    return [
        ("sweep", f"{sweep.name or prep.file.path.stem} ({prep.file.path})"),
        ("sweep file hash (SHA-256)", data.meta["sweep_sha256"]),
        ("scenario", f"{prep.base.name} ({prep.file.scenario_path})"),
        ("content hash (SHA-256)", fp["scenario_sha256"]),
        ("t = 0 of the base (initiating event)", f"{start:%a %Y-%m-%d %H:%M} (UTC{utc_offset(start)})"),
        ("base overrides (set:)", ", ".join(f"{k}={v}" for k, v in sweep.set.items()) or "none"),
        ("design", f"{_design(prep)}: {len(prep.design.unique())} points"),
        ("seed", str(sweep.seed)),
        ("replications per point", _replications(sweep)),
        ("metrics kept", ", ".join(prep.metrics)),
        ("result store", str(data.store)),
        ("nukesim version", data.meta["nukesim_version"] or "not recorded"),
        ("created", data.meta["created"] or "not recorded"),
        ("command", " ".join(data.meta["command"]) or "not recorded"),
    ]


def factor_rows(data: SweepData) -> list[dict]:
    prep = data.analysis.result.prepared
    return [{"name": f.name, "sets": f"wall clock: {f.wallclock}" if f.wallclock else ", ".join(f.targets),
             "levels": _levels(f), "base": _short(prep.base_values.get(f.name, ""))}
            for f in prep.sweep.factors]


def point_rows(data: SweepData) -> list[dict]:
    """Every point of the design, in design order, with how many replications it has."""
    a = data.analysis
    summaries = {p.key: p for p in a.points}
    rows = []
    for i, (key, values) in enumerate(a.result.prepared.design.unique().items()):
        held = len(a.result.values[key])
        if key in data.incomplete:
            have, planned = data.incomplete[key]
            status = "not started" if have == 0 else f"incomplete: {have} of {planned}"
        else:
            status = "complete"
        p = summaries.get(key)
        focus = []
        for m in a.focus:
            s = p.metrics[m] if p is not None else None
            focus.append({"mean": format_time_value(s.mean) if s else "—",
                          "ci": "—" if s is None or s.ci95 is None
                          else f"{format_time_value(s.ci95[0])} – {format_time_value(s.ci95[1])}",
                          "missing": str(s.missing) if s else "—"})
        counts = ("—" if p is None else
                  "/".join(str(sum(verdict(o) == v for o in p.objectives)) for v in ("met", "not met",
                                                                                   "undecided")))
        rows.append({"index": i, "cells": [_short(values[f]) for f in a.factors], "replications": held,
                     "status": status, "focus": focus, "objectives": counts})
    return rows


def metric_rows(a: Analysis) -> list[dict]:
    """points.csv as the run report's key-figures table, one block per point."""
    keys = list(a.result.prepared.design.unique())
    return [{"index": keys.index(p.key), "point": _point_text({f: p.values[f] for f in a.factors}),
             "kpis": kpi_rows({"metrics": {m: s.to_dict() for m, s in p.metrics.items()}})}
            for p in a.points]


def objective_blocks(a: Analysis) -> list[dict]:
    """objectives.csv as the run report's objectives table, one block per point."""
    keys = list(a.result.prepared.design.unique())
    return [{"index": keys.index(p.key), "point": _point_text({f: p.values[f] for f in a.factors}),
             "objectives": objective_rows({"objectives": [o.to_dict() for o in p.objectives]})}
            for p in a.points if p.objectives]


def _point_text(values: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in values.items())


def best_worst_rows(a: Analysis) -> list[dict]:
    rows = []
    for bw in a.best_worst:
        if bw["statistic"] == "share":
            def show(v):
                return "—" if v is None else f"{100 * v:.1f}%"
        else:
            def show(v):
                return "missing" if v is None else format_time_value(v)
        rows.append({"objective": bw["objective"], "statistic": bw["statistic"], "met": bw["met"],
                     "not_met": bw["not met"], "undecided": bw["undecided"],
                     "best": _point_text(bw["best"]["point"]), "best_value": show(bw["best"]["value"]),
                     "worst": _point_text(bw["worst"]["point"]), "worst_value": show(bw["worst"]["value"])})
    return rows


def oat_rows(a: Analysis) -> list[dict]:
    return [{"factor": r["factor"], "value": _short(r["value"]), "base": _short(r["base"]),
             "metric": r["metric"], "pairs": r["pairs"],
             "difference": format_difference(r["mean_diff"], (r["ci_low"], r["ci_high"])),
             "missing": f"{r['missing_base']}/{r['missing_point']}"} for r in a.oat]


def _g(v: float) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3g}"


def _in_minutes(output: str) -> bool:
    """A Morris output in minutes (a metric's mean time), not a share (``missing:``, ``within``,
    a utilisation)."""
    return not output.startswith(("missing:", "within ", "utilization:"))


def morris_rows(a: Analysis) -> list[dict]:
    """morris.csv; effects on a time in the one duration format, on a share as numbers."""
    rows = []
    for r in a.morris:
        if _in_minutes(r["output"]):
            def show(v, signed=False):
                return format_duration(v, signed=signed)
        else:
            def show(v, signed=False):
                return _g(v)
        rows.append({"output": r["output"], "factor": r["factor"], "mu_star": show(r["mu_star"]),
                     "mu_star_conf": show(r["mu_star_conf"]), "mu": show(r["mu"], signed=True),
                     "sigma": show(r["sigma"]),
                     "sigma_ci": f"{show(r['sigma_ci_low'])} – {show(r['sigma_ci_high'])}"})
    return rows


def sobol_rows(a: Analysis) -> list[dict]:
    return [{"output": r["output"], "factor": r["factor"], "S1": _g(r["S1"]), "S1_conf": _g(r["S1_conf"]),
             "ST": _g(r["ST"]), "ST_conf": _g(r["ST_conf"])} for r in a.sobol]


def _limits(limits: dict) -> str:
    """A PRIM box's limits: a numeric factor's range, or the categories it keeps."""
    return ", ".join(f"{k} in [{', '.join(_short(x) for x in v)}]" for k, v in limits.items()) or "everywhere"


def prim_blocks(a: Analysis) -> list[dict]:
    out = []
    for doc in a.prim:
        box = chosen_box(doc)
        head = (f"{doc['metric']} later than {format_duration(doc['within'])} in more than "
                f"{100 * doc['share']:g}% of runs at {doc['bad_points']} of {doc['points']} points")
        if box is None:
            summary = doc.get("note", "no box with a coverage of at least 0.5 found")
        else:
            summary = (f"box (coverage {box['coverage']:.2f}, density {box['density']:.2f}): "
                       + _limits(box["limits"]))
        trajectory = [{"coverage": f"{b['coverage']:.2f}", "density": f"{b['density']:.2f}",
                       "mass": f"{b['mass']:.2f}",
                       "limits": _limits(b["limits"])}
                      for b in doc["boxes"]]
        out.append({"head": head, "summary": summary, "trajectory": trajectory})
    return out


def figures(a: Analysis) -> list[Figure]:
    """The sweep's own figures (``sweep.plots.sweep_figures``), inline."""
    from ..sweep.plots import sweep_figures
    from .svg import to_svg

    return [Figure(f.name.removesuffix(".svg").replace("_", "-"), f.title, to_svg(f.fig, f.title, f.alt),
                   f.alt, f"Also written as {f.name} by `sweep --out`.") for f in sweep_figures(a)]


def sweep_context(data: SweepData) -> dict:
    a = data.analysis
    prep = a.result.prepared
    incomplete = [{"index": list(prep.design.unique()).index(k),
                   "point": _point_text(prep.design.unique()[k]), "have": have, "planned": planned}
                  for k, (have, planned) in data.incomplete.items()]
    return {"title": f"nukesim sweep report: {prep.sweep.name or prep.file.path.stem}",
            "run": {"label": "", "provenance": provenance_rows(data)},
            "factors": factor_rows(data), "factor_names": a.factors, "focus": a.focus,
            "design": prep.design.type, "points": point_rows(data), "incomplete": incomplete,
            "metric_blocks": metric_rows(a), "objective_blocks": objective_blocks(a),
            "best_worst": best_worst_rows(a), "oat": oat_rows(a), "morris": morris_rows(a),
            "sobol": sobol_rows(a), "prim": prim_blocks(a), "notes": a.notes, "figures": figures(a)}
