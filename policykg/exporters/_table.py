"""What the table formats share: responsibility rows, read from the validated model.

A table is the model flattened, as the SQLite index is; the lead / support of
each row is ``Assignment.effective``, which ``policykg.roles`` derived.
"""
from __future__ import annotations

from typing import Iterator

from ..model import COMPARATORS, Assignment, Dataset, Measure, Plan, Target

#: Header of the responsibility table (CSV), one row per agency in a measure.
RESPONSIBILITY_COLUMNS = ("plan", "measure", "title", "title_en", "agency_id", "agency", "agency_en",
                          "role", "effective_role", "position")


def plan_measures(dataset: Dataset) -> Iterator[tuple[Plan, Measure]]:
    """Every measure with its plan: plans in dataset order, measures by number."""
    for plan in dataset.plans:
        for measure in sorted(plan.measures, key=lambda m: m.number):
            yield plan, measure


def assignments(measure: Measure) -> list[Assignment]:
    """The measure's agencies in bracket order."""
    return sorted(measure.assignments, key=lambda a: a.position)


def responsibility_rows(dataset: Dataset) -> Iterator[tuple]:
    """One row per agency in a measure, in plan / measure / position order (RESPONSIBILITY_COLUMNS)."""
    for plan, measure in plan_measures(dataset):
        for a in assignments(measure):
            agency = dataset.agencies.get(a.agency)
            yield (plan.id, measure.number, measure.title, measure.title_en, a.agency,
                   agency.name if agency else a.agency, agency.name_en if agency else "",
                   a.role, a.effective, a.position)


def _number(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def target_text(target: Target) -> str:
    """A target in the plan's words, or composed from its parts where the data has none."""
    if target.text:
        return target.text
    if target.comparator == "range":
        amount = f"{_number(target.min)}–{_number(target.max)}"
    else:
        amount = f"{COMPARATORS.get(target.comparator, '')}{_number(target.value)}"
    return f"{target.indicator}{amount}{target.unit or ''}"
