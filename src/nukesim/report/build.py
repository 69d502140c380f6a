"""From an output folder to the report's content: tables, figures and notes, ready for the template.

Nothing here computes a statistic that ``summary.json`` already holds: the KPI table and the
objectives are that file's numbers, formatted. Plots read ``replications.csv`` (the mobilisation
curve, notification times), ``attribution.csv`` when there is one, and re-simulated replications
(``resim.py``) for what no file holds. A section that cannot be drawn says why; it is never faked.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .. import attribution
from ..graph import analyse
from ..scenario.durations import format_count, format_duration, format_time_value, objective_format
from ..scenario.metricdefs import is_count, is_time_to_event
from . import figures
from .data import RunData
from .gantt import gantt
from .graphplot import command_graph
from .records import read
from .resim import ASSEMBLY_SAMPLE, assembly_curves, event_log, readiness_thresholds, typical_replication
from .timeaxis import utc_offset

HEADLINE = ("team_mobilized", "callout_started")
COMPONENTS = attribution.COMPONENTS


@dataclass
class Figure:
    id: str
    title: str
    svg: str
    alt: str
    note: str = ""


@dataclass
class RunView:
    """What the template shows of one run (one variant of a comparison)."""

    label: str
    provenance: list[tuple[str, str]]
    objectives: list[dict]
    kpis: list[dict]
    figures: dict[str, Figure] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    """Section id -> why it is not drawn."""
    attribution_table: list[dict] | None = None


def fmt(metric: str, value: float | None) -> str:
    """A summary.json number as the CLI shows it: a duration, a share for utilisation, or a count
    of people (``left_behind``)."""
    if value is not None and not is_time_to_event(metric) and metric.startswith("utilization:"):
        return "—" if math.isnan(value) else f"{value:.3f}"
    if _counts(metric):
        return format_count(value)
    return format_time_value(value)


def _counts(metric: str) -> bool:
    try:
        return is_count(metric)
    except KeyError:  # a summary written by another version: shown as before
        return False


def provenance_rows(run: RunData) -> list[tuple[str, str]]:
    s = run.summary
    doc = run.provenance or {}
    scen = doc.get("scenario", {})
    rows = [("scenario", f"{s.get('scenario', '')}" + (f" ({scen['path']})" if scen.get("path") else "")),
            ("content hash (SHA-256)", scen.get("sha256", "not recorded")),
            ("overrides", ", ".join(doc.get("overrides", [])) or "none"),
            ("seed", str(s.get("seed"))), ("replications", str(s.get("replications")))]
    precision = s.get("precision")
    if precision:
        reached = ", ".join(f"{m} ±{100 * v:.2f}%" if v is not None else f"{m} not known"
                            for m, v in precision["reached"].items())
        rows.append(("precision", f"target ±{100 * precision['target']:g}%; reached {reached}"
                     + ("" if precision["met"] else " (NOT reached)")))
    rows += [("nukesim version", doc.get("nukesim_version", "not recorded")),
             ("created", doc.get("created", "not recorded")),
             ("command", " ".join(doc.get("command", [])) or "not recorded")]
    if run.scenario is not None:
        start = run.scenario.start
        rows.insert(1, ("t = 0 (initiating event)", f"{start:%a %Y-%m-%d %H:%M} (UTC{utc_offset(start)})"))
    return rows


def objective_rows(summary: dict) -> list[dict]:
    rows = []
    for o in summary.get("objectives", []):
        share = o["statistic"] == "share"
        # a time statistic is null in summary.json when it lies beyond the horizon (censored)
        shown = objective_format(o["statistic"], o["target"], [o["value"]], count=_counts(o["metric"]))
        show = shown if share else (lambda v, f=shown: "missing" if v is None else f(v))
        ci = o.get("ci95")
        verdict = "undecided" if not o.get("decided", True) else ("met" if o["met"] else "not met")
        rows.append({"name": o["name"], "metric": o["metric"], "statistic": o["statistic"],
                     "target": show(o["target"]), "value": show(o["value"]),
                     "ci": "—" if ci is None else _objective_ci(ci, o, show),
                     "verdict": verdict, "leaning": "met" if o["met"] else "not met"})
    return rows


def _objective_ci(ci: list, objective: dict, show) -> str:
    """summary.json writes infinite bounds as null: for an order statistic an upper bound (and a
    lower bound when the value itself is) beyond the horizon; otherwise a bound that is not known."""
    order = objective["statistic"] not in ("mean", "share")
    low = show(ci[0]) if ci[0] is not None else "missing" if order and objective["value"] is None else "—"
    high = show(ci[1]) if ci[1] is not None else "missing" if order else "—"
    return f"{low} – {high}"


def kpi_rows(summary: dict) -> list[dict]:
    rows = []
    for name, m in summary.get("metrics", {}).items():
        ci = m.get("ci95")

        def order_stat(value, name=name, m=m):
            # summary.json writes a percentile beyond every completed run (censored) as null
            censored = value is None and m["missing"] and is_time_to_event(name)
            return "missing" if censored else fmt(name, value)

        rows.append({"metric": name, "n": m["n"], "missing": m["missing"], "mean": fmt(name, m["mean"]),
                     "ci": "—" if ci is None else f"{fmt(name, ci[0])} – {fmt(name, ci[1])}",
                     "p50": order_stat(m["p50"]), "p90": order_stat(m["p90"]), "max": order_stat(m["max"])})
    return rows


def headline(run: RunData) -> str | None:
    for metric in HEADLINE:
        if metric in run.names and run.summary["metrics"].get(metric, {}).get("p50") is not None:
            return metric
    return None


def horizon_hours(run: RunData) -> float:
    """How far the time plots reach: a little past the last milestone any run reached (runs that
    never reached one keep the curve below 100 %; the caption counts them), at most the horizon."""
    horizon = run.scenario.horizon / 60 if run.scenario is not None else math.inf
    cols = [run.column(m) for m in figures.MILESTONES if m in run.names]
    values = np.concatenate(cols) if cols else np.array([])
    finite = values[np.isfinite(values)]
    return min(float(finite.max() / 60) * 1.05 if finite.size else 1.0, horizon)


def missing_note(run: RunData) -> str:
    parts = [f"{int(np.isnan(run.column(m)).sum())} of {len(run.values)} runs never reached "
             f"'{name}'" for m, name in figures.MILESTONES.items()
             if m in run.names and np.isnan(run.column(m)).any()]
    if not parts:
        return "Every run reached every milestone."
    horizon = f" within the horizon ({format_duration(run.scenario.horizon)})" if run.scenario else ""
    return "; ".join(parts) + horizon + "."


def milestone_columns(run: RunData) -> dict[str, np.ndarray]:
    return {m: run.column(m) for m in figures.MILESTONES if m in run.names}


def chain_order(run: RunData) -> list[str]:
    """Organisations in the order the graph analysis expects them to hear, else as the file has them."""
    orgs = [n.split(":", 1)[1] for n in run.names if n.startswith("notified:")]
    if run.scenario is None:
        return orgs
    expected = analyse(run.scenario).notified
    return sorted(orgs, key=lambda o: (expected.get(o) is None, expected.get(o) or 0.0, orgs.index(o)))


def run_view(run: RunData, label: str = "", simulated: bool = True) -> RunView:
    """Everything about one run; ``simulated=False`` leaves out the re-simulated figures."""
    view = RunView(label, provenance_rows(run), objective_rows(run.summary), kpi_rows(run.summary))
    start = run.scenario.start if run.scenario is not None else None
    svg, alt = figures.mobilisation_curve([(label, milestone_columns(run))], start, horizon_hours(run))
    view.figures["mobilisation"] = Figure("mobilisation", "Mobilisation curve", svg, alt, missing_note(run))
    order = chain_order(run)
    if order:
        svg, alt = figures.notification_boxes({o: run.column(f"notified:{o}") for o in order}, start)
        note = "" if run.scenario is not None else f"Not in chain order: {run.why_no_scenario}."
        view.figures["notification"] = Figure("notification", "Notification time per organisation", svg, alt,
                                              note)
    if run.attribution is not None:
        _attribution(run, view)
    if run.scenario is None:
        for section in ("members", "timeline", "graph"):
            view.missing[section] = f"Not drawn: {run.why_no_scenario}."
        return view
    svg, alt = command_graph(run.scenario)
    view.figures["graph"] = Figure("graph", "Command graph", svg, alt)
    if not simulated:
        return view
    _members(run, view, start)
    _timeline(run, view, start, order)
    return view


def _members(run: RunData, view: RunView, start) -> None:
    scenario = run.scenario
    reps = [int(r) for r in run.replication_numbers[:ASSEMBLY_SAMPLE]]
    grid_hours = np.linspace(0, horizon_hours(run), 300)
    curves = assembly_curves(scenario, run.summary["seed"], reps, grid_hours * 60)
    sizes = {u: spec.size for u, spec in scenario.team.units.items()}
    svg, alt = figures.members_assembled(curves, grid_hours, readiness_thresholds(scenario), sizes, start,
                                         len(reps))
    view.figures["members"] = Figure(
        "members", "Members assembled over time", svg, alt,
        f"Replications {reps[0]}–{reps[-1]} of seed {run.summary['seed']}, re-simulated from the scenario "
        "(the same runs as in replications.csv).")


def _timeline(run: RunData, view: RunView, start, order: list[str]) -> None:
    metric = headline(run)
    rep = None if metric is None else typical_replication(
        run.replication_numbers, run.column(metric), run.summary["metrics"][metric]["p50"])
    if rep is None:
        view.missing["timeline"] = "Not drawn: no replication reached the headline milestone."
        return
    scenario = run.scenario
    seed = run.summary["seed"]
    log = event_log(scenario, seed, rep)
    value = run.column(metric)[list(run.replication_numbers).index(rep)]
    title = (f"Replication {rep} of seed {seed}: {metric} at {format_duration(value)}, closest to the "
             f"median {format_duration(run.summary['metrics'][metric]['p50'])}")
    rest = [o for o in scenario.organisations if o not in order]
    svg, alt = gantt((read(r) for r in log.records), [*order, *rest], list(scenario.team.units), start, title)
    view.figures["timeline"] = Figure(
        "timeline", "Timeline of a typical replication", svg, alt,
        f"`nukesim timeline {run.provenance['scenario']['path']} --seed {seed} --replication {rep}"
        + "".join(f" --set {o}" for o in run.provenance.get("overrides", [])) + "` prints it as a table.")


def _attribution(run: RunData, view: RunView) -> None:
    """Mean minutes per component (and per place) over the runs in which the milestone happened."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    places: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in run.attribution:
        totals[row["metric"]][row["component"]] += row["minutes"]
        places[(row["metric"], row["component"], row["where"])] += row["minutes"]
    happened = {m: int((~np.isnan(run.column(m))).sum()) if m in run.names else 0 for m in totals}
    # the headline milestones (the call-out and the team's); every other milestone only when the
    # file has none of them — `nukesim explain --metric all` prints the rest
    order = [m for m in figures.MILESTONES if m in totals and happened[m]] or [
        m for m in sorted(totals) if happened[m]]
    means = {m: {c: v / happened[m] for c, v in totals[m].items()} for m in order}
    if not means:
        view.missing["attribution"] = "attribution.csv has no rows for milestones that happened."
        return
    components = [c for c in COMPONENTS if any(c in means[m] for m in means)]
    components += sorted({c for m in means for c in means[m]} - set(components))
    svg, alt = figures.attribution_bars(means, components)
    view.figures["attribution"] = Figure("attribution", "What made it slow", svg, alt,
                                         "Mean over the runs in which the milestone happened "
                                         "(counted from replications.csv).")
    top = sorted(((m, c, w, v / happened[m]) for (m, c, w), v in places.items() if m in means),
                 key=lambda x: (order.index(x[0]), -x[3]))
    shown: dict[str, int] = defaultdict(int)
    view.attribution_table = []
    for m, c, w, v in top:  # the five biggest places of each milestone
        shown[m] += 1
        if shown[m] <= 5:
            view.attribution_table.append({"metric": m, "component": c, "where": w or "—",
                                           "minutes": f"{v:.1f}"})
