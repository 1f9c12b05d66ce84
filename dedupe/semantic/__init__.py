"""Restatements: two sentences that tell the same fact in different words.

The signal is one calibrated score (:mod:`dedupe.semantic.score`) from an
offline static embedding (WordLlama, :mod:`dedupe.semantic.model`, loaded
lazily once per process) and lexical features (:mod:`dedupe.semantic.features`);
:func:`dedupe.semantic.restatements.find_restatements` is the API the engine
calls.  Importing this package does not load the model.
"""
