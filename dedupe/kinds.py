"""Every kind of finding, in one registry.

A kind has a name (``repeated-sentence``), a stable rule id (``DD101``), a
default level (``error``, ``warning`` or ``note``), a short label (what the
review UI shows), a title and the texts CI formats and reports show.
Configuration, check rules, reports, the review UI and ``--kinds`` /
``--fail-on`` all read this table; :func:`resolve` accepts any of a kind's
names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # e.g. "repeated-sentence"
    rule: str  # stable rule id, e.g. "DD101"
    level: str  # default level: error, warning or note
    label: str  # short label for lists (the review UI)
    title: str  # short title (annotation titles, report headings)
    pascal: str  # PascalCase name (SARIF rule name)
    short: str  # one-line description
    full: str  # what it means
    help: str  # what to do about it
    default: bool = True  # reported unless --kinds / the config leaves it out
    abbrev: str = ""  # shorter label for narrow status lines (default: the label)
    letter: str = ""  # one-letter form for the narrowest (default: the label's first letter)

    @property
    def short_forms(self) -> tuple[str, str, str]:
        """The label at three widths: long, short, one letter (the review UI's status line)."""
        return self.label, self.abbrev or self.label, self.letter or self.label[:1]


REGISTRY: tuple[Kind, ...] = (
    Kind(
        "repeated-sentence", "DD101", "error", "sentence", "Repeated sentence", "RepeatedSentence",
        "A sentence appears more than once in the same article.",
        "The same or a nearly identical sentence occurs twice or more in one article, "
        "usually a paste or editing mistake.",
        "Delete or rewrite one of the copies. If the repeat is intended, mark the paragraph with "
        "<!-- dedupe-ignore --> or accept it into the baseline (dedupe check --update-baseline).",
        abbrev="sent",
    ),
    Kind(
        "repeated-quote", "DD102", "error", "quote", "Repeated quote", "RepeatedQuote",
        "A quotation is used more than once in the same article.",
        "The same or a nearly identical quotation occurs twice or more in one article, "
        "often with different attribution.",
        "Keep one copy of the quote and check that its attribution is right. If the repeat is "
        "intended, mark it with <!-- dedupe-ignore --> or accept it into the baseline.",
    ),
    Kind(
        "changed-detail", "DD103", "error", "detail", "Changed detail", "ChangedDetail",
        "Two copies of a sentence differ only in a figure, a date or time, a name or a negation.",
        "The same sentence occurs twice with one detail changed (\"figure: 500 -> 1001\", \"date: Monday -> "
        "Tuesday\", \"name: Psaki -> Biden\", \"negation: will -> will not\"). Inside one article the two "
        "copies contradict each other; across drafts, or against the published archive (--against), the "
        "message says which detail changed from the other or the published copy: an update that changes a "
        "figure of the earlier version, or a paragraph pasted from the wrong story. The changed words are "
        "named in the message and in the JSON (details, differences).",
        "Check which value is right. Inside one article, correct or cut the wrong copy; in an update of a "
        "published story, make sure the change is intended (and flagged to readers if it corrects the "
        "earlier version). Accept it into the baseline if the change is intended. See docs/changed-detail.md.",
    ),
    Kind(
        "cross-article", "DD201", "warning", "cross", "Repeated across articles", "CrossArticleRepeat",
        "A sentence or quote also appears in another article of the batch.",
        "Two or more drafts checked together share the same or a nearly identical sentence or quote.",
        "Check whether the shared passage is intended (shared background) or copied by mistake; "
        "rewrite it or accept it into the baseline.",
    ),
    Kind(
        "archive-match", "DD301", "error", "archive", "Matches the archive", "ArchiveMatch",
        "A sentence or quote matches already-published copy.",
        "A sentence or quote of the draft is the same as, or nearly the same as, one in the "
        "published archive given with --against.",
        "Rewrite the passage or attribute the earlier story; accept it into the baseline if the "
        "reuse is intended.",
        abbrev="arch",
    ),
    Kind(
        "restatement", "DD401", "note", "restate", "Restates a sentence", "Restatement",
        "Two sentences state the same fact in different words.",
        "Two sentences of one article (or, on request, of the articles checked together) say the same "
        "thing without being near-copies, e.g. \"Some 100,000 Russian troops are massed near the border\" and "
        "\"Russia has amassed about 100,000 soldiers close to Ukraine's frontier\". The score is a calibrated "
        "probability that they report the same fact (an offline semantic model plus word, figure and name "
        "agreement); the shared words and figures are shown.",
        "Cut or merge one of the two if the repeat adds nothing. A note: it never fails dedupe check unless "
        "configured (--fail-on note, or rules.DD401 = \"error\").",
        default=False,
        abbrev="rest",
    ),
)

BY_NAME: dict[str, Kind] = {k.name: k for k in REGISTRY}
BY_RULE: dict[str, Kind] = {k.rule: k for k in REGISTRY}

#: Kind names, in registry order.
KINDS: tuple[str, ...] = tuple(BY_NAME)
#: The kinds reported when nothing says which (``restatement`` is asked for explicitly, or by the review UI).
DEFAULT_KINDS: tuple[str, ...] = tuple(k.name for k in REGISTRY if k.default)
#: The kinds the MinHash engine finds (all but the semantic ``restatement``).
NEAR_COPY_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != "restatement")
#: Rule id of every kind.
RULES: dict[str, str] = {k.name: k.rule for k in REGISTRY}
#: Default level of every kind.
DEFAULT_LEVELS: dict[str, str] = {k.name: k.level for k in REGISTRY}
#: Short label of every kind.
LABELS: dict[str, str] = {k.name: k.label for k in REGISTRY}
#: Every kind's label at three widths (long, short, one letter).
SHORT_FORMS: dict[str, tuple[str, str, str]] = {k.name: k.short_forms for k in REGISTRY}


def resolve(name: str) -> Kind | None:
    """The kind called ``name``: a kind name, a rule id or a short label (any case); None when unknown."""
    n = name.strip()
    if n.upper() in BY_RULE:
        return BY_RULE[n.upper()]
    low = n.lower()
    if low in BY_NAME:
        return BY_NAME[low]
    for k in REGISTRY:
        if k.label == low:
            return k
    return None


def spellings() -> str:
    """Every accepted spelling, for error messages and help."""
    return ", ".join(f"{k.name} ({k.rule}, {k.label})" for k in REGISTRY)
