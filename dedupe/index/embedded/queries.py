"""Queries of the embedded index's key files: the keys a draft unit probes, read block by block."""

from __future__ import annotations

import os

import numpy as np

from dedupe.index.embedded.connection import damaged
from dedupe.index.embedded.layout import BLOCK, HEADER, KeyFile, entry_layout

_U64_MAX = np.uint64(0xFFFFFFFFFFFFFFFF)


_LOOKUP_CHUNK = 2048  # query keys per step: at most (2 * chunk) blocks held at once


def lookup_keyfile(kf: KeyFile, q: np.ndarray, cap: int, location: str, max_unit: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~dedupe.index.base.lookup_sorted` for one key file, reading
    only the blocks the query keys can be in.

    The entries equal to ``q[i]`` start in the block before the first fence
    >= q[i] and end in the block of the last fence <= q[i]: the fences are
    binary-searched in the mapping (a few pages), those blocks (one page each)
    are read with ``pread`` (not through the mapping: the kernel would map the
    neighbouring cached pages too, and a process's memory would grow with the
    archive), checked (sorted, first key = fence) and counted, which gives the
    same ``lo``/``hi`` bounds a binary search over the whole file would; then
    the unit ids of the hits are read."""
    n = kf.n
    z = np.zeros(0, dtype=np.int64)
    counts = np.zeros(len(q), dtype=np.int64)
    if n == 0 or len(q) == 0:
        return z, z, counts
    qi_parts, u_parts = [], []
    span = np.arange(BLOCK, dtype=np.int64)
    bs = 8 * BLOCK
    u_off = entry_layout(n)[0]
    fd = kf.fd
    for c0 in range(0, len(q), _LOOKUP_CHUNK):
        qc = q[c0:c0 + _LOOKUP_CHUNK]
        bl = np.maximum(np.searchsorted(kf.fences, qc, "left") - 1, 0)
        bh = np.maximum(np.searchsorted(kf.fences, qc, "right") - 1, 0)
        blocks = np.unique(np.concatenate([bl, bh]))
        data = b"".join(os.pread(fd, bs, HEADER + b * bs) for b in blocks.tolist())
        if len(data) != bs * len(blocks):  # a block at the very end of a small file
            data = b"".join(p.ljust(bs, b"\xff") for p in (os.pread(fd, bs, HEADER + b * bs) for b in blocks.tolist()))
        rows = np.frombuffer(data, dtype=np.uint64).reshape(len(blocks), BLOCK).copy()
        rows[(blocks[:, None] * BLOCK + span) >= n] = _U64_MAX
        # blocks in file order: their keys, one after another, are sorted too
        flat = rows.reshape(-1)
        if (rows[:, 0] != kf.fences[blocks]).any() or (flat[1:] < flat[:-1]).any():
            raise damaged(location, f"key file {kf.name} is not in order")
        rl = np.searchsorted(blocks, bl) * BLOCK
        rh = np.searchsorted(blocks, bh) * BLOCK
        lo = bl * BLOCK + np.clip(np.searchsorted(flat, qc, "left") - rl, 0, BLOCK)
        hi = np.minimum(bh * BLOCK + np.clip(np.searchsorted(flat, qc, "right") - rh, 0, BLOCK), n)
        cnt = np.maximum(hi - lo, 0)
        counts[c0:c0 + len(qc)] = cnt
        take = np.minimum(cnt, cap)
        hit = np.flatnonzero(take)
        if not len(hit):
            continue
        tk = take[hit]
        ub = b"".join(os.pread(fd, 4 * t, u_off + 4 * (h - t)) for h, t in zip(hi[hit].tolist(), tk.tolist()))
        if len(ub) != 4 * int(tk.sum()):
            raise damaged(location, f"key file {kf.name} is too short")
        units = np.frombuffer(ub, dtype=np.uint32).astype(np.int64)
        if (units <= 0).any() or (units >= max_unit).any():
            raise damaged(location, f"key file {kf.name} points to units that never existed")
        qi_parts.append(np.repeat(c0 + hit, tk))
        u_parts.append(units)
    if not qi_parts:
        return z, z, counts
    return np.concatenate(qi_parts), np.concatenate(u_parts), counts
