"""Span arithmetic shared by every module: overlap and non-overlapping selection (written once, here)."""
from __future__ import annotations

import bisect
from typing import Callable, Iterable, Protocol, TypeVar


class HasSpan(Protocol):
    start: int
    end: int


T = TypeVar("T", bound=HasSpan)


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """True when the half-open ranges [a_start, a_end) and [b_start, b_end) share a position."""
    return a_start < b_end and b_start < a_end


def overlaps_any(item: HasSpan, taken: Iterable[HasSpan]) -> bool:
    return any(item.start < t.end and t.start < item.end for t in taken)


def select_non_overlapping(items: Iterable[T], key: Callable[[T], float]) -> list[T]:
    """Greedy selection, best `key` first: each item is kept unless it overlaps one already kept. Returns the
    kept items in text order (by start, then end)."""
    starts: list[int] = []  # kept spans never overlap, so sorted starts also sort their ends
    ends: list[int] = []
    kept: list[tuple[int, T]] = []
    for item in sorted(items, key=lambda x: -key(x)):
        i = bisect.bisect_right(starts, item.start)
        if i > 0 and overlaps(starts[i - 1], ends[i - 1], item.start, item.end):
            continue  # the kept span starting at or before this one reaches into it
        if i < len(starts) and overlaps(starts[i], ends[i], item.start, item.end):
            continue  # the next kept span starts inside this one
        starts.insert(i, item.start)
        ends.insert(i, item.end)
        kept.append((item.start, item))
    kept.sort(key=lambda p: (p[1].start, p[1].end))
    return [item for _, item in kept]
