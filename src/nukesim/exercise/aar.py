"""The after-action report (AAR / Improvement Plan) of an exercise, in the HSEEP layout.

Sections: overview (exercise, scenario, players, seed, MSEL size), timeline (the injects
delivered and every player action, with the milestones of the played run), objectives (the
players' value, target, doctrine percentile and HSEEP rating, with the evidence), strengths and
areas for improvement — derived from the scores and from the comparison with the
counterfactual doctrine run, never canned — and an improvement-plan table to fill in. Written as
Markdown and as a self-contained HTML page through the report package's templates, with one
inline-SVG figure per objective (the doctrine distribution, the players' value marked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from ..events import INJECT_APPLIED, OUTAGE_APPLIED, PLAYER_ACTED, EventLog
from ..scenario.durations import format_duration
from ..scenario.models import Scenario
from .models import Exercise
from .scoring import RATINGS, UNABLE, Score

SIGNIFICANT = (5.0, 0.10)
"""A difference worth reporting: at least 5 minutes and 10 % of the doctrine time it concerns."""


@dataclass
class Finding:
    text: str
    capability: str = ""
    organisation: str = ""


@dataclass
class Report:
    title: str
    overview: list[tuple[str, str]]
    timeline: list[tuple[str, str, str, str]]
    """(time since t = 0, wall clock, who, what)."""
    objectives: list[dict]
    milestones: list[dict]
    strengths: list[Finding]
    improvements: list[Finding]
    figures: dict[str, str] = field(default_factory=dict)
    ratings: list[tuple[float, str, str]] = field(default_factory=list)


def _t(minutes: float) -> str:
    return "never" if math.isnan(minutes) else format_duration(minutes)


def _significant(diff: float, base: float) -> bool:
    return abs(diff) >= SIGNIFICANT[0] and (math.isnan(base) or abs(diff) >= SIGNIFICANT[1] * max(base, 1e-9))


def build_report(
    exercise: Exercise,
    scenario: Scenario,
    log: EventLog,
    score: Score,
    *,
    player: str,
    journal_name: str,
    doctrine: dict[str, np.ndarray] | None = None,
) -> Report:
    start = scenario.start

    def wall(t: float) -> str:
        return (start + timedelta(minutes=t)).strftime("%a %H:%M")

    played = ", ".join(exercise.played) or "none (doctrine throughout)"
    overview = [
        ("Exercise", exercise.name),
        ("Scenario", scenario.name),
        ("Start (t = 0)", start.isoformat()),
        ("Played organisations", played),
        ("Players", player),
        ("Seed", str(log.seed)),
        ("Injects in the MSEL", str(len(exercise.msel))),
        ("Doctrine runs compared", str(score.replications)),
        ("Run ended", f"{_t(log.end)} ({'horizon' if log.end >= scenario.horizon else 'all done'})"),
        ("Journal", journal_name),
    ]
    if exercise.description:
        overview.insert(1, ("Description", exercise.description.strip()))

    rows: list[tuple[float, str, str, str]] = []
    entries = {e.number: e for e in exercise.msel}
    delivered = [r for r in log.core if r[1] in (INJECT_APPLIED, OUTAGE_APPLIED)]
    numbers = _inject_numbers(exercise, delivered)
    for r, n in zip(delivered, numbers, strict=True):
        if n is None:
            continue
        e = entries[n]
        what = (
            f"inject {n} ({e.inject.type}) {e.from_} → {e.to or r[2]} by {e.method}: {e.description}".rstrip(
                ": "
            )
        )
        if e.expected_action:
            what += f" — expected: {e.expected_action}"
        rows.append((r[0], "control", "", what))
    for r in log.core:
        if r[1] == PLAYER_ACTED:
            verb, to, kind, detail = r[3], r[9], r[14], r[14]
            text = {"send": f"sends {kind} to {to}"}.get(verb, verb)
            if verb == "refused":
                text = f"refused: {detail}"
            rows.append((r[0], r[2], "player", text))
    for m in score.milestones:
        if not math.isnan(m.players):
            rows.append((m.players, "", "milestone", m.metric))
    rows.sort(key=lambda x: x[0])
    timeline = [
        (_t(t), wall(t), who or "—", f"{what}" if kind != "milestone" else f"milestone {what}")
        for t, who, kind, what in rows
    ]

    objectives, strengths, improvements = [], [], []
    for o in score.objectives:
        faster = 100 - o.percentile
        evidence = (
            f"players {_t(o.value)} (target {_t(o.target)}, {'met' if o.met else 'not met'}); doctrine "
            f"median {_t(o.doctrine_p50)}, p90 {_t(o.doctrine_p90)}"
            + (
                f", {o.doctrine_missing} of {score.replications} doctrine runs never reached it"
                if o.doctrine_missing
                else ""
            )
            + (
                f": slower than {o.percentile:.0f} % of simulated runs"
                if o.percentile > 50
                else f": faster than {faster:.0f} % of simulated runs"
                if not math.isnan(o.value)
                else ""
            )
            + f"; the same seed under doctrine: {_t(o.counterfactual)}"
        )
        objectives.append(
            {
                "name": o.name,
                "capability": o.capability,
                "metric": o.metric,
                "value": _t(o.value),
                "target": _t(o.target),
                "met": o.met,
                "percentile": "—" if math.isnan(o.value) else f"{o.percentile:.0f}",
                "rating": o.rating,
                "rating_words": o.rating_words,
                "evidence": evidence,
            }
        )
        finding = Finding(f"{o.name}: {evidence}.", o.capability, ", ".join(exercise.played))
        (strengths if o.rating == "P" else improvements).append(finding)
    milestones = []
    for m in score.milestones:
        diff = m.difference
        milestones.append(
            {
                "metric": m.metric,
                "players": _t(m.players),
                "doctrine": _t(m.doctrine),
                "difference": format_duration(diff, signed=True),
            }
        )
    who = ", ".join(exercise.played)
    for finding, lost in _segments(score):
        (improvements if lost else strengths).append(Finding(finding, "", who))
    for r in log.core:
        if r[1] == PLAYER_ACTED and r[3] == "refused":
            improvements.append(
                Finding(f"At {_t(r[0])} {r[2]} tried an action the engine refused: {r[14]}.", "", r[2])
            )
        elif r[1] == PLAYER_ACTED and r[3] == "hold":
            improvements.append(
                Finding(
                    f"At {_t(r[0])} {r[2]} held a message (task {r[6]}) without acting on "
                    "it: check that this was intended.",
                    "",
                    r[2],
                )
            )
    figures = _figures(score, doctrine) if doctrine is not None else {}
    return Report(
        f"After-action report: {exercise.name}",
        overview,
        timeline,
        objectives,
        milestones,
        strengths,
        improvements,
        figures,
        [*RATINGS, (math.nan, *UNABLE)],
    )


def _segments(score: Score) -> list[tuple[str, bool]]:
    """Where along the chain the players lost (or gained) time against the counterfactual.

    Milestones in the order doctrine reached them; a finding wherever the players' lead or lag
    changes significantly from the milestone before (``SIGNIFICANT``), naming the segment.
    """
    out: list[tuple[str, bool]] = []
    reached = sorted((m for m in score.milestones if not math.isnan(m.doctrine)), key=lambda m: m.doctrine)
    prev_name, prev_diff, prev_t = "the initiating event", 0.0, 0.0
    for m in reached:
        if math.isnan(m.players):
            out.append(
                (
                    f"{m.metric} was never reached in the exercise; under doctrine, with the same seed, "
                    f"it was at {_t(m.doctrine)}.",
                    True,
                )
            )
            continue
        change = m.difference - prev_diff
        if _significant(change, m.doctrine - prev_t):
            out.append(
                (
                    f"Between {prev_name} and {m.metric} the players {'lost' if change > 0 else 'gained'} "
                    f"{format_duration(abs(change))} against doctrine with the same seed "
                    f"({m.metric} at {_t(m.players)}, doctrine {_t(m.doctrine)}).",
                    change > 0,
                )
            )
        prev_name, prev_diff, prev_t = m.metric, m.difference, m.doctrine
    return out


def _inject_numbers(exercise: Exercise, records: list[tuple]) -> list[int | None]:
    """Which MSEL inject each inject/outage record belongs to (a file's own outages: None)."""
    out: list[int | None] = []
    queue = sorted(exercise.msel, key=lambda e: e.number)
    used: set[int] = set()
    for r in records:
        number = None
        for e in queue:
            if e.number in used:
                continue
            kind = e.inject.type
            if (r[1] == INJECT_APPLIED and r[14] == kind and r[3] != "ends") or (
                r[1] == OUTAGE_APPLIED
                and r[14] == "begins"
                and kind in ("channel_fails", "organisation_unavailable")
                and r[2] == getattr(e.inject, "channel", getattr(e.inject, "organisation", None))
            ):
                number = e.number
                break
        if number is not None:
            used.add(number)
        out.append(number)
    return out


def _figures(score: Score, doctrine: dict[str, np.ndarray]) -> dict[str, str]:
    import matplotlib.pyplot as plt

    from ..report.svg import to_svg

    figures = {}
    for o in score.objectives:
        d = doctrine[o.metric]
        done = d[~np.isnan(d)]
        fig, ax = plt.subplots(figsize=(6.0, 1.9))
        if len(done):
            ax.hist(done, bins=min(30, max(5, len(done) // 5)), color="#9db4d3")
        ax.axvline(o.target, color="#555", linestyle="--", label=f"target {_t(o.target)}")
        if not math.isnan(o.value):
            ax.axvline(o.value, color="#b42318", linewidth=2, label=f"players {_t(o.value)}")
        ax.set_xlabel(f"{o.metric} (minutes since t = 0)")
        ax.set_ylabel("doctrine runs")
        ax.legend(fontsize=7, loc="upper right")
        figures[o.name] = to_svg(
            fig,
            f"{o.name}: the players against {score.replications} doctrine runs",
            f"Histogram of {o.metric} over the doctrine runs; players {_t(o.value)}, "
            f"doctrine median {_t(o.doctrine_p50)}, target {_t(o.target)}.",
        )
    return figures


def markdown(report: Report) -> str:
    """The report as Markdown (GitHub tables)."""
    out = [f"# {report.title}", "", "## 1. Overview", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_cell(v)} |" for k, v in report.overview]
    out += [
        "",
        "## 2. Timeline",
        "",
        "Injects delivered, the players' actions and the milestones of the played run.",
        "",
        "| t | wall clock | who | what |",
        "|---|---|---|---|",
    ]
    out += [f"| {t} | {w} | {who} | {_cell(what)} |" for t, w, who, what in report.timeline]
    out += [
        "",
        "## 3. Objectives",
        "",
        "| objective | capability | players | target | met | percentile | rating |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [
        f"| {o['name']} | {o['capability']} | {o['value']} | {o['target']} | {'yes' if o['met'] else 'no'} | "
        f"{o['percentile']} | {o['rating']}: {o['rating_words']} |"
        for o in report.objectives
    ]
    out += [""] + [f"- **{o['name']}** — {o['evidence']}." for o in report.objectives]
    out += [
        "",
        "Percentile: the share of doctrine runs that reached the metric earlier (ties count half). "
        "Ratings: "
        + "; ".join(
            f"{c} ({w}) up to the {p:g}th percentile"
            if not math.isnan(p)
            else f"{c} ({w}) when the milestone was never reached"
            for p, c, w in report.ratings
        )
        + ".",
        "",
        "### Milestones against doctrine (same seed)",
        "",
        "| milestone | players | doctrine | difference |",
        "|---|---|---|---|",
    ]
    out += [
        f"| {m['metric']} | {m['players']} | {m['doctrine']} | {m['difference']} |" for m in report.milestones
    ]
    out += ["", "## 4. Strengths", ""]
    out += [f"- {f.text}" for f in report.strengths] or ["- None found in the comparison with doctrine."]
    out += ["", "## 5. Areas for improvement", ""]
    out += [f"- {f.text}" for f in report.improvements] or ["- None found in the comparison with doctrine."]
    out += [
        "",
        "## 6. Improvement plan",
        "",
        "| area for improvement | capability | corrective action | responsible organisation | start | "
        "completion |",
        "|---|---|---|---|---|---|",
    ]
    out += [f"| {_cell(f.text)} | {f.capability} |  | {f.organisation} |  |  |" for f in report.improvements]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def html(report: Report) -> str:
    """The report as one self-contained HTML page (the report package's base template)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("nukesim.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("aar.html.j2").render(title=report.title, r=report, math=math)
