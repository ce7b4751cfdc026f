"""Reading curation rows as domain objects, and the checks every curation write shares.

Owns turning ``curated_answers`` rows with their versions and phrasings into ``CuratedRecord`` and
``PublishedCurated`` (a few bulk queries, never one per answer), the audit snapshot of an answer,
and the rule that a phrasing belongs to one published answer only. Used by ``curation_store`` and
``moderation_queue``; it writes nothing itself except the phrasing rows it is asked to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from assistant.db.curation_records import (
    CuratedRecord,
    CuratedVersion,
    CurationConflict,
    CurationError,
    DuplicatePhrasing,
    Phrasing,
)
from assistant.db.engine import UnknownRecord
from assistant.db.tables.curation import CuratedAnswerRow, CuratedVersionRow, PhrasingRow
from assistant.models import Excerpt, PublishedCurated
from assistant.text.phrasing import normalise_phrasing

MAX_PHRASING_CHARS = 2000


class UnknownCurated(UnknownRecord):
    """No curated answer has this id."""


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was written in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class _WithStatus(Protocol):
    id: Any
    status: Any


_Row = TypeVar("_Row", bound=_WithStatus)


def locked_in_status(session: Session, table: type[_Row], row_id: int, status: str, missing: UnknownRecord,
                     name: str) -> _Row:
    """The row, locked until the unit of work ends; ``missing`` is raised when there is none, and a
    conflict when it is no longer in ``status`` (someone acted on it first)."""
    row = session.scalar(select(table).where(table.id == row_id).with_for_update())
    if row is None:
        raise missing
    if row.status != status:
        raise CurationConflict(f"{name} {row_id} is already {row.status}")
    return row


def answer_row(session: Session, curated_id: int, lock: bool = False) -> CuratedAnswerRow:
    query = select(CuratedAnswerRow).where(CuratedAnswerRow.id == curated_id)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise UnknownCurated(f"no curated answer with id {curated_id}")
    return row


def version_row(session: Session, curated_id: int, version: int) -> CuratedVersionRow:
    row = session.scalar(select(CuratedVersionRow).where(
        CuratedVersionRow.curated_id == curated_id, CuratedVersionRow.version == version))
    if row is None:
        raise UnknownCurated(f"curated answer {curated_id} has no version {version}")
    return row


def quotes_of(row: CuratedVersionRow) -> list[Excerpt]:
    return [Excerpt.model_validate(q) for q in row.quotes]


def version_of(row: CuratedVersionRow) -> CuratedVersion:
    return CuratedVersion(version=row.version, question=row.question, quotes=quotes_of(row), note=row.note,
                          editor=row.editor, editor_id=row.editor_id, created_at=utc(row.created_at))


def _phrasings(session: Session, ids: Sequence[int]) -> dict[int, list[PhrasingRow]]:
    found: dict[int, list[PhrasingRow]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(select(PhrasingRow).where(PhrasingRow.curated_id.in_(ids)).order_by(PhrasingRow.id)):
            found[row.curated_id].append(row)
    return found


def _versions(session: Session, rows: Sequence[CuratedAnswerRow], published: bool) -> dict[int, CuratedVersionRow]:
    """The current (or published) version row of each answer, in one query."""
    number = CuratedAnswerRow.published_version if published else CuratedAnswerRow.current_version
    query = select(CuratedVersionRow).join(CuratedAnswerRow, and_(
        CuratedVersionRow.curated_id == CuratedAnswerRow.id, CuratedVersionRow.version == number))
    return {v.curated_id: v for v in session.scalars(query.where(CuratedAnswerRow.id.in_([r.id for r in rows])))}


def records(session: Session, rows: Sequence[CuratedAnswerRow]) -> list[CuratedRecord]:
    versions = _versions(session, rows, published=False)
    phrasings = _phrasings(session, [r.id for r in rows])
    return [_record(row, versions[row.id], phrasings[row.id]) for row in rows]


def record(session: Session, row: CuratedAnswerRow) -> CuratedRecord:
    session.flush()
    return records(session, [row])[0]


def _record(row: CuratedAnswerRow, version: CuratedVersionRow, phrasings: list[PhrasingRow]) -> CuratedRecord:
    return CuratedRecord(
        id=row.id, status=row.status, country=row.country, region=row.region,  # type: ignore[arg-type]
        filters=row.filters or {}, review_by=row.review_by, author=row.created_by_name, author_id=row.created_by,
        reviewer=row.reviewed_by_name, reviewed_at=utc(row.reviewed_at), version=row.current_version,
        published_version=row.published_version, question=version.question, quotes=quotes_of(version),
        note=version.note, editor=version.editor,
        phrasings=[Phrasing(id=p.id, text=p.text, source=p.source) for p in phrasings],  # type: ignore[arg-type]
        created_at=utc(row.created_at), updated_at=utc(row.updated_at),
    )


def published(session: Session) -> list[PublishedCurated]:
    """Every published answer in the version a moderator published, with its phrasings."""
    rows = list(session.scalars(select(CuratedAnswerRow).where(
        CuratedAnswerRow.status == "published", CuratedAnswerRow.published_version.is_not(None))
        .order_by(CuratedAnswerRow.id)))
    versions = _versions(session, rows, published=True)
    phrasings = _phrasings(session, [r.id for r in rows])
    return [
        PublishedCurated(
            id=row.id, version=row.published_version, question=versions[row.id].question,
            curator=row.reviewed_by_name or row.created_by_name, reviewed_at=utc(row.reviewed_at or row.updated_at),
            country=row.country, region=row.region, filters=row.filters or {},
            phrasings=[p.text for p in phrasings[row.id]], quotes=quotes_of(versions[row.id]),
            note=versions[row.id].note,
        )
        for row in rows
    ]


def clean_phrasings(texts: Iterable[str]) -> list[tuple[str, str]]:
    """(text, normalised) of each phrasing, stripped, in order, each normal form once; CurationError
    for an empty or over-long one."""
    seen: dict[str, str] = {}
    for text in texts:
        shown = " ".join(text.split())
        normal = normalise_phrasing(shown)
        if not normal:
            raise CurationError(f"a phrasing has no words: {text!r}")
        if len(shown) > MAX_PHRASING_CHARS:
            raise CurationError(f"a phrasing is over {MAX_PHRASING_CHARS} characters")
        seen.setdefault(normal, shown)
    return [(text, normal) for normal, text in seen.items()]


def refuse_published_duplicates(session: Session, normals: Iterable[str], curated_id: int | None) -> None:
    """DuplicatePhrasing when another published answer already has one of these phrasings."""
    wanted = list(normals)
    if not wanted:
        return
    query = (select(PhrasingRow.text, PhrasingRow.curated_id).join(CuratedAnswerRow)
             .where(CuratedAnswerRow.status == "published", PhrasingRow.normalised.in_(wanted)))
    if curated_id is not None:
        query = query.where(PhrasingRow.curated_id != curated_id)
    clash = session.execute(query.order_by(PhrasingRow.id)).first()
    if clash is not None:
        raise DuplicatePhrasing(clash.text, clash.curated_id)


def snapshot(item: CuratedRecord) -> dict[str, Any]:
    """What the audit log keeps of a curated answer's state."""
    return {
        "status": item.status, "version": item.version, "published_version": item.published_version,
        "question": item.question, "phrasings": [p.text for p in item.phrasings], "country": item.country,
        "region": item.region, "filters": item.filters, "review_by": item.review_by.isoformat(),
        "quotes": [q.chunk_id for q in item.quotes], "note": item.note,
    }
