"""Read plan, authority and sector YAML into the validated model.

Only the YAML safe subset is read (libyaml's CSafeLoader when present), with no
tags, aliases or anchors, and within documented size and depth limits, so a
hand-edited or hostile file cannot run code or exhaust memory.  Every problem
names file, line and field; all problems of a load are reported together in one
:class:`~policykg.errors.DataError`.

Limits, checked before the YAML parser sees the text: a file may hold at most
:data:`MAX_FILE_BYTES` bytes (larger files are refused unread), nest mappings and
lists at most :data:`MAX_DEPTH` deep, and hold no raw control characters nor the
line breaks NEL / LS / PS (YAML counts those as new lines and editors do not).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from . import model as m
from .errors import DataError, Problem
from .roles import normalise_role
from .sources import AUTHORITY_FILE, SECTORS_FILE, default_data_dir, discover  # noqa: F401 (re-exported)

#: Largest YAML file the loader reads (bytes); larger files are refused, not parsed.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and lists the loader accepts.
MAX_DEPTH = 64

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------- YAML


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key's value."""

    line: int | None = None
    lines: dict


class LineList(list):
    """A list that remembers the line of itself and of each item."""

    line: int | None = None
    lines: list


class _Refused(Exception):
    """Something the loader does not accept, found while building values: (line, field, message)."""


class _AliasFound(Exception):
    """A node reached twice: an alias.  Located afterwards by :func:`_first_alias`."""


_CORE = "tag:yaml.org,2002:"
#: The only tags a node may carry: those plain YAML resolves to by itself.
_ACCEPTED_TAGS = frozenset(_CORE + t for t in ("null", "bool", "int", "float", "str", "timestamp", "map", "seq"))


class _RefusedHere(Exception):
    """A :class:`_Refused` whose field is not known yet where it is raised: each mapping
    and list it leaves adds its key or item number to ``steps`` (innermost first), so
    the field path is only worked out for a value that has a problem."""

    def __init__(self, line: int, message: str, step: str | None = None):
        super().__init__(line, message)
        self.steps = [] if step is None else [step]


_STR, _MAP, _SEQ, _VALUE = (_CORE + t for t in ("str", "map", "seq", "value"))
#: What kind of node each collection tag fits (every other accepted tag fits a scalar).
_TAG_KINDS = {_MAP: "mapping", _SEQ: "list"}
_NODE_KINDS = {yaml.ScalarNode: "single value", yaml.SequenceNode: "list", yaml.MappingNode: "mapping"}
#: What PyYAML's constructors raise for a scalar that looks typed but is not (2022-13-45).
_SCALAR_FAILURES = (ValueError, TypeError, AttributeError, ArithmeticError, LookupError)


class _LineLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that records line numbers and refuses tags, aliases and deep nesting.

    libyaml composes the nodes; :meth:`construct_document` then builds the values
    in one pass of its own instead of PyYAML's per-node constructor dispatch (the
    slow part of reading a large plan).  Values and types are PyYAML's: text is the
    node's own, other scalars go through SafeConstructor (YAML 1.1 typing).  A
    problem found here names its field as ``measures[2].title``.  (PyYAML's
    ``construct_object`` and its map and seq constructors are not used: values are
    built only through ``get_single_data``, which calls ``construct_document``.)
    """

    def __init__(self, stream):
        super().__init__(stream)
        text = stream if isinstance(stream, str) else None
        # An alias needs both an anchor (&a) and a reference to it (*a); a merge key
        # (<<) or value key (=) is written so or tagged explicitly (every tag starts
        # with !).  Text with none of these can skip the work of looking for them.
        self._aliases_possible = text is None or ("&" in text and "*" in text)
        self._merges_possible = text is None or "<<" in text or "=" in text or "!" in text

    # -- resolver: libyaml calls these three for every node it composes ----------

    def resolve(self, kind, value, implicit):
        """PyYAML's ``resolve`` (no path resolvers), with the regexps to try for a
        plain scalar looked up by its first character in one table."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self._implicit.get(value[:1], self._wildcard):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is yaml.SequenceNode else self.DEFAULT_MAPPING_TAG

    def descend_resolver(self, current_node, current_index):
        """Nothing to do: this loader has no path resolvers."""

    def ascend_resolver(self):
        """Nothing to do: this loader has no path resolvers."""

    # -- constructor ----------------------------------------------------------------

    def construct_document(self, node):
        """The value of the document ``node``: LineDicts, LineLists and scalars.

        Refuses (in this order, for each node) a node reached twice (an alias),
        a list or mapping nested more than MAX_DEPTH deep, a tag outside
        _ACCEPTED_TAGS, a key that is not text or a number, and a duplicate key.
        A scalar whose constructor fails keeps its text."""
        constructors = self.yaml_constructors
        flatten = self.flatten_mapping if self._merges_possible else None
        seen: set = set()
        check_aliases = self._aliases_possible
        ScalarNode = yaml.ScalarNode

        def build(node, depth):
            """The value of ``node``, which has ``depth`` lists and mappings around it."""
            if check_aliases:
                # The same node reached twice is an alias: refusing it defeats
                # "billion laughs" expansion and keeps data free of shared objects.
                if node in seen:
                    raise _AliasFound()
                seen.add(node)
            tag = node.tag
            scalar = node.__class__ is ScalarNode
            if scalar and tag == _STR:          # most of a plan: its text
                return node.value
            if not scalar and depth >= MAX_DEPTH:
                raise _Refused(node.start_mark.line + 1, None, f"nesting deeper than {MAX_DEPTH} levels")
            if tag == _VALUE:                   # a bare "=" is text
                tag = _STR
            if tag not in _ACCEPTED_TAGS:
                short = tag.replace(_CORE, "!!") if tag else "?"
                raise _RefusedHere(node.start_mark.line + 1,
                                   f"YAML tags such as !!python/object are not accepted: found {short}")
            kind = _NODE_KINDS[node.__class__]
            if _TAG_KINDS.get(tag, "single value") != kind:  # "!!seq {a: 1}", "!!int [1]", "!!map x"
                raise _RefusedHere(node.start_mark.line + 1,
                                   f"the tag {tag.replace(_CORE, '!!')} does not fit a {kind}: delete the tag")
            try:
                if tag == _MAP:
                    return build_map(node, depth)
                if tag == _SEQ:
                    return build_seq(node, depth)
                return constructors[tag](self, node)
            except _SCALAR_FAILURES:
                if not scalar:
                    raise
                # Looks like a date or number but is none (2022-13-45, 5,000 digits, "!!int "):
                # keep the text, and the field's own check says what is wrong with it.
                return node.value

        def build_map(node, depth):
            data = LineDict()
            data.line = node.start_mark.line + 1
            data.lines = lines = {}
            if flatten:
                flatten(node)                   # merge keys (<<) and value keys (=)
            depth += 1
            for key_node, value_node in node.value:
                if key_node.__class__ is ScalarNode:
                    key = build(key_node, depth)
                    if not isinstance(key, (str, int)):
                        raise _RefusedHere(key_node.start_mark.line + 1,
                                           f"a key must be plain text, found {_kind(key)}")
                else:
                    raise _RefusedHere(key_node.start_mark.line + 1,
                                       "a key must be plain text, not a list or mapping")
                if key in data:
                    raise _RefusedHere(key_node.start_mark.line + 1,
                                       f"duplicate key (first at line {lines[key]})", _key_text(key))
                try:
                    data[key] = build(value_node, depth)
                except _RefusedHere as exc:
                    exc.steps.append(_key_text(key))
                    raise
                lines[key] = value_node.start_mark.line + 1
            return data

        def build_seq(node, depth):
            data = LineList()
            data.line = node.start_mark.line + 1
            data.lines = [child.start_mark.line + 1 for child in node.value]
            depth += 1
            append = data.append
            for i, child in enumerate(node.value, 1):
                try:
                    append(build(child, depth))
                except _RefusedHere as exc:
                    exc.steps.append(f"[{i}]")
                    raise
            return data

        try:
            return build(node, 0)
        except _RefusedHere as exc:
            raise _Refused(exc.args[0], _join_path(exc.steps[::-1]), exc.args[1]) from None


