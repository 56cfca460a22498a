"""The role rule: the one place that reads 牵头 / 负责 / 配合.

A bracket keeps the three raw roles as written.  Who *leads* a measure is derived
here and nowhere else (DOMAIN.md): an agency leads if it is 牵头, or if it is 负责
in a bracket that has no 牵头 at all; every other agency supports.
"""
from __future__ import annotations

from typing import Iterable

LEAD = "牵头"
RESPONSIBLE = "负责"
SUPPORT = "配合"

#: Raw roles in the order they are usually written, with their English names.
RAW_ROLES: dict[str, str] = {LEAD: "lead", RESPONSIBLE: "responsible", SUPPORT: "support"}
#: English name -> raw role, for input written in English.
ROLE_BY_ENGLISH: dict[str, str] = {en: zh for zh, en in RAW_ROLES.items()}

EFFECTIVE_LEAD = "lead"
EFFECTIVE_SUPPORT = "support"
EFFECTIVE_ROLES = (EFFECTIVE_LEAD, EFFECTIVE_SUPPORT)


def normalise_role(text: str) -> str | None:
    """The raw role named by ``text`` (牵头, lead, …), or None if it names none."""
    text = text.strip()
    if text in RAW_ROLES:
        return text
    return ROLE_BY_ENGLISH.get(text.lower())


def role_english(raw: str) -> str:
    """English name of a raw role: lead, responsible or support."""
    return RAW_ROLES[raw]


def effective_roles(raw_roles: Iterable[str]) -> list[str]:
    """Lead or support for each raw role of one bracket, in the same order."""
    raw = list(raw_roles)
    has_lead = LEAD in raw
    return [
        EFFECTIVE_LEAD if r == LEAD or (r == RESPONSIBLE and not has_lead) else EFFECTIVE_SUPPORT
        for r in raw
    ]
