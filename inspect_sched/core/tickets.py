"""Tickets (SPEC §4): every random choice of draw-v1 and assign-v1 is a SHA-256 of the seed.

Standard library only: the auditor's kit runs it.
"""

from __future__ import annotations

import hashlib


def _prefix_hasher(seed: str, purpose: str):  # -> hashlib._Hash
    return hashlib.sha256(f"{seed}|{purpose}|".encode())


def ticket(seed: str, purpose: str, key: str) -> int:
    """``int(SHA-256(UTF-8(seed + "|" + purpose + "|" + key)))``, big-endian, in [0, 2²⁵⁶)."""
    digest = hashlib.sha256(f"{seed}|{purpose}|{key}".encode()).digest()
    return int.from_bytes(digest, "big")


def assign_cost(seed: str, uscc: str, inspector_id: str) -> int:
    """The assignment cost of a (firm, inspector) pair: the ticket's top 40 bits."""
    return ticket(seed, "assign", f"{uscc}|{inspector_id}") >> 216
