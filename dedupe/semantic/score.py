"""The calibrated restatement score: a logistic model over the pair features.

The parameters (feature names, standardisation, weights, default threshold,
the cosine pre-filter) are package data, ``dedupe/data/restatement.json``,
written by ``bench/fit_restatement.py`` from the MRPC training split.  The
score is the model's probability that the two sentences say the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from dedupe.errors import ConfigError
from dedupe.semantic.features import (
    FEATURE_NAMES,
    GATE_FEATURES,
    Sentence,
    analyse,
    pair_features,
    same_name,
)

FORMAT = "dedupe-restatement/1"

# What a score means to an editor (lower bound, phrase), highest first.
MEANINGS: tuple[tuple[float, str], ...] = (
    (0.95, "almost certainly the same fact"),
    (0.85, "very likely the same fact"),
    (0.70, "probably the same fact"),
    (0.50, "possibly the same fact"),
    (0.0, "probably different facts"),
)


@dataclass(frozen=True)
class ScoreModel:
    """Fitted parameters of the score (see ``bench/fit_restatement.py``)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float
    prefilter_cosine: float
    gate: tuple[float, ...]  # (bias, weight of each of GATE_FEATURES): pairs with a negative sum are dropped
    meta: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "restatement.json") -> ScoreModel:
        if data.get("format") != FORMAT:
            raise ConfigError(f"not a {FORMAT} file (format {data.get('format')!r})", source)
        feats = tuple(data["features"])
        if feats != FEATURE_NAMES:
            raise ConfigError(f"fitted for features {list(feats)}, this version computes {list(FEATURE_NAMES)}",
                              source)
        arr = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")}
        if any(v.shape != (len(feats),) for v in arr.values()):
            raise ConfigError("mean, scale and weights must have one value per feature", source)
        if len(data.get("gate", ())) != 1 + len(GATE_FEATURES):
            raise ConfigError(f"gate must be [bias, a weight for each of {', '.join(GATE_FEATURES)}]", source)
        return cls(feats, arr["mean"], arr["scale"], arr["weights"], float(data["bias"]),
                   float(data["threshold"]), float(data["prefilter_cosine"]),
                   tuple(float(v) for v in data["gate"]),
                   dict(data.get("meta", {})))

    def to_json(self) -> dict[str, Any]:
        """The package-data form (what ``bench/fit_restatement.py`` writes)."""
        return {
            "format": FORMAT,
            "features": list(self.features),
            "mean": [round(float(v), 8) for v in self.mean],
            "scale": [round(float(v), 8) for v in self.scale],
            "weights": [round(float(v), 8) for v in self.weights],
            "bias": round(float(self.bias), 8),
            "threshold": self.threshold,
            "prefilter_cosine": self.prefilter_cosine,
            "gate": [round(float(v), 8) for v in self.gate],
            "meta": self.meta,
        }

    def passes_gate(self, x: np.ndarray) -> np.ndarray:
        """The cheap second pre-filter: a linear rule on the rows of ``x``, the
        :data:`~dedupe.semantic.features.GATE_FEATURES` of each pair (cosine,
        white-space word overlap, length ratio, figures conflict; see the
        fitting script)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, len(GATE_FEATURES))
        return np.asarray(self.gate[0] + x @ np.asarray(self.gate[1:]) >= 0)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Score of each row of ``x`` (features in :attr:`features` order)."""
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


@lru_cache(maxsize=1)
def default_model() -> ScoreModel:
    """The shipped parameters."""
    ref = resources.files("dedupe").joinpath("data/restatement.json")
    return ScoreModel.from_json(json.loads(ref.read_text("utf-8")), str(ref))


#: Score bands of the calibration table (``bench/eval_restatement_real.py --write-calibration``).
CALIBRATION_BANDS: tuple[tuple[float, float], ...] = ((0.65, 0.75), (0.75, 0.85), (0.85, 1.01))
CALIBRATION_FORMAT = "dedupe-restatement-calibration/1"


@dataclass(frozen=True)
class Band:
    """Measured precision of the notes of one score band on real copy (hand-labelled Reuters pairs)."""

    low: float
    high: float
    notes: int
    same_fact: int
    precision: float
    interval: tuple[float, float]  # 95% Wilson interval


