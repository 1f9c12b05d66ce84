"""Import nltk's Punkt module without running ``nltk/__init__``.

``import nltk`` (which ``import nltk.tokenize.punkt`` triggers) loads most of
nltk, including scipy.stats, costing ~0.9 s of start-up for a command that
needs only the Punkt sentence tokenizer.  Punkt itself depends on a handful
of small nltk modules.  So, when nltk has not been imported yet, the parent
packages are registered as bare namespace placeholders just long enough to
import ``nltk.tokenize.punkt`` and its few dependencies, then removed again,
so a later ``import nltk`` anywhere still runs the real package initialiser
(and reuses the submodules already loaded).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def load_punkt() -> types.ModuleType:
    """Return the ``nltk.tokenize.punkt`` module, loading it cheaply if possible."""
    mod = sys.modules.get("nltk.tokenize.punkt")
    if mod is not None:
        return mod
    if "nltk" in sys.modules:
        return importlib.import_module("nltk.tokenize.punkt")
    spec = importlib.util.find_spec("nltk")
    if spec is None or not spec.submodule_search_locations:
        return importlib.import_module("nltk.tokenize.punkt")
    before = set(sys.modules)
    placeholders = []
    try:
        for name, locations in (
            ("nltk", list(spec.submodule_search_locations)),
            ("nltk.tokenize", [loc + "/tokenize" for loc in spec.submodule_search_locations]),
        ):
            pkg = types.ModuleType(name)
            pkg.__path__ = locations
            pkg.__package__ = name
            sys.modules[name] = pkg
            placeholders.append(name)
        return importlib.import_module("nltk.tokenize.punkt")
    except Exception:
        for name in placeholders:
            sys.modules.pop(name, None)
        placeholders = []
        return importlib.import_module("nltk.tokenize.punkt")
    finally:
        if placeholders:
            for name in [m for m in sys.modules if m not in before and (m == "nltk" or m.startswith("nltk."))]:
                sys.modules.pop(name, None)
