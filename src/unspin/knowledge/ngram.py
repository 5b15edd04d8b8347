"""The pocketsphinx trigram LM as memory-mapped numpy arrays, for batched queries that give its exact numbers.

The engine scores hundreds of candidate words per text position; one Python call into
``pocketsphinx.NGramModel.prob`` per query caps it near a million queries a second. Here the model's binary
file (``en-us.lm.bin``, sphinx's "Trie Language Model" format) is read directly, once, into flat arrays in
the cache dir, and `ArrayLM.logprob_ids` answers whole numpy batches with the same numbers pocketsphinx
gives (the same float32 sums, truncated to its integer log base 1.0001 scores).

The file format, as pocketsphinx reads it (src/lm/ngram_model_trie.c, lm_trie.c, lm_trie_quant.c):
  "Trie Language Model" · order (uint8) · counts (uint32 × order)
  · quantiser: int32 (unused) then float32 tables of 2**16 values: bigram probs, bigram back-offs, trigram
    probs (every value is a log base 1.0001 score)
  · unigrams: (V + 1) × {float32 prob, float32 back-off, uint32 first child}; the extra one ends the last range
  · bit-packed trie, little-endian bit order: bigram entries (17-bit word, 16-bit back-off code, 16-bit prob
    code, 21-bit first child), then trigram entries (17-bit word, 16-bit prob code)
  · uint32 byte count, then the words, each NUL-terminated.
The trie is keyed in reverse (KenLM style): the root is the PREDICTED word, its children the most recent
history word, theirs the one before. A bigram entry (w ← h1) holds P(w | h1) and the back-off of the ARPA
bigram "h1 w"; pocketsphinx stores "blank" bigrams so that every trigram has a parent (their prob is
P(w) + bo(h1), quantised). The header's bigram count may exceed the entries in use (by 6 in the shipped
model: pocketsphinx sizes the array before it knows how many blanks it needs); the unigrams' last range end
is the true count.

Scoring (lm_trie.c) is textbook ARPA back-off over the stored, quantised entries, in float32:
  no history:      p1(w)
  history h1:      p2(h1 w) if stored, else p1(w) + bo1(h1)
  history h2 h1:   p3(h2 h1 w) if stored, else p2(h1 w) + bo2(h2 h1) if stored,
                   else (p1(w) + bo1(h1)) + bo2(h2 h1)          (bo2 = 0 when "h2 h1" is not stored)
then truncated toward zero to an int. An unknown or absent history word cuts the context at that word.
One quirk: pocketsphinx finds children by interpolation search, which assumes each sibling list is sorted;
two trigram lists in the shipped model are not, and one entry in each is unreachable (pocketsphinx backs off
instead of using it). `build` replays that search over out-of-order lists and keeps only what it can reach.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import struct
import time
from collections.abc import Sequence
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import cache_dir, package_file, process_alive

FORMAT_VERSION = 2  # 2: the cache dir is named by the file's content, not its path (one copy per machine)
TRIE_HEADER = b"Trie Language Model"
LN_BASE = math.log(1.0001)  # pocketsphinx scores are integers in log base 1.0001
LOG_ZERO_SCORE = -536870912  # what NGramModel.prob returns for an out-of-vocabulary predicted word
QUANT_BITS = 16
PSEUDO_ID_CAP = 200_000  # OOV pseudo ids per generation; then they restart (bounds a long-running process)
SCALAR_CACHE_ENTRIES = 500_000  # memoised scalar answers (~150 bytes each), then the memo restarts
EMPTY_KEY = -1
_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads consecutive ids over the table
ARRAY_NAMES = ("uni_prob", "uni_bo", "bi_keys", "bi_prob", "bi_bo", "tri_keys", "tri_prob")


def default_lm_path() -> Path:
    return package_file("pocketsphinx", "model", "en-us", "en-us.lm.bin")


# ---- reading the binary trie -------------------------------------------------------------------------------


@dataclass
class TrieFile:
    """The sections of a trie LM file, undecoded."""

    order: int
    header_counts: tuple[int, ...]
    quant: np.ndarray  # float32: bigram probs, bigram back-offs, trigram probs (2**16 each)
    unigrams: np.ndarray  # structured (prob, bo, next), V + 1 rows
    bigram_bits: np.ndarray  # the bigram section as little-endian uint64 words (padded)
    trigram_bits: np.ndarray
    words: list[str]


def _bits_for(max_value: int) -> int:
    """Bits pocketsphinx uses to store values up to max_value (bitarr_required_bits)."""
    return int(max_value).bit_length()


def _section_bytes(entries: int, total_bits: int) -> int:
    # one extra entry (the end pointer of the last range), rounded up to bytes, plus 8 bytes of slack
    return ((1 + entries) * total_bits + 7) // 8 + 8


def _as_uint64_words(raw: bytes) -> np.ndarray:
    """A byte section as little-endian uint64 words, padded so a field may straddle the last word."""
    pad = (-len(raw)) % 8 + 8
    return np.frombuffer(raw + b"\0" * pad, dtype="<u8")


def read_trie_file(path: str | Path) -> TrieFile:
    data = Path(path).read_bytes()
    if not data.startswith(TRIE_HEADER):
        raise ValueError(f"{path}: not a pocketsphinx trie LM (header {data[:19]!r})")
    pos = len(TRIE_HEADER)
    order = data[pos]
    pos += 1
    if order != 3:
        raise ValueError(f"{path}: order {order}; only trigram models are supported")
    counts = tuple(int(c) for c in np.frombuffer(data, "<u4", order, pos))
    pos += 4 * order
    pos += 4  # was the quantisation type; always 1
    n_quant = (order - 2) * 2 * (1 << QUANT_BITS) + (1 << QUANT_BITS)
    quant = np.frombuffer(data, "<f4", n_quant, pos).copy()
    pos += 4 * n_quant
    vocab = counts[0]
    unigram_dtype = np.dtype([("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")])
    unigrams = np.frombuffer(data, unigram_dtype, vocab + 1, pos).copy()
    pos += unigram_dtype.itemsize * (vocab + 1)
    word_bits = _bits_for(vocab)
    bigram_size = _section_bytes(counts[1], word_bits + 2 * QUANT_BITS + _bits_for(counts[2]))
    trigram_size = _section_bytes(counts[2], word_bits + QUANT_BITS)
    bigram_bits = _as_uint64_words(data[pos : pos + bigram_size])
    pos += bigram_size
    trigram_bits = _as_uint64_words(data[pos : pos + trigram_size])
    pos += trigram_size
    n_chars = int(np.frombuffer(data, "<u4", 1, pos)[0])
    pos += 4
    words = data[pos : pos + n_chars].decode("utf-8").split("\0")[:-1]
    if len(words) != vocab or pos + n_chars != len(data):
        raise ValueError(f"{path}: damaged trie LM ({len(words)} words for {vocab} unigrams)")
    return TrieFile(order, counts, quant, unigrams, bigram_bits, trigram_bits, words)


def _bit_fields(words64: np.ndarray, bit_offsets: np.ndarray, width: int) -> np.ndarray:
    """The `width`-bit little-endian fields starting at each bit offset (width ≤ 57)."""
    index = bit_offsets >> 6
    shift = (bit_offsets & 63).astype(np.uint64)
    low = words64[index] >> shift
    # bits that spill into the next word; shift 0 must not spill (a 64-bit shift is undefined)
    high = np.where(shift == 0, np.uint64(0), words64[index + 1] << ((np.uint64(64) - shift) & np.uint64(63)))
    return ((low | high) & np.uint64((1 << width) - 1)).astype(np.int64)


@dataclass
class Level:
    """One trie level decoded: each entry's word, its parent entry, its quant codes, its children range."""

    word: np.ndarray
    parent: np.ndarray
    prob_code: np.ndarray
    bo_code: np.ndarray | None
    child_begin: np.ndarray | None  # len = entries + 1 (the last one ends the last range)


