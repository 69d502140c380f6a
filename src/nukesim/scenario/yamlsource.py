"""Safe YAML reading that remembers where every value stood.

PyYAML's safe loader builds only plain data (no objects). On top of it we refuse what a
scenario file never needs and an attacker might send — oversized files, binary data, alias
bombs, duplicate keys — and record the line and column of every value so that later checks can
point at the exact place of a mistake.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

import yaml

from .problems import Located, Path, ScenarioError, SourceMap

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
"""Nodes after expanding aliases; a billion-laughs document exceeds it at once."""
MAX_DEPTH = 100
"""Nesting of lists and mappings (after expanding aliases); a scenario needs fewer than ten."""
MAX_KEY = 1024
"""PyYAML's limit on the length of a key written without ``? ``."""
ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                         ("str", "int", "float", "bool", "null", "timestamp", "seq", "map"))
"""Explicit tags a scenario may use (``!!str 10``); any other (``!!python/…``, ``!!binary``,
``!!set``, a local ``!tag``) is refused wherever it stands, on a value, a list or a mapping."""


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that a scenario file may not contain (too deep to read safely)."""


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 scalars: only true/false are booleans (``on:`` stays a key,
    ``no`` stays Norway) and ``20:00`` stays a time of day, not the sexagesimal 1200.

    PyYAML composes nested collections by recursion: a document nested thousands deep would
    exhaust Python's stack, so the depth is bounded while composing.
    """

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None, f"lists and mappings nested more than {MAX_DEPTH} deep; "
                               "a scenario needs a handful of levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                           "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?[0-9][0-9_]*"
                                        r"|[-+]?0x[0-9a-fA-F_]+)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))



def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """YAML 1.2 integers: ``010`` is ten (not octal eight); ``0o10``, ``0x10``, ``0b10`` keep their base."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    bases = {"0b": 2, "0o": 8, "0x": 16}
    base = bases.get(digits[:2], 10)
    return sign * int(digits[2:] if base != 10 else digits, base)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)

_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's parser with the same YAML 1.2 scalars: ten times faster on large files."""

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader.yaml_constructors = _Loader.yaml_constructors


def _fast_node(text: str) -> yaml.Node | None:
    """The document's node composed by libyaml, or ``None`` to let the pure-Python loader
    compose it and word any error the same way whether libyaml is installed or not. (libyaml
    refuses nesting deeper than 1,000 itself; the builder's bound of ``MAX_DEPTH`` comes after.)"""
    if _FastLoader is None:
        return None
    loader = _FastLoader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _fail(file: str, line: int, col: int, message: str, path: Path = ()) -> ScenarioError:
    return ScenarioError([Located(file, line, col, path, message)])


