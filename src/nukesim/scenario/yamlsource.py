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


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 scalars: only true/false are booleans (``on:`` stays a key,
    ``no`` stays Norway) and ``20:00`` stays a time of day, not the sexagesimal 1200."""


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
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise _fail(name, 1, 1, "not a text file (it contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(name, line, col, "not UTF-8 text") from None


def parse_yaml(text: str, file: str = "<string>") -> tuple[Any, SourceMap]:
    """Plain data and its source map; a ``ScenarioError`` for any YAML-level problem."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _fail(file, line, col, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise _fail(file, 1, 1, f"YAML error: {exc}") from None
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

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        f"document expands to more than {MAX_NODES} values (an alias bomb?)", path)
        self.source.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
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
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        "a mapping key must be a plain name", path)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        str(exc.problem), path) from None
        except (ValueError, OverflowError) as exc:
            raise _fail(self.source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                        f"cannot read value: {exc}", path) from None


def parse_value(text: str) -> Any:
    """One value written as in a scenario file (YAML 1.2 scalars, flow lists and mappings); used
    for ``--set`` so that a value means the same on the command line as in a file."""
    return yaml.load(text, Loader=_Loader)


def load_yaml(file: str | FsPath) -> tuple[Any, SourceMap]:
    return parse_yaml(read_text(file), str(file))
