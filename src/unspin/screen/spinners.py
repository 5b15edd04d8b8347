"""`unspin screen --learn-spinners`: after a corpus run, group the spun documents by the tool that made them
(shared substitutions), learn one dictionary per group and record the groups for summary.html.

Outputs in the screen directory: spinners/cluster-N.json (learned dictionaries, also fingerprint lists for
`unspin fingerprints import`), spinners/clusters.json (documents and top pairs per cluster), and the
"spinner_clusters" entry of the store's meta table that summary.html reads.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

CLUSTERS_META = "spinner_clusters"


def spun_ids(store, verdicts=("spun",)) -> list[str]:
    q = "SELECT id FROM results WHERE error IS NULL AND verdict IN (%s) ORDER BY seq, id" % ",".join("?" * len(verdicts))
    return [r[0] for r in store.db.execute(q, tuple(verdicts))]


def learn_spinners(store, out: Path, inputs: list[str], read_kw: dict, *, min_docs: int = 5,
                   learn_options: dict | None = None, progress=None) -> dict:
    """Cluster the run's spun documents, learn a dictionary per cluster, write the files; returns the record
    stored for summary.html."""
    from ..readers import iter_documents
    from ..spinners.cluster import cluster
    from ..spinners.learn import save

    want = set(spun_ids(store))
    docs: list[tuple[str, str]] = []
    if want:
        for doc in iter_documents([i for i in inputs if i != "-"], lazy=True, **read_kw):
            if doc.id in want:
                d = doc.load()
                if d.text:
                    docs.append((doc.id, d.text))
                want.discard(doc.id)
                if not want:
                    break
    result = cluster(docs, min_docs=min_docs, learn_options=learn_options, progress=progress) if docs else None
    sdir = out / "spinners"
    sdir.mkdir(exist_ok=True)
    for old in sdir.glob("cluster-*.json"):
        old.unlink()
    record = {"spun_documents": len(docs), "clusters": [], "unclustered": 0}
    if result is not None:
        for c in result.clusters:
            path = sdir / f"cluster-{c.id}.json"
            save(c.dictionary, path)
            record["clusters"].append({"id": c.id, "documents": len(c.documents), "entries": len(c.dictionary),
                                       "file": f"spinners/{path.name}", "document_ids": c.documents[:200],
                                       "top_pairs": [[s, o, n] for s, o, n in c.top_pairs]})
        record["unclustered"] = len(result.unclustered)
    tmp = sdir / f"clusters.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, sdir / "clusters.json")
    store.set_meta(CLUSTERS_META, record)
    return record
