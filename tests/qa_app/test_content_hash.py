"""normalised_content_hash: exact duplicates up to case and whitespace."""

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