# For resolve(): the implicit resolvers PyYAML tries for a plain scalar, by its first character.
_LineLoader._wildcard = tuple(_LineLoader.yaml_implicit_resolvers.get(None, []))
_LineLoader._implicit = {first: tuple(resolvers) + _LineLoader._wildcard
                         for first, resolvers in _LineLoader.yaml_implicit_resolvers.items() if first is not None}
assert not _LineLoader.yaml_path_resolvers, "resolve() above does not apply path resolvers"


def read_yaml(path: str | os.PathLike, display: str | None = None) -> Any:
    """Parse one YAML file safely; raise DataError naming file and line on any problem."""
    name = display or str(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise DataError.single(name, None, None,
                                   f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit: "
                                   "split it into several files")
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError.single(name, None, None, f"cannot read file: {exc.strerror or exc}") from None
    return parse_yaml(raw, name)


#: Characters YAML text may not hold raw: controls (YAML refuses them), and the
#: line breaks NEL, LS and PS, which YAML counts as new lines and editors do not.
_RAW_REFUSED = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
#: Indentation and block indicators at the start of a line.
_BLOCK_LEAD = re.compile(r"[ \t]*(?:(?:---|[-?:])[ \t]+)*")
#: Above this bound on nesting, the event stream is checked before values are built.
_NESTING_CHECK_ABOVE = 1000


def _nesting_bound(text: str) -> int:
    """An upper bound on how deep ``text`` nests, found without parsing.

    Every level of flow nesting needs a [ or {; every two levels of block nesting
    at least one more column of indentation or indicators on their line."""
    lines = text.replace("\r", "\n").split("\n")   # a line starts after \n or \r
    block = max(map(len, map(itemgetter(0), map(_BLOCK_LEAD.match, lines))))
    return text.count("[") + text.count("{") + 2 * block + 2


def _check_nesting(text: str) -> None:
    """Raise _Refused at the first node deeper than MAX_DEPTH, reading parser events only.

    libyaml's composer recurses in C (some 100,000 levels crash the process) and its
    scanner slows quadratically with depth, so deep input must be stopped here,
    after at most MAX_DEPTH levels of either."""
    depth = 0
    events = yaml.parse(text, Loader=_BaseLoader)
    try:
        for event in events:
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Refused(event.start_mark.line + 1, None, f"nesting deeper than {MAX_DEPTH} levels")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    finally:
        events.close()


def _first_alias(text: str) -> tuple[int | None, str | None]:
    """Line and field of the first alias (*name) in ``text``, read from parser events."""
    frames: list[list] = []   # open collections: [step into it, is a mapping, key awaiting its value, items]
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frames.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        step = None
        if frames:
            top = frames[-1]
            if not top[1]:
                top[3] += 1
                step = f"[{top[3]}]"
            elif top[2] is None:        # a key
                top[2] = step = _key_text(event.value) if isinstance(event, yaml.ScalarEvent) else "?"
            else:                       # the value of that key
                step, top[2] = top[2], None
        if isinstance(event, yaml.AliasEvent):
            return event.start_mark.line + 1, _join_path([f[0] for f in frames[1:]] + [step])
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            frames.append([step, isinstance(event, yaml.MappingStartEvent), None, 0])
    return None, None


def _join_path(steps: list[str | None]) -> str | None:
    """``['measures', '[2]', 'title']`` as ``measures[2].title``."""
    out = ""
    for step in steps:
        if step is not None:
            out += step if step.startswith("[") or not out else f".{step}"
    return out or None


def _key_text(key: Any) -> str:
    """A mapping key as it may appear in a field name: as written if short and printable."""
    text = str(key)
    return text if text.isprintable() and len(text) <= 40 else _show(key)


def _show(value: Any, width: int = 40) -> str:
    """``repr`` of a value for a message: one line, at most about ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading YAML makes many objects and no reference cycles (aliases are refused), so
    the cycle collector only slows it down: by half on a file near MAX_FILE_BYTES."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _encoding_hint(raw: bytes) -> str:
    """'; it looks like …' for the encodings Chinese editors save in, where the bytes say so."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "; it looks like UTF-16"
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    looks_like_text = re.search("[\u4e00-\u9fff]", text) and not re.search("[\x00-\x08\x0e-\x1f]", text)
    return "; it looks like GBK/GB18030" if looks_like_text else ""


def _field_holding_refused(text: str) -> str | None:
    """The field whose key or value holds the first refused character, or None (a comment,
    or text that does not parse): found by parsing a copy with those characters marked."""
    marker = next(c for c in map(chr, range(0xE000, 0xF900)) if c not in text)  # private use

    def find(value: Any, path: list[str]) -> str | None:
        if isinstance(value, str):
            return _join_path(path) if marker in value else None
        entries = value.items() if isinstance(value, dict) else \
            enumerate(value, 1) if isinstance(value, list) else ()
        for key, item in entries:
            step = _key_text(str(key).replace(marker, "\ufffd")) if isinstance(value, dict) else f"[{key}]"
            if isinstance(value, dict) and marker in str(key):
                return _join_path(path + [step])
            found = find(item, path + [step])  # at most MAX_DEPTH deep: the copy parsed
            if found:
                return found
        return None

    try:
        return find(parse_yaml(_RAW_REFUSED.sub(marker, text).encode("utf-8"), ""), [])
    except DataError:
        return None


def _syntax_problem(name: str, exc: yaml.MarkedYAMLError) -> Problem:
    """One located problem for a YAML syntax error, worded for someone editing the file."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    context = " ".join(str(exc.context).split()) if exc.context else None
    opened = exc.context_mark.line + 1 if exc.context_mark is not None else None
    what = re.sub(r"^while (?:scanning|parsing) (?:an? )?", "", context) if context else None
    what = _YAML_THINGS.get(what, what)
    if "found another document" in problem:
        message = "a second YAML document starts here (---): a file holds one document"
    elif "tab character" in problem or "'\\t'" in problem:
        message = "a tab character where YAML needs spaces: indent with spaces"
    elif "end of stream" in problem and what and opened is not None:
        # an unclosed quote or bracket: the place to fix is where it opened
        line, message = opened, f"the {what} that starts on this line is never closed"
    else:
        message = problem
        if what and opened is not None and opened != line:
            message += f" (in the {what} that starts at line {opened})"
    return Problem(name, line, None, f"YAML syntax error: {message}")


#: libyaml's names for what it was reading, as someone editing a file knows them.
_YAML_THINGS = {"quoted scalar": "quoted text", "plain scalar": "text", "simple key": "key",
                "flow mapping": "{ } mapping", "flow sequence": "[ ] list", "block mapping": "mapping",
                "block collection": "list or mapping", "flow node": "value", "block node": "value"}


def parse_yaml(raw: bytes, name: str) -> Any:
    """Parse YAML bytes (UTF-8, BOM accepted) with the loader's limits."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError.single(name, raw.count(b"\n", 0, exc.start) + 1, None,
                               f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}"
                               f"{_encoding_hint(raw)}): save it as UTF-8") from None
    if "\x00" in text:
        raise DataError.single(name, text.count("\n", 0, text.index("\x00")) + 1, None,
                               "file contains NUL bytes: not a text file, or one damaged in a crash")
    bad = _RAW_REFUSED.search(text)
    if bad:
        start = text.rfind("\n", 0, bad.start()) + 1
        code = ord(bad.group())
        what = ("a line break editors do not show" if code in (0x85, 0x2028, 0x2029)
                else "not a character" if code > 0xFFFD else "a control character")
        raise DataError.single(name, text.count("\n", 0, bad.start()) + 1, _field_holding_refused(text),
                               f"character U+{code:04X} ({what}) at column {bad.start() - start + 1} "
                               "is not allowed: delete it")
    try:
        if _nesting_bound(text) > _NESTING_CHECK_ABOVE:
            _check_nesting(text)
        loader = _LineLoader(text)
        try:
            with _gc_paused():
                return loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise DataError.single(name, *exc.args) from None
    except _AliasFound:
        line, where = _first_alias(text)
        raise DataError.single(name, line, where,
                               "YAML anchors and aliases (&, *) are not accepted: write the value out") from None
    except yaml.MarkedYAMLError as exc:
        raise DataError([_syntax_problem(name, exc)]) from None
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        raise DataError.single(name, line, None, "YAML error: " + " ".join(str(exc).split())) from None
    except RecursionError:
        raise DataError.single(name, None, None, f"nesting deeper than {MAX_DEPTH} levels") from None


