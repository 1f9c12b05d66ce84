"""The ``text`` format: findings for people at a terminal.

Optionally coloured with ANSI codes (shared words highlighted, differing
words underlined); without colour, differing words are bracketed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dedupe.findings import Cluster, ScanResult
from dedupe.output.sanitize import neutralize
from dedupe.text.align import Span

_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_UNDER = "\x1b[4m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_RESET = "\x1b[0m"


def _oneline(text: str) -> str:
    return " ".join(text.split())


_WS = re.compile(r"\s+")


def _safe(text: object) -> str:
    """Article text or a name on one line (runs of white space as one space), with control and
    direction characters shown as escapes."""
    return neutralize(_WS.sub(" ", str(text)))


def highlight(text: str, spans: Sequence[Span], color: bool) -> str:
    """``text`` on one line with shared words highlighted (colour) or the
    differing words bracketed as ``{+word+}`` (no colour)."""
    out = []
    pos = 0
    for sp in spans:
        out.append(_safe(text[pos : sp.start]))
        word = _safe(text[sp.start : sp.end])
        if color:
            out.append(f"{_GREEN}{word}{_RESET}" if sp.shared else f"{_YELLOW}{_UNDER}{word}{_RESET}")
        else:
            out.append(word if sp.shared else f"{{+{word}+}}")
        pos = sp.end
    out.append(_safe(text[pos:]))
    return _oneline("".join(out))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _style(s: str, code: str, color: bool) -> str:
    return f"{code}{s}{_RESET}" if color else s


def render_text(result: ScanResult, color: bool = False, show_all: bool = False, max_clusters: int | None = None) -> str:
    lines: list[str] = []
    dups = result.duplicate_documents()
    dup_pairs = {frozenset((o.doc, o.other)) for o in dups}
    groups = result.duplicate_groups()
    folded = 0
    shown = 0
    for c in result.clusters:
        if not show_all and _inside_duplicates(c, groups):
            folded += 1
            continue
        if max_clusters is not None and shown >= max_clusters:
            continue
        shown += 1
        lines.extend(_cluster_text(c, color))
        lines.append("")
    if max_clusters is not None and shown < len(result.clusters) - folded:
        lines.append(f"... {len(result.clusters) - folded - shown} more clusters (use --format json for all)")
        lines.append("")
    s = result.summary()
    if result.overlaps or s["rollup_skipped_clusters"]:
        lines.append(_style("Articles sharing sentences", _BOLD, color))
        seen = set()
        groups_seen: set[str] = set()
        for o in result.overlaps:
            pair = frozenset((o.doc, o.other))
            if pair in dup_pairs:
                group = groups[o.doc]
                if len(group) > 2:  # copies of one story: one line for the group, not one per pair of copies
                    if group[0] not in groups_seen:
                        groups_seen.add(group[0])
                        names = " = ".join(neutralize(d) for d in group[:GROUP_NAMES])
                        more = f" = ... ({len(group) - GROUP_NAMES} more)" if len(group) > GROUP_NAMES else ""
                        lines.append(f"  {names}{more}: whole-article duplicates ({len(group)} copies of one story)")
                    continue
                if pair in seen:
                    continue
                seen.add(pair)
                lines.append(f"  {neutralize(o.doc)} = {neutralize(o.other)}: whole-article duplicate ({o.shared}/{o.total} sentences, {o.share:.0%})")
            else:
                title = f" ({_safe(o.other_title)})" if o.other_title else ""
                lines.append(f"  {neutralize(o.doc)} -> {neutralize(o.other)}{title}: {o.shared}/{o.total} sentences ({o.share:.0%})")
        if folded:
            lines.append(f"  ({_n(folded, 'cluster')} inside whole-article duplicates not listed; --all lists them)")
    if s["rollup_skipped_clusters"] or s["rollup_omitted_partners"]:
        cut = []
        if s["rollup_skipped_clusters"]:
            cut.append(f"{_n(s['rollup_skipped_clusters'], 'cluster')} shared by more than 100 articles left out")
        if s["rollup_omitted_partners"]:
            cut.append(f"{s['rollup_omitted_partners']} more article pairs not listed (50 per article)")
        lines.append("  (" + "; ".join(cut) + ")")
    if result.overlaps or s["rollup_skipped_clusters"]:
        lines.append("")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(s["by_kind"].items())) or "none"
    lines.append(
        f"{_n(s['clusters'], 'cluster')} ({kinds}) in {_n(s['documents'], 'article')}, {_n(s['sentences'], 'sentence')}"
        + (f", {_n(s['archive_documents'], 'archived article')}" if s["archive_documents"] else "")
        + (f"; {s['suppressed_inline']} units suppressed inline" if s["suppressed_inline"] else "")
        + f"; {s['seconds']:.2f} s"
    )
    return "\n".join(lines) + "\n"


#: Articles named on the line of a group of whole-article duplicates (the rest is counted).
GROUP_NAMES = 10


def _inside_duplicates(c: Cluster, groups: dict[str, list[str]]) -> bool:
    """Whether every copy of ``c`` is in one group of whole-article duplicates (the roll-up shows them)."""
    docs = c.documents
    if len(docs) < 2:
        return False
    g = groups.get(docs[0])
    return g is not None and all(groups.get(d) is g for d in docs[1:])


def _cluster_text(c: Cluster, color: bool) -> list[str]:
    measures = f"similarity {c.similarity:.2f}"
    if c.restatement is not None:  # a score of meaning, not of shared words
        measures = f"score {c.restatement['meaning']}"
    elif c.containment - c.similarity >= 0.05:  # a sentence inside a longer one: say how much of it is there
        measures += f" (containment {c.containment:.2f})"
    copies = "2 sentences" if c.restatement is not None else f"{len(c.members)} copies"
    head = f"{c.id} {c.kind} ({c.rule}) {measures}, {copies}"
    out = [_style(head, _BOLD + _CYAN, color)]
    note = c.note() if c.restatement is None else ""
    if note:  # what links the copies, or which detail changed
        out.append("  " + _style(_safe(note), _DIM, color))
    if c.restatement is not None:
        both = [*c.restatement.get("shared_words", []), *c.restatement.get("shared_figures", [])]
        if both:
            out.append("  " + _style("both say: " + _safe(", ".join(both)), _DIM, color))
    spans = c.alignment()
    for m, sp in zip(c.members, spans):
        where = f"{neutralize(m.doc)}:{m.line}:{m.column}"  # a record of an export: file.jsonl#id
        if m.doc != m.path and m.title:
            where += f" ({_safe(m.title)})"
        if m.archive:
            where = f"[archive] {neutralize(m.doc)}" + (f" ({_safe(m.title)})" if m.title else "") + f":{m.line}"
        out.append("  " + _style(where, _DIM, color))
        out.append("    " + highlight(m.text, sp, color))
    return out
