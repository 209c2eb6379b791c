"""Exact integer LP duals of a min-cost-flow assignment, for the bundle's certificate.

GLOP's duals are floats; rounded, they prove the bound the solver needs to *choose* the
candidate pairs, but they need not close the gap to the optimum exactly. Here the duals
come from node potentials of the optimal flow instead, in integers:

* The optimal teams ``x`` (any routing of them through the typed slots is an optimal flow:
  slot arcs cost nothing) define a residual graph with no negative cycle.
* ``D`` = shortest distance to each node from a virtual root joined to every node by a
  0-cost arc (label-correcting, integers). Every residual arc then has ``w + D(u) − D(v) ≥ 0``.
* ``y_team[f] = D(sink) − D(free_f)``, ``y_cover[f,g] = D(free_f) − D(slot_fg)``,
  ``y_cap[i] = min(0, D(i) − D(sink))`` meet the certificate's signs and complementary
  slackness with ``x``, so the bound equals the teams' cost exactly.

The graph starts with the solver's candidate pairs; eligible pairs outside it whose arc
``D`` violates are added (they have flow 0, so ``x`` stays optimal) until none does. Then ``D``
is the shortest-distance vector of the residual graph over *every* eligible pair, which
depends on the teams alone, not on which candidates the solver happened to use.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from inspect_sched.core.assign.model import _Instance


class _Graph:
    def __init__(self) -> None:
        self.out: list[list[tuple[int, int]]] = []

    def node(self) -> int:
        self.out.append([])
        return len(self.out) - 1

    def arc(self, u: int, v: int, w: int) -> None:
        self.out[u].append((v, w))


def _relax(g: _Graph, dist: list[int], queue: deque[int]) -> None:
    """Label-correcting shortest paths from the current labels (SPFA), in integers."""
    n = len(g.out)
    queued = [False] * n
    for u in queue:
        queued[u] = True
    out = g.out
    pops = 0
    while queue:
        u = queue.popleft()
        queued[u] = False
        pops += 1
        if pops > n * n + n:  # more than Bellman-Ford's bound: a negative cycle, never a hang
            raise RuntimeError("the residual graph has a negative cycle: the flow is not optimal")
        du = dist[u]
        for v, w in out[u]:
            if du + w < dist[v]:
                dist[v] = du + w
                if not queued[v]:
                    queued[v] = True
                    queue.append(v)


def flow_duals(inst: _Instance, fs: np.ndarray, ins: np.ndarray, cs: np.ndarray, x: np.ndarray):
    """Integer duals ``(y_team, y_cover, y_cap)`` whose bound equals the cost of ``x``.

    Valid for the plain and typed-slot flows (each inspector meets at most one need of a
    firm). ``fs, ins, cs, x`` are the solver's pairs and 0/1 solution.
    """
    n_f, n_i = len(inst.firms), len(inst.inspectors)
    k, cap = inst.k, inst.rules.max_per_inspector
    g = _Graph()
    src = g.node()
    free = [g.node() for _ in range(n_f)]
    slot = [{grp: g.node() for grp in inst.needs[f]} for f in range(n_f)]
    insp = [g.node() for _ in range(n_i)]
    sink = g.node()
    load = np.bincount(ins[x == 1], minlength=n_i)
    for f in range(n_f):
        if k - len(inst.needs[f]) > 0:
            g.arc(free[f], src, 0)  # src → free is saturated: only its reverse arc is residual
        for node in slot[f].values():
            g.arc(node, src, 0)
    for i in range(n_i):
        if load[i] < cap:
            g.arc(insp[i], sink, 0)
        if load[i] > 0:
            g.arc(sink, insp[i], 0)

    def group_of(f: int, i: int):
        for grp in inst.needs[f]:
            if inst.member[grp][i]:
                return grp
        return None

    def add_pair(f: int, i: int, c: int, via) -> int:
        """A pair node; ``via`` is the slot its unit came through (None: free), or False: no flow."""
        p = g.node()
        grp = group_of(f, i)
        if via is False:
            g.arc(free[f], p, 0)
            if grp is not None:
                g.arc(slot[f][grp], p, 0)
            g.arc(p, insp[i], c)
        else:
            entry = free[f] if via is None else slot[f][via]
            g.arc(p, entry, 0)
            if via is None and grp is not None:
                g.arc(slot[f][grp], p, 0)
            if via is not None:
                g.arc(free[f], p, 0)
            g.arc(insp[i], p, -c)
        return p

    in_graph: list[set[int]] = [set() for _ in range(n_f)]
    used: dict[int, list[tuple[int, int]]] = {f: [] for f in range(n_f)}
    for f, i, c, v in zip(fs.tolist(), ins.tolist(), cs.tolist(), x.tolist(), strict=True):
        in_graph[f].add(i)
        if v:
            used[f].append((i, c))
        else:
            add_pair(f, i, c, False)
    for f in range(n_f):
        open_needs = list(inst.needs[f])
        for i, c in sorted(used[f]):
            grp = group_of(f, i)
            via = grp if grp in open_needs else None
            if via is not None:
                open_needs.remove(via)
            add_pair(f, i, c, via)
        if open_needs:
            raise ValueError("the teams do not meet every need: no optimal flow to take duals from")

    dist = [0] * len(g.out)
    _relax(g, dist, deque(range(len(g.out))))
    while True:
        added: list[int] = []
        d_insp = np.array([dist[n] for n in insp], dtype=np.int64)
        for f, (idx, c) in enumerate(zip(inst.elig, inst.cost, strict=True)):
            entry = np.full(len(idx), min(0, dist[free[f]]), dtype=np.int64)
            for grp, node in slot[f].items():
                m = inst.member[grp][idx]
                entry[m] = np.minimum(entry[m], dist[node])
            bad = np.flatnonzero(entry + c < d_insp[idx])
            for pos in bad.tolist():
                i = int(idx[pos])
                if i not in in_graph[f]:
                    in_graph[f].add(i)
                    p = add_pair(f, i, int(c[pos]), False)
                    dist.append(0)
                    added += [free[f], *slot[f].values(), p]
        if not added:
            break
        _relax(g, dist, deque(dict.fromkeys(added)))

    y_team = np.array([dist[sink] - dist[free[f]] for f in range(n_f)], dtype=np.int64)
    y_cover = {(f, grp): dist[free[f]] - dist[node] for f in range(n_f) for grp, node in slot[f].items()}
    y_cap = np.array([min(0, dist[insp[i]] - dist[sink]) for i in range(n_i)], dtype=np.int64)
    return y_team, y_cover, y_cap