def _decode_levels(trie: TrieFile) -> tuple[Level, Level]:
    vocab = trie.header_counts[0]
    word_bits = _bits_for(vocab)
    next_bits = _bits_for(trie.header_counts[2])
    unigram_next = trie.unigrams["next"].astype(np.int64)
    # the header count includes allocated-but-unused entries; the last unigram range says how many are used
    n_bigrams = int(unigram_next[-1])
    bi_total = word_bits + 2 * QUANT_BITS + next_bits
    at = np.arange(n_bigrams + 1, dtype=np.int64) * bi_total
    bigrams = Level(
        word=_bit_fields(trie.bigram_bits, at[:-1], word_bits),
        parent=np.repeat(np.arange(vocab, dtype=np.int64), np.diff(unigram_next)),
        bo_code=_bit_fields(trie.bigram_bits, at[:-1] + word_bits, QUANT_BITS),
        prob_code=_bit_fields(trie.bigram_bits, at[:-1] + word_bits + QUANT_BITS, QUANT_BITS),
        child_begin=_bit_fields(trie.bigram_bits, at + word_bits + 2 * QUANT_BITS, next_bits),
    )
    n_trigrams = int(bigrams.child_begin[-1])
    tri_total = word_bits + QUANT_BITS
    at = np.arange(n_trigrams, dtype=np.int64) * tri_total
    trigrams = Level(
        word=_bit_fields(trie.trigram_bits, at, word_bits),
        parent=np.repeat(np.arange(n_bigrams, dtype=np.int64), np.diff(bigrams.child_begin)),
        prob_code=_bit_fields(trie.trigram_bits, at + word_bits, QUANT_BITS),
        bo_code=None,
        child_begin=None,
    )
    return bigrams, trigrams


