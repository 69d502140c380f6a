"""The comparison report: A and B side by side, and the paired differences B − A."""

from __future__ import annotations

import math

from ..scenario.durations import format_difference, format_share_difference
from .build import Figure, fmt, horizon_hours, milestone_columns, objective_rows, run_view
from .data import RunData
from .figures import mobilisation_curve


def comparison_context(document: dict, a: RunData, b: RunData) -> dict:
    va, vb = run_view(a, "A"), run_view(b, "B")
    start = a.scenario.start if a.scenario is not None else None
    svg, alt = mobilisation_curve([("A", milestone_columns(a)), ("B", milestone_columns(b))], start,
                                  max(horizon_hours(a), horizon_hours(b)))
    overlay = Figure("mobilisation-ab", "Mobilisation curves of A and B", svg, alt,
                     "A solid, B dashed; bands are 95 % Wilson intervals of each variant's share.")
    differences = []
    for d in document["differences"]:
        metric = d["metric"]
        if metric.startswith("utilization:"):
            continue
        differences.append({
            "metric": metric, "pairs": d["pairs"], "mean_a": fmt(metric, d["mean_a"]),
            "mean_b": fmt(metric, d["mean_b"]),
            "mean_diff": format_difference(d["mean_diff"], d["mean_diff_ci95"]),
            "p90_a": _p90(metric, d["p90_a"], d["missing_a"]),
            "p90_b": _p90(metric, d["p90_b"], d["missing_b"]),
            "p90_diff": format_difference(d["p90_diff"], _unbounded(d["p90_diff"], d["p90_diff_ci95"])),
            "missing": f"{d['missing_a']}/{d['missing_b']}"})
    objectives = [{"name": oa["name"], "a": oa, "b": ob} for oa, ob in zip(va.objectives, vb.objectives,
                                                                           strict=False)]
    return {"title": f"nukesim comparison: {document['a']} vs B = {document['b']}", "document": document,
            "a": va, "b": vb, "overlay": overlay, "differences": differences, "objectives": objectives,
            "objective_differences": [_objective_difference(o) for o in document.get("objectives", [])
                                      if "difference" in o]}


def _objective_difference(o: dict) -> dict:
    """One row of B − A of the objectives: both values as the objectives table shows them, and
    the difference with its paired interval (in points for a share)."""
    (a,), (b,) = objective_rows({"objectives": [o["a"]]}), objective_rows({"objectives": [o["b"]]})
    d = o["difference"]
    if o["a"]["statistic"] == "share":
        diff = format_share_difference(d["value"], d["ci95"])
    else:
        bootstrap = d["method"] == "paired bootstrap"
        diff = format_difference(d["value"], _unbounded(d["value"], d["ci95"]) if bootstrap else d["ci95"])
    return {"name": o["name"], "statistic": o["a"]["statistic"], "a": a["value"], "b": b["value"],
            "diff": diff, "method": d["method"]}


def _unbounded(value: float | None, ci: list | None) -> list | None:
    """comparison.json writes an unbounded side of a bootstrap interval as null: ∞ again."""
    if value is None or ci is None:
        return ci
    return [-math.inf if ci[0] is None else ci[0], math.inf if ci[1] is None else ci[1]]


def _p90(metric: str, value: float | None, missing: int) -> str:
    """comparison.json writes a p90 beyond the horizon (too many runs missing) as null."""
    return "missing" if value is None and missing else fmt(metric, value)

