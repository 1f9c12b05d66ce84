"""Reports for editors: one self-contained HTML file, or the same in Markdown.

The HTML has inline CSS, no scripts and no external URLs, so it can be
mailed, attached to a CI run or opened from disk.  It holds:

* a summary (articles, sentences, clusters by kind, inline suppressions);
* per article, the share of its sentences that repeat (inside the article,
  across articles, against the archive), with links to its clusters;
* the articles that share sentences with each other;
* every cluster with its copies side by side: words common to every copy
  highlighted, differing words marked, and links between the copies
  (``#C3-m1`` is the first copy of cluster C3).

All article text is escaped with :func:`html.escape`.  The output has no
timestamps, so regenerating a report for unchanged input gives the same file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dedupe import __version__
from dedupe.findings import Cluster, Member, ScanResult
from dedupe.kinds import REGISTRY
from dedupe.output.sanitize import defuse_commands, defuse_mentions, neutralize
from dedupe.text.align import Span

#: Other copies each copy links to in a report (the rest is counted: "and 240 more").
MAX_LINKS = 10

KIND_LABEL = {k.name: k.title for k in REGISTRY}


def _clean(s: str) -> str:
    """Controls, bidi overrides and lone surrogates as visible escapes (``\\u202e``): what is there, shown."""
    return neutralize(s.replace("\r", " "), keep_newlines=True)


def esc(s: Any) -> str:
    """HTML text: escaped, controls visible, line breaks as spaces (HTML shows them so; a report printed to a
    CI log then has no line of article text that could start a workflow command)."""
    return html.escape(_clean(str(s)).replace("\n", " "), quote=True)


@dataclass
class ArticleShare:
    doc: str
    path: str
    title: str | None
    sentences: int
    repeated_sentences: int = 0
    repeated_quotes: int = 0
    suppressed: int = 0
    clusters: dict[str, list[str]] = field(default_factory=dict)  # kind -> cluster ids

    @property
    def share(self) -> float:
        return self.repeated_sentences / self.sentences if self.sentences else 0.0


def article_shares(result: ScanResult) -> list[ArticleShare]:
    """Per draft article: how many of its sentences and quotes repeat."""
    rows = {d.id: ArticleShare(d.id, d.path, d.title, d.sentences, suppressed=d.suppressed)
            for d in result.documents if not d.archive}
    sent: dict[str, set[int]] = {}
    quotes: dict[str, set[int]] = {}
    for c in result.clusters:
        for m in c.members:
            row = rows.get(m.doc)
            if row is None:
                continue
            (quotes if m.unit == "quote" else sent).setdefault(m.doc, set()).add(m.start)
            ids = row.clusters.setdefault(c.kind, [])
            if c.id not in ids:
                ids.append(c.id)
    for doc, row in rows.items():
        row.repeated_sentences = min(len(sent.get(doc, ())), row.sentences or len(sent.get(doc, ())))
        row.repeated_quotes = len(quotes.get(doc, ()))
    return list(rows.values())


def member_anchor(c: Cluster, i: int) -> str:
    return f"{c.id}-m{i + 1}"


def _where(m: Member) -> str:
    if m.archive:
        return f"archive: {m.doc}" + (f" ({m.title})" if m.title else "") + f", line {m.line}"
    if m.doc != m.path and m.doc.startswith(m.path + "#"):  # a record of an export: an article of its own
        return f"{m.doc}:{m.line}:{m.column}" + (f" ({m.title})" if m.title else "")
    return f"{m.path}:{m.line}:{m.column}"


def _highlight_html(text: str, spans: Sequence[Span]) -> str:
    out = []
    pos = 0
    for sp in spans:
        out.append(esc(text[pos:sp.start]))
        word = esc(text[sp.start:sp.end])
        out.append(f"<mark>{word}</mark>" if sp.shared else f'<span class="diff">{word}</span>')
        pos = sp.end
    out.append(esc(text[pos:]))
    return "".join(out)


_CSS = """
body{font:15px/1.5 Georgia,'Times New Roman',serif;color:#1d1d1f;background:#fbfaf7;margin:0 auto;max-width:72rem;padding:1.5rem}
h1,h2,h3{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.2}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.25rem}
h3{font-size:1rem;margin:0 0 .5rem}
table{border-collapse:collapse;width:100%;font-family:system-ui,sans-serif;font-size:.9rem}
th,td{border-bottom:1px solid #e3e0d8;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f1eee6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#eee;height:.55rem;border-radius:.3rem;min-width:6rem;overflow:hidden}
.bar span{display:block;height:100%;background:#c0392b}
.meta{color:#666;font-family:system-ui,sans-serif;font-size:.85rem}
.cluster{background:#fff;border:1px solid #e3e0d8;border-radius:.4rem;padding:.8rem 1rem;margin:1rem 0}
.copies{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:.8rem}
.copy{border-left:3px solid #c0392b;padding:.2rem .7rem;background:#fdfcf9}
.copy:target{background:#fff6d6;outline:2px solid #e0b400}
.where{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.8rem;color:#444;word-break:break-all}
mark{background:#ffe28a;color:inherit;padding:0 .05em}
.diff{text-decoration:underline wavy #2471a3;color:#1a4f7a;font-weight:bold}
.links{font-family:system-ui,sans-serif;font-size:.8rem}
.kind-cross-article .copy{border-left-color:#d68910}.kind-archive-match .copy{border-left-color:#7d3c98}
.tag{font-family:system-ui,sans-serif;font-size:.75rem;background:#eee;border-radius:.2rem;padding:.05rem .35rem}
a{color:#1a5fa8}
"""


def render_html_report(result: ScanResult, title: str | None = None) -> str:
    s = result.summary()
    title = title or "dedupe report"
    shares = article_shares(result)
    h: list[str] = []
    h.append("<!DOCTYPE html>")
    h.append('<html lang="en"><head><meta charset="utf-8">')
    h.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    h.append(f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>")
    h.append(f"<h1>{esc(title)}</h1>")
    kinds = ", ".join(f"{n} {esc(KIND_LABEL.get(k, k).lower())}" for k, n in sorted(s["by_kind"].items())) or "none"
    h.append(
        f'<p class="meta">{s["documents"]} articles, {s["sentences"]} sentences'
        + (f", {s['archive_documents']} archived articles" if s["archive_documents"] else "")
        + f"; {s['clusters']} clusters ({kinds})"
        + (f"; {s['suppressed_inline']} units suppressed inline" if s["suppressed_inline"] else "")
        + f". Threshold {result.settings.threshold:g}, containment {result.settings.containment:g}, "
        f"minimum {result.settings.min_words} words. dedupe {esc(__version__)}.</p>"
    )
    h.append('<p class="meta">Legend: <mark>words every copy shares</mark>, '
             '<span class="diff">words that differ</span>.</p>')

    h.append("<h2>Articles</h2>")
    h.append("<table><thead><tr><th>article</th><th>sentences</th><th>repeated sentences</th><th>share</th>"
             "<th>repeated quotes</th><th>suppressed inline</th><th>clusters</th></tr></thead><tbody>")
    for a in shares:
        links = []
        for kind, ids in a.clusters.items():
            links.append(esc(KIND_LABEL.get(kind, kind)) + ": " + " ".join(f'<a href="#{esc(i)}">{esc(i)}</a>' for i in ids))
        name = esc(a.path) + (f'<br><span class="meta">{esc(a.title)}</span>' if a.title else "")
        h.append(
            f"<tr><td>{name}</td><td class=num>{a.sentences}</td><td class=num>{a.repeated_sentences}</td>"
            f'<td><div class="bar" title="{a.share:.0%}"><span style="width:{a.share * 100:.1f}%"></span></div>'
            f"{a.share:.0%}</td><td class=num>{a.repeated_quotes}</td><td class=num>{a.suppressed}</td>"
            f"<td>{'<br>'.join(links) or '—'}</td></tr>"
        )
    h.append("</tbody></table>")

    if result.overlaps:
        h.append("<h2>Articles sharing sentences</h2>")
        h.append("<table><thead><tr><th>article</th><th>shares with</th><th>sentences</th><th>share</th>"
                 "<th>clusters</th></tr></thead><tbody>")
        for o in result.overlaps:
            other = esc(o.other) + (f' <span class="meta">({esc(o.other_title)})</span>' if o.other_title else "")
            cluster_links = " ".join(f'<a href="#{esc(i)}">{esc(i)}</a>' for i in o.clusters)
            h.append(f"<tr><td>{esc(o.doc)}</td><td>{other}</td><td class=num>{o.shared}/{o.total}</td>"
                     f"<td class=num>{o.share:.0%}</td><td>{cluster_links}</td></tr>")
        h.append("</tbody></table>")

    h.append("<h2>Clusters</h2>")
    if not result.clusters:
        h.append("<p>No repeated sentences or quotes found.</p>")
    for c in result.clusters:
        h.append(f'<section class="cluster kind-{esc(c.kind)}" id="{esc(c.id)}">')
        h.append(f"<h3>{esc(c.id)} · {esc(KIND_LABEL.get(c.kind, c.kind))} <span class=tag>{esc(c.rule)}</span> "
                 f'<span class="meta">similarity {c.similarity:.2f}, {len(c.members)} copies</span></h3>')
        if c.restatement is None and c.note():  # which detail changed, or what links the copies
            h.append(f'<p class="meta">{esc(c.note())}</p>')
        h.append('<div class="copies">')
        spans = c.alignment()
        sims = {(min(p.a, p.b), max(p.a, p.b)): p.similarity for p in c.pairs}
        for i, (m, sp) in enumerate(zip(c.members, spans)):
            anchor = member_anchor(c, i)
            others = []
            for k in _linked(len(c.members), i):
                sim = sims.get((min(i, k), max(i, k)))
                label = f"copy {k + 1}" + (f" ({sim:.2f})" if sim is not None else "")
                others.append(f'<a href="#{esc(member_anchor(c, k))}">{label}</a>')
            if len(c.members) - 1 > len(others):
                others.append(f"and {len(c.members) - 1 - len(others)} more")
            h.append(f'<div class="copy" id="{esc(anchor)}">')
            h.append(f'<div class="where"><a href="#{esc(anchor)}">copy {i + 1}</a> · {esc(_where(m))}'
                     + (' <span class="tag">quote</span>' if m.unit == "quote" else "") + "</div>")
            h.append(f"<p>{_highlight_html(m.text, sp)}</p>")
            h.append(f'<div class="links">repeats: {" · ".join(others)}</div>')
            h.append("</div>")
        h.append("</div></section>")
    if result.errors:
        h.append("<h2>Input errors</h2><ul>")
        for e in result.errors:
            h.append(f"<li>{esc(str(e))}</li>")
        h.append("</ul>")
    h.append("</body></html>")
    return defuse_commands("\n".join(h) + "\n")  # printed to a CI log, no line is a workflow command


def _linked(n: int, i: int, limit: int = MAX_LINKS) -> list[int]:
    """The other copies a copy links to: its neighbours first, at most ``limit``
    (a cluster of thousands of copies would otherwise need n² links)."""
    out: list[int] = []
    step = 1
    while len(out) < limit and (i - step >= 0 or i + step < n):
        for k in (i - step, i + step):
            if 0 <= k < n and len(out) < limit:
                out.append(k)
        step += 1
    return sorted(out)


# -- Markdown -----------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_text(text: str) -> str:
    t = defuse_mentions(" ".join(_clean(text).split()))
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", t)


def _highlight_md(text: str, spans: Sequence[Span]) -> str:
    """Differing words in bold: Markdown has no highlight, and what differs is
    what an editor needs to see."""
    out = []
    pos = 0
    for sp in spans:
        out.append(_gap(text[pos:sp.start]))
        word = md_text(text[sp.start:sp.end])
        out.append(word if sp.shared else f"**{word}**")
        pos = sp.end
    out.append(_gap(text[pos:]))
    return defuse_mentions(" ".join("".join(out).split()))  # an @ in one gap and the name in the next word


def _gap(g: str) -> str:
    """Text between words, escaped, keeping whether it had spaces around it."""
    if not g:
        return ""
    core = md_text(g)
    lead = " " if g[:1].isspace() else ""
    trail = " " if g[-1:].isspace() and core else ""
    return lead + core + trail


def _md_code(s: str) -> str:
    return " ".join(_clean(s).split()).replace("`", "'").replace("|", "/")


def render_markdown_report(result: ScanResult, title: str | None = None) -> str:
    s = result.summary()
    title = title or "dedupe report"
    out = [f"# {md_text(title)}", ""]
    kinds = ", ".join(f"{n} {KIND_LABEL.get(k, k).lower()}" for k, n in sorted(s["by_kind"].items())) or "none"
    out.append(
        f"{s['documents']} articles, {s['sentences']} sentences"
        + (f", {s['archive_documents']} archived articles" if s["archive_documents"] else "")
        + f"; {s['clusters']} clusters ({kinds})"
        + (f"; {s['suppressed_inline']} units suppressed inline" if s["suppressed_inline"] else "")
        + f". Threshold {result.settings.threshold:g}, containment {result.settings.containment:g}, "
        f"minimum {result.settings.min_words} words."
    )
    out.append("")
    out.append("Words that differ between copies are in **bold**.")
    out.append("")
    out.append("## Articles")
    out.append("")
    out.append("| article | sentences | repeated sentences | share | repeated quotes | suppressed inline | clusters |")
    out.append("|---|---:|---:|---:|---:|---:|---|")
    for a in article_shares(result):
        links = "; ".join(
            f"{KIND_LABEL.get(k, k)}: " + ", ".join(f"[{i}](#{i.lower()})" for i in ids) for k, ids in a.clusters.items()
        ) or "—"
        out.append(f"| `{_md_code(a.path)}` | {a.sentences} | {a.repeated_sentences} | {a.share:.0%} | "
                   f"{a.repeated_quotes} | {a.suppressed} | {links} |")
    out.append("")
    if result.overlaps:
        out.append("## Articles sharing sentences")
        out.append("")
        out.append("| article | shares with | sentences | share |")
        out.append("|---|---|---:|---:|")
        for o in result.overlaps:
            out.append(f"| `{_md_code(o.doc)}` | `{_md_code(o.other)}` | {o.shared}/{o.total} | {o.share:.0%} |")
        out.append("")
    out.append("## Clusters")
    out.append("")
    if not result.clusters:
        out.append("No repeated sentences or quotes found.")
        out.append("")
    for c in result.clusters:
        out.append(f"### {c.id}")
        out.append("")
        out.append(f"{KIND_LABEL.get(c.kind, c.kind)} ({c.rule}), similarity {c.similarity:.2f}, {len(c.members)} copies.")
        out.append("")
        if c.restatement is None and c.note():  # which detail changed, or what links the copies
            out.append(md_text(c.note()) + ".")
            out.append("")
        for i, (m, sp) in enumerate(zip(c.members, c.alignment())):
            copy_links = [f"[copy {k + 1}](#{member_anchor(c, k).lower()})" for k in _linked(len(c.members), i)]
            if len(c.members) - 1 > len(copy_links):
                copy_links.append(f"and {len(c.members) - 1 - len(copy_links)} more")
            others = ", ".join(copy_links)
            out.append(f'<a id="{member_anchor(c, i).lower()}"></a>')
            out.append(f"**Copy {i + 1}** `{_md_code(_where(m))}` (repeats {others})")
            out.append("")
            out.append("> " + _highlight_md(m.text, sp))
            out.append("")
    if result.errors:
        out.append("## Input errors")
        out.append("")
        for e in result.errors:
            out.append(f"- {md_text(str(e))}")
        out.append("")
    return defuse_commands("\n".join(out).rstrip("\n") + "\n")  # printed to a CI log: no workflow command
