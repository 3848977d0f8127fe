"""Near-duplicates: MinHash signatures of word shingles, LSH band buckets, and similarity checks.

A signature is `num_perm` 32-bit minima (datasketch MinHash, affine32 scheme); its LSH bands
(b bands of r rows, chosen by datasketch for the threshold) are each reduced to one signed
64-bit bucket key, which the database stores per pair and looks up by index. Candidates that
share a bucket are then verified by the estimated Jaccard similarity of their signatures, so a
bucket collision can cost time but never make a false flag.
"""

import re
import zlib
from dataclasses import dataclass

import numpy as np

# Runs of three words. Records of one template share most word pairs (measured: with pairs,
# every record of the bench template met ~8 bucket candidates per 20,000 stored pairs, growing
# with the job); word triples keep their similarity near 0.35, where LSH proposes almost none.
SHINGLE_WORDS = 3
# Fixed seeds: signatures and bucket keys must be the same in every process and every release.
MINHASH_SEED = 1
BUCKET_SEED = 20_240_601
# A bucket shared by very many pairs (boilerplate) would make every record verify all of them.
MAX_CANDIDATES_PER_RECORD = 50

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> list[bytes]:
    """Overlapping runs of `size` normalised words (case-folded, punctuation dropped)."""
    words = _WORD.findall(text.casefold())
    if len(words) <= size:
        return [" ".join(words).encode()] if words else []
    # map and zip over the word list (the shorter slices end it): no Python loop per shingle.
    return list(map(str.encode, map(" ".join, zip(*(words[offset:] for offset in range(size)), strict=False))))


def record_text(question: str, answer: str, context: str) -> str:
    return f"{question}\n{answer}\n{context}"


@dataclass(frozen=True)
class Match:
    """The most similar earlier content: a stored pair (`pair_id`) or an earlier record of the batch."""

    similarity: float
    pair_id: int | None = None
    batch_position: int | None = None


# Hashes permuted at once when a batch's signatures are computed: 4,096 shingles of 128
# permutations, 2 MB of uint32 (measured: faster than 16 MB at once, which stays out of the CPU's
# cache, and 30 MB less at the peak of a batch of 2,000 records).
PERMUTED_AT_ONCE = 1 << 19


def _fmix32(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, datasketch's pre-mix of each hash in its affine32 scheme."""
    hashes = hashes ^ (hashes >> np.uint32(16))
    hashes = hashes * np.uint32(0x85EBCA6B)
    hashes = hashes ^ (hashes >> np.uint32(13))
    hashes = hashes * np.uint32(0xC2B2AE35)
    return hashes ^ (hashes >> np.uint32(16))


class MinHasher:
    def __init__(self, *, num_perm: int, threshold: float):
        # Imported here, not with the module: datasketch brings scipy (60 MB of memory), which a
        # process that never hashes (the web server's pages, a release export) need not load.
        from datasketch import MinHash, MinHashLSH

        # datasketch's permutations (a_k odd, b_k) of its affine32 scheme for our seed.
        self._multiplier, self._offset = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme="affine32").permutations
        self.num_perm = num_perm
        self.threshold = threshold
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.bands, self.rows = lsh.b, lsh.r
        generator = np.random.default_rng(BUCKET_SEED)
        # Odd multipliers per band and row: a random linear hash of each band's values, in
        # uint64 arithmetic where the wraparound is the modulo.
        self._multipliers = generator.integers(1, 2**63, size=(self.bands, self.rows), dtype=np.uint64) | np.uint64(1)

    def signatures(self, texts: list[str]) -> np.ndarray:
        """One row of `num_perm` minima per text; a text without words gets the all-max row (no buckets).

        The values of datasketch's MinHash (affine32 scheme, CRC-32 of each shingle: a third of
        the cost of its default SHA-1), computed for the whole batch in a few numpy operations
        instead of one MinHash object per text (half the time).
        """
        # Each text's shingles hashed at once: a batch holds 4 bytes a shingle, not a bytes object.
        hashes = [np.fromiter(map(zlib.crc32, shingles(text)), dtype=np.uint32) for text in texts]
        counts = np.fromiter(map(len, hashes), dtype=np.int64, count=len(texts))
        mixed = _fmix32(np.concatenate(hashes)) if hashes else np.empty(0, dtype=np.uint32)
        signatures = np.full((len(texts), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        ends = np.cumsum(counts)
        first = 0
        while first < len(texts):
            # Texts [first, last) whose shingles fit in PERMUTED_AT_ONCE hashes (at least one text).
            start = ends[first] - counts[first]
            last = max(first + 1, int(np.searchsorted(ends, start + PERMUTED_AT_ONCE // self.num_perm, "right")))
            with_words = first + np.flatnonzero(counts[first:last])
            if len(with_words):
                # One row per permutation, the shingles along it (a reduction along rows is ten
                # times slower); uint32 arithmetic: the wraparound is the scheme's modulo 2^32.
                permuted = self._multiplier[:, None] * mixed[None, start : ends[last - 1]]
                permuted += self._offset[:, None]
                starts = ends[with_words] - counts[with_words] - start
                signatures[with_words] = np.minimum.reduceat(permuted, starts, axis=1).T
            first = last
        return signatures

    def buckets(self, signatures: np.ndarray) -> np.ndarray:
        """(n, bands) signed 64-bit bucket keys, ready for a BigIntegerField."""
        banded = signatures[:, : self.bands * self.rows].astype(np.uint64).reshape(-1, self.bands, self.rows)
        keys = (banded * self._multipliers).sum(axis=2, dtype=np.uint64)
        return keys.view(np.int64)

    @staticmethod
    def has_content(signatures: np.ndarray) -> np.ndarray:
        return signatures.min(axis=1) != np.iinfo(signatures.dtype).max

    @staticmethod
    def similarity(first: np.ndarray, second: np.ndarray) -> float:
        return float(np.count_nonzero(first == second)) / len(first)

    def find_matches(
        self,
        signatures: np.ndarray,
        buckets: np.ndarray,
        *,
        stored_by_bucket: dict[int, list[int]],
        stored_signatures: dict[int, np.ndarray],
    ) -> list[Match | None]:
        """For each record of a batch, the most similar stored pair or earlier batch record at or
        above the threshold, or None."""
        has_content = self.has_content(signatures)
        batch_by_bucket: dict[int, list[int]] = {}
        matches: list[Match | None] = []
        for position, (signature, keys) in enumerate(zip(signatures, buckets.tolist(), strict=True)):
            if not has_content[position]:
                matches.append(None)
                continue
            stored_candidates: dict[int, None] = {}
            batch_candidates: dict[int, None] = {}
            for key in keys:
                stored_candidates.update(dict.fromkeys(stored_by_bucket.get(key, ())))
                batch_candidates.update(dict.fromkeys(batch_by_bucket.get(key, ())))
            best = None
            for pair_id in list(stored_candidates)[:MAX_CANDIDATES_PER_RECORD]:
                if pair_id in stored_signatures:
                    similarity = self.similarity(signature, stored_signatures[pair_id])
                    if similarity >= self.threshold and (best is None or similarity > best.similarity):
                        best = Match(similarity=similarity, pair_id=pair_id)
            for earlier in list(batch_candidates)[:MAX_CANDIDATES_PER_RECORD]:
                similarity = self.similarity(signature, signatures[earlier])
                if similarity >= self.threshold and (best is None or similarity > best.similarity):
                    best = Match(similarity=similarity, batch_position=earlier)
            matches.append(best)
            for key in keys:
                batch_by_bucket.setdefault(key, []).append(position)
        return matches
