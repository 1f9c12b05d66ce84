"""Lexical features of a sentence pair, for the restatement score.

Everything here is pure Python and cheap; the embedding cosine comes from
:mod:`dedupe.semantic.model` and is passed in.  :func:`analyse` reads one
sentence once (tokens with character offsets, content stems, figures, names,
negations, direction words); :func:`pair_features` turns two analyses and a
cosine into the feature vector the logistic model was fitted on
(:data:`FEATURE_NAMES`, in order).
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from dedupe.text.normalize import normalize

# Words, figures ("100,000", "2.5") and contractions, on the normalised text
# (a 1:1 map, so offsets are offsets into the original sentence).
WORD_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:[.'][^\W\d_]+)*")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could couldn't did didn't do does doesn't doing don't down during each
    few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers
    herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me
    more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out over own
    same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which
    while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves said says say told tell according also would could may might must shall one its
    mr mrs ms per cent percent pct mln bln billion million thousand year years today yesterday tomorrow
    monday tuesday wednesday thursday friday saturday sunday week weeks""".split()  # noqa: SIM905
)

# Number words an editor writes out; figures compare on their digits.
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100", "dozen": "12", "half": "0.5",
}

_NEGATION_WORDS = (
    "not no never none nobody nothing neither nor without cannot can't won't don't didn't doesn't isn't "
    "aren't wasn't weren't hasn't haven't hadn't couldn't wouldn't shouldn't mustn't deny denied denies "
    "refuse refused refuses reject rejected rejects"
)
NEGATIONS = frozenset(_NEGATION_WORDS.split())

# Opposite-direction groups: each is (one side, other side), as light stems.
_OPPOSITES_RAW: tuple[tuple[str, str], ...] = (
    (("rise rose risen up increase gain climb jump grow grew grown higher high raise boost surge soar rally "
      "advance strengthen expand ahead accelerate add more above upward improve exceed top"),
     ("fall fell fallen down decrease drop decline lose lost loss lower low cut reduce slump plunge slide slid "
      "sink sank shrink shrank weaken contract less fewer below downward worsen dip tumble shed ease slip slow")),
    ("win won victory beat", "lose lost defeat loss"),
    ("buy bought purchase acquire", "sell sold dispose divest"),
    ("accept approve agree allow support back pass", "reject refuse oppose ban block veto deny"),
    ("open reopen start begin launch resume", "close shut end stop halt suspend"),
    ("profit surplus", "loss deficit"),
    ("import", "export"),
    ("before", "after"),
    ("strong strength", "weak weakness"),
    ("hire join", "fire quit resign"),
    ("wet rain rainfall", "dry drought"),
)