# --------------------------------------------------------------------------- fields


class _Fields:
    """Typed access to one YAML file's values that records problems instead of raising."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        #: ids of agencies and sectors defined here with a problem: not "unknown" where referenced
        self.broken: dict[str, set[str]] = {"agencies": set(), "sectors": set()}

    def problem(self, line: int | None, field: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, field, message))

    @staticmethod
    def line_of(container: Any, key: Any = None) -> int | None:
        if key is not None:
            lines = getattr(container, "lines", None)
            if isinstance(lines, dict):
                return lines.get(key, getattr(container, "line", None))
            if isinstance(lines, list) and isinstance(key, int) and key < len(lines):
                return lines[key]
        return getattr(container, "line", None)

    def mapping(self, value: Any, line: int | None, field: str) -> dict | None:
        if isinstance(value, dict):
            return value
        self.problem(line, field, f"expected a mapping, found {_kind(value)}")
        return None

    def items(self, d: dict, key: str, field: str, required: bool = False) -> list[tuple[int, Any, int | None]]:
        """(index, item, line) for a list field; an absent optional list is empty."""
        value = d.get(key)
        if value is None:
            if required:
                self.problem(self.line_of(d), field, "required list is missing")
            return []
        if not isinstance(value, list):
            self.problem(self.line_of(d, key), field, f"expected a list, found {_kind(value)}")
            return []
        return [(i, item, self.line_of(value, i)) for i, item in enumerate(value)]

    def text(self, d: dict, key: str, field: str, required: bool = True) -> str | None:
        value = d.get(key)
        line = self.line_of(d, key)
        if isinstance(value, str):
            bad = _BAD_CHARS.search(value)
            if bad:
                self.problem(line, field, _bad_char_message(value, bad))
                return None
            value = value.strip()
        if value is None or value == "":
            if required:
                self.problem(line if key in d else self.line_of(d), field,
                             "required text is empty" if key in d else "required field is missing")
            return None
        if not isinstance(value, str):
            self.problem(line, field, f"expected text, found {_kind(value)}")
            return None
        return value

    def ident(self, d: dict, key: str, field: str, required: bool = True) -> str | None:
        value = d.get(key)
        if value is None and not required:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not ID_RE.match(value):
            if value is None:
                self.problem(self.line_of(d), field, "required id is missing")
            else:
                self.problem(self.line_of(d, key), field,
                             f"{_show(value)} is not an id (ASCII letters, digits, '.', '_', '-')")
            return None
        return value

    def ids(self, d: dict, key: str, field: str) -> list[tuple[str, int | None]]:
        out = []
        for i, item, line in self.items(d, key, field):
            if isinstance(item, str) and ID_RE.match(item):
                out.append((item, line))
            else:
                self.problem(line, f"{field}[{i + 1}]", f"{_show(item)} is not an id")
        return out

    def integer(self, d: dict, key: str, field: str) -> int | None:
        value = d.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(self.line_of(d, key) if key in d else self.line_of(d), field,
                         "required field is missing" if value is None else f"expected a whole number, found {_kind(value)}")
            return None
        if value < 1:
            self.problem(self.line_of(d, key), field, f"must be 1 or more, found {value}")
            return None
        return value

    def decimal(self, d: dict, key: str, field: str) -> Decimal | None:
        value = d.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.problem(self.line_of(d, key), field, f"expected a number, found {_kind(value)}")
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.problem(self.line_of(d, key), field, f"expected a number, found {_show(value)}")
            return None
        if not number.is_finite():
            self.problem(self.line_of(d, key), field, f"expected a finite number, found {_show(value)}")
            return None
        return number

    def date(self, d: dict, key: str, field: str, required: bool = True) -> dt.date | None:
        value = d.get(key)
        if value is None:
            if required:
                self.problem(self.line_of(d), field, "required date is missing")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(self.line_of(d, key), field, f"expected a date YYYY-MM-DD, found {_show(value)}")
        return None

    def choice(self, d: dict, key: str, field: str, allowed: Iterable[str], default: str | None = None) -> str | None:
        value = d.get(key, default)
        allowed = tuple(allowed)
        if value not in allowed:
            self.problem(self.line_of(d, key) if key in d else self.line_of(d), field,
                         f"{_show(value)} is not one of: {', '.join(allowed)}" if value is not None
                         else f"required field is missing (one of: {', '.join(allowed)})")
            return None
        return value

    def unknown_keys(self, d: dict, allowed: Iterable[str], field: str) -> None:
        import difflib

        allowed = set(allowed)
        for key in d:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.75)
                name = _key_text(key)
                self.problem(self.line_of(d, key), f"{field}.{name}" if field else name,
                             f"unknown field (did you mean {close[0]}?)" if close else
                             f"unknown field (expected one of: {', '.join(sorted(allowed))})")


#: Characters no name or text may hold: Unicode's control (Cc) and format (Cf)
#: characters -- zero-width spaces and joiners, bidirectional overrides, soft
#: hyphens, byte order marks -- except tab and line breaks.  They are invisible or
#: reorder what is shown, so a name holding one looks right and matches nothing.
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]")


def _bad_char_message(value: str, bad: re.Match) -> str:
    return f"contains control or invisible character U+{ord(bad.group()):04X} at position {bad.start() + 1}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a true/false value ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({_show(value)})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return f"a date ({value})"
    return type(value).__name__


# --------------------------------------------------------------------------- authority & sectors

_AGENCY_KEYS = ("id", "name", "name_en", "kind", "full_name", "aliases", "members", "note")


def parse_agencies(doc: Any, f: _Fields) -> list[tuple[m.Agency, int | None]]:
    root = f.mapping(doc, None, "agencies") if doc is not None else None
    if root is None:
        if doc is None:
            f.problem(None, None, "file is empty")
        return []
    f.unknown_keys(root, ("agencies",), "")
    out = []
    for i, item, line in f.items(root, "agencies", "agencies", required=True):
        where = f"agencies[{i + 1}]"
        a = f.mapping(item, line, where)
        if a is None:
            continue
        aid = f.ident(a, "id", f"{where}.id")
        where = f"agency {aid}" if aid else where
        f.unknown_keys(a, _AGENCY_KEYS, where)
        name = f.text(a, "name", f"{where}.name")
        name_en = f.text(a, "name_en", f"{where}.name_en")
        kind = f.choice(a, "kind", f"{where}.kind", m.AGENCY_KINDS)
        aliases = []
        for j, alias, aline in f.items(a, "aliases", f"{where}.aliases"):
            bad = _BAD_CHARS.search(alias) if isinstance(alias, str) else None
            if isinstance(alias, str) and alias.strip() and not bad:
                aliases.append(alias.strip())
            else:
                f.problem(aline, f"{where}.aliases[{j + 1}]",
                          _bad_char_message(alias, bad) if bad else f"expected a name, found {_kind(alias)}")
        members = [mid for mid, _ in f.ids(a, "members", f"{where}.members")]
        if None in (aid, name, name_en, kind):
            if aid:
                f.broken["agencies"].add(aid)
            continue
        out.append((m.Agency(aid, name, name_en, kind, f.text(a, "full_name", f"{where}.full_name", False),
                             tuple(aliases), tuple(members), f.text(a, "note", f"{where}.note", False)), line))
    return out


def parse_sectors(doc: Any, f: _Fields) -> list[tuple[m.Sector, int | None]]:
    root = f.mapping(doc, None, "sectors") if doc is not None else None
    if root is None:
        if doc is None:
            f.problem(None, None, "file is empty")
        return []
    f.unknown_keys(root, ("sectors", "scheme"), "")
    out = []
    for i, item, line in f.items(root, "sectors", "sectors", required=True):
        where = f"sectors[{i + 1}]"
        s = f.mapping(item, line, where)
        if s is None:
            continue
        sid = f.ident(s, "id", f"{where}.id")
        where = f"sector {sid}" if sid else where
        f.unknown_keys(s, ("id", "name", "name_en", "broader", "gbt4754"), where)
        name = f.text(s, "name", f"{where}.name")
        name_en = f.text(s, "name_en", f"{where}.name_en")
        broader = f.ident(s, "broader", f"{where}.broader", required=False)
        codes = []
        for j, code, cline in f.items(s, "gbt4754", f"{where}.gbt4754"):
            if isinstance(code, (str, int)) and not isinstance(code, bool):
                codes.append(str(code))
            else:
                f.problem(cline, f"{where}.gbt4754[{j + 1}]", f"expected a code, found {_kind(code)}")
        if None in (sid, name, name_en):
            if sid:
                f.broken["sectors"].add(sid)
            continue
        out.append((m.Sector(sid, name, name_en, broader, tuple(codes)), line))
    return out


# --------------------------------------------------------------------------- plans

_PLAN_KEYS = ("id", "number", "title", "title_en", "notice_title", "issuer", "date", "region",
              "source_text", "based_on", "repeals", "cites", "targets")
_MEASURE_KEYS = ("number", "section", "title", "title_en", "body", "bracket", "agencies", "documents",
                 "targets", "sector", "task_force")
_TARGET_KEYS = ("indicator", "indicator_en", "comparator", "value", "min", "max", "unit", "deadline", "text")


def _targets(container: dict, f: _Fields, where: str) -> list[m.Target]:
    out = []
    for i, item, line in f.items(container, "targets", f"{where}.targets"):
        tw = f"{where}.targets[{i + 1}]"
        t = f.mapping(item, line, tw)
        if t is None:
            continue
        f.unknown_keys(t, _TARGET_KEYS, tw)
        indicator = f.text(t, "indicator", f"{tw}.indicator")
        indicator_en = f.text(t, "indicator_en", f"{tw}.indicator_en")
        comparator = f.choice(t, "comparator", f"{tw}.comparator", m.COMPARATORS)
        value, lo, hi = (f.decimal(t, k, f"{tw}.{k}") for k in ("value", "min", "max"))
        if comparator == "range":
            if lo is None or hi is None:
                f.problem(line, tw, "a range target needs both min and max")
                continue
            if lo > hi:
                f.problem(f.line_of(t, "min"), f"{tw}.min", f"min {lo} is greater than max {hi}")
                continue
        elif comparator is not None and value is None:
            if t.get("value") is None:  # a value that is there but wrong was reported already
                f.problem(f.line_of(t, "value") if "value" in t else line, f"{tw}.value", "target has no value")
            continue
        unit = t.get("unit")
        if isinstance(unit, (int, float)) and not isinstance(unit, bool):
            unit = str(unit)
        elif unit is not None:
            unit = f.text(t, "unit", f"{tw}.unit", required=False)
        deadline = f.date(t, "deadline", f"{tw}.deadline", required=False)
        if None in (indicator, indicator_en, comparator):
            continue
        out.append(m.Target(indicator, indicator_en, comparator, value, lo, hi, unit, deadline,
                            f.text(t, "text", f"{tw}.text", False)))
    return out


def parse_plan(doc: Any, f: _Fields, source: str) -> tuple[m.Plan | None, dict]:
    """A plan from one file's YAML, plus the references it makes, for checking against the dataset."""
    refs: dict[str, list] = {"agencies": [], "sectors": []}
    root = f.mapping(doc, None, "plan file") if doc is not None else None
    if root is None:
        if doc is None:
            f.problem(None, None, "file is empty")
        return None, refs
    f.unknown_keys(root, ("plan", "documents", "sections", "measures"), "")
    p = f.mapping(root.get("plan"), f.line_of(root, "plan"), "plan") if "plan" in root else None
    if p is None:
        if "plan" not in root:
            f.problem(f.line_of(root), "plan", "required field is missing")
        return None, refs
    f.unknown_keys(p, _PLAN_KEYS, "plan")
    plan_id = f.ident(p, "id", "plan.id")
    refs["line"] = f.line_of(p, "id")
    number = f.text(p, "number", "plan.number")
    title = f.text(p, "title", "plan.title")
    title_en = f.text(p, "title_en", "plan.title_en")
    issuer = f.ident(p, "issuer", "plan.issuer")
    if issuer:
        refs["agencies"].append((issuer, f.line_of(p, "issuer"), "plan.issuer"))
    date = f.date(p, "date", "plan.date")

    # referenced documents
    documents: dict[str, m.Document] = {}
    for i, item, line in f.items(root, "documents", "documents"):
        where = f"documents[{i + 1}]"
        d = f.mapping(item, line, where)
        if d is None:
            continue
        did = f.ident(d, "id", f"{where}.id")
        where = f"document {did}" if did else where
        f.unknown_keys(d, ("id", "number", "title", "title_en", "issuer", "level", "year", "note"), where)
        dnum = f.text(d, "number", f"{where}.number", required=False)
        dtitle = f.text(d, "title", f"{where}.title", required=False)
        if dnum is None and dtitle is None and did:
            f.problem(line, where, "a document needs a number or a title")
        year = d.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            f.problem(f.line_of(d, "year"), f"{where}.year", f"expected a year, found {_kind(year)}")
            year = None
        level = f.choice(d, "level", f"{where}.level", ("national", "provincial", "municipal", "county"),
                         default="municipal") if "level" in d else None
        if did is None:
            continue
        if did in documents:
            f.problem(f.line_of(d, "id"), f"{where}.id", f"duplicate document id {did!r}")
            continue
        documents[did] = m.Document(did, dnum, dtitle, f.text(d, "title_en", f"{where}.title_en", False),
                                    f.text(d, "issuer", f"{where}.issuer", False), level, year,
                                    f.text(d, "note", f"{where}.note", False))

    def doc_ids(container: dict, key: str, where: str) -> tuple[str, ...]:
        out = []
        for did, line in f.ids(container, key, f"{where}.{key}"):
            if did not in documents:
                f.problem(line, f"{where}.{key}", f"unknown document id {did!r} (not in this file's documents)")
            else:
                out.append(did)
        return tuple(out)

    # sections
    sections: dict[str, m.Section] = {}
    broken_sections: set[str] = set()   # defined with a problem: reported there, not where used
    for i, item, line in f.items(root, "sections", "sections"):
        where = f"sections[{i + 1}]"
        s = f.mapping(item, line, where)
        if s is None:
            continue
        sid = f.ident(s, "id", f"{where}.id")
        where = f"section {sid}" if sid else where
        f.unknown_keys(s, ("id", "number", "title", "title_en", "parent", "sector", "task_force"), where)
        snum = s.get("number")
        snum = str(snum) if isinstance(snum, (str, int)) and not isinstance(snum, bool) else None
        if snum is None:
            f.problem(f.line_of(s, "number") if "number" in s else line, f"{where}.number", "required number is missing")
        stitle = f.text(s, "title", f"{where}.title")
        stitle_en = f.text(s, "title_en", f"{where}.title_en")
        parent = f.ident(s, "parent", f"{where}.parent", required=False)
        if parent is not None and parent not in sections and parent not in broken_sections:
            f.problem(f.line_of(s, "parent"), f"{where}.parent", f"unknown section {parent!r} (parents come first)")
        sector = f.ident(s, "sector", f"{where}.sector", required=False)
        if sector:
            refs["sectors"].append((sector, f.line_of(s, "sector"), f"{where}.sector"))
        task_force = f.ident(s, "task_force", f"{where}.task_force", required=False)
        if task_force:
            refs["agencies"].append((task_force, f.line_of(s, "task_force"), f"{where}.task_force"))
        if None in (sid, snum, stitle, stitle_en):
            if sid:
                broken_sections.add(sid)
            continue
        if sid in sections:
            f.problem(f.line_of(s, "id"), f"{where}.id", f"duplicate section id {sid!r}")
            continue
        sections[sid] = m.Section(sid, snum, stitle, stitle_en, parent, sector, task_force)

    # measures
    measures: list[m.Measure] = []
    seen_numbers: dict[int, int | None] = {}
    for i, item, line in f.items(root, "measures", "measures", required=True):
        where = f"measures[{i + 1}]"
        md = f.mapping(item, line, where)
        if md is None:
            continue
        num = f.integer(md, "number", f"{where}.number")
        where = f"measure {num}" if num else where
        f.unknown_keys(md, _MEASURE_KEYS, where)
        if num is not None:
            if num in seen_numbers:
                f.problem(f.line_of(md, "number"), f"{where}.number",
                          f"duplicate measure number {num} (first at line {seen_numbers[num]})")
            seen_numbers.setdefault(num, f.line_of(md, "number"))
        mtitle = f.text(md, "title", f"{where}.title")
        mtitle_en = f.text(md, "title_en", f"{where}.title_en")
        body = f.text(md, "body", f"{where}.body", required=False) or ""
        sec_id = f.ident(md, "section", f"{where}.section")
        section = subsection = None
        if sec_id is not None:
            if sec_id not in sections:
                if sec_id not in broken_sections:
                    f.problem(f.line_of(md, "section"), f"{where}.section", f"unknown section {sec_id!r}")
            else:
                inner = sections[sec_id]
                section, subsection = (inner.parent, inner.id) if inner.parent else (inner.id, None)
        sector = f.ident(md, "sector", f"{where}.sector", required=False)
        if sector:
            refs["sectors"].append((sector, f.line_of(md, "sector"), f"{where}.sector"))
        task_force = f.ident(md, "task_force", f"{where}.task_force", required=False)
        if task_force:
            refs["agencies"].append((task_force, f.line_of(md, "task_force"), f"{where}.task_force"))
        if sec_id in sections:
            chain = [sections[sec_id]] + ([sections[sections[sec_id].parent]] if sections[sec_id].parent else [])
            sector = sector or next((s.sector for s in chain if s.sector), None)
            task_force = task_force or next((s.task_force for s in chain if s.task_force), None)

        pairs: list[tuple[str, str]] = []
        seen_agencies: set[str] = set()
        for j, item2, aline in f.items(md, "agencies", f"{where}.agencies", required=True):
            aw = f"{where}.agencies[{j + 1}]"
            ad = f.mapping(item2, aline, aw)
            if ad is None:
                continue
            f.unknown_keys(ad, ("agency", "role"), aw)
            aid = f.ident(ad, "agency", f"{aw}.agency")
            role_raw = ad.get("role")
            role = normalise_role(role_raw) if isinstance(role_raw, str) else None
            if role is None:
                f.problem(f.line_of(ad, "role") if "role" in ad else aline, f"{aw}.role",
                          f"{_show(role_raw)} is not a role (牵头, 负责 or 配合)" if role_raw is not None
                          else "required role is missing (牵头, 负责 or 配合)")
            if aid:
                refs["agencies"].append((aid, f.line_of(ad, "agency"), f"{aw}.agency"))
                if aid in seen_agencies:
                    f.problem(f.line_of(ad, "agency"), f"{aw}.agency", f"agency {aid!r} is listed twice")
                seen_agencies.add(aid)
            if aid and role:
                pairs.append((aid, role))
        if "agencies" in md and isinstance(md.get("agencies"), list) and not md["agencies"]:
            f.problem(f.line_of(md, "agencies"), f"{where}.agencies", "a measure needs at least one agency")

        links = []
        for j, item2, dline in f.items(md, "documents", f"{where}.documents"):
            dw = f"{where}.documents[{j + 1}]"
            dd = f.mapping(item2, dline, dw)
            if dd is None:
                continue
            f.unknown_keys(dd, ("document", "relation"), dw)
            did = f.ident(dd, "document", f"{dw}.document")
            rel = f.choice(dd, "relation", f"{dw}.relation", m.DOC_RELATIONS, default="cites")
            if did is not None and did not in documents:
                f.problem(f.line_of(dd, "document"), f"{dw}.document", f"unknown document id {did!r}")
                continue
            if did and rel:
                links.append(m.DocumentLink(did, rel))
        targets = _targets(md, f, where)
        bracket = f.text(md, "bracket", f"{where}.bracket", required=False)
        if None in (num, mtitle, mtitle_en, section) or plan_id is None:
            continue
        measures.append(m.Measure(plan_id, num, mtitle, mtitle_en, body, section, subsection, sector,
                                  task_force, bracket, m.make_assignments(pairs), tuple(links),
                                  tuple(targets), line))

    plan_targets = _targets(p, f, "plan")
    based_on, repeals, cites = (doc_ids(p, k, "plan") for k in ("based_on", "repeals", "cites"))
    if None in (plan_id, number, title, title_en, issuer, date):
        return None, refs
    plan = m.Plan(plan_id, number, title, title_en, issuer, date,
                  f.text(p, "notice_title", "plan.notice_title", False), f.text(p, "region", "plan.region", False),
                  based_on, repeals, cites, tuple(plan_targets), tuple(sections.values()),
                  tuple(sorted(measures, key=lambda x: x.number)), tuple(documents.values()), source,
                  f.text(p, "source_text", "plan.source_text", False))
    return plan, refs


