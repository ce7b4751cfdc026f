"""The embedding model as ONNX, run with onnxruntime: exported once, offline, from the local model.

Owns exporting a loaded sentence-transformers model (its whole module pipeline — transformer,
pooling, any dense layer — then L2 normalisation) to ``model.onnx`` beside its tokenizer, in a
folder keyed by the model's files, and encoding batches of texts with it. The export traces the
local model with torch; nothing is downloaded. Running it needs neither torch nor transformers: the
tokenizer is the model's own ``tokenizer.json``, set to the model's maximum length. Which backend
is used, and when the export is made, is ``search.embedding``'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

EXPORT_VERSION = 1  # bump when the export below changes, so older exports are made again
_OPSET = 17
_INFO = "export.json"


def export_folder(root: Path, model_location: str) -> Path:
    """Where the export of a model lives under ``root``: keyed by the model's path and its files' sizes
    and times, so a changed model is exported again."""
    path = Path(model_location)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else []
    stamp = [str(path.resolve() if path.exists() else model_location), str(EXPORT_VERSION)]
    stamp += [f"{p.relative_to(path)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    return root / hashlib.sha256("\n".join(stamp).encode("utf-8")).hexdigest()[:16]


def export(model: Any, folder: Path) -> Path:
    """Trace a loaded SentenceTransformer into ``folder`` (written aside, then renamed into place)."""
    import torch

    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.parent / f".{folder.name}-{uuid.uuid4().hex[:8]}"
    partial.mkdir()
    try:
        preprocess = getattr(model, "preprocess", None) or model.tokenize  # renamed in sentence-transformers 6
        features = {k: v for k, v in preprocess(["an example", "a longer example text"]).items()
                    if isinstance(v, torch.Tensor)}
        names = list(features)

        class Pipeline(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
                output = self.model(dict(zip(names, inputs, strict=True)))["sentence_embedding"]
                return torch.nn.functional.normalize(output, p=2, dim=1)

        axes = {name: {0: "batch", 1: "tokens"} for name in names} | {"embedding": {0: "batch"}}
        with torch.inference_mode(), warnings.catch_warnings():
            # The tracer warns about shape checks it fixes as constants; they hold for any batch and length.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Pipeline().eval(), tuple(features[n] for n in names), str(partial / "model.onnx"),
                input_names=names, output_names=["embedding"], dynamic_axes=axes, opset_version=_OPSET,
                dynamo=False,  # the TorchScript exporter needs no onnxscript and handles these models
            )
        model.tokenizer.save_pretrained(str(partial))
        if not (partial / "tokenizer.json").is_file():
            raise ValueError("the model has no fast tokenizer (tokenizer.json) to run it without transformers")
        info = {
            "inputs": names,
            "max_seq_length": int(model.max_seq_length),
            "pad_id": int(model.tokenizer.pad_token_id or 0),
            "pad_token": str(model.tokenizer.pad_token or "[PAD]"),
            "export_version": EXPORT_VERSION,
        }
        (partial / _INFO).write_text(json.dumps(info), encoding="utf-8")
        if folder.exists():  # another process exported it meanwhile: keep theirs
            shutil.rmtree(partial)
        else:
            os.replace(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return folder


def is_exported(folder: Path) -> bool:
    return (folder / _INFO).is_file() and (folder / "model.onnx").is_file()


class OnnxEncoder:
    """An exported model in onnxruntime sessions, with its tokenizer: texts in, normalised vectors out.

    One question runs on ``threads`` cores (0: all). On 2 idle cores two threads embed a question in
    4.7 ms against 7.4 ms on one; on 2 busy cores a second thread made it slower (7.6 vs 7.1 ms median,
    p95 36 vs 11 ms), so a server whose workers share the cores gives each one thread (``serve``).
    Batches (ingest) get a session using every core, made the first time a batch comes.
    """

    def __init__(self, folder: Path, threads: int = 1) -> None:
        from tokenizers import Tokenizer

        self.folder = folder
        info = json.loads((folder / _INFO).read_text(encoding="utf-8"))
        self.inputs: list[str] = info["inputs"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # The tokenizer file may carry other lengths; sentence-transformers truncates at the model's own.
        self.tokenizer.enable_truncation(max_length=info["max_seq_length"])
        self.tokenizer.enable_padding(pad_id=info["pad_id"], pad_token=info["pad_token"])
        self._single = self._session(threads=threads)
        self._batch: Any = None
        self._lock = threading.Lock()
        self.dimension = int(self.encode(["x"]).shape[1])

    def _session(self, threads: int) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        options.inter_op_num_threads = 1
        model = str(self.folder / "model.onnx")
        return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def _batch_session(self) -> Any:
        with self._lock:
            if self._batch is None:
                self._batch = self._session(threads=0)
            return self._batch

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        arrays = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        session = self._single if len(texts) == 1 else self._batch_session()
        (vectors,) = session.run(None, {name: arrays[name] for name in self.inputs})
        return np.asarray(vectors, dtype=np.float32)
