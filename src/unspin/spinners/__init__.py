"""Spinning tools: draw one, apply it, learn a tool's dictionary from its output, name the tool behind a text.

    >>> from unspin import spinners
    >>> tool = spinners.new_dictionary(seed=7)                   # a fixed dictionary, like a real tool
    >>> res = spinners.apply_dictionary(text, tool, rate=0.3)    # SpinResult with exact alignment
    >>> learned = spinners.learn(pile_of_its_output)             # LearnedDictionary, no originals needed
    >>> spinners.save(learned, "farm.json")                      # also a fingerprint list (fingerprints import)
    >>> spinners.identify(doc, [learned, other]).best            # a dictionary's name or "none"
    >>> spinners.cluster(docs)                                   # group spun documents by shared substitutions

See docs/spinners.md. Modules: tool (draw/apply), pile (counts), slots (language-model evidence), learn
(features, model, resolution, file), identify (likelihood ratios), cluster, train (`unspin spinners train`).
"""
from __future__ import annotations

# Functions named like their modules (learn, identify, cluster) are imported here, first: importing a submodule
# later would otherwise rebind the package attribute to the module (as for `unspin.restore`).
from .cluster import Clustering, cluster  # noqa: E402
from .identify import Identification, Scorer, identify  # noqa: E402
from .learn import LearnedDictionary, LearnedEntry, learn, load_learned, save, to_json  # noqa: E402
from .tool import ToolDictionary, apply_dictionary, load_tool, new_dictionary  # noqa: E402
from .files import SpinnerFileError  # noqa: E402

_LAZY = {
    "ToolDictionary": "tool", "new_dictionary": "tool", "apply_dictionary": "tool", "load_tool": "tool",
    "learn": "learn", "LearnedDictionary": "learn", "LearnedEntry": "learn", "load_learned": "learn",
    "save": "learn", "to_json": "learn",
    "identify": "identify", "Identification": "identify", "Scorer": "identify",
    "cluster": "cluster", "Clustering": "cluster",
    "SpinnerFileError": "files",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
