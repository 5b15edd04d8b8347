"""Knowledge shipped by packages (thesauri, language model, word frequencies, inflection).

Everything here is read from installed packages or Debian data files, parsed once into compact indexes in
the user cache dir, and loaded from there afterwards. Nothing is fetched from the network.
"""
from .paths import cache_dir  # noqa: F401
