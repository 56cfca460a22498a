"""The exception tree of policykg.

The library raises these and never prints or exits; ``policykg.cli`` turns each
into one line and the exit code named here (the only place that mapping lives).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

#: Exit codes of the command-line tool, documented in the README.
EXIT_OK = 0
EXIT_INVALID = 1      # the data is invalid, or fails the SHACL shapes
EXIT_USAGE = 2        # the question cannot be answered as asked (unknown agency, bad option)
EXIT_IO = 3           # a file could not be read or written
EXIT_REMOTE = 4       # a SPARQL endpoint failed


class PolicyKGError(Exception):
    """Base of every error policykg raises on purpose."""

    exit_code = EXIT_INVALID

    def lines(self) -> list[str]:
        """The message as the one or more lines a user should read."""
        return [str(self)]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located as precisely as the input allows."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class DataError(PolicyKGError):
    """Input data is malformed or inconsistent; carries every problem found, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, line: int | None, field: str | None, message: str) -> "DataError":
        return cls([Problem(file, line, field, message)])

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class ExtractError(PolicyKGError):
    """Source text could not be read as an action plan."""


class LookupFailed(PolicyKGError):
    """A name or number given by the user matches nothing, or more than one thing."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, candidates: Sequence[str] = ()):
        self.candidates = list(candidates)
        super().__init__(message)


class UnknownAgency(LookupFailed):
    """No agency matches the name given; ``candidates`` holds did-you-mean suggestions."""


class AmbiguousAgency(LookupFailed):
    """Several agencies match the name given; ``candidates`` lists them."""


class UnknownMeasure(LookupFailed):
    """No measure has the number given."""


class UsageError(PolicyKGError):
    """An option or argument has a value policykg cannot use."""

    exit_code = EXIT_USAGE


class QueryError(UsageError):
    """A SPARQL query is malformed or cannot be run."""


class OutputError(PolicyKGError):
    """An output file could not be written; any previous file is left intact."""

    exit_code = EXIT_IO


class ShapeViolation(PolicyKGError):
    """The compiled graph does not conform to the SHACL shapes."""

    def __init__(self, violations: Sequence[str]):
        self.violations = list(violations)
        super().__init__("\n".join(self.violations))

    def lines(self) -> list[str]:
        return list(self.violations)


class EndpointError(PolicyKGError):
    """A remote SPARQL endpoint or graph store failed or refused a request."""

    exit_code = EXIT_REMOTE