# --------------------------------------------------------------------------- dataset


def classify(doc: Any) -> str | None:
    """Which kind of file a parsed YAML document is: agencies, sectors or plan."""
    if isinstance(doc, dict):
        for key in ("plan", "agencies", "sectors"):
            if key in doc:
                return key
    return None


@dataclass
class ParsedFile:
    """One input file read and checked on its own (picklable, so files parse in parallel)."""

    name: str
    kind: str | None
    agencies: list = field(default_factory=list)   # (Agency, line)
    sectors: list = field(default_factory=list)    # (Sector, line)
    plan: m.Plan | None = None
    refs: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    broken: dict = field(default_factory=dict)     # "agencies"/"sectors": ids defined with a problem


def parse_document(name: str, doc: Any) -> ParsedFile:
    """Check one parsed YAML document on its own; cross-file references come later."""
    f = _Fields(name)
    kind = classify(doc)
    out = ParsedFile(name, kind)
    if kind == "agencies":
        out.agencies = parse_agencies(doc, f)
    elif kind == "sectors":
        out.sectors = parse_sectors(doc, f)
    elif kind == "plan":
        out.plan, out.refs = parse_plan(doc, f, name)
    elif doc is None:
        f.problem(None, None, "file is empty")
    else:
        f.problem(getattr(doc, "line", None), None,
                  "not a policykg file: expected a top-level 'plan', 'agencies' or 'sectors' key")
    out.problems = f.problems
    out.broken = f.broken
    return out


