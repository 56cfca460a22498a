"""The curated data agrees with the source document, as read by the extractor.

This is the evidence that data/measures.yaml is faithful: every measure's
number, title, agencies (resolved through the authority file) with roles and
order, and every referenced document number come out of the source text the
same way they were curated.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from policykg import loader
from policykg.extract import extract_file

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data" / "source" / "jincheng-2022-service-plan.txt"


@pytest.fixture(scope="module")
def curated():
    return loader.load()


@pytest.fixture(scope="module")
def extracted(curated):
    return extract_file(SOURCE, curated.agencies)


def test_source_named_by_the_plan_is_the_one_checked(curated):
    plan = curated.plans[0]
    assert (Path(plan.source).parent / plan.source_text).resolve() == SOURCE.resolve()


def test_no_name_left_unmatched(extracted):
    assert extracted.unmatched == []


def test_same_measure_numbers_and_titles(curated, extracted):
    got = [(m["number"], m["title"]) for m in extracted.draft["measures"]]
    want = [(m.number, m.title) for m in curated.plans[0].measures]
    assert got == want


def test_same_agencies_roles_and_order_in_every_measure(curated, extracted):
    drafts = {m["number"]: m for m in extracted.draft["measures"]}
    for m in curated.plans[0].measures:
        got = [(a["agency"], a["role"]) for a in drafts[m.number]["agencies"]]
        assert got == [(a.agency, a.role) for a in m.assignments], f"measure {m.number}"


def test_same_bodies_and_brackets(curated, extracted):
    drafts = {m["number"]: m for m in extracted.draft["measures"]}
    for m in curated.plans[0].measures:
        assert drafts[m.number]["body"] == m.body, f"measure {m.number}"
        assert drafts[m.number]["bracket"] == m.bracket, f"measure {m.number}"


def _numbers_by_measure(doc_numbers: dict[str, str | None], links) -> set[str | None]:
    return {doc_numbers[l] for l in links}


def test_same_referenced_document_numbers(curated, extracted):
    plan = curated.plans[0]
    curated_numbers = {d.id: d.number or d.title for d in plan.documents}
    draft_numbers = {d["id"]: d.get("number") or d.get("title") for d in extracted.draft["documents"]}
    assert sorted(draft_numbers.values()) == sorted(curated_numbers.values())
    drafts = {m["number"]: m for m in extracted.draft["measures"]}
    for m in plan.measures:
        got = {draft_numbers[d["document"]]: d["relation"] for d in drafts[m.number].get("documents", [])}
        want = {curated_numbers[l.document]: l.relation for l in m.documents}
        assert got == want, f"measure {m.number}"
    draft_plan = extracted.draft["plan"]
    assert {draft_numbers[d] for d in draft_plan["based_on"]} == {curated_numbers[d] for d in plan.based_on}
    assert {draft_numbers[d] for d in draft_plan["repeals"]} == {curated_numbers[d] for d in plan.repeals}


def test_same_plan_metadata(curated, extracted):
    plan, draft = curated.plans[0], extracted.draft["plan"]
    assert (draft["id"], draft["number"], draft["title"], str(draft["date"]), draft["issuer"]) == (
        plan.id, plan.number, plan.title, plan.date.isoformat(), plan.issuer)


def test_sections_and_task_forces(curated, extracted):
    got = [(s["id"], s.get("parent"), s["title"], s.get("task_force")) for s in extracted.draft["sections"]]
    want = [(s.id, s.parent, s.title, s.task_force) for s in curated.plans[0].sections]
    assert got == want
