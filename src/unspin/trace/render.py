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
        paras = ", ".join(f"¶{m.query_paragraph}↔¶{m.source_paragraph} ({m.score:.2f})" for m in s.matches)
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
        label = f"{m.query_paragraph}↔{m.source_paragraph}" + (f"\n{src.id}" if several else "")
        table.add_row(label, _marked(segs, "spun", bool(color)), _marked(segs, "source", bool(color)))
    console.print(table)
    if result.restorations:
        console.print(f"{_plural(len(result.restorations), 'restoration')} (spun → source):")
        for f in result.restorations:
            console.print(f"  {f.start}-{f.end}  {f.text!r} → {f.suggestions[0]!r}" + (f"  [{f.detail}]" if several else ""))
    return buf.getvalue()


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.5em;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.n{white-space:nowrap;color:#666}
mark.spun{background:#fdd;text-decoration:line-through}mark.src{background:#dfd}
span.diff{color:#999}.sub{font-weight:600}"""


def _html_side(segments, side: str) -> str:
    out = []
    prev = ""
    for seg in segments:
        s = html.escape(seg[side])
        if seg["op"] != "equal" or s:
            out.append(_sep(prev, seg[side] or "["))
            prev = seg[side] or "["
        if seg["op"] == "equal":
            out.append(s)
        elif seg["op"] == "different":
            out.append(f'<span class="diff">{s}</span>')
        else:
            cls = "spun" if side == "spun" else "src"
            title = html.escape(seg["source"] if side == "spun" else seg["spun"])
            out.append(f'<mark class="{cls} sub" title="{title}">{s or "∅"}</mark>')
    return "".join(out)


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
            paras = ", ".join(f"¶{m.query_paragraph}↔¶{m.source_paragraph} ({m.score:.2f})" for m in s.matches)
            parts.append(f"<tr><td>{rank}</td><td>{html.escape(s.id)}</td><td>{s.score:.3f}</td>"
                         f"<td>{s.coverage:.0%}</td><td>{html.escape(paras)}</td></tr>")
        parts.append("</table>")
        parts.append(f"<p>{html.escape(sources_line(r))}</p>")
        parts.append(f"<h3>Alignment, each paragraph with the source it was taken from "
                     f"({_plural(len(r.restorations), 'substitution')})</h3>"
                     "<table><tr><th>¶</th><th>source</th><th>spun text</th><th>source text</th></tr>")
        for src, m in r.owners():
            segs = r.segments(m)
            parts.append(f'<tr><td class="n">{m.query_paragraph}↔{m.source_paragraph}</td>'
                         f'<td class="n">{html.escape(src.id)}</td>'
                         f"<td>{_html_side(segs, 'spun')}</td><td>{_html_side(segs, 'source')}</td></tr>")
        parts.append("</table></section>")
    parts.append("</body></html>\n")
    return "".join(parts)
