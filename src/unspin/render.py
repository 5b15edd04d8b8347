"""Renderers for reports: linter-style text, JSON lines, and a standalone HTML page. Pure functions."""
from __future__ import annotations

import html
import json

from .text import line_col
from .types import LEVEL_FINDING, SOURCE_MODEL, VERDICT_MEANING, Report


def _one_line(s: str) -> str:
    return s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def text_report(report: Report, review: bool = False) -> str:
    """`path:line:col: 'speculate' → suspect (0.93)` per finding (suspects too with `review`), then a summary
    line."""
    path = report.path or "-"
    lines = []
    shown = report.findings if review else report.at_level(LEVEL_FINDING)
    for f in shown:
        line, col = line_col(report.text, f.start)
        sugg = " | ".join(_one_line(s) for s in f.suggestions[:3]) if f.suggestions else "?"
        # one line per finding, as linters and editors' problem matchers read it: a span across a line break
        # (a traced restoration) shows the break as \n
        head = f"{path}:{line}:{col}: '{_one_line(f.text)}' → {sugg} ({f.confidence:.2f})"
        if f.level != LEVEL_FINDING:
            head += f" [{f.level}]"
        if f.source != SOURCE_MODEL:
            head += f" [{f.source}: {f.detail}]"
        lines.append(head)
        if f.evidence:
            lines.append("    " + "; ".join(f.evidence))
    n_find = len(report.at_level(LEVEL_FINDING))
    n_susp = len(report.findings) - n_find
    score = "none" if report.spin_score is None else f"{report.spin_score:.2f}"
    summary = (f"{path}: {plural(report.words, 'word')}, {plural(n_find, 'finding')}, {plural(n_susp, 'suspect')}, "
               f"spin score {score}, verdict {report.verdict}")
    if report.notes:
        summary += " (" + "; ".join(report.notes) + ")"
    lines.append(summary)
    return "\n".join(lines)


def plural(n: int, noun: str) -> str:
    """"1 finding", "2 findings"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def json_report(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False)


_CSS = """
body{font:16px/1.6 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
header{border-bottom:1px solid #ddd;margin-bottom:1rem}
.score{font-size:1.2rem}.verdict-spun{color:#b00020}.verdict-clean{color:#1b5e20}.verdict-uncertain{color:#8a6d00}
.doc{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:1rem;border-radius:6px}
mark{border-radius:3px;padding:0 2px;cursor:help}
mark.c3{background:#ffb3b3}mark.c2{background:#ffd9a8}mark.c1{background:#fff3b0}
mark.suspect{background:none;border-bottom:2px dashed #b26a00;border-radius:0}
table{border-collapse:collapse;width:100%;margin-top:1.5rem;font-size:.9rem}
td,th{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
.ev{color:#555;font-size:.85rem}
"""


def _mark_class(f) -> str:
    """Findings are coloured by confidence; suspects (borderline) are only underlined."""
    if f.level != LEVEL_FINDING:
        return "suspect"
    return "c3" if f.confidence >= 0.85 else "c2" if f.confidence >= 0.65 else "c1"


def html_report(report: Report, title: str | None = None) -> str:
    """A standalone page: the text with findings highlighted (hover for suggestions) and a findings table.
    Everything from the input is escaped."""
    esc = html.escape
    parts = []
    pos = 0
    for n, f in enumerate(report.findings):
        if f.start < pos:
            continue
        parts.append(esc(report.text[pos : f.start]))
        tip = f"→ {', '.join(f.suggestions[:3])} ({f.confidence:.2f})"
        parts.append(f'<mark class="{_mark_class(f)}" id="f{n}" title="{esc(tip, quote=True)}">'
                     f"{esc(report.text[f.start:f.end])}</mark>")
        pos = f.end
    parts.append(esc(report.text[pos:]))
    rows = []
    for n, f in enumerate(report.findings):
        line, col = line_col(report.text, f.start)
        rows.append(
            f'<tr><td><a href="#f{n}">{line}:{col}</a></td><td>{esc(f.text)}</td>'
            f"<td>{esc(', '.join(f.suggestions[:5]))}</td><td>{f.confidence:.2f}</td><td>{esc(f.level)}</td>"
            f'<td class="ev">{esc("; ".join(f.evidence))}</td><td>{esc(f.rule_id)}</td></tr>'
        )
    name = esc(title or report.path or "unspin report")
    notes = f"<p>{esc('; '.join(report.notes))}</p>" if report.notes else ""
    score = "none" if report.spin_score is None else f"{report.spin_score:.2f}"
    n_find = len(report.at_level(LEVEL_FINDING))
    counts = f"{plural(n_find, 'finding')} · {plural(len(report.findings) - n_find, 'suspect')}"
    meaning = esc(VERDICT_MEANING.get(report.verdict, ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name} — unspin</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head>
<body><header><h1>{name}</h1>
<p class="score">Spin score <strong>{score}</strong> ·
verdict <strong class="verdict-{esc(report.verdict)}" title="{meaning}">{esc(report.verdict)}</strong>
<span class="ev">({meaning})</span> ·
{plural(report.words, 'word')} · {counts}</p>{notes}</header>
<div class="doc">{''.join(parts)}</div>
<table><thead><tr><th>where</th><th>text</th><th>suggestions</th><th>confidence</th><th>level</th><th>evidence</th><th>rule</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p class="ev">Generated by unspin. Findings are highlighted by confidence (red ≥ 0.85, orange ≥ 0.65,
yellow below); suspects (borderline spans, for review) are underlined with dashes.</p>
</body></html>
"""
