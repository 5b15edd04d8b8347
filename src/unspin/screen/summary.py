"""summary.html and the per-document reports of a screening run. Self-contained HTML: inline CSS, inline SVG
histogram, a few lines of inline JavaScript for sorting; no CDN, no external request. Every value taken from
documents is escaped with html.escape.
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import time
from pathlib import Path

from ..readers import safe_str
from ..types import VERDICT_MEANING, Finding, Report

E = html.escape

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;
vertical-align:top}th{background:#f4f4f6;position:sticky;top:0}
th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" \\2195";color:#999}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem .9rem}
.card b{display:block;font-size:1.3rem}.spun{color:#b00020}.uncertain{color:#8a6d00}.clean{color:#1b6e20}
.error{color:#555}.warn{color:#8a6d00}code{font-size:.9em}mark{background:#ffe08a;border-radius:2px}
.text{white-space:pre-wrap;border:1px solid #ddd;padding:1rem;border-radius:6px}small{color:#666}
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th.sortable').forEach(function(th,i){
    th.addEventListener('click',function(){
      var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=th.dataset.dir!=='asc';
      th.dataset.dir=asc?'asc':'desc';
      rows.sort(function(a,b){
        var x=a.cells[i].dataset.v!==undefined?a.cells[i].dataset.v:a.cells[i].textContent,
            y=b.cells[i].dataset.v!==undefined?b.cells[i].dataset.v:b.cells[i].textContent,
            nx=parseFloat(x),ny=parseFloat(y),c;
        c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
        return asc?c:-c;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
});
"""


