"""Agency names as people type them: id, name as written, full name, alias or
English name, matched case- and width-insensitively, with partial names and
did-you-mean suggestions.  The matching rules live here once; where the names
are kept (in memory, or in the compiled index) is a detail of the subclass."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from .errors import AmbiguousAgency, UnknownAgency

_SPACE = re.compile(r"[\s\u3000]+")


def normalise_name(text: str) -> str:
    """Fold width (NFKC: （ → (, Ａ → A), case and white space, for comparing names."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


class AgencyResolver:
    """Resolve what a user typed to one agency id (names held in memory)."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]):
        """``entries``: (agency id, every name of it) pairs; the id itself is always a name."""
        self._exact: dict[str, list[str]] = {}
        self._names: dict[str, list[str]] = {}
        self._shown: dict[str, str] = {}
        for aid, names in entries:
            names = [n for n in (aid, *names) if n]
            self._names[aid] = [normalise_name(n) for n in names]
            self._shown[aid] = names[1] if len(names) > 1 else aid
            for n in self._names[aid]:
                ids = self._exact.setdefault(n, [])
                if aid not in ids:
                    ids.append(aid)

    @classmethod
    def from_agencies(cls, agencies) -> "AgencyResolver":
        """A resolver over model.Agency objects (a mapping id → Agency, or an iterable)."""
        values = agencies.values() if hasattr(agencies, "values") else agencies
        return cls((a.id, a.names) for a in values)

    # -- where the names are: overridden by the index-backed resolver
    def exact_ids(self, key: str) -> list[str]:
        """Ids having a name equal to the normalised ``key``."""
        return self._exact.get(key, [])

    def partial_ids(self, key: str) -> list[str]:
        """Ids having a name that contains the normalised ``key``."""
        return [aid for aid, names in self._names.items() if any(key in n for n in names)]

    def all_names(self) -> dict[str, str]:
        """Every normalised name → one id bearing it (for suggestions)."""
        return {n: ids[0] for n, ids in self._exact.items()}

    def shown(self, aid: str) -> str:
        """How to show an agency in a message: its name as written."""
        return self._shown.get(aid, aid)

    # -- the rules
    def exact(self, text: str) -> str | None:
        """The id whose name is exactly ``text`` (normalised), if exactly one."""
        ids = self.exact_ids(normalise_name(text))
        return ids[0] if len(ids) == 1 else None

    def resolve(self, text: str) -> str:
        """The one agency id ``text`` names; raise Unknown/AmbiguousAgency otherwise.

        An exact name wins; else a unique partial match; several matches list the
        candidates; none suggests the closest names.
        """
        key = normalise_name(text)
        if not key:
            raise UnknownAgency("agency name is empty")
        ids = self.exact_ids(key)
        if len(ids) == 1:
            return ids[0]
        if not ids:
            ids = self.partial_ids(key)
            if len(ids) == 1:
                return ids[0]
        if ids:
            shown = [f"{self.shown(a)} ({a})" for a in ids]
            raise AmbiguousAgency(f"{text!r} matches {len(ids)} agencies: {'; '.join(shown[:12])}"
                                  + (" …" if len(shown) > 12 else ""), shown)
        import difflib

        names = self.all_names()
        close = difflib.get_close_matches(key, list(names), n=5, cutoff=0.5)
        suggestions = list(dict.fromkeys(self.shown(names[c]) for c in close))[:3]
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownAgency(f"no agency matches {text!r}{hint}", suggestions)