def parse_file(path: str | os.PathLike) -> ParsedFile:
    """Read and check one file; problems are returned, not raised."""
    try:
        doc = read_yaml(path)
    except DataError as exc:
        return ParsedFile(str(path), None, problems=exc.problems)
    return parse_document(str(path), doc)


#: Below this many files a process pool costs more than it saves.
PARALLEL_MIN_FILES = 16


def parse_files(files: list[Path], workers: int | None = None, progress=None) -> list[ParsedFile]:
    """Parse files, across all cores when there are many (YAML parsing is CPU-bound).

    ``progress(done, total)`` is called as files complete.
    """
    workers = workers or os.cpu_count() or 1
    total = len(files)
    if workers <= 1 or total < PARALLEL_MIN_FILES:
        out = []
        for p in files:
            out.append(parse_file(p))
            if progress:
                progress(len(out), total)
        return out
    from concurrent.futures import ProcessPoolExecutor

    out = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for parsed in pool.map(parse_file, files, chunksize=max(1, min(16, total // (workers * 8)))):
            out.append(parsed)
            if progress:
                progress(len(out), total)
    return out


def load(path: str | os.PathLike | None = None, workers: int | None = None, progress=None) -> m.Dataset:
    """Load a plan file (with the authority and sector files beside it) or a folder of them.

    ``path`` None loads the embedded Jincheng 2022 plan.  Raises DataError listing
    every problem found, each with file, line and field.
    """
    return assemble(parse_files(discover(path), workers, progress))


def build_dataset(docs: list[tuple[str, Any]]) -> m.Dataset:
    """Validate already-parsed YAML documents together (see :func:`assemble`)."""
    return assemble([parse_document(name, doc) for name, doc in docs])


def assemble(parsed: list[ParsedFile]) -> m.Dataset:
    """Validate files together: ids unique, every reference resolved; raise DataError if any problem."""
    problems: list[Problem] = []
    agencies: dict[str, m.Agency] = {}
    agency_where: dict[str, tuple[str, int | None]] = {}
    sectors: dict[str, m.Sector] = {}
    sector_where: dict[str, tuple[str, int | None]] = {}
    plans: list[tuple[m.Plan, dict, str]] = []
    kinds_seen = set()
    # ids defined with a problem (reported where defined) are not "unknown" where used
    broken: dict[str, set[str]] = {"agencies": set(), "sectors": set()}
    for pf in parsed:
        kinds_seen.add(pf.kind)
        problems.extend(pf.problems)
        for kind, ids in (pf.broken or {}).items():
            broken[kind].update(ids)
        for agency, line in pf.agencies:
            if agency.id in agencies:
                first = agency_where[agency.id]
                problems.append(Problem(pf.name, line, f"agency {agency.id}.id",
                                        f"duplicate agency id (first in {first[0]}:{first[1]})"))
                continue
            agencies[agency.id] = agency
            agency_where[agency.id] = (pf.name, line)
        for sector, line in pf.sectors:
            if sector.id in sectors:
                problems.append(Problem(pf.name, line, f"sector {sector.id}.id", "duplicate sector id"))
                continue
            sectors[sector.id] = sector
            sector_where[sector.id] = (pf.name, line)
        # references are checked only once a plan parsed completely
        if pf.plan is not None:
            plans.append((pf.plan, pf.refs, pf.name))
    # A file that could not be read at all may define any agency or sector: until it
    # is fixed, reporting references as unknown would only repeat its problem.
    unreadable = any(pf.kind is None and pf.problems for pf in parsed)
    if "agencies" not in kinds_seen and plans and not unreadable:
        problems.append(Problem(plans[0][2], None, None,
                                f"no authority file ({AUTHORITY_FILE}) found beside the plan"))
        unreadable = True  # every agency would be unknown: the one problem says why

    def unknown(kind: str, known: dict, ref: str) -> bool:
        return not unreadable and ref not in known and ref not in broken[kind]

    # cross-file checks
    cycles_seen: set[frozenset[str]] = set()
    for aid, agency in agencies.items():
        where = agency_where[aid]
        for member in agency.members:
            if unknown("agencies", agencies, member):
                problems.append(Problem(where[0], where[1], f"agency {aid}.members", f"unknown agency id {member!r}"))
        cycle = _membership_cycle(aid, agencies)
        if cycle and frozenset(cycle) not in cycles_seen:  # reported once, at its first agency
            cycles_seen.add(frozenset(cycle))
            problems.append(Problem(where[0], where[1], f"agency {aid}.members",
                                    "membership cycle: " + " → ".join(cycle)))
    for sid, sector in sectors.items():
        if sector.broader and unknown("sectors", sectors, sector.broader):
            problems.append(Problem(*sector_where[sid], f"sector {sid}.broader", f"unknown sector {sector.broader!r}"))
    plan_ids: dict[str, str] = {}
    for plan, refs, file in plans:
        for aid, line, where in refs["agencies"]:
            if unknown("agencies", agencies, aid):
                hint = _suggest(aid, agencies)
                problems.append(Problem(file, line, where, f"unknown agency id {aid!r}{hint}"))
        for sid, line, where in refs["sectors"]:
            if unknown("sectors", sectors, sid):
                problems.append(Problem(file, line, where, f"unknown sector id {sid!r}"))
        if plan.id in plan_ids:
            problems.append(Problem(file, refs.get("line"), "plan.id",
                                    f"duplicate plan id {plan.id!r} (also in {plan_ids[plan.id]})"))
        plan_ids.setdefault(plan.id, file)
    if problems:
        order = {pf.name: i for i, pf in enumerate(parsed)}
        problems.sort(key=lambda p: (order.get(p.file, len(order)), p.line or 0))
        raise DataError(problems)
    return m.Dataset(tuple(p for p, _, _ in sorted(plans, key=lambda t: (t[0].date, t[0].id))),
                     agencies, sectors, tuple(pf.name for pf in parsed))


def _membership_cycle(start: str, agencies: dict[str, m.Agency]) -> list[str] | None:
    """The first membership cycle through ``start``, as a path of ids, or None."""
    stack = [(start, [start])]
    while stack:
        current, path = stack.pop()
        agency = agencies.get(current)
        for member in agency.members if agency else ():
            if member == start:
                return path + [start]
            if member not in path and len(path) < len(agencies):
                stack.append((member, path + [member]))
    return None


def _suggest(aid: str, agencies: dict[str, m.Agency]) -> str:
    import difflib

    close = difflib.get_close_matches(aid, list(agencies), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""
