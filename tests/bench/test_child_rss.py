"""A benchmark child's peak RSS is its own, not its parent's."""

from bench.child import run_child


def test_a_child_reports_its_own_peak_not_the_high_water_mark_of_the_process_that_started_it():
    held = bytearray(400 << 20)
    held[:: 1 << 12] = b"x" * len(held[:: 1 << 12])  # touch every page: 400 MB resident
    del held

    report, peak_mb = run_child("bench.child")

    assert report == {}
    assert 5 < peak_mb < 200
