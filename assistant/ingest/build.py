"""Ingestion: from paths on disk to a freshly swapped-in index, file by file, failures reported.

Owns which files make up the index (the corpus folder, or the paths given, merged with what the
current index already holds unless ``rebuild``), whether the index is missing or stale, and the
per-file report. It orchestrates sources → chunking → metadata → index; it prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.ingest.chunking import chunk_document
from assistant.ingest.sources import (
    SourceError,
    catalog_entry_sha256,
    discover,
    file_sha256,
    load_document,
    read_catalog,
)
from assistant.ingest.tagging import tag_chunk
from assistant.models import Chunk, Document, DocumentMeta
from assistant.search.embedding import Embedder, ProgressFactory
from assistant.search.index import FORMAT_VERSION, IndexProblem, chunker_settings, read_manifest
from assistant.search.writer import BuildStats, build_index


@dataclass
class FileFailure:
    path: Path
    reason: str


@dataclass
class IngestResult:
    stats: BuildStats | None
    loaded: list[str] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.stats is not None and not self.failures


def _source_list(paths: list[Path] | None, settings: Settings, rebuild: bool) -> tuple[list[Path], list[str]]:
    requested = [p.resolve() for p in (paths or [settings.corpus_dir])]
    dropped: list[str] = []
    manifest = None if rebuild else read_manifest(settings.index_dir)
    previous = [Path(s) for s in (manifest or {}).get("sources", [])]
    kept = []
    for source in previous:
        if source in requested:
            continue
        if source.exists():
            kept.append(source)
        else:
            dropped.append(str(source))
    return kept + requested, dropped


def prepare_document(document: Document, settings: Settings) -> list[Chunk]:
    """Chunks of one document, tagged."""
    return [tag_chunk(c) for c in chunk_document(document, settings.index.chunk_size, settings.index.chunk_overlap)]


def ingest(
    settings: Settings,
    paths: list[Path] | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress_factory: ProgressFactory | None = None,
) -> IngestResult:
    """Load, chunk, tag, embed and index; the index is swapped in only when the build completes."""
    sources, dropped = _source_list(paths, settings, rebuild)
    result = IngestResult(stats=None, dropped=dropped)
    catalogs: dict[Path, dict[str, dict]] = {}
    # Only the metadata is kept beside the chunks: a document's lines can be many MB.
    prepared: list[tuple[DocumentMeta, list[Chunk]]] = []
    seen_ids: dict[str, Path] = {}
    for path in discover(sources):
        try:
            folder = path.parent
            if folder not in catalogs:
                catalogs[folder] = read_catalog(folder) if folder.is_dir() else {}
            document = load_document(path, catalogs[folder])
            if document.meta.doc_id in seen_ids:
                raise SourceError(
                    path, f"same document id '{document.meta.doc_id}' as {seen_ids[document.meta.doc_id].name}"
                )
            chunks = prepare_document(document, settings)
            if not chunks:
                raise SourceError(path, "no text long enough to index")
        except SourceError as exc:
            result.failures.append(FileFailure(exc.path, exc.reason))
            continue
        seen_ids[document.meta.doc_id] = path
        prepared.append((document.meta, chunks))
        result.loaded.append(path.name)
    if not prepared:
        return result
    embedder = embedder or Embedder(settings)
    failed = {f.path.name: file_sha256(f.path) for f in result.failures if f.path.is_file()}
    result.stats = build_index(prepared, settings, embedder, progress_factory, [str(s) for s in sources], failed)
    return result


def index_status(settings: Settings) -> tuple[str, str]:
    """('missing' | 'stale' | 'fresh', why) for the index against the corpus folder and settings."""
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        return "missing", f"no index in {settings.index_dir}/"
    if manifest.get("format_version") != FORMAT_VERSION:
        return "stale", "index format changed"
    if manifest.get("model", {}).get("name") != settings.index.model_label():
        return "stale", "embedding model changed"
    if manifest.get("chunker") != chunker_settings(settings):
        return "stale", "chunking settings changed"
    documents = manifest.get("documents", {}).values()
    indexed = {entry["file"]: entry["sha256"] for entry in documents}
    described = {entry["file"]: entry.get("catalog_sha256") for entry in documents}
    # A file that failed and has not changed since is not a reason to build again.
    indexed.update(manifest.get("failed", {}))
    sources, _ = _source_list(None, settings, rebuild=False)
    catalogs: dict[Path, dict[str, dict]] = {}
    for path in discover(sources):
        if not path.is_file():
            continue
        if path.name not in indexed:
            return "stale", f"{path.name} is not indexed yet"
        if file_sha256(path) != indexed[path.name]:
            return "stale", f"{path.name} changed"
        if described.get(path.name) is not None:  # builds made before catalog fingerprints have none
            if path.parent not in catalogs:
                try:
                    catalogs[path.parent] = read_catalog(path.parent)
                except SourceError as exc:  # ingest reports it
                    return "stale", exc.reason
            if catalog_entry_sha256(catalogs[path.parent].get(path.name, {})) != described[path.name]:
                return "stale", f"the catalog entry of {path.name} changed"
    return "fresh", "index matches the corpus"


__all__ = ["FileFailure", "IngestResult", "IndexProblem", "index_status", "ingest", "prepare_document"]