def safe_name(doc_id: str) -> str:
    """A file name for a document id: readable part + hash, unique per id."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id).strip("._-")[:80] or "doc"
    return f"{base}-{hashlib.sha1(doc_id.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def histogram_svg(scores: list[float], bins: int = 20, width: int = 640, height: int = 200) -> str:
    if not scores:
        return "<p><small>No screened documents yet.</small></p>"
    hi = max(1.0, max(scores))
    lo = min(0.0, min(scores))
    step = (hi - lo) / bins
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, int((s - lo) / step))] += 1
    top = max(counts)
    pad_l, pad_b, pad_t, pad_r = 40, 34, 10, 24
    plot_w, plot_h = width - pad_l - pad_r, height - pad_b - pad_t
    bw = plot_w / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="histogram of spin scores">']
    parts.append(f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" y2="{pad_t + plot_h}" '
                 'stroke="#333"/>')
    parts.append(f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + plot_h}" stroke="#333"/>')
    for i, c in enumerate(counts):
        h = 0 if top == 0 else plot_h * c / top
        x = pad_l + i * bw
        a, b = lo + i * step, lo + (i + 1) * step
        parts.append(f'<rect x="{x + 1:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
                     f'fill="#4a6fa5"><title>{a:.2f}–{b:.2f}: {c} documents</title></rect>')
    for i in range(0, bins + 1, max(1, bins // 5)):
        x = pad_l + i * bw
        parts.append(f'<text x="{x:.1f}" y="{height - 16}" font-size="11" text-anchor="middle">'
                     f'{lo + i * step:.2f}</text>')
    parts.append(f'<text x="{pad_l + plot_w / 2:.0f}" y="{height - 1}" font-size="11" text-anchor="middle">'
                 "spin score (documents per bin; hover a bar for its count)</text>")
    parts.append(f'<text x="{pad_l - 5}" y="{pad_t + 10}" font-size="11" text-anchor="end">{top}</text>')
    parts.append(f'<text x="{pad_l - 5}" y="{pad_t + plot_h}" font-size="11" text-anchor="end">0</text>')
    parts.append("</svg>")
    return "".join(parts)


def _page(title: str, body: str, script: str = "") -> str:
    js = f"<script>{script}</script>" if script else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{E(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head>'
            f"<body>{body}{js}</body></html>")


def write_summary(store, out_dir: Path, *, top: int, reports: dict[str, str], run_info: dict) -> Path:
    st = store.stats()
    v = st["verdicts"]
    cards = [("documents", st["documents"], ""), ("spun", v.get("spun", 0), "spun"),
             ("uncertain", v.get("uncertain", 0), "uncertain"), ("clean", v.get("clean", 0), "clean"),
             ("errors", st["errors"], "error"), ("with findings", st["docs_with_findings"], ""),
             ("with listed hits", st["docs_with_listed_hits"], ""), ("findings", st["findings"], ""),
             ("words", st["words"], "")]
    body = ["<h1>unspin screen — summary</h1>",
            f"<p><small>Output directory {E(str(out_dir))} · written {E(time.strftime('%Y-%m-%d %H:%M:%S %Z'))}"
            f" · inputs: {E(', '.join(run_info.get('inputs', [])))}</small></p>",
            '<div class="cards">' + "".join(f'<div class="card {cls}"><b>{n:,}</b>{E(label)}</div>'
                                            for label, n, cls in cards) + "</div>",
            "<p><small>" + " · ".join(f"<b>{E(verdict)}</b>: {E(meaning)}"
                                      for verdict, meaning in VERDICT_MEANING.items()) + "</small></p>",
            # the first stage's `clean` comes from document statistics, not from the spans: said, since `unspin
            # check` of the same file (every span analysed) can answer `uncertain` and show a suspect or a finding
            (f"<p><small>Of the {v.get('clean', 0):,} <b>clean</b> documents, "
             f"{st['cleared_by_first_stage']:,} were cleared by the first stage (<code>stage</code> = "
             "<code>screen</code>): their document statistics alone lie below the cut under which at most 2 % of "
             "spun documents fall, so their spans were not analysed; a full check (<code>--full</code>, or "
             "<code>unspin check</code>) of one of them can answer <b>uncertain</b> and show suspects or a "
             "finding.</small></p>" if st["cleared_by_first_stage"] else ""),
            "<h2>Spin scores</h2>", histogram_svg(scores := store.scores()),
            # (a document has no score when it is an error row, too short, not English prose, or cleared by the
            # first stage: the histogram says how many it shows, not to be read as all of them)
            f"<p><small>{len(scores):,} of {st['documents']:,} documents have a spin score and are shown; the "
            "others are error rows, texts too short or not English prose (no score), or documents the first "
            "stage cleared without span analysis.</small></p>"]

    phrases = store.top_phrases(40)
    body.append("<h2>Most frequent findings</h2>"
                "<p><small>Phrases flagged at <code>finding</code> level, in the most documents first "
                "(borderline suspects are left out); <em>probably</em> is the commonest first suggestion."
                "</small></p>")
    if phrases:
        body.append('<table class="sortable"><thead><tr><th class="sortable">phrase</th>'
                    '<th class="sortable">probably</th><th class="sortable num">documents</th>'
                    '<th class="sortable num">occurrences</th><th class="sortable num">mean confidence</th>'
                    '<th class="sortable num">listed</th></tr></thead><tbody>')
        for p in phrases:
            body.append(f"<tr><td>{E(p['phrase'])}</td><td>{E(p['suggestion'])}</td>"
                        f"<td class=num>{p['documents']}</td><td class=num>{p['count']}</td>"
                        f"<td class=num>{p['confidence']:.2f}</td><td class=num>{p['listed']}</td></tr>")
        body.append("</tbody></table>")
    else:
        body.append("<p><small>No findings.</small></p>")

    docs = store.top_documents(top)
    body.append(f"<h2>Most suspicious documents (top {len(docs)})</h2>"
                f"<p><small>Ordered by {store.TOP_ORDER}. Click a column header to sort by it.</small></p>")
    if docs:
        body.append('<table class="sortable"><thead><tr><th class="sortable num">#</th>'
                    '<th class="sortable">document</th><th class="sortable num">spin score</th>'
                    '<th class="sortable">verdict</th><th class="sortable num">findings</th>'
                    '<th class="sortable num">listed hits</th><th class="sortable num">words</th>'
                    "<th>top phrases</th></tr></thead><tbody>")
        for i, d in enumerate(docs, 1):
            name = E(d["id"])
            link = reports.get(d["id"])
            cell = f'<a href="{E(link)}">{name}</a>' if link else name
            body.append(f"<tr><td class=num>{i}</td><td data-v=\"{name}\">{cell}<br><small>{E(d['source'])}"
                        f"</small></td><td class=num data-v=\"{_score_value(d['spin_score'])}\">{_score_text(d['spin_score'])}</td>"
                        f"<td class=\"{E(d['verdict'])}\">{E(d['verdict'])}</td><td class=num>{d['n_findings']}</td>"
                        f"<td class=num>{d['listed_hits']}</td><td class=num>{d['words']}</td>"
                        f"<td>{E(', '.join(d['top_phrases']))}</td></tr>")
        body.append("</tbody></table>")
    learned_on = store.get_meta("spinners_learned")
    body.extend(clusters_section(store.get_meta("spinner_clusters"),
                                 stale_of=learned_on if learned_on not in (None, store.count()) else None))
    if st["errors"]:
        errs = store.errors(200)
        body.append(f"<h2>Errors ({st['errors']:,}; first {len(errs)} shown)</h2>")
        body.append('<table class="sortable"><thead><tr><th class="sortable">document</th>'
                    '<th class="sortable">error</th></tr></thead><tbody>')
        for did, msg in errs:
            body.append(f"<tr><td>{E(did)}</td><td>{E(msg or '')}</td></tr>")
        body.append("</tbody></table>")
    body.append("<p><small>Full data: results.parquet (one row per document) and findings.parquet (one row per "
                "finding) in this directory.</small></p>")
    path = out_dir / "summary.html"
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        # safe_str: an input named on the command line may hold undecodable bytes (surrogate escapes)
        tmp.write_text(safe_str(_page("unspin screen — summary", "".join(body), SORT_JS)), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # e.g. disk full: leave no partial file behind
        raise
    return path


def clusters_section(record, stale_of: int | None = None) -> list[str]:
    """The "Spinning tools" section (from `screen --learn-spinners`); nothing when the option was not used.
    `stale_of`: the clusters were learned when the run held this many documents, not as many as now."""
    if not record:
        return []
    out = [f"<h2 id=\"spinning-tools\">Spinning tools (clusters of spun documents: {len(record.get('clusters', []))})</h2>",
           f"<p><small>{int(record.get('spun_documents', 0)):,} spun documents grouped by the substitutions they "
           f"share; {int(record.get('unclustered', 0)):,} not explained by any group. Each group's learned "
           "dictionary is a fingerprint list: <code>unspin fingerprints import FILE</code>.</small></p>"]
    if stale_of is not None:
        out.append(f"<p class=\"warn\"><strong>From an earlier run, when this output held {int(stale_of):,} "
                   "documents</strong>: the documents screened since are in no cluster. Run again with "
                   "<code>--learn-spinners</code> to group them all.</p>")
    if not record.get("clusters"):
        out.append("<p><small>No group of documents shares a tool's substitutions.</small></p>")
        return out
    out.append('<table class="sortable"><thead><tr><th class="sortable num">cluster</th>'
               '<th class="sortable num">documents</th><th class="sortable num">entries</th><th>top pairs '
               "(spun → original, documents)</th><th>documents (first 10)</th><th>dictionary</th></tr></thead><tbody>")
    for c in record["clusters"]:
        pairs = ", ".join(f"{s} → {o} ({n})" for s, o, n in c.get("top_pairs", []))
        docs = ", ".join(str(d) for d in c.get("document_ids", [])[:10])
        out.append(f"<tr><td class=num>{int(c.get('id', 0))}</td><td class=num>{int(c.get('documents', 0))}</td>"
                   f"<td class=num>{int(c.get('entries', 0))}</td><td>{E(pairs)}</td><td><small>{E(docs)}</small></td>"
                   f"<td><a href=\"{E(str(c.get('file', '')))}\">{E(str(c.get('file', '')))}</a></td></tr>")
    out.append("</tbody></table>")
    return out


def existing_report_links(store, out_dir: Path, top: int) -> dict[str, str]:
    """{id: link} of the per-document reports already written for the top documents."""
    links = {}
    for d in store.top_documents(top) if top > 0 else []:
        name = safe_name(d["id"]) + ".html"
        if (out_dir / "reports" / name).exists():
            links[d["id"]] = f"reports/{name}"
    return links


def _count(n: int, noun: str) -> str:
    """"1 word", "2,400 words"."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def render_report_html(report: Report, source: str | None = None, text_missing: bool = False) -> str:
    """A minimal, escaped per-document report (used when unspin.render.html_report is not available)."""
    body = [f"<p><a href=\"../summary.html\">← summary</a></p><h1>{E(report.path or 'document')}</h1>"]
    if source:
        body.append(f"<p><small>source: {E(source)}</small></p>")
    body.append(f'<p>verdict <b class="{E(report.verdict)}">{E(report.verdict)}</b> · spin score '
                f"{_score_text(report.spin_score)} · {_count(report.words, 'word')} · "
                f"{_count(len(report.findings), 'finding')}</p>")
    for note in report.notes:
        body.append(f"<p><small>{E(note)}</small></p>")
    if text_missing:
        body.append("<p><small>The document text could not be read again (input changed or moved); "
                    "findings only.</small></p>")
    else:
        out, pos = [], 0
        for f in sorted(report.findings, key=lambda f: (f.start, -f.end)):
            if f.start < pos or f.end > len(report.text):
                continue
            tip = f"→ {', '.join(f.suggestions[:3])} · {f.confidence:.2f} · {f.rule_id}"
            out.append(E(report.text[pos:f.start]))
            out.append(f'<mark title="{E(tip)}">{E(report.text[f.start:f.end])}</mark>')
            pos = f.end
        out.append(E(report.text[pos:]))
        body.append(f'<div class="text">{"".join(out)}</div>')
    if report.findings:
        body.append("<h2>Findings</h2><table><thead><tr><th class=num>start</th><th>text</th><th>probably</th>"
                    "<th class=num>confidence</th><th>rule</th><th>evidence</th></tr></thead><tbody>")
        for f in report.findings:
            body.append(f"<tr><td class=num>{f.start}</td><td>{E(f.text)}</td><td>{E(', '.join(f.suggestions))}"
                        f"</td><td class=num>{f.confidence:.2f}</td><td>{E(f.rule_id)}</td>"
                        f"<td>{E('; '.join(f.evidence))}</td></tr>")
        body.append("</tbody></table>")
    return _page(f"unspin report — {report.path}", "".join(body))


