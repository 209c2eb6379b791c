"""The assignment instance as arrays: eligible inspectors, costs and coverage needs per firm."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

import numpy as np

from inspect_sched.core.assign.rules import Rules
from inspect_sched.core.inputs import Firm, InspectorRec


def _costs(seed: str, uscc: str, id_bytes: Sequence[bytes]) -> np.ndarray:
    """``assign_cost(seed, uscc, id)`` for many ids at once (int64 array; top 40 bits)."""
    prefix = f"{seed}|assign|{uscc}|".encode()
    sha = hashlib.sha256
    buf = b"".join([sha(prefix + b).digest()[:8] for b in id_bytes])
    return (np.frombuffer(buf, dtype=">u8") >> np.uint64(24)).astype(np.int64)


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


def _instance(seed, firms, inspectors, exclusions, rules) -> _Instance:
    firms = sorted(firms, key=lambda f: f.uscc)
    inspectors = sorted(inspectors, key=lambda i: i.inspector_id)
    if len({f.uscc for f in firms}) != len(firms):
        raise ValueError("duplicate firm in the assignment input")
    if len({i.inspector_id for i in inspectors}) != len(inspectors):
        raise ValueError("duplicate inspector in the assignment input")
    depts = tuple(sorted(set(rules.departments)))
    index = {i.inspector_id: n for n, i in enumerate(inspectors)}
    blocked: dict[str, list[int]] = defaultdict(list)
    for (uscc, iid), _reason in exclusions.items():
        if iid in index:
            blocked[uscc].append(index[iid])
    id_bytes = [i.inspector_id.encode() for i in inspectors]
    n_insp = len(inspectors)
    member: dict[tuple[str, str], np.ndarray] = {}
    if len(depts) > 1:
        for d in depts:
            member[("dept", d)] = np.array([i.department == d for i in inspectors], dtype=bool)
    elig, cost, needs = [], [], []
    for f in firms:
        mask = np.ones(n_insp, dtype=bool)
        if blocked.get(f.uscc):
            mask[blocked[f.uscc]] = False
        idx = np.flatnonzero(mask).astype(np.int64)
        elig.append(idx)
        cost.append(_costs(seed, f.uscc, list(compress(id_bytes, mask)) if len(idx) < n_insp else id_bytes))
        need = [("dept", d) for d in depts] if len(depts) > 1 else []
        specs = sorted({rules.specialty_required[t] for t in f.tags if t in rules.specialty_required})
        for s in specs:
            g = ("spec", s)
            if g not in member:
                member[g] = np.array([s in i.specialties for i in inspectors], dtype=bool)
            need.append(g)
        needs.append(need)
    ks = np.array([rules.k_for(f.uscc) for f in firms], dtype=np.int64)
    k = int(ks.max()) if len(ks) else rules.k
    return _Instance(seed, firms, inspectors, rules, k, ks, depts, elig, cost, needs, member)
