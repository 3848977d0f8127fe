"""MinHash signatures of a batch: the values datasketch's MinHash gives each text.

Stored pairs keep the LSH buckets of their signatures; signatures computed differently would make
every stored pair invisible to the near-duplicate search.
"""

import zlib

import numpy as np
import pytest
from datasketch import MinHash

from qa_app.assessment.minhash import MINHASH_SEED, MinHasher, shingles

TEXTS = [
    "How does the river relate to the mountain?\nThe river runs down the mountain to the sea.\n",
    "",
    "...",
    "one",
    "two words",
    "a b c",
    "Ünïcödé Straße STRASSE — words, words; WORDS!",
    " ".join(f"word{number}" for number in range(3_000)),
]


@pytest.fixture(scope="module")
def hasher() -> MinHasher:
    return MinHasher(num_perm=128, threshold=0.85)


def datasketch_signature(text: str) -> np.ndarray:
    sketch = MinHash(num_perm=128, seed=MINHASH_SEED, hashfunc=zlib.crc32, scheme="affine32")
    sketch.update_batch(shingles(text))
    return sketch.hashvalues


def test_a_batchs_signatures_are_datasketchs_minhash_of_each_text(hasher):
    expected = np.vstack([datasketch_signature(text) for text in TEXTS])

    assert np.array_equal(hasher.signatures(TEXTS), expected)


def test_signatures_of_a_batch_larger_than_one_permutation_pass_are_datasketchs(hasher, monkeypatch):
    monkeypatch.setattr("qa_app.assessment.minhash.PERMUTED_AT_ONCE", 128 * 50)
    texts = TEXTS * 3

    assert np.array_equal(hasher.signatures(texts), np.vstack([datasketch_signature(text) for text in texts]))


def test_a_text_without_words_has_the_all_max_signature(hasher):
    (signature,) = hasher.signatures(["... !!"])

    assert (signature == np.iinfo(np.uint32).max).all()


def test_shingles_are_the_runs_of_three_case_folded_words():
    assert shingles("The Cat, the HAT and more") == [b"the cat the", b"cat the hat", b"the hat and", b"hat and more"]
    assert shingles("Two words") == [b"two words"]
    assert shingles("!!") == []


def test_no_texts_have_no_signatures(hasher):
    assert hasher.signatures([]).shape == (0, 128)
