"""The self-contained HTML report of an output folder (``nukesim report DIR``, ``--report``):
a run, a comparison or a sweep (``sweep.py``).

One HTML file with everything inline — styles, and plots as SVG — and no reference to anything
outside it, so that it opens from a USB stick on an air-gapped machine and prints well. It reads
the folder's files (``data.py``), builds tables and figures (``build.py``, ``figures.py``,
``gantt.py``, ``graphplot.py``) and fills the Jinja2 template shipped with the package
(``templates/report.html.j2``).
"""

from __future__ import annotations

from pathlib import Path

from .data import ReportError, load_comparison, load_run

REPORT_NAME = "report.html"

__all__ = ["REPORT_NAME", "ReportError", "render_report", "write_report"]


def render_report(directory: str | Path) -> str:
    """The HTML text of the report of a ``run --out``, ``compare --out`` or ``sweep --out`` folder."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from .build import run_view
    from .compare import comparison_context

    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError("not a folder: give the folder of `nukesim run|compare|sweep … --out DIR`")
    env = Environment(loader=PackageLoader("nukesim.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    if (directory / "comparison.json").exists():
        document, a, b = load_comparison(directory)
        context = comparison_context(document, a, b)
        return env.get_template("compare.html.j2").render(**context)
    if not (directory / "summary.json").exists():
        from .sweep import is_sweep_folder, load_sweep_folder, sweep_context

        if not is_sweep_folder(directory):
            raise ReportError("neither a run, a comparison nor a sweep folder (no summary.json, "
                              "comparison.json or sweep.sqlite here): give the folder of "
                              "`nukesim run|compare|sweep … --out DIR`")
        return env.get_template("sweep.html.j2").render(**sweep_context(load_sweep_folder(directory)))
    run = load_run(directory)
    view = run_view(run)
    return env.get_template("run.html.j2").render(title=f"nukesim report: {run.summary['scenario']}",
                                                  run=view)


def write_report(directory: str | Path) -> Path:
    """Write ``DIR/report.html`` (whole, or not at all) and return its path."""
    directory = Path(directory)
    html = render_report(directory)
    path = directory / REPORT_NAME
    partial = directory / f".{REPORT_NAME}.partial"
    partial.write_text(html, encoding="utf-8")
    partial.replace(path)
    return path
