"""The draw's pure core (SPEC §4, algorithm draw-v1): tickets, sample sizes, inclusion
probabilities and systematic πps selection. No database, no floats: every decision is
made with integers or ``Fraction``.

Speed: a frame holds few distinct weights (credit × risk), so the capping loop runs on
grouped weights, and every π_i is an integer numerator over one common denominator ``D``.
The cumulative sums ``C_k`` are then integers (over ``D``) and the selection test reduces
to comparing small integers (see ``draw_stratum``); a ``Fraction`` is only made once per
distinct weight.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter

from inspect_sched.core.tickets import _prefix_hasher, assign_cost, ticket  # noqa: F401  (re-exported)
from inspect_sched.schema.policy import StratumRule

__all__ = [
    "StratumDraw",
    "assign_cost",
    "draw_stratum",
    "inclusion_probabilities",
    "sample_size",
    "ticket",
]

_numerator = attrgetter("numerator")
_denominator = attrgetter("denominator")


def _seeded_order(seed: str, purpose: str, keys: Sequence[str]) -> tuple[list[bytes], list[int]]:
    """The 32-byte big-endian tickets of ``keys`` under one (seed, purpose), and the
    positions of ``keys`` sorted by ``(ticket, key)``.

    Equal-length big-endian byte strings order exactly as the integers they spell, so the
    digests sort as the tickets. The sort key is ``digest + 4-byte position``: a plain bytes
    comparison, and the position is only reached on equal tickets. Equal tickets mean the
    same key twice (rejected) or a SHA-256 collision; either way the exact ``(ticket, key)``
    order is then re-established by a slower sort, so the order is always total and exact.
    """
    base = _prefix_hasher(seed, purpose)
    copy = base.copy
    digests: list[bytes] = []
    add = digests.append
    for key in keys:
        h = copy()
        h.update(key.encode())
        add(h.digest())
    count = len(digests)
    if count < 1 << 32:
        tagged = [d + i.to_bytes(4, "big") for i, d in enumerate(digests)]
        tagged.sort()
        order = [int.from_bytes(t[32:], "big") for t in tagged]
    else:  # pragma: no cover - beyond any real frame
        order = sorted(range(count), key=digests.__getitem__)
    if len(set(digests)) != count:
        if len(set(keys)) != count:
            seen: set[str] = set()
            for k in keys:
                if k in seen:
                    raise ValueError(f"firm {k} appears more than once")
                seen.add(k)
        order.sort(key=lambda i: (digests[i], keys[i]))
    return digests, order


def sample_size(rule: StratumRule, n_eligible: int) -> int:
    """How many of ``n_eligible`` firms a stratum draws (SPEC §4)."""
    if n_eligible < 0:
        raise ValueError(f"n_eligible must be ≥ 0, got {n_eligible}")
    if rule.full_coverage:
        return n_eligible
    if rule.count is not None:
        return min(rule.count, n_eligible)
    if rule.ratio is None:
        raise ValueError("stratum rule has neither ratio, count nor full_coverage")
    r = Fraction(rule.ratio)
    if not 0 <= r <= 1:
        raise ValueError(f"ratio {r} is not between 0 and 1")
    # ceil(ratio × N), exactly.
    return min(n_eligible, -((-r.numerator * n_eligible) // r.denominator))


def _grouped_pi(groups: dict[Fraction, int], n: int) -> tuple[int, dict[Fraction, int]]:
    """The SPEC capping loop on grouped weights ``{weight: number of firms}``.

    Returns ``(D, numerator)``: each firm of weight ``w`` has ``π = numerator[w] / D``.
    Capping is decided by the weight value alone, so firms of equal weight share π.
    """
    total = sum(groups.values())
    if not 0 <= n <= total:
        raise ValueError(f"sample size {n} is not between 0 and the {total} firms")
    for w in groups:
        if w <= 0:
            raise ValueError(f"weights must be positive, got {w}")
    if n == 0:
        return 1, dict.fromkeys(groups, 0)
    if n == total:
        return 1, dict.fromkeys(groups, 1)
    # Integer weights: W = w × L with L the lcm of the denominators.
    scale = math.lcm(*(Fraction(w).denominator for w in groups))
    scaled = {w: int(Fraction(w) * scale) for w in groups}
    capped: set[Fraction] = set()
    n_capped = 0
    rest_sum = sum(scaled[w] * k for w, k in groups.items())
    while True:
        m = n - n_capped
        # c = m / rest_sum (in scaled units); cap w when c·W ≥ 1, i.e. m·W ≥ rest_sum.
        new = [w for w in groups if w not in capped and m * scaled[w] >= rest_sum]
        if not new:
            break
        for w in new:
            capped.add(w)
            n_capped += groups[w]
            rest_sum -= scaled[w] * groups[w]
    m = n - n_capped
    # π = m·W / rest_sum for the rest; capped firms get rest_sum / rest_sum = 1.
    den = rest_sum
    nums = {w: den if w in capped else m * scaled[w] for w in groups}
    # Reduce by the common factor of everything, so D stays small.
    common = math.gcd(den, *nums.values())
    if common > 1:
        den //= common
        nums = {w: v // common for w, v in nums.items()}
    return den, nums


def _weight_keys(weights: Iterable[Fraction | int]) -> list[tuple[int, int]]:
    # Hashing a Fraction is slow (a modular inverse each time); a (numerator, denominator)
    # pair hashes fast and, as Fraction and int are always in lowest terms, is as exact.
    weights = list(weights)
    try:
        return list(zip(map(_numerator, weights), map(_denominator, weights), strict=True))
    except AttributeError:
        bad = next(w for w in weights if not isinstance(w, Fraction | int))
        raise TypeError(f"weights must be exact (Fraction or int), got {bad!r}") from None


def _pi_by_key(counts: Counter[tuple[int, int]], n: int) -> tuple[int, dict[tuple[int, int], int]]:
    groups = {Fraction(a, b): c for (a, b), c in counts.items()}
    den, nums = _grouped_pi(groups, n)
    return den, {(w.numerator, w.denominator): v for w, v in nums.items()}


def inclusion_probabilities(weights: Sequence[Fraction], n: int) -> list[Fraction]:
    """Exact ``π_i = min(1, c·w_i)`` with ``Σπ = n`` (SPEC §4 capping loop).

    ``n == 0`` gives all 0; ``n == len(weights)`` gives all 1.
    """
    wkeys = _weight_keys(weights)
    den, nums = _pi_by_key(Counter(wkeys), n)
    cache = {k: Fraction(v, den) for k, v in nums.items()}
    return [cache[k] for k in wkeys]


@dataclass(frozen=True)
class StratumDraw:
    """One firm of a stratum in seeded order: its weight, exact π and whether drawn."""

    uscc: str
    weight: Fraction
    pi: Fraction
    order_ticket: int
    selected: bool


_new = object.__new__


def _row(uscc: str, weight: Fraction, pi: Fraction, order_ticket: int, selected: bool) -> StratumDraw:
    # The frozen dataclass __init__ goes through object.__setattr__ per field; filling the
    # instance dict directly builds the same object several times faster.
    row = _new(StratumDraw)
    row.__dict__.update(uscc=uscc, weight=weight, pi=pi, order_ticket=order_ticket, selected=selected)
    return row


def draw_stratum(seed: str, stratum: str, firms: Sequence[tuple[str, Fraction]], n: int) -> list[StratumDraw]:
    """Systematic πps selection of ``n`` of ``firms`` (``(uscc, weight)`` pairs), SPEC §4.

    Rows come back in seeded order: by ``(ticket(seed, "order/" + stratum, uscc), uscc)``.
    With ``U = ticket(seed, "start/" + stratum, "") / 2²⁵⁶`` and ``C_k`` the cumulative π,
    firm ``k`` is selected iff ``ceil(C_k − U) − ceil(C_{k−1} − U) = 1``. The result does
    not depend on the order of ``firms``.

    Exact integer form: with ``π = p/D``, ``C_k = S_k/D`` (``S_k`` an integer) and
    ``U = t/2²⁵⁶``, ``ceil(C_k − U) − ceil(C_{k−1} − U)`` counts the integers ``j`` with
    ``S_{k−1}·2²⁵⁶ ≤ t·D + j·D·2²⁵⁶ < S_k·2²⁵⁶`` (at most one, as π ≤ 1). For an integer
    ``S``, ``S·2²⁵⁶ > τ ⟺ S > ⌊τ/2²⁵⁶⌋`` and ``⌊(t·D + j·D·2²⁵⁶)/2²⁵⁶⌋ = ⌊t·D/2²⁵⁶⌋ + j·D``,
    so the walk compares ``S_k`` with the next threshold ``⌊t·D/2²⁵⁶⌋ + j·D``, all small
    integers.
    """
    count = len(firms)
    if count == 0:
        if n != 0:
            raise ValueError(f"stratum {stratum}: cannot draw {n} of 0 firms")
        return []
    # Paused collection: millions of new objects would otherwise trigger full-heap scans.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        usccs = [f[0] for f in firms]
        weights = [f[1] for f in firms]
        wkeys = _weight_keys(weights)
        groups = Counter(wkeys)
        den, nums = _pi_by_key(groups, n)
        distinct = list(groups)
        group_of = list(map({k: g for g, k in enumerate(distinct)}.__getitem__, wkeys))
        del wkeys
        numerators = [nums[k] for k in distinct]
        pis = [Fraction(nums[k], den) for k in distinct]

        digests, order = _seeded_order(seed, "order/" + stratum, usccs)

        # The systematic walk, in seeded order, on small integers only.
        start = ticket(seed, "start/" + stratum, "")
        threshold = (start * den) >> 256  # ⌊t·D / 2²⁵⁶⌋, the j = 0 threshold
        running = 0
        selected = bytearray(count)
        for i in order:
            running += numerators[group_of[i]]
            if running > threshold:
                threshold += den
                selected[i] = 1
        if running != n * den:  # Σπ = n exactly; a broken invariant must never pass silently
            raise AssertionError(f"stratum {stratum}: Σπ = {running}/{den}, expected {n}")

        # Rows are built in input order (memory order: cache-friendly), then permuted.
        from_bytes = int.from_bytes
        rows = [
            _row(uscc, weight, pis[g], from_bytes(digest, "big"), flag == 1)
            for uscc, weight, g, digest, flag in zip(usccs, weights, group_of, digests, selected, strict=True)
        ]
        return list(map(rows.__getitem__, order))
    finally:
        if gc_was_enabled:
            gc.enable()
