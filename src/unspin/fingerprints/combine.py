"""Merging listed hits with the model's findings, and per-document fingerprint density."""
from __future__ import annotations

from ..types import LEVEL_FINDING, Finding, is_listed_hit

# "≥ 5 listed fingerprints" is the usual PPS flag for a paper; below it, a few hits still deserve a look.
DEFAULT_THRESHOLDS = {"high": 5, "medium": 2, "low": 1}


# A listed phrase found (`FingerprintSet.match`): not a variant of one (variants.py), even one merged into a model
# finding at `finding` level. (The rule lives in types, where the verdict reads it too.)
is_listed = is_listed_hit


def list_name(f: Finding) -> str:
    """The list a listed finding comes from (its detail is `<list>:<tortured phrase>`)."""
    return f.detail.split(":", 1)[0]


def _dedupe(items) -> tuple:
    out: list = []
    seen = set()
    for x in items:
        k = x.lower() if isinstance(x, str) else x
        if k not in seen:
            seen.add(k)
            out.append(x)
    return tuple(out)


def merge(model_findings: list[Finding], listed_findings: list[Finding]) -> list[Finding]:
    """One non-overlapping list, sorted by start. A listed hit wins its span: its expected phrase comes first
    with its high confidence; the model's evidence for an overlapping span is kept, and (when the model
    flagged exactly the same span) the model's other suggestions follow the listed one."""
    listed = sorted(listed_findings, key=lambda f: (-(f.end - f.start), -f.confidence, f.start))
    kept: list[Finding] = []
    for f in listed:
        if any(f.start < k.end and k.start < f.end for k in kept):
            continue
        kept.append(f)
    out: list[Finding] = []
    used = set()
    for f in kept:
        overlapping = [(i, m) for i, m in enumerate(model_findings) if m.start < f.end and f.start < m.end]
        if not overlapping:
            out.append(f)
            continue
        sugg = list(f.suggestions)
        evidence = list(f.evidence)
        conf = f.confidence
        # a variant (suspect) that overlaps a model finding does not demote it
        level = LEVEL_FINDING if any(m.level == LEVEL_FINDING for _, m in overlapping) else f.level
        for i, m in overlapping:
            used.add(i)
            if (m.start, m.end) == (f.start, f.end):
                sugg.extend(m.suggestions)
                conf = max(conf, m.confidence)
            evidence.extend(m.evidence)
            evidence.append(f"the model also flagged \"{m.text}\" (confidence {m.confidence:.2f})")
        out.append(Finding(f.start, f.end, f.text, _dedupe(sugg), conf, _dedupe(evidence), f.source, f.rule_id,
                           f.detail, level))
    taken = [(f.start, f.end) for f in out]
    for i, m in enumerate(model_findings):
        if i in used or any(m.start < e and s < m.end for s, e in taken):
            continue
        taken.append((m.start, m.end))
        out.append(m)
    out.sort(key=lambda f: (f.start, f.end))
    return out


def density(findings: list[Finding], words: int, thresholds: dict | None = None) -> dict:
    """Listed fingerprints per 1,000 words and a risk level for one document.

    `thresholds` maps levels to the minimum number of *distinct* listed fingerprints (default
    {"high": 5, "medium": 2, "low": 1}); a level may also be given as per-1,000-words rate with a key like
    "high_per_1000": 2.0 (either condition raises the level)."""
    th = dict(DEFAULT_THRESHOLDS)
    if thresholds:
        th.update(thresholds)
    listed = [f for f in findings if is_listed(f)]
    distinct = sorted({f.detail for f in listed})
    per_1000 = 1000.0 * len(listed) / words if words > 0 else 0.0
    risk = "none"
    for level in ("low", "medium", "high"):
        need = th.get(level)
        rate = th.get(f"{level}_per_1000")
        if (need is not None and len(distinct) >= need) or (rate is not None and words > 0 and per_1000 >= rate):
            risk = level
    by_list: dict[str, int] = {}
    for f in listed:
        name = list_name(f)
        by_list[name] = by_list.get(name, 0) + 1
    return {
        "listed": len(listed),
        "distinct": len(distinct),
        "words": words,
        "per_1000_words": round(per_1000, 3),
        "risk": risk,
        "by_list": by_list,
        "fingerprints": distinct,
        "thresholds": th,
    }
