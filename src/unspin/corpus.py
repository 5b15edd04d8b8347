"""Clean-prose corpora for training and benchmarks, split into documents and into train/dev/test by document.

The default root is ../shared/data next to the project (or $UNSPIN_CORPUS_DIR): ABC news stories (one per
blank-line block) and US presidential speeches (one per file, long ones cut into ~800-word parts at paragraph
breaks). Any directory of .txt files also works: one document per file. Nothing from these corpora is stored
in the project.
"""
from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Doc:
    id: str
    text: str

    @property
    def split(self) -> str:
        return split_of(self.id)


def split_of(doc_id: str) -> str:
    """Deterministic split by document id: 60 % train, 15 % dev, 25 % test."""
    h = zlib.crc32(doc_id.encode()) % 100
    return "train" if h < 60 else "dev" if h < 75 else "test"


def default_root() -> Path | None:
    env = os.environ.get("UNSPIN_CORPUS_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "data"
        if (cand / "nltk-abc-news").exists() or (cand / "nltk-pd-speeches").exists():
            return cand
    cand = Path.cwd().parent / "shared" / "data"
    return cand if cand.exists() else None


def _chunks(text: str, target_words: int = 800) -> list[str]:
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out, cur, n = [], [], 0
    for p in paras:
        cur.append(p)
        n += len(p.split())
        if n >= target_words:
            out.append("\n\n".join(cur))
            cur, n = [], 0
    if cur:
        out.append("\n\n".join(cur))
    return out


def load_documents(root: str | Path | None = None, min_words: int = 40) -> list[Doc]:
    root = Path(root) if root else default_root()
    if root is None or not root.exists():
        raise FileNotFoundError("no corpus: pass a directory of .txt files (or set UNSPIN_CORPUS_DIR)")
    docs: list[Doc] = []
    abc = root / "nltk-abc-news"
    speeches = root / "nltk-pd-speeches"
    if abc.exists() or speeches.exists():
        for name in ("science.txt", "rural.txt"):
            p = abc / name
            if p.exists():
                raw = p.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
                for i, story in enumerate(re.split(r"\n\s*\n", raw)):
                    story = story.strip()
                    if len(story.split()) >= min_words:
                        docs.append(Doc(f"abc/{name}#{i}", story))
        for sub in ("inaugural", "state_union"):
            for p in sorted((speeches / sub).glob("*.txt")):
                raw = p.read_text(encoding="latin-1").replace("\r\n", "\n")
                for j, part in enumerate(_chunks(raw)):
                    if len(part.split()) >= min_words:
                        docs.append(Doc(f"speech/{sub}/{p.name}#{j}", part))
    else:
        for p in sorted(root.rglob("*.txt")):
            text = p.read_text(encoding="utf-8", errors="replace")
            if len(text.split()) >= min_words:
                docs.append(Doc(str(p.relative_to(root)), text))
    return docs


def select(docs: list[Doc], split: str, max_words: int | None = None, seed: int = 0) -> list[Doc]:
    """Documents of one split, in a seeded order, up to about `max_words` words."""
    import random

    chosen = [d for d in docs if d.split == split]
    random.Random(seed).shuffle(chosen)
    if max_words is None:
        return chosen
    out, n = [], 0
    for d in chosen:
        if n >= max_words:
            break
        out.append(d)
        n += len(d.text.split())
    return out
