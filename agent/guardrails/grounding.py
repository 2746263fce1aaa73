"""Grounding: a reply may state only facts the clinic's records or a tool result contain.

Checked facts are the ones a patient acts on: money amounts, clock times, calendar dates,
provider names and links. Each fact in a reply must appear in the *sources* (the clinic
block of the system prompt, today's date and every tool call and result of the conversation);
the patient's own words are not a source, so "you said $5?" cannot become a price.
:class:`GroundingCheck`, an output guardrail, sends a violating reply back once with the
facts named, and replaces it with :data:`agent.copy.UNGROUNDED` if it still violates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import structlog

from agent import copy
from agent.guardrails.base import (
    GuardrailContext,
    OutputGuardrail,
    OutputVerdict,
    Regenerate,
    Replace,
)
from agent.models.base import ChatMessage
from agent.prompt import clinic_block
from knowledge.clinic_file import ClinicFile

log = structlog.get_logger(__name__)

_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)")
_TIME = re.compile(r"\b(1[0-2]|0?[1-9])(?::([0-5]\d))?\s?([ap])\.?m\.?\b", re.I)
_CLOCK24 = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b(?!\s?[ap]\.?m)", re.I)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r")[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I)
_ISO_DATE = re.compile(r"\b\d{4}-(\d{2})-(\d{2})\b")
_URL = re.compile(r"https?://\S+")


def _money(value: str) -> str:
    amount = float(value.replace(",", ""))
    return f"${amount:.2f}"


def _minutes(hour: int, minute: int) -> int:
    return hour * 60 + minute


def _times(text: str) -> set[int]:
    out = set()
    for h, m, ap in _TIME.findall(text):
        hour = int(h) % 12 + (12 if ap.lower() == "p" else 0)
        out.add(_minutes(hour, int(m or 0)))
    for h, m in _CLOCK24.findall(text):
        out.add(_minutes(int(h), int(m)))
    return out


def _dates(text: str) -> set[tuple[int, int]]:
    out = set()
    for month, day in _DATE.findall(text):
        out.add((_MONTHS.index(month.lower()[:3]) + 1, int(day)))
    for month, day in _ISO_DATE.findall(text):
        out.add((int(month), int(day)))
    return out


@dataclass(frozen=True)
class Facts:
    """The checkable facts of a text."""

    money: frozenset[str]
    times: frozenset[int]
    dates: frozenset[tuple[int, int]]
    urls: frozenset[str]
    providers: frozenset[str]


def facts(text: str, provider_names: Iterable[str] = ()) -> Facts:
    """Extract money ($12.00 form), times (minutes after midnight), dates ((month, day)),
    URLs and the provider names (from ``provider_names``) mentioned in ``text``."""
    lowered = text.lower()
    names = frozenset(n for n in provider_names if _name_in(n, lowered))
    return Facts(
        money=frozenset(_money(m) for m in _MONEY.findall(text)),
        times=frozenset(_times(text)),
        dates=frozenset(_dates(text)),
        urls=frozenset(u.rstrip(".,);") for u in _URL.findall(text)),
        providers=names,
    )


def _name_in(name: str, lowered: str) -> bool:
    parts = [
        p for p in re.split(r"[\s.]+", name.lower()) if len(p) > 2 and p not in ("dr", "np", "rn")
    ]
    return any(re.search(rf"\b{re.escape(p)}\b", lowered) for p in parts)


def ungrounded(reply: str, sources: Iterable[str], clinic: ClinicFile) -> list[str]:
    """The facts of ``reply`` that no source contains, as short human-readable strings.

    Args:
        reply: the SMS about to be sent.
        sources: texts the reply may draw on (clinic records, tool results).
        clinic: the clinic (its provider names are the names checked).

    Returns:
        e.g. ``["$40.00", "3:30 PM", "Dr. Smith"]``; empty when everything is grounded.
    """
    names = [p.name for p in clinic.providers]
    said = facts(reply, names)
    known_text = "\n".join(sources)
    known = facts(known_text, names)
    problems = [m for m in sorted(said.money) if m not in known.money]
    problems += [
        f"{t // 60 % 12 or 12}:{t % 60:02d} {'PM' if t >= 720 else 'AM'}"
        for t in sorted(said.times - known.times)
    ]
    problems += [f"{_MONTHS[m - 1].title()} {d}" for m, d in sorted(said.dates - known.dates)]
    problems += [u for u in sorted(said.urls) if u not in known_text]
    # A provider the clinic does not have is caught by its title ("Dr. X") not being known.
    for title_name in re.findall(r"\b(?:Dr|Doctor)\.?\s+([A-Z][a-z]+)", reply):
        if title_name.lower() not in known_text.lower():
            problems.append(f"Dr. {title_name}")
    return problems


def _tool_texts(messages: Sequence[ChatMessage]) -> list[str]:
    """Tool results, then the model's own tool arguments (the patient's wishes it searched
    with count as sources)."""
    texts = [m.content or "" for m in messages if m.role == "tool"]
    return texts + [json.dumps(c.arguments) for m in messages for c in m.tool_calls]


def sources(context: GuardrailContext) -> list[str]:
    """The texts a reply may draw its facts from: the clinic's records, today's date and
    time, and every tool call and result of the conversation (this turn's included)."""
    local = context.now.astimezone(context.clinic.clinic.zone)
    today = f"{local:%A %b} {local.day} {local:%H:%M}"
    return [
        clinic_block(context.clinic),
        today,
        *_tool_texts(context.history),
        *_tool_texts(context.turn),
    ]


class GroundingCheck(OutputGuardrail):
    """Output guardrail: a reply states only facts its sources contain.

    A violating reply is sent back ``max_regenerations`` times with a note naming the facts
    that had no source; after that it is replaced by :data:`agent.copy.UNGROUNDED` (turn
    outcome ``ungrounded``).
    """

    name = "grounding"

    def __init__(self, max_regenerations: int = 1) -> None:
        self.max_regenerations = max_regenerations

    def check(self, reply: str, context: GuardrailContext) -> OutputVerdict:
        """Regenerate or replace ``reply`` when it states an unsourced fact, else None."""
        problems = ungrounded(reply, sources(context), context.clinic)
        if not problems:
            return None
        if context.regenerations < self.max_regenerations:
            log.info("reply_ungrounded_regenerating", count=len(problems))
            return Regenerate(
                "[system check] Your reply stated "
                + ", ".join(problems)
                + ", which no clinic record or tool result contains. Rewrite it using only "
                "facts from the clinic records and tool results; call a tool if you need one."
            )
        log.warning("reply_ungrounded_replaced", count=len(problems))
        return Replace(copy.UNGROUNDED, outcome="ungrounded")