def _interpolation_search(keys: np.ndarray, begin: np.ndarray, end: np.ndarray, wanted: np.ndarray,
                          max_key: int) -> np.ndarray:
    """Replays pocketsphinx's uniform_find for many searches at once: the position found, or -1.

    It is an interpolation search over `keys[begin:end]` that is exact only when that range is sorted;
    replaying it (with its uint32 arithmetic) tells which stored entries pocketsphinx can actually reach.
    """
    n = len(wanted)
    found = np.full(n, -1, dtype=np.int64)
    lo_it, lo_v = begin - 1, np.zeros(n, dtype=np.int64)
    hi_it, hi_v = end.copy(), np.full(n, max_key, dtype=np.int64)
    active = np.nonzero((wanted <= max_key) & (hi_it - lo_it > 1))[0]
    while active.size:
        offset = wanted[active] - lo_v[active]
        span = hi_v[active] - lo_v[active]
        width = hi_it[active] - lo_it[active] - 1
        pivot = lo_it[active] + 1 + ((offset * width) & 0xFFFFFFFF) // (span + 1)
        if np.any((pivot <= lo_it[active]) | (pivot >= hi_it[active])):
            raise ValueError("trie search leaves its range (uint32 overflow): exact replay not supported")
        mid = keys[pivot]
        below, above = mid < wanted[active], mid > wanted[active]
        hit = ~below & ~above
        found[active[hit]] = pivot[hit]
        lo_it[active[below]], lo_v[active[below]] = pivot[below], mid[below]
        hi_it[active[above]], hi_v[active[above]] = pivot[above], mid[above]
        active = active[~hit]
        active = active[hi_it[active] - lo_it[active] > 1]
    return found


def _reachable(level: Level, range_begin: np.ndarray, max_key: int) -> np.ndarray:
    """Which entries of a level pocketsphinx's search finds when it looks for them under their parent.

    Over a sorted sibling list the search is exact (its uint32 products cannot overflow when list size ×
    largest key < 2**32, checked here), so it is replayed only for the lists that are out of order.
    """
    begin = range_begin[level.parent]
    end = range_begin[level.parent + 1]
    if len(begin) and int((end - begin).max()) * max_key >= 1 << 32:
        raise ValueError("a sibling list is too long for exact replay of pocketsphinx's search")
    same_parent = level.parent[1:] == level.parent[:-1]
    out_of_order = same_parent & (level.word[1:] <= level.word[:-1])
    rows = np.flatnonzero(np.isin(level.parent, level.parent[1:][out_of_order]))
    ok = np.ones(len(level.word), dtype=bool)
    if rows.size:
        ok[rows] = _interpolation_search(level.word, begin[rows], end[rows], level.word[rows], max_key) == rows
    return ok


# ---- open-addressing hash tables over int64 keys ---------------------------------------------------------


def _home_slots(keys: np.ndarray, bits: int) -> np.ndarray:
    return ((keys.astype(np.uint64) * _HASH_MULTIPLIER) >> np.uint64(64 - bits)).astype(np.int64)


def _table_bits(n_keys: int) -> int:
    # at most half full: a miss then probes ~2.5 slots on average with linear probing
    return max(4, int(2 * n_keys - 1).bit_length())