def write_reports(store, out_dir: Path, texts: dict[str, str | None], ids: list[str]) -> tuple[dict[str, str], str]:
    """reports/<safe id>.html for `ids`; returns ({id: relative link}, renderer used)."""
    try:
        from ..render import html_report as lead_renderer  # the project's report renderer, when present
    except ImportError:
        lead_renderer = None
    rdir = out_dir / "reports"
    rdir.mkdir(exist_ok=True)
    links: dict[str, str] = {}
    used = "screen.summary" if lead_renderer is None else "unspin.render"
    for did in ids:
        res = store.result_of(did)
        if res is None:
            continue
        findings = [Finding.from_dict(f) for f in store.findings_of(did)]
        text = texts.get(did)
        report = Report(text=text or "", words=res["words"] or 0, findings=findings,
                        spin_score=res["spin_score"], verdict=res["verdict"], path=did, notes=res["notes"])
        page = None
        if lead_renderer is not None and text is not None:
            try:
                page = lead_renderer(report)
                page = page.replace("<body>", '<body><p><a href="../summary.html">&larr; summary</a></p>', 1)
            except Exception:
                page = None
        if page is None:
            page = render_report_html(report, res["source"], text_missing=text is None)
        name = safe_name(did) + ".html"
        tmp = rdir / (name + ".tmp")
        try:
            tmp.write_text(page, encoding="utf-8")
            os.replace(tmp, rdir / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        links[did] = f"reports/{name}"
    return links, used


def _score_text(score) -> str:
    """A spin score for display; "—" when the report has none (too short or not English prose)."""
    return "—" if score is None else f"{score:.3f}"


def _score_value(score) -> str:
    """The sort key of a score cell (documents without a score sort lowest)."""
    return "-1" if score is None else str(score)
