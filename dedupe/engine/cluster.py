"""Clusters and findings: connected components of verified pairs, their kinds, members and roll-ups."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.corpus import DocCounts, UnitTable
from dedupe.engine.forked import in_two
from dedupe.engine.match import Matches
from dedupe.findings import Cluster, Member, Overlap, Pair, cluster_fingerprint, detail_pairs
from dedupe.sketch.verify import VerifiedPair
from dedupe.text.units import QUOTE


def components(n: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def build_clusters(
    docs: Sequence[Document],
    table: UnitTable,
    matches: Matches,
    settings: Settings,
    archive: Sequence[bool] | None = None,
    part: int | None = None,
) -> list[Cluster]:
    """Group linked units into clusters with members, pairs and fingerprints (``part`` 0 or 1: only those
    of the first or the second half of the components, by units; see :func:`build_clusters_in_two`)."""
    n_forms = int(matches.form_of.max()) + 1 if len(matches.form_of) else 0
    if n_forms == 0:
        return []
    archive = archive or [False] * len(docs)
    comp = components(n_forms, ((p.a, p.b) for p in matches.pairs))
    comp_arr = np.array(comp, dtype=np.int64)
    unit_comp = comp_arr[matches.form_of]
    # only components with at least two units can be clusters
    multi = np.flatnonzero(np.bincount(unit_comp, minlength=n_forms)[unit_comp] >= 2)
    order = multi[np.lexsort((table.start[multi], table.doc[multi], unit_comp[multi]))]
    uc = unit_comp[order]
    bounds = (np.flatnonzero(np.diff(uc)) + 1).tolist()
    order_list = order.tolist()
    groups = [order_list[a:b] for a, b in zip([0] + bounds, bounds + [len(order_list)])] if order_list else []
    if part is not None:  # the halves split at the group holding the middle unit
        half = bisect_right([0] + bounds, len(order_list) // 2)
        groups = groups[half:] if part else groups[:half]
    # plain lists of the columns involved: cheaper than indexing numpy per group
    col_doc = dict(zip(order_list, table.doc[order].tolist()))
    col_start = dict(zip(order_list, table.start[order].tolist()))
    col_end = dict(zip(order_list, table.end[order].tolist()))
    col_kind = dict(zip(order_list, table.kind[order].tolist()))
    col_form = dict(zip(order_list, matches.form_of[order].tolist()))
    pairs_by_comp: dict[int, list[VerifiedPair]] = {}
    for p in matches.pairs:
        pairs_by_comp.setdefault(comp[p.a], []).append(p)
    clusters: list[Cluster] = []
    for g in groups:
        if len(g) < 2:
            continue
        units = g
        udocs = [col_doc[u] for u in g]
        ustarts = [col_start[u] for u in g]
        uends = [col_end[u] for u in g]
        # drop a unit that overlaps another in the same document (nested quotes)
        keep: list[int] = []
        for k in range(len(units)):
            if keep and udocs[keep[-1]] == udocs[k] and ustarts[k] < uends[keep[-1]]:
                continue
            keep.append(k)
        if len(keep) < 2:
            continue
        arch = [archive[udocs[k]] for k in keep]
        if all(arch):
            continue  # repeats inside the archive are not the draft's problem
        kind_code = col_kind[units[0]]
        member_docs = {udocs[k] for k in keep}
        if kind_code == QUOTE:
            kind = "repeated-quote"
        elif any(arch):
            kind = "archive-match"
        elif len(member_docs) > 1:
            kind = "cross-article"
        else:
            kind = "repeated-sentence"
        if kind not in settings.kinds and "changed-detail" not in settings.kinds:
            continue
        members: list[Member] = []
        first_of_form: dict[int, int] = {}
        cluster_pairs: list[Pair] = []
        for k in keep:
            u = units[k]
            d = docs[udocs[k]]
            s, e = ustarts[k], uends[k]
            idx = len(members)
            members.append(member_of(d, s, e, "quote" if kind_code == QUOTE else "sentence", archive[udocs[k]]))
            f = col_form[u]
            if f in first_of_form:  # an identical copy: linked to the first copy of its form
                cluster_pairs.append(Pair(first_of_form[f], idx, 1.0, 1.0, 1.0))
            else:
                first_of_form[f] = idx
        listed, weakest, links = spanning_links(first_of_form, pairs_by_comp.get(comp[col_form[units[keep[0]]]], []),
                                                settings)
        cluster_pairs.extend(listed)
        links += len(cluster_pairs) - len(listed)
        if not cluster_pairs:
            continue
        cluster_pairs.sort(key=lambda p: (p.a, p.b))
        details = None
        if "changed-detail" in settings.kinds:
            details = detail_pairs(members, cluster_pairs)
            if details:
                kind = "changed-detail"
        if kind not in settings.kinds:
            continue
        clusters.append(
            Cluster(
                id="",
                kind=kind,
                members=members,
                pairs=cluster_pairs,
                similarity=weakest[0],
                jaccard=weakest[1],
                containment=weakest[2],
                fingerprint=cluster_fingerprint(kind, members),
                details=details or None,
                links=links,
            )
        )
    return number_clusters(docs, clusters)


#: From this many units on, :func:`build_clusters_in_two` builds half the clusters in a child (below,
#: forking and reading the child's clusters back cost more than they save).
IN_TWO_UNITS = 20_000


def build_clusters_in_two(docs: Sequence[Document], table: UnitTable, matches: Matches, settings: Settings,
                          archive: Sequence[bool] | None = None) -> list[Cluster]:
    """:func:`build_clusters`, the clusters of the second half of the components built by a forked child
    on the other core meanwhile (:func:`dedupe.engine.forked.in_two`): the same clusters, in the same order."""
    if len(matches.form_of) < IN_TWO_UNITS:
        return build_clusters(docs, table, matches, settings, archive)
    first, second = in_two(lambda k: build_clusters(docs, table, matches, settings, archive, part=k))
    return number_clusters(docs, first + second)


def link_of(p: VerifiedPair, settings: Settings) -> str:
    """What links a verified pair: ``words`` (word alignment), ``jaccard`` or ``containment``."""
    if p.words >= 0:
        return "words"
    return "jaccard" if p.jaccard >= settings.threshold - 1e-12 else "containment"


def spanning_links(first_of_form: dict[int, int], verified: Sequence[VerifiedPair],
                   settings: Settings) -> tuple[list[Pair], tuple[float, float, float], int]:
    """The links a cluster lists, its weakest link and how many verified links it has.

    ``first_of_form`` maps each form of the cluster to its first member; ``verified`` holds the verified
    pairs of the cluster's component (over forms).  Listed: a spanning forest of the verified links, built
    breadth-first from the representative (the first member), so that every copy is linked to the
    representative directly when the two are a verified pair, else through the fewest other copies.
    ``n`` copies list ``n - 1`` links, however many pairs of them were verified: cost and output grow
    with the copies, not with their pairs.  The weakest link (similarity, Jaccard, containment, each the
    minimum) is over every verified link, listed or not.
    """
    adj: dict[int, list[tuple[int, VerifiedPair]]] = {}
    sim = jac = con = 1.0
    links = 0
    for p in verified:
        ia, ib = first_of_form.get(p.a), first_of_form.get(p.b)
        if ia is None or ib is None:
            continue
        links += 1
        s = p.words if p.words >= 0 else p.jaccard
        sim = min(sim, s)
        jac = min(jac, p.jaccard)
        con = min(con, p.containment)
        adj.setdefault(ia, []).append((ib, p))
        adj.setdefault(ib, []).append((ia, p))
    listed: list[Pair] = []
    seen: set[int] = set()
    for root in sorted(first_of_form.values()):
        if root in seen or root not in adj:
            continue
        seen.add(root)
        frontier = [root]
        while frontier:
            nxt: list[int] = []
            for x in frontier:
                for y, p in adj[x]:
                    if y in seen:
                        continue
                    seen.add(y)
                    nxt.append(y)
                    listed.append(Pair(min(x, y), max(x, y), p.jaccard, p.containment,
                                       p.words if p.words >= 0 else -1.0, link_of(p, settings)))
            frontier = nxt
    return listed, (sim, jac, con), links


def member_of(d: Document, start: int, end: int, unit: str, archive: bool) -> Member:
    """The finding member for ``d.text[start:end]``, located in the source file."""
    line, col, eline, ecol = d.location(start, end)
    return Member(doc=d.id, path=d.path, start=start, end=end, line=line, column=col, end_line=eline,
                  end_column=ecol, text=d.text[start:end], unit=unit, title=d.title, archive=archive)


def number_clusters(docs: Sequence[Document], clusters: list[Cluster]) -> list[Cluster]:
    """``clusters`` in reading order (article, then position, then kind), numbered C1, C2, ..."""
    doc_pos = {d.id: i for i, d in enumerate(docs)}
    clusters.sort(key=lambda c: (doc_pos[c.members[0].doc], c.members[0].start, c.kind))
    for i, c in enumerate(clusters, 1):
        c.id = f"C{i}"
    return clusters


#: A cluster spread over more articles than this (a sentence nearly every story carries) is still a
#: finding, but says nothing about which two articles are the same story: it is left out of the roll-up,
#: which would otherwise grow with the square of its size.
ROLLUP_MAX_DOCS = 100
#: At most this many other articles are listed per article (those sharing the most first).
ROLLUP_MAX_PARTNERS = 50


@dataclass
class RollUp:
    """Per article, which other articles it shares sentences with; what was left out is counted."""

    overlaps: list[Overlap]
    skipped_clusters: int = 0  # clusters over more than ROLLUP_MAX_DOCS articles
    omitted_partners: int = 0  # partners past ROLLUP_MAX_PARTNERS of an article


def build_overlaps(docs: Sequence[Document], counts: Sequence[DocCounts], clusters: Sequence[Cluster],
                   archive: Sequence[bool], max_docs: int = ROLLUP_MAX_DOCS,
                   max_partners: int = ROLLUP_MAX_PARTNERS) -> RollUp:
    """Per article, which other articles it shares sentences with, and how much.

    Cost and size grow with the sum over clusters of the square of their articles, capped at
    ``max_docs`` each; an article lists at most ``max_partners`` others.  Counted over numpy columns
    (one row per member and other article of its cluster), not a dict of sets per pair of articles:
    an archive of near-copies has hundreds of thousands of such pairs.  Only the listed partners
    become :class:`~dedupe.findings.Overlap` objects.
    """
    pos = {d.id: i for i, d in enumerate(docs)}
    rows_doc: list[int] = []  # per member of a counted cluster: its article, start, cluster
    rows_start: list[int] = []
    rows_cl: list[int] = []
    cl_docs: list[int] = []  # per counted cluster, its articles (flattened), and how many
    cl_ndocs: list[int] = []
    cl_ids: list[str] = []
    skipped = 0
    for c in clusters:
        if c.kind not in ("cross-article", "archive-match", "changed-detail"):
            continue
        docs_in = c.documents
        if len(docs_in) > max_docs:
            skipped += 1
            continue
        k = len(cl_ids)
        cl_ids.append(c.id)
        cl_ndocs.append(len(docs_in))
        cl_docs.extend(pos[d] for d in docs_in)
        for m in c.members:
            rows_doc.append(pos[m.doc])
            rows_start.append(m.start)
            rows_cl.append(k)
    if not rows_doc:
        return RollUp([], skipped, 0)
    n = len(docs)
    mdoc = np.array(rows_doc, dtype=np.int64)
    mstart = np.array(rows_start, dtype=np.int64)
    mcl = np.array(rows_cl, dtype=np.int64)
    ndocs = np.array(cl_ndocs, dtype=np.int64)
    first = np.concatenate(([0], np.cumsum(ndocs)[:-1]))
    cdocs = np.array(cl_docs, dtype=np.int64)
    # every member against every article of its cluster, its own left out
    reps = ndocs[mcl]
    r_member = np.repeat(np.arange(len(mdoc)), reps)
    r_off = np.arange(len(r_member)) - np.repeat(np.cumsum(reps) - reps, reps)
    other = cdocs[first[mcl[r_member]] + r_off]
    keep = other != mdoc[r_member]
    r_member, other = r_member[keep], other[keep]
    if not len(other):  # every counted cluster inside one article
        return RollUp([], skipped, 0)
    key = mdoc[r_member] * n + other
    start, cl = mstart[r_member], mcl[r_member]
    # sentences shared per (article, other): distinct starts
    o = np.lexsort((start, key))
    ks, ss = key[o], start[o]
    new_start = np.ones(len(ks), dtype=bool)
    new_start[1:] = (ks[1:] != ks[:-1]) | (ss[1:] != ss[:-1])
    keys, first_row = np.unique(ks, return_index=True)
    shared = np.add.reduceat(new_start.astype(np.int64), first_row) if len(ks) else np.zeros(0, dtype=np.int64)
    # the clusters of each (article, other), in cluster order (the order they are numbered in)
    oc = np.lexsort((cl, key))
    kc, cc = key[oc], cl[oc]
    distinct = np.ones(len(kc), dtype=bool)
    distinct[1:] = (kc[1:] != kc[:-1]) | (cc[1:] != cc[:-1])
    kc, cc = kc[distinct], cc[distinct]
    cbounds = np.searchsorted(kc, keys, side="left").tolist() + [len(kc)]
    a_doc, a_other = keys // n, keys % n
    # the same pair seen from the other article
    back_key = a_other * n + a_doc
    at = np.searchsorted(keys, back_key)
    at_ok = at < len(keys)
    found = np.zeros(len(keys), dtype=bool)
    found[at_ok] = keys[at[at_ok]] == back_key[at_ok]
    back = np.where(found, shared[np.minimum(at, len(keys) - 1)], 0)
    elig = np.array([c.eligible_sentences for c in counts], dtype=np.int64)
    is_arch = np.array(list(archive), dtype=bool)
    total = np.maximum(elig[a_doc], shared)
    other_total = np.maximum(elig[a_other], back)
    share = np.where(total > 0, shared / np.maximum(total, 1), 0.0)
    live = np.flatnonzero(~is_arch[a_doc])  # the roll-up speaks for the drafts
    # per article, its partners sharing the most first; at most max_partners listed
    ol = live[np.lexsort((a_other[live], -shared[live], -share[live], a_doc[live]))]
    d_sorted = a_doc[ol]
    group_start = np.ones(len(ol), dtype=bool)
    group_start[1:] = d_sorted[1:] != d_sorted[:-1]
    starts_idx = np.flatnonzero(group_start)
    rank = np.arange(len(ol)) - np.repeat(starts_idx, np.diff(np.append(starts_idx, len(ol))))
    omitted = int(np.count_nonzero(rank >= max_partners))
    listed = ol[rank < max_partners]
    listed = listed[np.lexsort((a_other[listed], -share[listed], a_doc[listed]))]
    ids = [d.id for d in docs]
    titles = [d.title for d in docs]
    cc_list = cc.tolist()
    out: list[Overlap] = []
    for q, dd, oo, sh, tot, bk, otot in zip(listed.tolist(), a_doc[listed].tolist(), a_other[listed].tolist(),
                                           shared[listed].tolist(), total[listed].tolist(), back[listed].tolist(),
                                           other_total[listed].tolist()):
        names = [cl_ids[x] for x in cc_list[cbounds[q]:cbounds[q + 1]]]
        out.append(Overlap(ids[dd], ids[oo], sh, tot, names, other_title=titles[oo], other_shared=bk,
                           other_total=otot))
    return RollUp(out, skipped, omitted)
