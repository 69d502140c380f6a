"""Every example in README.md and docs/ is run, so that the docs cannot drift from the program.

What is run, block by block in each page's order, in a copy of the repository (outputs such as
``out/minimal`` land in the copy, so a later block can read what an earlier one wrote):

- ```sh and ```console blocks: every command line (``$ `` prompts and ``# comments`` removed,
  ``\\`` continuations joined) runs in bash from the copy's root, with this environment's
  ``nukesim`` first on PATH, and must exit 0. In a console block, the lines after a ``$ `` line up
  to the next one are the output shown: when there are any, the command's stdout and stderr
  together must be exactly those lines (trailing spaces aside), and its exit code may be anything
  (an error example exits 2).
- ```python blocks: each runs in a fresh interpreter from the copy's root and must not raise.
- ```yaml, ```text and unmarked blocks are illustrations and not run.

Two passes. The default suite is quick: every ``nukesim`` (or ``python run_sim.py``) command is
parsed by the real command line in-process (a renamed option, a wrong choice or a missing
argument fails), each command whose output the page shows is run in-process and compared, and
every Python block must compile. ``pytest -m slow`` runs every block for real — small: in a
command whose output is not shown, ``-n N`` (and a ``--precision`` run's or a sweep's
replications) becomes at most ``-n 20``, and in Python ``n=N`` at most ``n=20``; with
``NUKESIM_DOCS_FULL=1`` every example runs as written. A comment ``<!-- docs-test: slow -->`` on the
line before a block runs it only with ``NUKESIM_DOCS_FULL=1`` (a benchmark);
``<!-- docs-test: skip REASON -->`` never (only what cannot run on one CI machine, such as a Dask
cluster on other machines).

After a change that moves numbers or wording on purpose, ``NUKESIM_DOCS_UPDATE=1 pytest
tests/test_docs.py -k prints`` rewrites each shown output in the pages with what the program now
prints (the quick pass's in-process run); read the diff before committing it, and fix the prose that
quotes the figures.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "docs").glob("*/*.md")])
SMALL = 20
"""Replications per command or call in the slow pass (unless NUKESIM_DOCS_FULL=1)."""
FULL = bool(os.environ.get("NUKESIM_DOCS_FULL"))
UPDATE = bool(os.environ.get("NUKESIM_DOCS_UPDATE"))
RUN = ("sh", "console", "python")
FENCE = re.compile(r"^```(\w*)\s*$")
MARK = re.compile(r"^<!--\s*docs-test:\s*(skip|slow)\b\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    page: Path
    line: int
    """The line of the opening fence (1-based)."""
    lang: str
    text: list[str]
    mark: str = ""

    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page (top level only: an indented fence belongs to a list)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        mark = MARK.match(lines[i - 1]) if i else None
        found.append(Block(page, i + 1, opening.group(1), lines[i + 1:end], mark.group(1) if mark else ""))
        i = end + 1
    return found


@dataclass
class Command:
    line: str
    shown: list[str] | None
    """The output the page shows (console blocks), or None when it shows none."""


def commands(block: Block) -> list[Command]:
    """A block's command lines, continuations joined, with the output shown after each."""
    result: list[Command] = []
    text = list(block.text)
    while text:
        line = text.pop(0)
        if block.lang == "console":
            if not line.startswith("$ "):
                assert result, f"{block.where()}: output before the first '$ ' line"
                result[-1].shown = [*(result[-1].shown or []), line]
                continue
            line = line[2:]
        while line.endswith("\\") and text:
            line = line[:-1].rstrip() + " " + text.pop(0).strip()
        line = strip_comment(line).strip()
        if line:
            result.append(Command(line, None))
    return result


def strip_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a ``#`` inside quotes is kept)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def smaller(line: str) -> str:
    """The command with at most SMALL replications (-n, --precision's maximum, a sweep's)."""
    line = re.sub(r"(?<=\s)-n (\d+)", lambda m: f"-n {min(int(m.group(1)), SMALL)}", line)
    capped = []
    for part in re.split(r"(\s*(?:&&|\|\||;|\|)\s*)", line):
        words = part.split()
        if (len(words) > 1 and words[0] == "nukesim" and words[1] in ("sweep", "run", "compare")
                and " -n " not in f" {part} "):
            part += f" -n {SMALL}" if words[1] != "run" or "--precision" in part else ""
        capped.append(part)
    return "".join(capped)


def smaller_python(code: str) -> str:
    return re.sub(r"\bn=(\d+)", lambda m: f"n={min(int(m.group(1)), SMALL)}", code)


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("NUKESIM_DEBUG", None)
    return env