def read_text(file: str | FsPath) -> str:
    """The file's text, or a located error if it is missing, too large or not UTF-8 text."""
    name = str(file)
    path = FsPath(file)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _fail(name, 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    if path.is_dir():
        raise _fail(name, 1, 1, "is a directory, not a file")
    if size > MAX_FILE_BYTES:
        raise _fail(name, 1, 1, f"file is {size / 1e6:.1f} MB; the limit is "
                    f"{MAX_FILE_BYTES / 1e6:.0f} MB for a scenario file")
    try:
        with open(path, "rb") as fh:  # a pipe or a device has no size: stop reading at the limit
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(name, 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(name, 1, 1, f"more than {MAX_FILE_BYTES / 1e6:.0f} MB read (the limit for a "
                    "scenario file); stopped reading")
    wide = _wide_encoding(raw)
    if wide:
        raise _fail(name, 1, 1, f"the file is {wide} text; save it as UTF-8")
    if b"\x00" in raw:
        raise _fail(name, 1, 1, "not a text file (it contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(name, line, col, "not UTF-8 text") from None


def _wide_encoding(raw: bytes) -> str | None:
    """``"UTF-16"`` or ``"UTF-32"`` for text in those encodings (by byte-order mark, or by the
    NUL bytes that ASCII characters carry in them), else ``None``."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = raw[:64]
    if len(head) >= 8 and head[1::4] == head[2::4] == head[3::4] == bytes(len(head[1::4])):
        return "UTF-32"
    if len(head) >= 4 and (not any(head[1::2]) or not any(head[0::2])):
        return "UTF-16"
    return None


def _long_key(text: str, line: int) -> int:
    """Length of a key longer than YAML's limit on ``line`` (1-based), else 0."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return 0
    key = lines[line - 1].lstrip(" -").split(": ", 1)[0].rstrip(":").strip("\"'")
    return len(key) if len(key) > MAX_KEY else 0


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, SourceMap]:
    """Plain data and its source map; a ``ScenarioError`` for any YAML-level problem."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here, before parsing
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise _fail(file, line, col, f"the control character U+{code:04X} is not allowed here") from None
    try:
        node = _fast_node(text) or loader.get_single_node()
    except _Refused as exc:
        mark = exc.problem_mark
        raise _fail(file, mark.line + 1, mark.column + 1, str(exc.problem)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        long = max(_long_key(text, line), _long_key(text, line - 1))
        if long:
            raise _fail(file, line, 1, f"a key of {long:,} characters: YAML reads at most {MAX_KEY:,} "
                        f"for a key; use a shorter name") from None
        raise _fail(file, line, col, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise _fail(file, 1, 1, f"YAML error: {exc}") from None
    except RecursionError:  # pragma: no cover - the depth bound above comes first
        raise _fail(file, 1, 1, f"lists and mappings nested more than {MAX_DEPTH} deep") from None
    finally:
        loader.dispose()
    if node is None:
        raise _fail(file, 1, 1, "the file is empty")
    source = SourceMap(file)
    builder = _Builder(loader, source)
    data = builder.build(node, ())
    return data, source


class _Builder:
    def __init__(self, loader: _Loader, source: SourceMap):
        self.loader = loader
        self.source = source
        self.count = 0
        self.open: set[int] = set()  # collections being built: an alias to one is a cycle

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if self.count > MAX_NODES:
            raise _fail(self.source.file, line, col,
                        f"document expands to more than {MAX_NODES} values (an alias bomb?)", path)
        self._check_tag(node, path)
        self.source.positions.setdefault(path, (line, col))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.open:
                raise _fail(self.source.file, line, col, "an alias refers to the list or mapping "
                            "that contains it (a structure without end)", path)
            if len(self.open) >= MAX_DEPTH:
                raise _fail(self.source.file, line, col, f"lists and mappings nested more than "
                            f"{MAX_DEPTH} deep; a scenario needs a handful of levels", path[:3])
            self.open.add(id(node))
            try:
                return self._collection(node, path)
            finally:
                self.open.discard(id(node))
        return self._scalar(node, path)

    def _collection(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.MappingNode):
            try:
                self.loader.flatten_mapping(node)
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark
                raise _fail(self.source.file, mark.line + 1, mark.column + 1, str(exc.problem),
                            path) from None
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._scalar(key_node, path)
                if key in out:
                    raise _fail(self.source.file, key_node.start_mark.line + 1,
                                key_node.start_mark.column + 1, f"duplicate key '{key}'",
                                (*path, key))
                out[key] = self.build(value_node, (*path, key))
            return out
        return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]

    def _check_tag(self, node: yaml.Node, path: Path) -> None:
        if node.tag not in ALLOWED_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        f"the tag '{tag}' is not allowed: a scenario holds only plain values, lists "
                        "and mappings", path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        "a mapping key must be a plain name", path)
        self._check_tag(node, path)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        str(exc.problem), path) from None
        except (ValueError, OverflowError) as exc:
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        _unreadable(node, exc), path) from None


def parse_value(text: str, label: str = "<value>") -> Any:
    """One value written as in a scenario file (YAML 1.2 scalars, flow lists and mappings); used
    for ``--set`` so that a value means the same on the command line as in a file, with the same
    protections (alias bombs, nesting, tags, impossible dates, huge integers). Problems are
    ``ScenarioError``s located in ``label`` (line 1, the column within ``text``)."""
    if len(text) > MAX_FILE_BYTES:
        raise _fail(label, 1, 1, f"a value of more than {MAX_FILE_BYTES / 1e6:.0f} MB")
    return parse_yaml(text, label)[0]


def load_yaml(file: str | FsPath) -> tuple[Any, SourceMap]:
    return parse_yaml(read_text(file), str(file))


def _unreadable(node: yaml.ScalarNode, exc: Exception) -> str:
    """Why a scalar that looks like a date or a number cannot be one, in a reader's words."""
    text = node.value if len(node.value) <= 40 else f"{node.value[:40]}… ({len(node.value):,} characters)"
    if node.tag.endswith(":timestamp"):
        if "offset" in str(exc):
            return f"cannot read {text!r} as a date and time: a time zone offset must be within ±24 hours"
        return f"cannot read {text!r} as a date and time: {exc}"
    if node.tag.endswith(":int") and "digits" in str(exc):
        return f"an integer of {len(node.value):,} digits is too long to read"
    return f"cannot read value {text!r}: {exc}"