@lru_cache(maxsize=1)
def calibration() -> tuple[Band, ...]:
    """The shipped calibration table, ``dedupe/data/restatement_calibration.json``."""
    ref = resources.files("dedupe").joinpath("data/restatement_calibration.json")
    data = json.loads(ref.read_text("utf-8"))
    if data.get("format") != CALIBRATION_FORMAT:
        raise ConfigError(f"not a {CALIBRATION_FORMAT} file (format {data.get('format')!r})", str(ref))
    return tuple(Band(float(b["from"]), float(b["to"]), int(b["notes"]), int(b["same_fact"]), float(b["precision"]),
                      (float(b["wilson95"][0]), float(b["wilson95"][1]))) for b in data["bands"])


def measured(score: float) -> Band | None:
    """The calibration band of ``score`` (None: no labelled note scored there)."""
    for band in calibration():
        if band.low <= score < band.high:
            return band
    return None


def meaning(score: float) -> str:
    """What a note at ``score`` means, measured on real copy: ``"0.91: the same fact in 80% of such notes
    on real copy (12 of 15 hand-checked)"``; the score's own phrase where no note was measured."""
    band = measured(score)
    if band is not None:
        return (f"{score:.2f}: the same fact in {band.precision:.0%} of such notes on real copy "
                f"({band.same_fact} of {band.notes} hand-checked)")
    for bound, phrase in MEANINGS:
        if score >= bound:
            return f"{score:.2f}: {phrase} (not measured on real copy at this score)"
    return f"{score:.2f}: {MEANINGS[-1][1]}"  # pragma: no cover - bounds end at 0


def alignment(va: np.ndarray, vb: np.ndarray, sa: Sequence[str] = (), sb: Sequence[str] = ()) -> float:
    """Soft overlap of two sentences' content words: the mean, over both
    sides, of each word's best match in the other sentence, a match being
    the cosine of the word vectors ("troops"/"soldiers": 0.66), or 1 for the
    same word in another form (same light stem, or "Russia"/"Russian", given
    the stems ``sa``/``sb``); 0 when a side is empty."""
    if len(va) == 0 or len(vb) == 0:
        return 0.0
    sim = va @ vb.T
    if sa and sb:
        by_prefix: dict[str, list[int]] = {}
        for j, y in enumerate(sb):
            by_prefix.setdefault(y[:4], []).append(j)
        for i, x in enumerate(sa):
            for j in by_prefix.get(x[:4], ()):
                if same_name(x, sb[j]):
                    sim[i, j] = 1.0
    return float(0.5 * (sim.max(axis=1).mean() + sim.max(axis=0).mean()))


def feature_matrix(pairs: Sequence[tuple[Sentence, Sentence]], cosines: Sequence[float], emb: Any) -> np.ndarray:
    """Features of ``pairs`` (rows); ``emb`` is a :class:`dedupe.semantic.model.Embedder`."""
    words: dict[str, int] = {}
    for a, b in pairs:
        for w in a.content:
            words.setdefault(w, len(words))
        for w in b.content:
            words.setdefault(w, len(words))
    vecs = emb.word_vectors(list(words)) if words else np.zeros((0, 1), dtype=np.float32)
    rows = []
    for (a, b), cos in zip(pairs, cosines):
        va = vecs[[words[w] for w in a.content]] if a.content else vecs[:0]
        vb = vecs[[words[w] for w in b.content]] if b.content else vecs[:0]
        rows.append(pair_features(a, b, float(cos), alignment(va, vb, a.content_stems, b.content_stems)))
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))


def score_texts(pairs: Sequence[tuple[str, str]], model: ScoreModel | None = None) -> np.ndarray:
    """Scores of sentence pairs given as strings (loads the embedding on first use)."""
    from dedupe.semantic.model import embedder

    model = model or default_model()
    emb = embedder()
    if not pairs:
        return np.zeros(0)
    va = emb.embed([a for a, _ in pairs])
    vb = emb.embed([b for _, b in pairs])
    cos = (va * vb).sum(axis=1)
    an = [(analyse(a), analyse(b)) for a, b in pairs]
    return model.probability(feature_matrix(an, cos, emb))
