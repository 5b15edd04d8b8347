"""`unspin trace` output: text (rich side-by-side table, readable without colour), JSON, standalone HTML."""
from __future__ import annotations

import html
import io
import json

from .search import TraceResult


def to_json(result: TraceResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False)


_NO_SPACE_BEFORE = tuple(",.;:!?)]}%'’”")


def _sep(prev: str, nxt: str) -> str:
    """Space between two display segments, none before closing punctuation."""
    return "" if not prev or nxt.startswith(_NO_SPACE_BEFORE) else " "


def _marked(segments, side: str, rich: bool):
    """One side of an alignment with substitutions marked: [spun] / [source] (bold colour on terminals)."""
    from rich.text import Text

    t = Text()
    prev = ""
    for seg in segments:
        s = seg[side]
        if seg["op"] != "equal" or s:
            t.append(_sep(prev, s or "["))
            prev = s or "["
        if seg["op"] == "equal":
            t.append(s)
        elif seg["op"] == "different":
            t.append(s, style="dim")
        else:
            style = ("bold red" if side == "spun" else "bold green") if rich else None
            t.append("[" + (s or "∅") + "]", style=style)
    return t


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def sources_line(result: TraceResult) -> str:
    """What the ranked list means: the threshold applies to each paragraph's alignment score; a source's own
    score (the share of the text it explains, weighted by alignment) may well be lower."""
    return (f"{_plural(len(result.sources), 'source')} with at least one paragraph aligned at score ≥ "
            f"{result.threshold:g} (a source's score is the share of the text it explains, weighted by alignment)")