FEATURE_NAMES: tuple[str, ...] = (
    "cosine",
    "alignment",
    "content_jaccard",
    "content_containment",
    "word_jaccard",
    "bigram_jaccard",
    "trigram_jaccard",
    "length_ratio",
    "numbers_shared",
    "numbers_conflict",
    "numbers_unmatched",
    "names_unmatched",
    "negation_mismatch",
    "direction_conflict",
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem of a lower-case word: plural, past and -ing endings and a
    final "e" off, a few irregular forms mapped ("rose" -> "ris", like
    "rise" and "rising"); enough to match "soldiers"/"soldier",
    "massed"/"mass", "declined"/"decline"."""
    w = _IRREGULAR.get(word, word)
    w = w.removesuffix("'s")
    n = len(w)
    if n > 3:
        if w.endswith("ies") and n > 4:
            w = w[:-3] + "y"
        elif w.endswith("sses"):
            w = w[:-2]
        elif w.endswith("ing") and n > 5:
            w = _undouble(w[:-3])
        elif w.endswith("ed") and n > 4:
            w = w[:-2]
            w = w[:-1] + "y" if w.endswith("i") else _undouble(w)
        elif w.endswith("es") and n > 4 and w[-3] in "sxz":
            w = w[:-2]
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def _undouble(base: str) -> str:
    """"dropp" -> "drop", "plann" -> "plan" (but "fall", "pass" stay)."""
    if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsz":
        return base[:-1]
    return base


_IRREGULAR = {
    "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "grew": "grow", "grown": "grow",
    "won": "win", "lost": "lose", "sold": "sell", "bought": "buy", "sank": "sink", "shrank": "shrink",
    "slid": "slide", "sped": "speed", "began": "begin", "begun": "begin", "men": "man", "women": "woman",
    "children": "child", "people": "people", "troops": "troop", "soldiers": "soldier", "news": "news",
    "data": "data", "us": "us", "was": "was", "has": "has", "is": "is", "as": "as", "this": "this",
    "kept": "keep", "met": "meet", "paid": "pay", "said": "say", "told": "tell", "left": "leave",
    "held": "hold", "led": "lead", "made": "make", "took": "take", "taken": "take", "gave": "give",
    "given": "give", "came": "come", "went": "go", "gone": "go", "saw": "see", "seen": "see",
}

_OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(stem(w) for w in a.split()), frozenset(stem(w) for w in b.split())) for a, b in _OPPOSITES_RAW
)


_DIRECTION_STEMS = frozenset().union(*(a | b for a, b in _OPPOSITES))


def number_key(token: str) -> str | None:
    """The canonical form of a figure ("100,000" -> "100000", "2.50" -> "2.5",
    "two" -> "2"), or None when ``token`` is not one."""
    if token[0].isdigit():
        t = token.replace(",", "")
        if t.count(".") > 1:  # "9.10.2003": a date-like figure, kept as written
            return t
        if "." in t:
            t = t.rstrip("0").rstrip(".")
        return t.lstrip("0") or "0"
    return _NUMBER_WORDS.get(token)


@dataclass
class Sentence:
    """One sentence read for the score and its explanation."""

    text: str
    words: list[tuple[int, int, str]]  # (start, end, lower-case token)
    stems: dict[str, list[tuple[int, int]]]  # content stem -> spans
    numbers: dict[str, list[tuple[int, int]]]  # figure key -> spans
    names: frozenset[str]
    negated: bool
    direction_stems: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    content: list[str]  # distinct content words as written (for word vectors)
    lead: str  # the first word, lower case: a name or not (it is capitalised anyway)
    wordset: frozenset[str]
    trigrams: frozenset[tuple[str, ...]]  # word 3-shingles (the whole sequence when shorter)

    @property
    def n_words(self) -> int:
        return len(self.words)

    @property
    def content_stems(self) -> list[str]:
        """The stems of :attr:`content`, in the same order."""
        return list(self.stems)


_INFO: dict[str, tuple[bool, bool, str, bool]] = {}


def _word_info(low: str) -> tuple[bool, bool, str, bool]:
    """``(negation, stopword or too short, stem, direction word)`` of a lower-case word (cached)."""
    info = _INFO.get(low)
    if info is None:
        st = stem(low)
        info = (low in NEGATIONS or low.endswith("n't"), low in STOPWORDS or len(low) < 2, st,
                st in _DIRECTION_STEMS)
        if len(_INFO) < 500_000:
            _INFO[low] = info
    return info


def analyse(text: str) -> Sentence:
    """Read ``text`` once for :func:`pair_features` and the explanation."""
    norm = normalize(text)
    lower = norm.lower()
    same_len = len(lower) == len(norm)
    words: list[tuple[int, int, str]] = []
    stems: dict[str, list[tuple[int, int]]] = {}
    numbers: dict[str, list[tuple[int, int]]] = {}
    names: set[str] = set()
    direction: set[str] = set()
    negated = False
    content: list[str] = []
    first = True
    for m in WORD_RE.finditer(norm):
        s, e = m.span()
        raw = m.group()
        low = lower[s:e] if same_len else raw.lower()
        words.append((s, e, low))
        if raw[0].isdigit() or low in _NUMBER_WORDS:
            key = number_key(low)
            if key is not None:
                numbers.setdefault(key, []).append((s, e))
                first = False
                continue
        neg, stop, st, dirn = _word_info(low)
        if neg:
            negated = True
        if dirn:
            direction.add(st)
        if stop:
            first = False
            continue
        if raw[0].isupper() and (not first or raw.isupper() and len(raw) > 1):
            names.add(low.removesuffix("'s"))
        first = False
        spans = stems.get(st)
        if spans is None:
            content.append(raw)
            stems[st] = [(s, e)]
        else:
            spans.append((s, e))
    toks = [w for _, _, w in words]
    bigrams = frozenset(pairwise(toks)) if len(toks) > 1 else frozenset((t, "") for t in toks)
    lead = words[0][2] if words and text[words[0][0]].isupper() and words[0][2] not in STOPWORDS else ""
    trigrams = frozenset(zip(toks, toks[1:], toks[2:])) if len(toks) >= 3 else frozenset([tuple(toks)])
    return Sentence(text, words, stems, numbers, frozenset(names), negated, frozenset(direction), bigrams, content,
                    lead, frozenset(toks), trigrams)


def _jaccard(a: AbstractSet[Any], b: AbstractSet[Any]) -> float:
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def same_name(x: str, y: str) -> bool:
    """"russia"/"russian", "ukraine"/"ukrainian": equal, or sharing a prefix
    of 4+ letters that is most of the shorter word."""
    if x == y:
        return True
    if x[:4] != y[:4]:
        return False
    k = 0
    for cx, cy in zip(x, y):
        if cx != cy:
            break
        k += 1
    return k >= 4 and k >= 0.75 * min(len(x), len(y))


def _unmatched(xs: frozenset[str], ys: frozenset[str]) -> int:
    return sum(1 for x in xs if x not in ys and not any(same_name(x, y) for y in ys))


def direction_conflict(a: Sentence, b: Sentence) -> bool:
    """One sentence moves one way and the other the opposite way (rose/fell,
    win/lose, buy/sell...), without either saying both."""
    da, db = a.direction_stems, b.direction_stems
    if not da or not db:
        return False
    for up, down in _OPPOSITES:
        a_up, a_down = bool(da & up), bool(da & down)
        b_up, b_down = bool(db & up), bool(db & down)
        if (a_up and not a_down and b_down and not b_up) or (a_down and not a_up and b_up and not b_down):
            return True
    return False


def pair_features(a: Sentence, b: Sentence, cosine: float, alignment: float) -> list[float]:
    """The feature vector of a pair (order of :data:`FEATURE_NAMES`): ``cosine``
    of the sentence vectors and ``alignment`` of their content words (see
    :func:`dedupe.semantic.score.alignment`) come from the embedding."""
    sa, sb = a.stems.keys(), b.stems.keys()
    inter = len(sa & sb)
    union = len(sa) + len(sb) - inter
    content_j = inter / union if union else 0.0
    smaller = min(len(sa), len(sb))
    content_c = inter / smaller if smaller else 0.0
    bigram_j = _jaccard(a.bigrams, b.bigrams)
    word_j = _jaccard(a.wordset, b.wordset)
    trigram_j = _jaccard(a.trigrams, b.trigrams)
    na, nb = a.n_words, b.n_words
    length_ratio = min(na, nb) / max(na, nb) if max(na, nb) else 0.0
    ka, kb = a.numbers.keys(), b.numbers.keys()
    shared_n = ka & kb
    only_a, only_b = ka - kb, kb - ka
    numbers_shared = 1.0 if shared_n else 0.0
    numbers_conflict = 1.0 if (only_a and only_b) else 0.0
    n_union = len(ka | kb)
    numbers_unmatched = (len(only_a) + len(only_b)) / n_union if n_union else 0.0
    names_total = len(a.names) + len(b.names)
    names_unmatched = (_unmatched(a.names, b.names | {b.lead}) + _unmatched(b.names, a.names | {a.lead})) / names_total \
        if names_total else 0.0
    return [
        float(cosine),
        float(alignment),
        content_j,
        content_c,
        word_j,
        bigram_j,
        trigram_j,
        length_ratio,
        numbers_shared,
        numbers_conflict,
        numbers_unmatched,
        names_unmatched,
        1.0 if a.negated != b.negated else 0.0,
        1.0 if direction_conflict(a, b) else 0.0,
    ]


def shared_spans(a: Sentence, b: Sentence) -> tuple[list[tuple[str, list[tuple[int, int]], list[tuple[int, int]]]],
                                                     list[tuple[str, list[tuple[int, int]], list[tuple[int, int]]]]]:
    """``(words, figures)`` the two sentences share: each entry is
    ``(key, spans in a, spans in b)``, in order of first appearance in ``a``."""
    words = [(k, a.stems[k], b.stems[k]) for k in a.stems if k in b.stems]
    figures = [(k, a.numbers[k], b.numbers[k]) for k in a.numbers if k in b.numbers]
    return words, figures


@dataclass(frozen=True)
class Surface:
    """What the gate reads of a sentence without analysing it: its white-space words and their
    number, and its figures (digits only, as :func:`number_key` keys them)."""

    words: frozenset[str]
    n_words: int
    figures: frozenset[str]


def surface(text: str) -> Surface:
    """The cheap reading of ``text`` for :func:`gate_features`."""
    split = text.split()
    found = _NUMBER_RE.findall(text)
    figs = frozenset(k for k in map(number_key, found) if k is not None) if found else frozenset()
    return Surface(frozenset(split), len(split), figs)


#: The gate's inputs, in order (after the bias): see :func:`gate_features`.
GATE_FEATURES: tuple[str, ...] = ("cosine", "surface_jaccard", "surface_length_ratio", "figures_conflict")


def gate_features(cosine: float, a: Surface, b: Surface) -> tuple[float, float, float, float]:
    """The gate's four cheap inputs for a pair: the sentence cosine, the Jaccard of the white-space words,
    the ratio of their numbers of words, and 1 when each sentence has a figure the other lacks."""
    ratio = min(a.n_words, b.n_words) / max(a.n_words, b.n_words) if max(a.n_words, b.n_words) else 0.0
    conflict = 1.0 if (a.figures - b.figures) and (b.figures - a.figures) else 0.0
    return cosine, _jaccard(a.words, b.words), ratio, conflict


def surface_jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """Jaccard of two sets of white-space words (``set(text.split())``): the
    cheap lexical signal of the second pre-filter."""
    return _jaccard(a, b)


def near_copy(a: Sentence, b: Sentence, jaccard: float, containment: float) -> bool:
    """Whether the word 3-shingles of the two reach ``jaccard``, or the
    smaller's share in the other reaches ``containment`` (> 0): the
    near-duplicate finder's rule at its defaults (0.7, 0.8)."""
    sa, sb = a.trigrams, b.trigrams
    inter = len(sa & sb)
    if not inter:
        return False
    if inter / (len(sa) + len(sb) - inter) >= jaccard:
        return True
    return containment > 0 and inter / min(len(sa), len(sb)) >= containment


# ---------------------------------------------------------------------------------------------------------
# Facts must agree: explicit gates.  A pair that fails one is not the same fact, whatever its score.

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
DATE_WORDS = frozenset(_MONTHS) | frozenset(_WEEKDAYS)
#: Words that make a second event of the same kind ("another plane hit") or rank events ("the first").
ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth".split())
EVENT_MARKERS = ORDINALS | {"another", "again", "second-largest"}

#: The gates, in the order they are checked: (name, what it means to an editor).
FACT_GATES: tuple[tuple[str, str], ...] = (
    ("negation", "one sentence is negated, the other is not"),
    ("direction", "they move in opposite directions (rose/fell, won/lost...)"),
    ("figures", "each has a figure the other lacks"),
    ("dates", "they name different days or months in the same place"),
    ("event", "a different event of the same kind (a/another, first/second...)"),
    ("names", "different names in the same place: other people, places, companies, titles"),
    ("parties", "each names three or more people, places or companies the other does not mention"),
    ("ratings", "both give credit ratings, and not the same ones (A-plus / AA-minus, Baa-2 / Ba-1)"),
    ("speakers", "each names who said it, and they are different people"),
)


def _figure_value(key: str) -> float | None:
    try:
        return float(key)
    except ValueError:
        return None


def _figure_matched(x: str, others: AbstractSet[str]) -> bool:
    """``x`` equals one of ``others`` up to rounding ("10,234" and "10,234.45"; "1.2" and "1.19")."""
    vx = _figure_value(x)
    if vx is None:
        return False
    for y in others:
        vy = _figure_value(y)
        if vy is None:
            continue
        big = max(abs(vx), abs(vy))
        if big and abs(vx - vy) <= 0.01 * big and (abs(vx - vy) < 1 or big >= 1000):
            return True
    return False


def figures_conflict(a: Sentence, b: Sentence) -> bool:
    """Each sentence has a figure the other lacks (up to rounding): different figures, different facts."""
    ka, kb = a.numbers.keys(), b.numbers.keys()
    only_a = [x for x in ka - kb if not _figure_matched(x, kb)]
    if not only_a:
        return False
    return any(not _figure_matched(y, ka) for y in kb - ka)


#: Credit ratings as written in wire copy: "AA-minus", "A-1-plus", "Baa-2", "BBB", "P-1".  A lone "A" or
#: "B" is a rating only with a suffix ("A-plus", "B-1"); "AA", "BBB", "Baa" are ratings as they stand.
_RATING_RE = re.compile(r"(?<![\w-])(?:AAA|AA|BBB|BB|CCC|CC|Aaa|Aa|Baa|Ba|Caa|Ca"
                        r"|(?:A|B|C|P|D)(?=-(?:[123]|plus|minus)))(?:-[123])?(?:-(?:plus|minus))?(?![\w-])")


#: Names each side must lack in the other for :func:`parties_conflict` (two: 1% of MRPC's paraphrases above
#: the threshold; three: 0.1%).
PARTY_NAMES = 3


def parties_conflict(a: Sentence, b: Sentence) -> bool:
    """Each sentence names :data:`PARTY_NAMES` or more people, places or companies the other does not
    mention in any form: parallel statements about different parties ("The survey covered Deutsche Bank,
    Dresdner Bank, Commerzbank ..." / "It also covered Berliner Handels-, Industriekreditbank ...")."""
    na, nb = a.names | _lead_name(a), b.names | _lead_name(b)
    if len(na) < PARTY_NAMES or len(nb) < PARTY_NAMES:
        return False
    return len(_names_unmatched(na, b)) >= PARTY_NAMES and len(_names_unmatched(nb, a)) >= PARTY_NAMES


def ratings(s: Sentence) -> frozenset[str]:
    """The credit ratings a sentence gives ("A-plus", "AA-minus", "Baa-2", "A-1-plus")."""
    if "-" not in s.text and not any(c.isupper() for c in s.text[1:]):
        return frozenset()
    return frozenset(m.group() for m in _RATING_RE.finditer(s.text))


def ratings_conflict(a: Sentence, b: Sentence) -> bool:
    """Both give credit ratings, and not the same ones: parallel rating actions on different debt
    or different issuers ("Fleet has A-plus senior debt" / "Affirmed were American Express' AA senior
    debt"), ratings being figures of their own."""
    ra, rb = ratings(a), ratings(b)
    return bool(ra) and bool(rb) and ra != rb


_ALIASES: tuple[frozenset[str], ...] = tuple(frozenset(g.split()) for g in (
    "u.s us usa america american americans washington united states",
    "u.n un united nations",
    "u.k uk britain british london england english",
    "ec eu european community union brussels",
    "fed federal reserve",
    "pentagon defense defence",
    "soviet ussr moscow russia russian kremlin",
    "japan japanese tokyo",
    "china chinese beijing peking",
))


#: Capitalised words that are titles or roles, not names ("Mr Annan" / "Annan").
TITLES = frozenset("""mr mrs ms dr sir dame lord lady sen senator rep representative gov governor president
    vice prime minister secretary chancellor justice judge chairman chairwoman chief executive officer
    director general gen col lt maj capt sgt adm king queen prince princess pope rev father saint st jr sr
    inc corp co ltd plc llc group company corporation bank the""".split())


def _similar_spelling(x: str, y: str) -> bool:
    """"Eichhorn"/"Eichorn", "Ron"/"Ronald": one spelling of one name."""
    if min(len(x), len(y)) >= 4 and (x.startswith(y) or y.startswith(x)):
        return True
    if abs(len(x) - len(y)) > 2 or min(len(x), len(y)) < 5:
        return False
    from difflib import SequenceMatcher

    return SequenceMatcher(None, x, y).ratio() >= 0.8


def _alias(x: str, other: Sentence) -> bool:
    return any(x in g and not g.isdisjoint(other.wordset) for g in _ALIASES)


_WEEKDAY_SET = frozenset(_WEEKDAYS)
#: A replaced stretch longer than this (in words, on either side) is rewording, not a slot filler.
SLOT_WORDS = 4


def _slot_kinds(s: Sentence, i: int, j: int, unmatched: AbstractSet[str]) -> set[str]:
    """What kinds of slot filler words ``i:j`` of ``s`` hold: a name the other sentence lacks, a weekday,
    a month, an event marker."""
    kinds: set[str] = set()
    for _st, _e, w in s.words[i:j]:
        if w.removesuffix("'s") in unmatched:
            kinds.add("names")
        if w in _WEEKDAY_SET:
            kinds.add("dates:day")
        elif w in DATE_WORDS and w != "may":
            kinds.add("dates:month")
        if w in EVENT_MARKERS:
            kinds.add("event")
    return kinds


_ARTICLES = frozenset(["a", "an"])


def substitutions(a: Sentence, b: Sentence) -> set[str]:
    """The slots in which two sentences of one frame hold different fillers: the words are aligned
    (difflib), and a replaced stretch of at most :data:`SLOT_WORDS` words that holds, on both sides, a
    name the other sentence does not mention, a weekday, a month, or an event marker ("first"/"another"/
    "second"; or "another" against "a") is a different name, date or event: "Netbacks for oil refined in
    Northern Europe ..." / "... in Singapore ...", "Ramon Morales has ..." / "Rafael Collado has ...",
    "a plane hit" / "another plane hit"."""
    from difflib import SequenceMatcher

    ta = [w for _s, _e, w in a.words]
    tb = [w for _s, _e, w in b.words]
    ua = set(_names_unmatched(a.names | _lead_name(a), b))
    ub = set(_names_unmatched(b.names | _lead_name(b), a))
    out: set[str] = set()
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if op != "replace" or i2 - i1 > SLOT_WORDS or j2 - j1 > SLOT_WORDS:
            continue
        ka = _slot_kinds(a, i1, i2, ua)
        kb = _slot_kinds(b, j1, j2, ub)
        out |= {k.split(":")[0] for k in ka & kb}
        wa, wb = set(ta[i1:i2]), set(tb[j1:j2])
        later = EVENT_MARKERS - {"first"}
        if (wa & later and wb <= _ARTICLES | {"first"}) or (wb & later and wa <= _ARTICLES | {"first"}):
            out.add("event")  # "a plane" / "another plane", "the first" / "a second"
    return out


def _initials(s: Sentence) -> str:
    return "".join(s.text[st] for st, _e, _w in s.words if s.text[st].isupper())


_SPEECH = frozenset("said says say told added asked noted stated reported announced".split())


def _lead_name(s: Sentence) -> frozenset[str]:
    """The first word as a name when it reads as one: possessive ("Irving's senior debt"), followed by
    another capitalised word ("Diamond Shamrock said"), or by a verb of speech ("Weizsaecker said")."""
    if not s.lead or len(s.words) < 2:
        return frozenset()
    st0, e0, _w = s.words[0]
    st1, _e1, w1 = s.words[1]
    raw = s.text[st0:e0]
    if raw.endswith("'s") or s.text[st1].isupper() or w1 in _SPEECH:
        return frozenset([s.lead.removesuffix("'s")])
    return frozenset()


def _names_unmatched(xs: frozenset[str], other: Sentence) -> list[str]:
    ys = other.names | {other.lead} if other.lead else other.names
    initials = None
    out = []
    for x in xs:
        if x in TITLES or x in other.wordset or _alias(x, other):
            continue
        if any(same_name(x, y) or _similar_spelling(x, y) for y in ys):
            continue
        if 2 <= len(x) <= 6 and x.isalpha():  # "FHLBB" / "Federal Home Loan Bank Board"
            if initials is None:
                initials = _initials(other).lower()
            if x in initials:
                continue
        out.append(x)
    return out


_SPEECH_VERBS = frozenset("said says told added stated declared announced warned argued insisted".split())
_AUXILIARIES = frozenset("has have had also has also had also then later".split())


def speakers(s: Sentence) -> frozenset[str]:
    """The named speakers of a sentence: capitalised words right before a verb of speech ("Nazer said",
    "Baker told reporters"), or right after it when they end the clause ("..., said Andy Bryant." /
    "said Andy Bryant, the chief financial officer"); titles left out."""
    out: set[str] = set()
    words = s.words
    text = s.text

    def run(j: int, step: int) -> tuple[list[str], int]:
        got: list[str] = []
        while 0 <= j < len(words) and len(got) < 3 and text[words[j][0]].isupper():
            got.append(words[j][2].removesuffix("'s"))
            j += step
        return got, j

    for k, (_st, _e, w) in enumerate(words):
        if w not in _SPEECH_VERBS:
            continue
        back = k - 1
        while back > 0 and words[back][2] in _AUXILIARIES:  # "Argentina has said", "Dassler also said"
            back -= 1
        before, _j = run(back, -1)
        if before:
            out.update(x for x in before if x not in TITLES and x not in STOPWORDS)
            continue
        after, j = run(k + 1, 1)
        end = words[j - 1][1] if after else 0
        if after and (j >= len(words) or text[end:words[j][0]].strip()[:1] in {",", ";", "(", "-"}):
            out.update(x for x in after if x not in TITLES and x not in STOPWORDS)
    return frozenset(out)


def speaker_conflict(a: Sentence, b: Sentence) -> bool:
    """Both sentences name who said it, and not the same person in any form: different speakers, so
    different claims ("Nazer said" / "Shultz said", "Dassler also said" / "Bryant has said")."""
    sa, sb = speakers(a), speakers(b)
    if not sa or not sb:
        return False
    return len(_names_unmatched(sa, b)) == len(sa) and len(_names_unmatched(sb, a)) == len(sb)


def fact_conflict(a: Sentence, b: Sentence) -> str | None:
    """The first of :data:`FACT_GATES` the pair fails, or None when the facts may agree."""
    if a.negated != b.negated:
        return "negation"
    if direction_conflict(a, b):
        return "direction"
    if figures_conflict(a, b):
        return "figures"
    subs = substitutions(a, b)
    for name, _what in FACT_GATES[3:6]:
        if name in subs:
            return name
    if parties_conflict(a, b):
        return "parties"
    if ratings_conflict(a, b):
        return "ratings"
    if speaker_conflict(a, b):
        return "speakers"
    return None


def shares_anchor(a: Sentence, b: Sentence) -> bool:
    """Whether the two share a name (in any form: "Barrick"/"Barrick's", "U.S."/"American") or a figure:
    what two sentences of two different stories need to be about the same thing.  Boilerplate with
    nothing of its own ("The agreement is subject to regulatory approval") matches any other story's."""
    if a.numbers.keys() & b.numbers.keys():
        return True
    na = a.names | _lead_name(a)
    nb = b.names | _lead_name(b)
    if not na or not nb:
        return False
    return len(_names_unmatched(na, b)) < len(na) or len(_names_unmatched(nb, a)) < len(nb)
