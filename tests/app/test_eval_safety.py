"""``frontdesk eval-safety FILE`` through the real CLI: the gate on emergency recall, the
listed misses and clear errors for malformed files (DESIGN.md §4.6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main

#: Texts any triage classifier must get right: two plain red flags, a plain medical question,
#: plain logistics.
RIGHT = """
- {text: "i cant breathe and my throat is swelling after my filler", label: emergency}
- {text: "my lip is turning white and it really hurts after filler", label: emergency,
   source: "vascular occlusion, textbook"}
- {text: "i have a lot of bruising after filler is that normal", label: medical}
- {text: "what are your hours", label: none}
- {text: "how much is botox", label: none}
"""


def _label_line(out: str, label: str) -> str:
    """The report's line for ``label``, with runs of spaces squeezed to one."""
    line = next(x for x in out.splitlines() if x.strip().startswith(label))
    return " ".join(line.split())


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "triage.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_set_triage_gets_right_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-safety", str(_write(tmp_path, RIGHT))]) == 0
    out = capsys.readouterr().out
    emergency = _label_line(out, "emergency")
    assert "recall 100.0% (2/2)" in emergency and "support 2" in emergency
    assert "misses (0)" in out and "PASS" in out
    assert "triage time per text: p50" in out
    assert "confusion" in out


def test_a_missed_emergency_fails_and_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = RIGHT + '- {text: "what are your hours on saturday", label: emergency}\n'
    assert main(["eval-safety", str(_write(tmp_path, body))]) == 1
    out = capsys.readouterr().out
    assert "emergency -> none: what are your hours on saturday" in out
    emergency = _label_line(out, "emergency")
    assert "recall 66.7% (2/3)" in emergency
    assert "FAIL: emergency recall 66.7% (2/3)" in out


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            RIGHT + '- {text: "my face is numb", label: urgent}\n',
            "item [5] ('my face is numb'): label must be one of emergency, medical, none; "
            "got 'urgent'",
        ),
        ('- {text: "hi", label: none}\n- {label: emergency}\n', "item [1]: text is required"),
        ('- {text: "hi", label: none, why: "x"}\n', "item [0]: unknown keys ['why']"),
        ("text: hi\nlabel: none\n", "expected a list"),
        ("[]\n", "the list is empty"),
        ("- [unclosed\n", "not valid YAML"),
    ],
)
def test_a_malformed_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, says: str
) -> None:
    assert main(["eval-safety", str(_write(tmp_path, body))]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_missing_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval-safety", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: cannot read" in err and "Traceback" not in err