def _hash_layout(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Linear-probing table for unique `keys`: (table of keys, slot of each input key).

    Keys are placed in order of their home slot, each at the first free slot at or after its home: that is
    a running maximum, so the whole table is laid out without a Python loop. Probes never wrap around;
    the table has a tail long enough for the last run plus one empty slot that ends every probe.
    """
    home = _home_slots(keys, bits)
    order = np.argsort(home, kind="stable")
    rank = np.arange(len(keys), dtype=np.int64)
    slots_sorted = np.maximum.accumulate(home[order] - rank) + rank
    slots = np.empty_like(slots_sorted)
    slots[order] = slots_sorted
    size = max(1 << bits, int(slots_sorted[-1]) + 1 if len(keys) else 0) + 1
    table = np.full(size, EMPTY_KEY, dtype=np.int64)
    table[slots] = keys
    return table, slots


PROBE_BLOCK = 16  # slots a probe round reads per pending query once few are left: a batch's longest probe run
# (often 20–40 slots) took as many numpy rounds, each ~8 µs of call overhead whatever its size
PROBE_BLOCK_BELOW = 64  # pending queries under which rounds read blocks (above, one slot each: most resolve there)


def _probe(table: np.ndarray, bits: int, queries: np.ndarray) -> np.ndarray:
    """Slot of each query key in the table, or -1 when absent (vectorised linear probing).

    Round k looks at slot home+k for the queries still unresolved; most resolve in the first rounds. When
    fewer than PROBE_BLOCK_BELOW are left, each round reads the next PROBE_BLOCK slots of every one at once and
    stops each at its first slot holding the key or empty (what one slot per round would find). Reads past the
    table's end are clamped to its last slot, which is always empty (_hash_layout), so they only repeat an
    ending every probe reaches first.
    """
    home = _home_slots(queries, bits)
    seen = table[home]
    found = np.where(seen == queries, home, -1)
    pending = np.flatnonzero((seen != queries) & (seen != EMPTY_KEY))
    step = 1
    while pending.size >= PROBE_BLOCK_BELOW:
        slot = home[pending] + step
        seen = table[slot]
        hit = seen == queries[pending]
        found[pending[hit]] = slot[hit]
        pending = pending[~hit & (seen != EMPTY_KEY)]
        step += 1
    last = len(table) - 1
    offsets = np.arange(PROBE_BLOCK, dtype=np.int64)
    while pending.size:
        slots = np.minimum(home[pending][:, None] + (step + offsets), last)
        block = table[slots]
        hit = block == queries[pending][:, None]
        stop = hit | (block == EMPTY_KEY)
        first = stop.argmax(axis=1)
        rows = np.arange(len(pending))
        ended = stop[rows, first]
        got = ended & hit[rows, first]
        found[pending[got]] = slots[rows[got], first[got]]
        pending = pending[~ended]
        step += PROBE_BLOCK
    return found


def _probe_one(table: memoryview, bits: int, key: int) -> int:
    """Scalar `_probe` in plain Python over a memoryview (a one-element numpy call costs ~20x more)."""
    slot = ((key * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> (64 - bits)
    while True:
        seen = table[slot]
        if seen == key:
            return slot
        if seen == EMPTY_KEY:
            return -1
        slot += 1


# ---- build and cache -----------------------------------------------------------------------------------------


_SAMPLE_BYTES = 1 << 20


def _source_stamp(lm_path: Path) -> dict:
    """What identifies the model file: its size and a digest of its first and last MiB. Every venv and clone
    installs its own copy of pocketsphinx's file; keyed by path, each built another 114 MB of arrays. A digest
    of the whole 27 MB file would cost ~40 ms at every start; two MiB cost ~2 ms, and two different model
    files of the same size whose first and last MiB agree are not a case to build for."""
    size = lm_path.stat().st_size
    digest = hashlib.sha1(str(size).encode())
    with open(lm_path, "rb") as fh:
        digest.update(fh.read(_SAMPLE_BYTES))
        if size > 2 * _SAMPLE_BYTES:
            fh.seek(size - _SAMPLE_BYTES)
            digest.update(fh.read(_SAMPLE_BYTES))
        else:
            digest.update(fh.read())
    return {"size": size, "sample_sha1": digest.hexdigest()}


def _extract_arrays(trie: TrieFile) -> tuple[dict[str, np.ndarray], dict]:
    """The reachable n-grams as dequantised float32 values in hash tables keyed by word ids."""
    vocab = trie.header_counts[0]
    table_size = 1 << QUANT_BITS
    bi_prob_table, bi_bo_table = trie.quant[:table_size], trie.quant[table_size : 2 * table_size]
    tri_prob_table = trie.quant[2 * table_size :]
    bigrams, trigrams = _decode_levels(trie)
    unigram_next = trie.unigrams["next"].astype(np.int64)
    bi_ok = _reachable(bigrams, unigram_next, vocab)
    # a trigram is reachable only through a reachable bigram parent
    tri_ok = _reachable(trigrams, bigrams.child_begin, vocab) & bi_ok[trigrams.parent]

    w, h1 = bigrams.parent[bi_ok], bigrams.word[bi_ok]
    bi_keys_in = h1 * vocab + w
    bi_bits = _table_bits(len(bi_keys_in))
    bi_keys, bi_slots = _hash_layout(bi_keys_in, bi_bits)
    bi_prob = np.zeros(len(bi_keys), dtype=np.float32)
    bi_bo = np.zeros(len(bi_keys), dtype=np.float32)
    bi_prob[bi_slots] = bi_prob_table[bigrams.prob_code[bi_ok]]
    bi_bo[bi_slots] = bi_bo_table[bigrams.bo_code[bi_ok]]

    parent = trigrams.parent[tri_ok]
    tw, th1, th2 = bigrams.parent[parent], bigrams.word[parent], trigrams.word[tri_ok]
    tri_keys_in = (th2 * vocab + th1) * vocab + tw
    tri_bits = _table_bits(len(tri_keys_in))
    tri_keys, tri_slots = _hash_layout(tri_keys_in, tri_bits)
    tri_prob = np.zeros(len(tri_keys), dtype=np.float32)
    tri_prob[tri_slots] = tri_prob_table[trigrams.prob_code[tri_ok]]

    arrays = {
        "uni_prob": trie.unigrams["prob"][:vocab].astype(np.float32),
        "uni_bo": trie.unigrams["bo"][:vocab].astype(np.float32),
        "bi_keys": bi_keys, "bi_prob": bi_prob, "bi_bo": bi_bo,
        "tri_keys": tri_keys, "tri_prob": tri_prob,
    }
    stats = {
        "header_counts": list(trie.header_counts),
        "stored_counts": [vocab, len(bigrams.word), len(trigrams.word)],
        "reachable_counts": [vocab, int(bi_ok.sum()), int(tri_ok.sum())],
        "bi_bits": bi_bits, "tri_bits": tri_bits,
    }
    return arrays, stats


def build(lm_path: str | Path, out_dir: str | Path) -> Path:
    """Extract the trie LM at `lm_path` into `out_dir` (.npy arrays, vocab.txt, meta.json), atomically."""
    t0 = time.perf_counter()
    lm_path, out_dir = Path(lm_path), Path(out_dir)
    trie = read_trie_file(lm_path)
    if any("\n" in w for w in trie.words):
        raise ValueError(f"{lm_path}: a word contains a newline")
    arrays, stats = _extract_arrays(trie)
    meta = {
        "format_version": FORMAT_VERSION,
        "source": _source_stamp(lm_path),
        "source_path": str(lm_path.resolve()),  # who built it: a build whose file is gone is pruned (_remove_stale)
        "order": trie.order,
        "vocab_size": len(trie.words),
        **stats,
        "shapes": {name: list(a.shape) for name, a in arrays.items()},
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(f"{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name, a in arrays.items():
            np.save(tmp / f"{name}.npy", a)
        (tmp / "vocab.txt").write_text("\n".join(trie.words), encoding="utf-8")
        meta["build_seconds"] = round(time.perf_counter() - t0, 3)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))  # written last: marks the dir complete
        _install_dir(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _install_dir(tmp: Path, out_dir: Path) -> None:
    """Rename the finished tmp dir into place; a stale dir already there is moved aside first."""
    if out_dir.exists():
        old = out_dir.with_name(f"{out_dir.name}.old-{os.getpid()}")
        out_dir.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    try:
        tmp.rename(out_dir)
    except OSError:
        if not (out_dir / "meta.json").exists():  # not a concurrent builder's finished copy
            raise


def cache_subdir(lm_path: str | Path) -> Path:
    """The build's dir, named by the model file's content: every copy of the same file shares one build."""
    stamp = _source_stamp(Path(lm_path))
    return cache_dir() / f"lm-arrays-v{FORMAT_VERSION}-{stamp['sample_sha1'][:12]}"


def _read_meta(directory: Path, lm_path: Path) -> dict:
    """The dir's meta.json if it describes this exact source file and format; else ValueError."""
    meta = json.loads((directory / "meta.json").read_text())
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError("LM arrays of another format version")
    if meta.get("source") != _source_stamp(lm_path):
        raise ValueError("stale LM arrays: built from another file")
    return meta


def load_dir(directory: str | Path, lm_path: str | Path | None = None) -> ArrayLM:
    """ArrayLM from a built dir (memory-mapped); ValueError/OSError when stale or damaged."""
    directory = Path(directory)
    lm_path = Path(lm_path or default_lm_path())
    meta = _read_meta(directory, lm_path)
    arrays = {}
    for name in ARRAY_NAMES:
        # viewed as plain ndarrays: np.memmap's per-slice bookkeeping costs more than small lookups
        a = np.load(directory / f"{name}.npy", mmap_mode="r").view(np.ndarray)
        if list(a.shape) != meta["shapes"][name]:
            raise ValueError(f"damaged LM arrays: {name} has shape {a.shape}")
        arrays[name] = a
    words = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if len(words) != meta["vocab_size"]:
        raise ValueError("damaged LM arrays: vocabulary size")
    return ArrayLM(words, arrays, meta["bi_bits"], meta["tri_bits"], meta)


def prune_stale(lm_path: str | Path | None = None) -> list[Path]:
    """Remove the LM array builds nothing will read again (see _remove_stale); the removed dirs (their lock
    files are paths.prune_orphan_locks's). Builds are pruned after each new build anyway; `unspin knowledge
    build` calls this for venvs deleted since."""
    lm_path = Path(lm_path or default_lm_path())
    return _remove_stale(cache_subdir(lm_path), lm_path)


def _remove_stale(current: Path, lm_path: Path) -> list[Path]:
    """Drop builds that will never be read again: earlier builds of this same file (another content or format
    version), builds whose model file no longer exists (a deleted venv or clone), and a dead builder's
    leftovers. A build that another live copy of a different model file uses keeps its place."""
    source = str(lm_path.resolve())
    removed = []
    for old in current.parent.glob("lm-arrays-v*-*"):
        if old == current or not old.is_dir():
            continue
        if ".tmp-" in old.name or ".old-" in old.name:
            pid = old.name.rsplit("-", 1)[-1]
            if not (pid.isdigit() and process_alive(int(pid))):
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old)
            continue
        try:
            meta = json.loads((old / "meta.json").read_text())
            # format 1 named the builder's file in source.path, format 2 in source_path
            built_from = meta.get("source_path") or meta["source"]["path"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # being built right now, or not ours to judge
        if built_from == source or not Path(built_from).exists():
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
    return removed


def _adopt(directory: Path, lm: ArrayLM, lm_path: Path) -> None:
    """A shared build whose builder's file is gone (its venv deleted) names this process's file instead, so
    that _remove_stale, run by a process of another model file, sees that the build is still in use."""
    built_from = lm.meta.get("source_path")
    if built_from and Path(built_from).exists():
        return
    meta = {**lm.meta, "source_path": str(lm_path.resolve())}
    tmp = directory / f"meta.json.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(meta, indent=1))
        os.replace(tmp, directory / "meta.json")
        lm.meta = meta
    except OSError:  # a read-only cache is still readable
        tmp.unlink(missing_ok=True)




_LOADED: dict[str, ArrayLM] = {}


def load(lm_path: str | Path | None = None) -> ArrayLM:
    """The ArrayLM for `lm_path` (default: pocketsphinx's en-us model), built into the cache dir once."""
    lm_path = Path(lm_path or default_lm_path())
    key = str(lm_path)
    if key in _LOADED:
        return _LOADED[key]
    if not lm_path.exists():
        raise FileNotFoundError(f"{lm_path}: language model not found")
    directory = cache_subdir(lm_path)
    try:
        lm = load_dir(directory, lm_path)
    except (OSError, ValueError, KeyError, TypeError):  # missing, stale or damaged: rebuild (once per machine)
        from .paths import build_lock, prune_orphan_locks

        with build_lock(directory.name):
            try:
                lm = load_dir(directory, lm_path)  # another process built it while we waited
            except (OSError, ValueError, KeyError, TypeError):
                from .lexicon import announce

                announce("the language-model arrays (~5 s)")
                build(lm_path, directory)
                lm = load_dir(directory, lm_path)
                _remove_stale(directory, lm_path)
                prune_orphan_locks()  # the removed builds' lock files
    _adopt(directory, lm, lm_path)
    _LOADED[key] = lm
    return lm


# ---- queries ------------------------------------------------------------------------------------------------


class ArrayLM:
    """pocketsphinx's trigram LM over word ids; `logprob_ids` answers numpy batches, `logprob` one query.

    Word ids are positions in the model's vocabulary. `extend(word)` gives an out-of-vocabulary word a
    pseudo id ≥ vocab_size: as the predicted word it scores the wordfreq unigram floor (as
    `unspin.knowledge.lm.PocketsphinxLM` does); as history it cuts the context, like an unknown word.
    """

    order = 3

    def __init__(self, words: list[str], arrays: dict[str, np.ndarray], bi_bits: int, tri_bits: int,
                 meta: dict | None = None):
        self.words = words
        self.vocab_size = len(words)
        self._wid = dict(zip(words, range(len(words))))  # ~2x faster than a comprehension
        for name in ARRAY_NAMES:
            setattr(self, f"_{name}", arrays[name])
        self._views = tuple(memoryview(arrays[name]) for name in ARRAY_NAMES)  # for score_one
        self._bi_bits, self._tri_bits = bi_bits, tri_bits
        self.meta = meta or {}
        self._pseudo_base = self.vocab_size  # first pseudo id of the current generation
        self._pseudo_ids: dict[str, int] = {}
        self._pseudo_floor = np.zeros(1024, dtype=np.float64)
        self._scalar = lru_cache(maxsize=SCALAR_CACHE_ENTRIES)(self._scalar_uncached)  # bounded memo

    # -- vocabulary --

    def word_id(self, word: str) -> int:
        return self._wid.get(word, -1)

    def known(self, word: str) -> bool:
        return word in self._wid

    def bigram_stored(self, first: str, second: str) -> bool:
        """Does the model hold the bigram itself (not a back-off through the unigrams)? A pair nobody writes is
        not stored; "random forest" may be, "irregular woodland" is not."""
        a, b = self._wid.get(first, -1), self._wid.get(second, -1)
        if a < 0 or b < 0:
            return False
        bi_keys = self._views[ARRAY_NAMES.index("bi_keys")]
        return _probe_one(bi_keys, self._bi_bits, a * self.vocab_size + b) >= 0

    def ids(self, words: Sequence[str], extend: bool = False) -> np.ndarray:
        """int32 ids of `words`: -1 for unknown words, or their pseudo ids when `extend`."""
        if extend:
            return np.fromiter((self.extend(w) for w in words), dtype=np.int32, count=len(words))
        get = self._wid.get
        return np.fromiter((get(w, -1) for w in words), dtype=np.int32, count=len(words))

    def extend(self, word: str) -> int:
        """The word's id, or a pseudo id for an unknown word (stable until PSEUDO_ID_CAP of them, then reset).

        After a reset, pseudo ids handed out earlier are rejected by `logprob_ids` (ValueError) instead of
        silently scoring as some other word.
        """
        wid = self._wid.get(word)
        if wid is not None:
            return wid
        pid = self._pseudo_ids.get(word)
        if pid is not None:
            return pid
        if len(self._pseudo_ids) >= PSEUDO_ID_CAP:
            self._new_pseudo_generation()
        n = len(self._pseudo_ids)
        if n >= len(self._pseudo_floor):
            self._pseudo_floor = np.concatenate([self._pseudo_floor, np.zeros_like(self._pseudo_floor)])
        self._pseudo_floor[n] = _oov_logprob(word)
        pid = self._pseudo_ids[word] = self._pseudo_base + n
        return pid

    def _new_pseudo_generation(self) -> None:
        """Forget the pseudo ids handed out so far; new ones never reuse theirs (until int32 runs out)."""
        self._pseudo_base += len(self._pseudo_ids)
        if self._pseudo_base + PSEUDO_ID_CAP > np.iinfo(np.int32).max:
            self._pseudo_base = self.vocab_size
        self._pseudo_ids = {}

    # -- batched queries --

    def scores_ids(self, hist: np.ndarray, word: np.ndarray) -> np.ndarray:
        """pocketsphinx's integer scores (log base 1.0001) for in-vocabulary predicted words.

        `hist` is (n, k) int ids, oldest first (k ≤ 2 columns are used: the last two); a -1, unknown or
        pseudo id in a column cuts the context there. Rows whose word is not in the vocabulary get
        LOG_ZERO_SCORE, as pocketsphinx gives.
        """
        word = np.asarray(word, dtype=np.int64).reshape(-1)
        hist = np.asarray(hist, dtype=np.int64)
        if hist.ndim == 1:
            hist = hist[:, None]  # one column: the most recent word
        if hist.ndim != 2 or hist.shape[0] != len(word):
            raise ValueError(f"hist must be (n, k) with n = {len(word)} rows, got shape {hist.shape}")
        vocab = self.vocab_size
        in_vocab = (word >= 0) & (word < vocab)
        all_in_vocab = bool(in_vocab.all())
        w = word if all_in_vocab else np.where(in_vocab, word, 0)
        score = self._uni_prob[w]  # float32, like pocketsphinx's sums
        if hist.shape[1] >= 1:
            h1 = hist[:, -1]
            has1 = in_vocab & (h1 >= 0) & (h1 < vocab)
            rows1 = _rows(has1)
            if rows1 is not None:
                if hist.shape[1] >= 2:
                    h2 = hist[:, -2]
                    has2 = (h2[rows1] >= 0) & (h2[rows1] < vocab) & has1[rows1]
                else:
                    h2, has2 = h1, np.zeros(len(h1[rows1]), dtype=bool)
                score[rows1] = self._backed_off(w[rows1], h1[rows1], h2[rows1], has2)
        out = score.astype(np.int32)  # C's float → int32 cast truncates toward zero
        if not all_in_vocab:
            out[~in_vocab] = LOG_ZERO_SCORE
        return out

    def _backed_off(self, w: np.ndarray, h1: np.ndarray, h2: np.ndarray, has2: np.ndarray) -> np.ndarray:
        """float32 scores of rows with at least one history word (see the module doc for the cases)."""
        vocab = self.vocab_size
        bi = _probe(self._bi_keys, self._bi_bits, h1 * vocab + w)
        score = self._uni_prob[w] + self._uni_bo[h1]  # backed off to the unigram
        bi_rows = np.flatnonzero(bi >= 0)
        score[bi_rows] = self._bi_prob[bi[bi_rows]]
        rows2 = _rows(has2)
        if rows2 is None:
            return score
        g1, g2 = h1[rows2], h2[rows2]
        # no trigram: the lower-order score (bigram, or unigram + bo(h1)) plus bo(h2 h1), in that order
        score[rows2] += self._context_backoff(g2, g1)
        # a trigram always has a stored bigram parent: probe only where the bigram was found
        tri_rows = bi_rows if rows2 is _ALL else bi_rows[has2[bi_rows]]
        if tri_rows.size:
            keys = (h2[tri_rows] * vocab + h1[tri_rows]) * vocab + w[tri_rows]
            tri = _probe(self._tri_keys, self._tri_bits, keys)
            hit = tri >= 0
            score[tri_rows[hit]] = self._tri_prob[tri[hit]]
        return score

    def _context_backoff(self, h2: np.ndarray, h1: np.ndarray) -> np.ndarray:
        """bo(h2 h1) per row (0 when the bigram is not stored), probing each run of equal contexts once.

        Callers score many candidate words after the same history, so consecutive rows often share it.
        """
        vocab = self.vocab_size
        keys = h2 * vocab + h1
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        if len(starts) * 2 > len(keys):
            starts = None  # mostly distinct: deduplicating would cost more than it saves
        ctx = _probe(self._bi_keys, self._bi_bits, keys if starts is None else keys[starts])
        bo = np.zeros(len(ctx), dtype=np.float32)
        found = np.flatnonzero(ctx >= 0)
        bo[found] = self._bi_bo[ctx[found]]
        if starts is None:
            return bo
        return np.repeat(bo, np.diff(np.append(starts, len(keys))))

    def logprob_ids(self, hist: np.ndarray, word: np.ndarray) -> np.ndarray:
        """ln P(word | hist) as float64, exactly pocketsphinx's answers (its integer score × ln 1.0001).

        `hist`: (n, order-1) int32 ids, oldest first; -1 (or an unknown/pseudo id) cuts the context there.
        `word`: (n,) ids; pseudo ids from `extend` score the wordfreq floor; -1 scores LOG_ZERO_SCORE × ln
        1.0001 (about -53,684) as in pocketsphinx, so give OOV words pseudo ids instead.
        """
        word = np.asarray(word).reshape(-1)
        out = self.scores_ids(hist, word) * LN_BASE
        pseudo = word >= self.vocab_size
        if pseudo.any():
            out[pseudo] = self._pseudo_logprob(word[pseudo])
        return out

    def _pseudo_logprob(self, pids: np.ndarray) -> np.ndarray:
        offset = pids.astype(np.int64) - self._pseudo_base
        if np.any((offset < 0) | (offset >= len(self._pseudo_ids))):
            raise ValueError("pseudo word id from an earlier generation (or never issued): call extend() again")
        return self._pseudo_floor[offset]

    # -- one query --

    def logprob(self, word: str, history: Sequence[str]) -> float:
        """ln P(word | history), history oldest first: `PocketsphinxLM.logprob`'s answer, without pocketsphinx."""
        return self._scalar(word, tuple(history[-2:]))

    def _scalar_uncached(self, word: str, history: tuple[str, ...]) -> float:
        get = self._wid.get
        wid = get(word)
        if wid is None:
            return _oov_logprob(word)
        # most recent first; an unknown word cuts the context there (score_one ignores h2 without h1)
        h1 = get(history[-1], -1) if len(history) >= 1 else -1
        h2 = get(history[-2], -1) if len(history) >= 2 else -1
        return self.score_one(wid, h1, h2) * LN_BASE

    def score_one(self, wid: int, h1: int = -1, h2: int = -1) -> int:
        """pocketsphinx's integer score of one in-vocabulary word id; h1 the most recent history id."""
        # memoryviews: indexing one gives a Python number 3x faster than a numpy scalar
        uni_prob, uni_bo, bi_keys, bi_prob, bi_bo, tri_keys, tri_prob = self._views
        vocab = self.vocab_size
        score = uni_prob[wid]  # a float32 value held exactly in a Python float
        if not 0 <= h1 < vocab:
            return int(score)  # truncates toward zero, like C's cast
        bi = _probe_one(bi_keys, self._bi_bits, h1 * vocab + wid)
        if bi >= 0:
            if 0 <= h2 < vocab:
                tri = _probe_one(tri_keys, self._tri_bits, (h2 * vocab + h1) * vocab + wid)
                if tri >= 0:
                    return int(tri_prob[tri])
            score = bi_prob[bi]
        else:
            score = _float32(score + uni_bo[h1])
        if 0 <= h2 < vocab:
            ctx = _probe_one(bi_keys, self._bi_bits, h2 * vocab + h1)
            if ctx >= 0:
                score = _float32(score + bi_bo[ctx])
        return int(score)

    def memory_bytes(self) -> int:
        return sum(getattr(self, f"_{name}").nbytes for name in ARRAY_NAMES)


def write_arpa(lm: ArrayLM, path: str | Path) -> dict:
    """Write the reachable n-grams as a standard ARPA file (log10 values) for other toolkits such as KenLM.

    pocketsphinx's own ``NGramModel.write(..., 'arpa')`` crashed here after the bigrams and its numbers
    were not plain log10; these are the stored float32 scores × log10(1.0001). A textbook back-off reader
    then gives pocketsphinx's answers before its truncation to integers (within 1e-4 nats). There is no
    <unk>: KenLM substitutes one. Returns the n-gram counts and how many trigrams lack their context bigram.
    """
    to_log10 = math.log10(1.0001)
    words, vocab = lm.words, lm.vocab_size
    bi = np.flatnonzero(lm._bi_keys != EMPTY_KEY)
    tri = np.flatnonzero(lm._tri_keys != EMPTY_KEY)
    bi_h1, bi_w = np.divmod(lm._bi_keys[bi], vocab)
    tri_ctx, tri_w = np.divmod(lm._tri_keys[tri], vocab)
    tri_h2, tri_h1 = np.divmod(tri_ctx, vocab)
    missing_context = int((_probe(lm._bi_keys, lm._bi_bits, tri_ctx) < 0).sum())
    log10 = lambda scores: (scores.astype(np.float64) * to_log10).tolist()  # noqa: E731  (float64: no rounding)
    uni_p, uni_b = log10(lm._uni_prob), log10(lm._uni_bo)
    bi_p, bi_b, tri_p = log10(lm._bi_prob[bi]), log10(lm._bi_bo[bi]), log10(lm._tri_prob[tri])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"\\data\\\nngram 1={vocab}\nngram 2={len(bi)}\nngram 3={len(tri)}\n\n\\1-grams:\n")
        fh.writelines(f"{p:.7f}\t{w}\t{b:.7f}\n" for p, w, b in zip(uni_p, words, uni_b))
        fh.write("\n\\2-grams:\n")
        fh.writelines(f"{p:.7f}\t{words[h]} {words[w]}\t{b:.7f}\n"
                      for p, h, w, b in zip(bi_p, bi_h1.tolist(), bi_w.tolist(), bi_b))
        fh.write("\n\\3-grams:\n")
        fh.writelines(f"{p:.7f}\t{words[a]} {words[b]} {words[w]}\n"
                      for p, a, b, w in zip(tri_p, tri_h2.tolist(), tri_h1.tolist(), tri_w.tolist()))
        fh.write("\n\\end\\\n")
    return {"counts": [vocab, len(bi), len(tri)], "trigrams_missing_context": missing_context}


_FLOAT32 = struct.Struct("<f")


def _float32(x: float) -> float:
    """x rounded to float32. A float64 sum of two float32 values rounded once more to float32 equals their
    float32 sum (float64 has more than 2×24+2 bits), so this replays pocketsphinx's float32 additions."""
    return _FLOAT32.unpack(_FLOAT32.pack(x))[0]


_ALL = slice(None)


def _rows(mask: np.ndarray) -> slice | np.ndarray | None:
    """Index of the rows where mask holds: all rows as a slice (no copies), none as None."""
    if mask.all():
        return _ALL
    rows = np.flatnonzero(mask)
    return rows if rows.size else None


def _oov_logprob(word: str) -> float:
    """The wordfreq unigram floor `PocketsphinxLM` gives out-of-vocabulary words (memoised there, bounded)."""
    from .lm import unigram_floor

    return unigram_floor(word)
