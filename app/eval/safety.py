"""The safety triage set (``frontdesk eval-safety FILE``, DESIGN.md §4.6).

The file is a YAML list of ``{text, label, source?}`` with ``label`` one of ``emergency``,
``medical``, ``none``. :func:`load_safety_set` validates it (a bad item raises
:class:`~app.errors.UserError` naming its index), :func:`run_safety_eval` runs the triage
classifier alone on every text (no database, no model) and :func:`format_report` prints recall
and precision per label, the confusion matrix, every miss and the triage time per text. The
set passes only at 100% emergency recall (:meth:`SafetyReport.failure`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from agent.guardrails.triage import Label, triage
from app.errors import UserError

#: Every label, in report order.
LABELS: tuple[Label, ...] = (Label.EMERGENCY, Label.MEDICAL, Label.NONE)
_KEYS = {"text", "label", "source"}


@dataclass(frozen=True)
class SafetyCase:
    """One labelled text of the set.

    Attributes:
        text: the patient's text.
        label: what triage should say.
        source: where the text came from (free text), or None.
    """

    text: str
    label: Label
    source: str | None = None


@dataclass(frozen=True)
class Miss:
    """A text triage labelled wrongly.

    Attributes:
        text: the patient's text.
        expected: its label in the set.
        got: what triage said.
        category: triage's red-flag family when it said emergency, else None.
    """

    text: str
    expected: Label
    got: Label
    category: str | None


@dataclass(frozen=True)
class LabelStats:
    """Recall and precision of one label.

    Attributes:
        label: the label.
        support: texts labelled ``label`` in the set.
        predicted: texts triage labelled ``label``.
        correct: texts both labelled and predicted ``label``.
    """

    label: Label
    support: int
    predicted: int
    correct: int

    @property
    def recall(self) -> float | None:
        """``correct / support`` in [0, 1], or None when the set has no such text."""
        return self.correct / self.support if self.support else None

    @property
    def precision(self) -> float | None:
        """``correct / predicted`` in [0, 1], or None when triage never said ``label``."""
        return self.correct / self.predicted if self.predicted else None


@dataclass(frozen=True)
class SafetyReport:
    """The result of :func:`run_safety_eval`.

    Attributes:
        total: texts in the set.
        stats: per label, in :data:`LABELS` order.
        confusion: ``confusion[expected][got]`` = number of texts, every label present.
        misses: every wrongly labelled text, in file order.
        false_alarms: texts labelled ``none`` that triage called ``emergency`` (figurative
            speech taken literally), in file order.
        times_us: triage time of each text in microseconds, in file order.
    """

    total: int
    stats: dict[Label, LabelStats]
    confusion: dict[Label, dict[Label, int]]
    misses: list[Miss]
    false_alarms: list[str]
    times_us: list[float]

    def failure(self) -> str | None:
        """Why the set fails (emergency recall below 100%, or no emergency text), else None."""
        emergency = self.stats[Label.EMERGENCY]
        if emergency.support == 0:
            return "the set has no emergency texts, so emergency recall cannot be measured"
        missed = emergency.support - emergency.correct
        if missed:
            return (
                f"emergency recall {_pct(emergency.recall)} ({emergency.correct}/"
                f"{emergency.support}): {missed} emergency text{'s' if missed > 1 else ''} "
                "not flagged; it must be 100%"
            )
        return None


def load_safety_set(path: str | Path) -> list[SafetyCase]:
    """Read and validate a safety triage file.

    Args:
        path: a YAML file holding a list of ``{text, label, source?}`` mappings.

    Returns:
        The cases in file order (at least one).

    Raises:
        UserError: the file is missing, unreadable, not YAML, not a non-empty list, or an
            item is malformed (the message names the file and the item's 0-based index).
    """
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise UserError(f"{p}: expected a list of {{text, label, source?}} items")
    if not data:
        raise UserError(f"{p}: the list is empty; at least one item is required")
    return [_case(p, i, item) for i, item in enumerate(data)]


def _case(path: Path, index: int, item: object) -> SafetyCase:
    """Validate item ``index`` of ``path`` into a :class:`SafetyCase` (or raise UserError)."""
    where = f"{path}: item [{index}]"
    if not isinstance(item, dict):
        raise UserError(f"{where}: expected a mapping {{text, label, source?}}, got {item!r}")
    unknown = sorted(str(k) for k in set(item) - _KEYS)
    if unknown:
        raise UserError(f"{where}: unknown keys {unknown} (allowed: text, label, source)")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise UserError(f"{where}: text is required and must be non-empty text")
    where = f"{where} ({_short(text)!r})"
    label = item.get("label")
    if label not in {lab.value for lab in LABELS}:
        allowed = ", ".join(lab.value for lab in LABELS)
        got = "missing" if label is None else repr(label)
        raise UserError(f"{where}: label must be one of {allowed}; got {got}")
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise UserError(f"{where}: source must be text, got {source!r}")
    return SafetyCase(text=text, label=Label(label), source=source)


def run_safety_eval(cases: Sequence[SafetyCase]) -> SafetyReport:
    """Run :func:`agent.guardrails.triage.triage` on every case and score it.

    Args:
        cases: the labelled texts (from :func:`load_safety_set`).

    Returns:
        A :class:`SafetyReport`: per-label support/recall/precision, the confusion matrix,
        every miss, the ``none`` -> ``emergency`` false alarms and each call's time in µs.
    """
    confusion = {expected: dict.fromkeys(LABELS, 0) for expected in LABELS}
    misses: list[Miss] = []
    times_us: list[float] = []
    for case in cases:
        start = time.perf_counter_ns()
        result = triage(case.text)
        times_us.append((time.perf_counter_ns() - start) / 1000)
        got = Label(result.label)
        confusion[case.label][got] += 1
        if got != case.label:
            misses.append(Miss(case.text, case.label, got, result.category))
    stats = {
        label: LabelStats(
            label=label,
            support=sum(confusion[label].values()),
            predicted=sum(confusion[expected][label] for expected in LABELS),
            correct=confusion[label][label],
        )
        for label in LABELS
    }
    false_alarms = [m.text for m in misses if m.expected is Label.NONE and m.got is Label.EMERGENCY]
    return SafetyReport(
        total=len(cases),
        stats=stats,
        confusion=confusion,
        misses=misses,
        false_alarms=false_alarms,
        times_us=times_us,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` percentile of ``values``.

    Args:
        values: at least one number, in any order.
        q: the percentile in (0, 100].

    Returns:
        The smallest value with at least ``q``% of ``values`` at or below it.
    """
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def format_report(report: SafetyReport, *, source: str = "") -> str:
    """A plain-text report of :func:`run_safety_eval`'s result.

    Args:
        report: the result.
        source: the file's name, for the heading (optional).

    Returns:
        Several lines: one per label (recall, precision, support), the confusion matrix, each
        miss as ``expected -> got: text``, the false alarms, the timing line and the verdict.
    """
    heading = f"safety triage: {report.total} texts" + (f" from {source}" if source else "")
    lines = [heading, ""]
    for s in report.stats.values():
        lines.append(
            f"  {s.label.value:<10} recall {_pct(s.recall):>6} ({s.correct}/{s.support})  "
            f"precision {_pct(s.precision):>6} ({s.correct}/{s.predicted})  support {s.support}"
        )
    lines += ["", "confusion (rows: expected, columns: got):", _confusion_table(report)]
    lines += ["", f"misses ({len(report.misses)}):"]
    lines += [f"  {_miss_line(m)}" for m in report.misses] or ["  none"]
    lines += ["", f"false alarms, none -> emergency ({len(report.false_alarms)}):"]
    lines += [f"  {_one_line(text)}" for text in report.false_alarms] or ["  none"]
    if report.times_us:
        t = report.times_us
        lines += [
            "",
            f"triage time per text: p50 {percentile(t, 50):.1f} us, p99 {percentile(t, 99):.1f}"
            f" us, max {max(t):.1f} us ({len(t)} texts)",
        ]
    failure = report.failure()
    lines += ["", f"FAIL: {failure}" if failure else "PASS: emergency recall 100%"]
    return "\n".join(lines)


def _confusion_table(report: SafetyReport) -> str:
    """The confusion matrix as aligned rows, expected label first."""
    width = max(len(label.value) for label in LABELS) + 2
    rows = [" " * (width + 2) + "".join(f"{lab.value:>{width}}" for lab in LABELS)]
    for expected in LABELS:
        counts = "".join(f"{report.confusion[expected][got]:>{width}}" for got in LABELS)
        rows.append(f"  {expected.value:<{width}}{counts}")
    return "\n".join(rows)


def _miss_line(miss: Miss) -> str:
    """``expected -> got: text`` (and triage's red-flag category when it gave one)."""
    category = f"  [{miss.category}]" if miss.category else ""
    return f"{miss.expected.value} -> {miss.got.value}: {_one_line(miss.text)}{category}"


def _pct(value: float | None) -> str:
    """``value`` in [0, 1] as a percentage with one decimal, or ``n/a`` for None."""
    return "n/a" if value is None else f"{value:.1%}"


def _short(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _one_line(text: str) -> str:
    """``text`` with its line breaks (a burst of texts) shown as `` / ``."""
    return " / ".join(line.strip() for line in text.strip().splitlines())
