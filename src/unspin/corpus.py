"""Clean-prose corpora for training and benchmarks, as documents with a register, split train/dev/test.

The default root is ../shared/data next to the project (or $UNSPIN_CORPUS_DIR). Registers (one folder each):
ABC news stories (one per blank-line block), US presidential speeches (long ones cut into ~800-word parts),
and JSON Lines corpora `{"id", "text"}` of science abstracts, encyclopedic paragraphs, modern news, informal web
text, learner essays, multi-genre documents, fiction and legal text. Paragraph-level corpora are grouped into
documents of at least ~150 words from consecutive paragraphs of the same article.

The split is by *article* (the group a paragraph belongs to), 60/15/25 % train/dev/test, so that no article
has paragraphs on both sides. Any directory of .txt files also works (one document per file, register "txt").
Nothing from these corpora is stored in the project.
"""
from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "dev", "test")
DOC_WORDS = 150  # paragraph-level corpora are grouped into documents of at least this many words
LONG_WORDS = 900  # longer documents are cut into ~CHUNK_WORDS parts at paragraph breaks
CHUNK_WORDS = 800

# JSON Lines registers and how their paragraph ids name the article (None: every line is a document)
JSONL_REGISTERS = {
    "sci-abstracts": None,
    "wiki-paragraphs": 2,  # squad-dev/<article>/<paragraph>
    "news-modern": 2,  # onestopenglish-adv/<article>/<chunk>
    "web-informal-ewt": None,
    "learner-ellipse": None,
    "multigenre-gum": None,
    "multigenre-masc": None,
    "fiction-gutenberg": 2,  # gutenberg/<book>/p<paragraph>: split by document, not by book (six books)
    "legal-contracts-gdpr": 2,  # cuad/<contract>/p<paragraph>
}
SPLIT_BY_DOCUMENT = {"fiction-gutenberg"}


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    register: str = "txt"
    group: str = ""  # the article the document comes from: the unit of the train/dev/test split

    @property
    def split(self) -> str:
        return split_of(self.group or self.id)

    @property
    def words(self) -> int:
        return len(self.text.split())


def split_of(key: str) -> str:
    """Deterministic split by article or document id: 60 % train, 15 % dev, 25 % test."""
    h = zlib.crc32(key.encode()) % 100
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


def _chunks(text: str, target_words: int = CHUNK_WORDS) -> list[str]:
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


def _abc_and_speeches(root: Path, min_words: int) -> list[Doc]:
    docs: list[Doc] = []
    abc = root / "nltk-abc-news"
    for name in ("science.txt", "rural.txt"):
        p = abc / name
        if p.exists():
            raw = p.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
            for i, story in enumerate(re.split(r"\n\s*\n", raw)):
                story = story.strip()
                if len(story.split()) >= min_words:
                    did = f"abc/{name}#{i}"
                    docs.append(Doc(did, story, "nltk-abc-news", did))
    speeches = root / "nltk-pd-speeches"
    for sub in ("inaugural", "state_union"):
        for p in sorted((speeches / sub).glob("*.txt")):
            raw = p.read_text(encoding="latin-1").replace("\r\n", "\n")
            for j, part in enumerate(_chunks(raw)):
                if len(part.split()) >= min_words:
                    docs.append(Doc(f"speech/{sub}/{p.name}#{j}", part, "nltk-pd-speeches", f"speech/{sub}/{p.name}"))
    return docs


def _jsonl(root: Path, register: str, group_depth: int | None, min_words: int) -> list[Doc]:
    path = root / register / "corpus.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs: list[Doc] = []
    if group_depth is None:
        for r in rows:
            text = r["text"].strip()
            parts = _chunks(text) if len(text.split()) > LONG_WORDS else [text]
            for j, part in enumerate(parts):
                if len(part.split()) >= min_words:
                    did = r["id"] if len(parts) == 1 else f"{r['id']}#{j}"
                    docs.append(Doc(f"{register}/{did}", part, register, f"{register}/{r['id']}"))
        return docs
    # consecutive paragraphs of one article → documents of at least DOC_WORDS words
    cur: list[str] = []
    cur_ids: list[str] = []
    cur_group = None

    def flush():
        if cur and sum(len(p.split()) for p in cur) >= min_words:
            did = f"{register}/{cur_ids[0]}+{len(cur)}"
            group = did if register in SPLIT_BY_DOCUMENT else f"{register}/{cur_group}"
            docs.append(Doc(did, "\n\n".join(cur), register, group))

    for r in rows:
        group = "/".join(r["id"].split("/")[:group_depth])
        if group != cur_group or sum(len(p.split()) for p in cur) >= DOC_WORDS:
            flush()
            cur, cur_ids, cur_group = [], [], group
        cur.append(r["text"].strip())
        cur_ids.append(r["id"])
    flush()
    return docs


def load_documents(root: str | Path | None = None, min_words: int = 40, registers=None) -> list[Doc]:
    """Every document of the corpora under `root` (optionally only the named `registers`)."""
    root = Path(root) if root else default_root()
    if root is None or not root.exists():
        raise FileNotFoundError("no corpus: pass a directory of .txt files (or set UNSPIN_CORPUS_DIR)")
    known = (root / "nltk-abc-news").exists() or (root / "nltk-pd-speeches").exists() or any(
        (root / r / "corpus.jsonl").exists() for r in JSONL_REGISTERS)
    if not known:
        docs = []
        for p in sorted(root.rglob("*.txt")):
            text = p.read_text(encoding="utf-8", errors="replace")
            if len(text.split()) >= min_words:
                rel = str(p.relative_to(root))
                docs.append(Doc(rel, text, "txt", rel))
        return docs
    docs = _abc_and_speeches(root, min_words)
    for register, depth in JSONL_REGISTERS.items():
        docs.extend(_jsonl(root, register, depth, min_words))
    if registers:
        wanted = set(registers)
        docs = [d for d in docs if d.register in wanted]
    return docs


def registers_of(docs: list[Doc]) -> list[str]:
    return sorted({d.register for d in docs})


def select(docs: list[Doc], split: str, max_words: int | None = None, seed: int = 0,
           per_register: bool = False) -> list[Doc]:
    """Documents of one split, in a seeded order, up to about `max_words` words (per register when
    `per_register`, so every register is represented)."""
    import random

    chosen = [d for d in docs if d.split == split]
    random.Random(seed).shuffle(chosen)
    if max_words is None:
        return chosen
    out: list[Doc] = []
    used: dict[str, int] = {}
    for d in chosen:
        key = d.register if per_register else ""
        if used.get(key, 0) >= max_words:
            continue
        out.append(d)
        used[key] = used.get(key, 0) + d.words
    return out
