"""The assignment instance as arrays: eligible inspectors, costs and coverage needs per firm."""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing as mp
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

import numpy as np

from inspect_sched.core.assign.eligibility import PairExclusions
from inspect_sched.core.assign.rules import Rules
from inspect_sched.core.inputs import Firm, InspectorRec


def _costs(seed: str, uscc: str, id_bytes: Sequence[bytes]) -> np.ndarray:
    """``assign_cost(seed, uscc, id)`` for many ids at once (int64 array; top 40 bits)."""
    # Copying a hasher primed with the prefix is ~15% cheaper than hashing prefix + id anew.
    base = hashlib.sha256(f"{seed}|assign|{uscc}|".encode())
    cp = base.copy
    out = []
    for b in id_bytes:
        h = cp()
        h.update(b)
        out.append(h.digest()[:8])
    return (np.frombuffer(b"".join(out), dtype=">u8") >> np.uint64(24)).astype(np.int64)


# Below this many pairs a worker pool costs more than it saves (a city draw has ~200k).
PARALLEL_MIN_PAIRS = 400_000
_JOB: tuple | None = None  # what forked workers read: set just before the pool is made


def default_workers() -> int:
    """``INSPECT_SCHED_WORKERS`` if set, else the CPUs this process may use."""
    env = os.environ.get("INSPECT_SCHED_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _cost_chunk(bounds: tuple[int, int]) -> None:
    """Worker: fill the shared output for firms [a, b) (each writes only its own slice)."""
    assert _JOB is not None
    seed, usccs, id_bytes, masks, starts, buf = _JOB
    out = np.frombuffer(buf, dtype=np.int64)
    for f in range(*bounds):
        m = masks[f]
        ids = id_bytes if m is None else list(compress(id_bytes, m))
        out[starts[f]:starts[f + 1]] = _costs(seed, usccs[f], ids)


def pair_costs(
    seed: str, usccs: Sequence[str], id_bytes: Sequence[bytes], masks: Sequence[np.ndarray | None],
    workers: int | None = None,
) -> list[np.ndarray]:
    """Per firm, the costs of its eligible inspectors (``masks[f]`` None = all), in firm order.

    The pairs are independent, so firms are split into fixed contiguous chunks over forked
    workers that write into one shared buffer; each cost is a pure function of its pair, so
    the result is the same whatever the number of workers (a test compares 1 and several).
    """
    global _JOB
    counts = [len(id_bytes) if m is None else int(m.sum()) for m in masks]
    starts = np.zeros(len(masks) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    total = int(starts[-1])
    workers = default_workers() if workers is None else workers
    if workers <= 1 or total < PARALLEL_MIN_PAIRS or "fork" not in mp.get_all_start_methods():
        flat = np.empty(total, dtype=np.int64)
        for f, m in enumerate(masks):
            ids = id_bytes if m is None else list(compress(id_bytes, m))
            flat[starts[f]:starts[f + 1]] = _costs(seed, usccs[f], ids)
    else:
        buf = mmap.mmap(-1, max(8, total * 8))  # anonymous MAP_SHARED: forked children write into it
        n_chunks = min(len(masks), workers * 8)  # several chunks each, so a slow core does not stall the rest
        edges = [len(masks) * c // n_chunks for c in range(n_chunks + 1)]
        _JOB = (seed, list(usccs), list(id_bytes), list(masks), starts, buf)
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                pool.map(_cost_chunk, list(zip(edges[:-1], edges[1:], strict=True)), chunksize=1)
        finally:
            _JOB = None
        flat = np.frombuffer(buf, dtype=np.int64)[:total].copy()
        buf.close()
    return [flat[starts[f]:starts[f + 1]] for f in range(len(masks))]


# --------------------------------------------------------------------------- the instance


@dataclass
class _Instance:
    seed: str
    firms: list[Firm]
    inspectors: list[InspectorRec]
    rules: Rules
    k: int  # the largest team size of any firm
    ks: np.ndarray  # per firm: its team size (int64)
    depts: tuple[str, ...]  # sorted task departments
    elig: list[np.ndarray]  # per firm: sorted eligible inspector indices (int64)
    cost: list[np.ndarray]  # per firm: costs aligned with elig
    needs: list[list[tuple[str, str]]]  # per firm: coverage groups ("dept", d) / ("spec", s)
    member: dict[tuple[str, str], np.ndarray]  # group -> bool mask over inspectors

    @property
    def plain(self) -> bool:
        return not any(self.needs)


def _blocked_masks(firms: list[Firm], inspectors: list[InspectorRec], index: dict[str, int], ex: PairExclusions):
    """``(n, firm) -> eligibility mask or None`` from the factors of ``ex``, without its pairs."""
    known = np.array([i.inspector_id in ex.district_of for i in inspectors], dtype=bool)
    base = ~np.array([i.inspector_id in ex.whole for i in inspectors], dtype=bool)
    # None for an inspector the same-district bar does not apply to: it equals no district.
    district = np.array([ex.bound_district.get(i.inspector_id) for i in inspectors], dtype=object)
    per_district: dict[str, np.ndarray] = {}
    extra: dict[str, list[int]] = defaultdict(list)
    for (uscc, iid) in ex.pairs:
        if iid in index:
            extra[uscc].append(index[iid])

    def mask_of(n: int, f: Firm) -> np.ndarray | None:
        districts = ex.firm_districts.get(f.uscc)
        if districts is None:  # not among the firms the exclusions were made for
            return None
        mask = base.copy()
        if ex.cross_district:
            for d in sorted(districts):
                if d not in per_district:
                    per_district[d] = ~((district == d) & known)
                mask &= per_district[d]
        if extra.get(f.uscc):
            mask[extra[f.uscc]] = False
        return mask

    return mask_of


def _instance(seed, firms, inspectors, exclusions, rules) -> _Instance:
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    if len({f.uscc for f in firms}) != len(firms):
        raise ValueError("duplicate firm in the assignment input")
    if len({i.inspector_id for i in inspectors}) != len(inspectors):
        raise ValueError("duplicate inspector in the assignment input")
    depts = tuple(sorted(set(rules.departments)))
    index = {i.inspector_id: n for n, i in enumerate(inspectors)}
    if isinstance(exclusions, PairExclusions) and not exclusions.mutated:
        blocked_mask = _blocked_masks(firms, inspectors, index, exclusions)
    else:
        blocked: dict[str, list[int]] = defaultdict(list)
        for (uscc, iid), _reason in exclusions.items():
            if iid in index:
                blocked[uscc].append(index[iid])

        def blocked_mask(n: int, f: Firm) -> np.ndarray | None:
            if not blocked.get(f.uscc):
                return None
            mask = np.ones(len(inspectors), dtype=bool)
            mask[blocked[f.uscc]] = False
            return mask

    id_bytes = [i.inspector_id.encode() for i in inspectors]
    n_insp = len(inspectors)
    member: dict[tuple[str, str], np.ndarray] = {}
    if len(depts) > 1:
        for d in depts:
            member[("dept", d)] = np.array([i.department == d for i in inspectors], dtype=bool)
    elig, masks, needs = [], [], []
    for n, f in enumerate(firms):
        mask = blocked_mask(n, f)
        if mask is not None and not mask.all():
            elig.append(np.flatnonzero(mask).astype(np.int64))
            masks.append(mask)
        else:
            elig.append(np.arange(n_insp, dtype=np.int64))
            masks.append(None)
        need = [("dept", d) for d in depts] if len(depts) > 1 else []
        specs = sorted({rules.specialty_required[t] for t in f.tags if t in rules.specialty_required})
        for s in specs:
            g = ("spec", s)
            if g not in member:
                member[g] = np.array([s in i.specialties for i in inspectors], dtype=bool)
            need.append(g)
        needs.append(need)
    cost = pair_costs(seed, [f.uscc for f in firms], id_bytes, masks)
    ks = np.array([rules.k_for(f.uscc) for f in firms], dtype=np.int64)
    k = int(ks.max()) if len(ks) else rules.k
    return _Instance(seed, firms, inspectors, rules, k, ks, depts, elig, cost, needs, member)
