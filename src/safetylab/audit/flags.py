"""Data-quality flags that need the whole dataset: exact and near duplicates.

Exact duplicates compare a hash of the whole pair; near duplicates compare the request with
MinHash LSH (datasketch) over word 3-shingles. Both keep only small per-pair state (a hash, a
LSH bucket entry), so memory grows slowly with the dataset, not with its text.
"""

from __future__ import annotations

import hashlib
import re

from datasketch import MinHash, MinHashLSH

_WORD = re.compile(r"\w+")
NUM_PERM = 64


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def pair_hash(context: str, chosen: str, rejected: str) -> bytes:
    h = hashlib.blake2b(digest_size=12)
    for part in (context, chosen, rejected):
        h.update(_norm(part).encode())
        h.update(b"\x00")
    return h.digest()


class DuplicateIndex:
    def __init__(self, threshold: float = 0.8):
        self.threshold = threshold
        self.exact: dict[bytes, str] = {}
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._perm = MinHash(num_perm=NUM_PERM, seed=1)  # shared permutations, built once

    def _minhash(self, text: str) -> MinHash | None:
        words = _WORD.findall(text.lower())
        shingles = {" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}
        shingles.discard("")
        if not shingles:
            return None
        m = MinHash(
            num_perm=NUM_PERM,
            seed=1,
            permutations=self._perm.permutations,
            scheme=self._perm.scheme,
        )
        m.update_batch([s.encode() for s in shingles])
        return m

    def check_add(self, key: str, request: str, phash: bytes) -> tuple[str | None, str | None]:
        """Return (exact_duplicate_of, near_duplicate_of) for this pair, then index it. Only a
        request with no near duplicate yet joins the LSH index (one representative per group):
        a file of near-identical requests would otherwise make every query return every earlier
        one, quadratic in the group's size."""
        exact = self.exact.get(phash)
        if exact is None:
            self.exact[phash] = key
        near = None
        m = self._minhash(request)
        if m is not None:
            hits = self.lsh.query(m)
            if hits:
                near = min(hits, key=_order)
            elif key not in self.lsh:
                self.lsh.insert(key, m)
        return exact, near


def _order(key: str) -> tuple[str, int]:
    f, _, line = key.rpartition(":")
    return (f, int(line)) if line.isdigit() else (key, 0)