def copy_of_repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(
        ".git", ".venv", "out", "__pycache__", "*.sqlite", ".pytest_cache", ".ruff_cache", "*.egg-info"))
    return root


def run_page(page: Path, tmp_path: Path, env: dict[str, str], full: bool) -> list[str]:
    """Run every block of the page (slow pass), at most SMALL replications unless ``full``; the
    failures, one text each."""
    root = copy_of_repository(tmp_path)
    failures = []
    for block in blocks(page):
        if block.lang not in RUN or block.mark == "skip" or (block.mark == "slow" and not full):
            continue
        if block.lang == "python":
            code = "\n".join(block.text)
            done = subprocess.run([sys.executable, "-c", code if full else smaller_python(code)],
                                  cwd=root, env=env, capture_output=True, text=True, timeout=600)
            if done.returncode:
                failures.append(f"{block.where()}: the Python block failed:\n{done.stderr[-3000:]}")
            continue
        for command in commands(block):
            line = command.line if full or command.shown is not None else smaller(command.line)
            done = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=root, env=env,
                                  capture_output=True, text=True, timeout=1800)
            got = [row.rstrip() for row in (done.stdout + done.stderr).rstrip().splitlines()]
            failures += compare(block, command, line, got, done.returncode)
    return failures


def compare(block: Block, command: Command, line: str, got: list[str], code: int) -> list[str]:
    """Why the command's output or exit code is not what the page says, if it is not."""
    if command.shown is not None:
        shown = [row.rstrip() for row in "\n".join(command.shown).rstrip().splitlines()]
        if got != shown:
            return [f"{block.where()}: `{command.line}` printed\n" + "\n".join(got)
                    + "\nbut the page shows\n" + "\n".join(shown)]
    elif code:
        return [f"{block.where()}: `{line}` exited {code}:\n" + "\n".join(got[-30:])]
    return []