def to_text(result: TraceResult, width: int | None = None, color: bool | None = None) -> str:
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, width=width or 120, force_terminal=bool(color), no_color=not color,
                      highlight=False, soft_wrap=False, markup=False, emoji=False)
    head = result.path or "<text>"
    if not result.sources:
        console.print(f"{head}: no indexed source matches above threshold {result.threshold:g} "
                      f"({result.pieces} paragraph(s), {result.candidates} candidate(s) aligned)")
        return buf.getvalue()
    console.print(f"{head}: {sources_line(result)}")
    for rank, s in enumerate(result.sources, 1):
        paras = ", ".join(f"¶{m.query_paragraph}↔¶{m.source_label} ({m.score:.2f})" for m in s.matches)
        console.print(f"  {rank}. {s.id}  score {s.score:.3f}  coverage {s.coverage:.0%}  "
                      f"{s.source or ''}\n     paragraphs (text↔source, alignment score): {paras}")
    owners = result.owners()
    several = len({s.id for s, _ in owners}) > 1
    console.print("\nSide-by-side alignment, each paragraph with the source it was taken from; substitutions in "
                  "[brackets]" if several else f"\nBest match {result.best.id}: side-by-side alignment, "
                  "substitutions in [brackets]")
    table = Table(show_lines=True, expand=True)
    table.add_column("¶", justify="right", no_wrap=True)
    table.add_column("spun text", ratio=1)
    table.add_column("source" if several else f"source {result.best.id}", ratio=1)
    for src, m in owners:
        segs = result.segments(m)
        label = f"{m.query_paragraph}↔{m.source_label}" + (f"\n{src.id}" if several else "")
        table.add_row(label, _marked(segs, "spun", bool(color)), _marked(segs, "source", bool(color)))
    console.print(table)
    if result.restorations:
        console.print(f"{_plural(len(result.restorations), 'restoration')} (spun → source):")
        for f in result.restorations:
            console.print(f"  {f.start}-{f.end}  {f.text!r} → {f.suggestions[0]!r}" + (f"  [{f.detail}]" if several else ""))
    return buf.getvalue()


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.5em;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.n{white-space:nowrap;color:#666}td.copy,td.source{white-space:pre-wrap}
mark.spun{background:#fdd;text-decoration:line-through}mark.src{background:#dfd}
span.diff{color:#999}.sub{font-weight:600}"""


def _html_text(text: str, lo: int, hi: int, marks, dims) -> str:
    """text[lo:hi] exactly (escaped), with `marks` (start, end, class, title) as <mark>s and the `dims` (start,
    end) that no mark overlaps dimmed. The characters are the text's own: a page never re-joins words with spaces
    of its own ("</ production >", a space before a full stop)."""
    spans = []
    for a, b, cls, title in sorted(marks):
        if lo <= a < b <= hi and (not spans or a >= spans[-1][1]):
            spans.append((a, b, f'<mark class="{cls} sub" title="{html.escape(title)}">', "</mark>"))
    for a, b in dims:
        a, b = max(a, lo), min(b, hi)
        if a < b and not any(a < y and x < b for x, y, *_ in spans):
            spans.append((a, b, '<span class="diff">', "</span>"))
    spans.sort()
    out = []
    pos = lo
    for a, b, open_tag, close_tag in spans:
        out.append(html.escape(text[pos:a]) + open_tag + html.escape(text[a:b]) + close_tag)
        pos = b
    out.append(html.escape(text[pos:hi]))
    return "".join(out)


def _html_sides(r: TraceResult, m) -> tuple[str, str]:
    """One matched piece in both columns: the copy's text and the aligned stretch of the source, each exactly as
    written, with the words each restoration changes marked (not the alignment's raw substitutions: a
    restoration left out — a number someone changed, an unanchored long phrase — is no mark)."""
    fs = [f for f in r.restorations if m.query_start <= f.start and f.end <= m.query_end]
    spun_marks = [(f.start, f.end, "spun", f.suggestions[0]) for f in fs]
    base = m.base
    al = m.alignment
    if al is None:  # (not aligned: the piece and its source paragraph as they are)
        lo, hi = m.source_start - base, m.source_end - base
        return (_html_text(r.text, m.query_start, m.query_end, spun_marks, ()),
                _html_text(m.source_text, lo, hi, (), ()))
    src_marks = [(*r.restoration_sources[(f.start, f.end)], "src", f.text) for f in fs
                 if (f.start, f.end) in r.restoration_sources]
    spun_dims = [(al.a[o.i1].start, al.a[o.i2 - 1].end) for o in al.ops if o.kind == "different" and o.i2 > o.i1]
    src_dims = [(al.b[o.j1].start - base, al.b[o.j2 - 1].end - base) for o in al.ops
                if o.kind == "different" and o.j2 > o.j1]
    held = [o for o in al.ops if o.j2 > o.j1]  # the source's words the piece was aligned with
    lo = al.b[held[0].j1].start - base if held else 0
    hi = al.b[held[-1].j2 - 1].end - base if held else 0
    return (_html_text(r.text, m.query_start, m.query_end, spun_marks, spun_dims),
            _html_text(m.source_text, lo, hi, src_marks, src_dims))


def to_html(results: list[TraceResult]) -> str:
    parts = ["<!doctype html><html lang=en><meta charset=utf-8><title>unspin trace</title>",
             f"<style>{_CSS}</style><body><h1>unspin trace</h1>"]
    for r in results:
        head = html.escape(r.path or "text")
        parts.append(f"<section><h2>{head}</h2>")
        if not r.sources:
            parts.append(f"<p>No indexed source matches above threshold {r.threshold:g}.</p></section>")
            continue
        parts.append("<table><tr><th>#</th><th>source</th><th>score</th><th>coverage</th><th>paragraphs "
                     "(text↔source, score)</th></tr>")
        for rank, s in enumerate(r.sources, 1):
            paras = ", ".join(f"¶{m.query_paragraph}↔¶{m.source_label} ({m.score:.2f})" for m in s.matches)
            parts.append(f"<tr><td>{rank}</td><td>{html.escape(s.id)}</td><td>{s.score:.3f}</td>"
                         f"<td>{s.coverage:.0%}</td><td>{html.escape(paras)}</td></tr>")
        parts.append("</table>")
        parts.append(f"<p>{html.escape(sources_line(r))}</p>")
        parts.append(f"<h3>Alignment, each paragraph with the source it was taken from "
                     f"({_plural(len(r.restorations), 'substitution')})</h3>"
                     "<table><tr><th>¶</th><th>source</th><th>spun text</th><th>source text</th></tr>")
        for src, m in r.owners():
            copy, source = _html_sides(r, m)
            parts.append(f'<tr><td class="n">{m.query_paragraph}↔{m.source_label}</td>'
                         f'<td class="n">{html.escape(src.id)}</td>'
                         f'<td class="copy">{copy}</td><td class="source">{source}</td></tr>')
        parts.append("</table></section>")
    parts.append("</body></html>\n")
    return "".join(parts)
