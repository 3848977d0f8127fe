"""normalised_content_hash: exact duplicates up to case and whitespace."""

import pytest

from qa_app.models import normalised_content_hash


def test_the_hash_ignores_case():
    assert normalised_content_hash("What IS Paris?", "A City.", "") == normalised_content_hash(
        "what is paris?", "a city.", ""
    )


def test_the_hash_ignores_whitespace_differences():
    assert normalised_content_hash("  What is\n\tParis? ", "A  city.", " ") == normalised_content_hash(
        "What is Paris?", "A city.", ""
    )


def test_the_hash_differs_when_the_words_differ():
    assert normalised_content_hash("What is Paris?", "A city.", "") != normalised_content_hash(
        "What is Rome?", "A city.", ""
    )


def test_the_hash_keeps_question_answer_and_context_apart():
    assert normalised_content_hash("What is", "Paris? A city.", "") != normalised_content_hash(
        "What is Paris?", "A city.", ""
    )


def test_the_hash_is_a_sha256_hex_digest():
    digest = normalised_content_hash("q", "a", "c")

    assert len(digest) == 64
    assert int(digest, 16) >= 0


# Hashes stored with pairs must not change between releases: an import or a job would no longer
# find the pairs that hold its content. Values computed when the hash collapsed whitespace with re.
STORED_HASHES = [
    (
        ("  What is\u00a0Paris?\x1f ", "A\u2003CITY.\n\n", " \u200b "),
        "e25bf6d3f249b71d3c2cb409170ac39fbae111b8b138a80f6438070c20307069",
    ),
    (("Straße", "ǅ", ""), "4dad65908762bc88e8f007ea9eab06f2e2dc143385741e7d4612d2e4b99fe640"),
]


@pytest.mark.parametrize(("texts", "stored"), STORED_HASHES)
def test_the_hash_of_unusual_whitespace_and_case_stays_what_was_stored(texts, stored):
    assert normalised_content_hash(*texts) == stored