def cli_commands(line: str, root: Path) -> list[list[str]]:
    """The arguments of each ``nukesim …`` or ``python run_sim.py …`` command of a shell line
    (``&&``, ``|`` and ``;`` separate commands; redirections are dropped; globs are expanded
    from ``root``)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found, words, redirect = [], [], False
    for token in [*lexer, ";"]:
        if redirect:
            redirect = False
        elif token in (">", ">>", "<", "2>", "&>"):
            redirect = True
        elif set(token) <= set("&|;()"):
            found.append(words)
            words = []
        else:
            words.append(token)
    commands = []
    for words in found:
        if words[:1] == ["nukesim"]:
            words = words[1:]
        elif words[:2] == ["python", "run_sim.py"]:
            words = words[2:]
        else:
            continue
        expanded = []
        for word in words:
            matches = sorted(str(p.relative_to(root)) for p in root.glob(word)) if "*" in word else []
            expanded += matches or [word]
        commands.append(expanded)
    return commands


def check_page(page: Path, tmp_path: Path, monkeypatch) -> None:
    """The quick pass: commands parsed, shown output compared, Python compiled (in-process)."""
    import typer
    from typer.testing import CliRunner

    click = getattr(typer, "_click", None)  # Typer 0.2x carries its own copy of click
    if click is None:
        import click

    from nukesim.cli import app

    root = copy_of_repository(tmp_path)
    monkeypatch.chdir(root)
    group = typer.main.get_command(app)
    failures = []
    updates: list[tuple[Block, dict[int, list[str]]]] = []
    for block in blocks(page):
        if block.lang not in RUN or block.mark == "skip":
            continue
        if block.lang == "python":
            try:
                compile("\n".join(block.text), block.where(), "exec")
            except SyntaxError as exc:
                failures.append(f"{block.where()}: {exc}")
            continue
        printed: dict[int, list[str]] = {}
        for number, command in enumerate(commands(block)):
            if command.shown is not None:
                (args,) = cli_commands(command.line, root)  # one command, or the page is wrong
                result = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
                got = [row.rstrip() for row in result.output.rstrip().splitlines()]
                differs = compare(block, command, command.line, got, result.exit_code)
                if differs and UPDATE:
                    printed[number] = got
                else:
                    failures += differs
                continue
            for args in cli_commands(command.line, root):
                part = shlex.join(["nukesim", *args])
                try:
                    with group.make_context("nukesim", list(args), resilient_parsing=False) as ctx:
                        sub = group.get_command(ctx, args[0])
                        if sub is None:
                            raise click.UsageError(f"no command {args[0]!r}")
                        sub.make_context(args[0], args[1:], parent=ctx).close()
                except typer.Exit:
                    pass  # --help, --version
                except click.ClickException as exc:
                    failures.append(f"{block.where()}: `{part}`: {exc.format_message()}")
        if printed:
            updates.append((block, printed))
    if updates:
        rewrite(page, updates)
    assert not failures, "\n\n".join(failures)


def with_outputs(block: Block, printed: dict[int, list[str]]) -> list[str]:
    """The console block's lines with the output of command ``k`` replaced by ``printed[k]``
    (commands counted as ``commands`` counts them)."""
    out: list[str] = []
    number, replacing = -1, False
    text = list(block.text)
    while text:
        line = text.pop(0)
        if not line.startswith("$ "):
            if not replacing:
                out.append(line)
            continue
        out.append(line)
        joined = line[2:]
        while joined.endswith("\\") and text:
            out.append(text[0])
            joined = joined[:-1].rstrip() + " " + text.pop(0).strip()
        if strip_comment(joined).strip():
            number += 1
            replacing = number in printed
            out += printed.get(number, [])
    return out


def rewrite(page: Path, updates: list[tuple[Block, dict[int, list[str]]]]) -> None:
    """Write the new shown outputs into the page (NUKESIM_DOCS_UPDATE=1), last block first."""
    lines = page.read_text(encoding="utf-8").splitlines()
    for block, printed in sorted(updates, key=lambda u: -u[0].line):
        lines[block.line:block.line + len(block.text)] = with_outputs(block, printed)
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")


IDS = [str(p.relative_to(ROOT)) for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_command_of_the_page_parses_and_prints_what_it_shows(page, tmp_path, monkeypatch):
    check_page(page, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_example_of_the_page_runs(page, tmp_path, environment):
    failures = run_page(page, tmp_path, environment, full=FULL)
    assert not failures, "\n\n".join(failures)


# --- the harness itself -------------------------------------------------------------------------


def test_console_output_is_the_lines_after_a_prompt_and_continuations_are_joined(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("x\n<!-- docs-test: slow -->\n```console\n$ nukesim a \\\n    b   # note\nout 1\n"
                    "out # 2\n$ nukesim c\n```\n")
    (block,) = blocks(page)
    assert block.mark == "slow" and block.line == 3
    got = [(c.line, c.shown) for c in commands(block)]
    assert got == [("nukesim a b", ["out 1", "out # 2"]), ("nukesim c", None)]


def test_the_update_mode_replaces_only_the_outputs_it_was_given(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("x\n```console\n$ nukesim a \\\n    b\nold 1\nold 2\n$ nukesim c\nkept\n```\ny\n")
    (block,) = blocks(page)
    rewrite(page, [(block, {0: ["new"]})])
    assert page.read_text() == "x\n```console\n$ nukesim a \\\n    b\nnew\n$ nukesim c\nkept\n```\ny\n"


def test_the_slow_pass_caps_replications_but_keeps_everything_else():
    assert smaller("nukesim run x.yaml -n 1000 --seed 7") == "nukesim run x.yaml -n 20 --seed 7"
    assert smaller("nukesim run x.yaml --precision 1%") == "nukesim run x.yaml --precision 1% -n 20"
    assert smaller("nukesim run x.yaml -n 5") == "nukesim run x.yaml -n 5"
    assert smaller("nukesim sweep s.yaml --out o && nukesim report o") == \
        "nukesim sweep s.yaml --out o -n 20 && nukesim report o"
    assert smaller_python("replicate(s, n=1000, seed=7)") == "replicate(s, n=20, seed=7)"
    assert strip_comment("nukesim run --set 'a=#b'  # c") == "nukesim run --set 'a=#b'  "


def test_a_shell_line_is_cut_into_its_nukesim_commands(tmp_path):
    line = ("nukesim run a.yaml --set 'x=[1; 2]' > s.json && nukesim report out | head; "
            "python -c \"print(1); print(2)\"; python run_sim.py graph b.yaml")
    assert cli_commands(line, tmp_path) == [["run", "a.yaml", "--set", "x=[1; 2]"], ["report", "out"],
                                            ["graph", "b.yaml"]]


def test_the_quick_pass_finds_a_renamed_option_and_a_changed_message(tmp_path, monkeypatch):
    source = tmp_path / "checkout"
    (source / "scenarios").mkdir(parents=True)
    shutil.copy(ROOT / "scenarios" / "minimal.yaml", source / "scenarios")
    page = source / "p.md"
    page.write_text("```sh\nnukesim run scenarios/minimal.yaml --replicates 5\n```\n\n```console\n"
                    "$ nukesim run scenarios/minimal.yaml --set team.vehicles.cont=20\nsomething else\n```\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", source)
    with pytest.raises(AssertionError) as caught:
        check_page(page, tmp_path / "work", monkeypatch)
    assert "No such option: --replicates" in str(caught.value)
    assert "did you mean 'count'?" in str(caught.value) and "but the page shows" in str(caught.value)
