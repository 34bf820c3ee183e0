"""A coder's queue, next unit and progress (workbench/storage/queue.py)."""

from __future__ import annotations

import pytest

import workbench as wb


@pytest.fixture
def coded(any_project, demo_units, demo_codebook):
    any_project.add_units(demo_units)
    any_project.add_codebook(demo_codebook, note="first")
    any_project.add_coder("alice")
    any_project.add_coder("bob")
    return any_project


def test_next_unit_walks_the_queue_and_resumes(coded):
    queue = coded.queue("alice")
    assert "t1:3" not in queue  # the deleted placeholder is not offered
    assert coded.next_unit("alice") == queue[0]
    for unit in queue[:3]:
        coded.code(unit, "gratitude", coder="alice")
    assert coded.next_unit("alice") == queue[3]
    # skipping ahead, then coming back
    coded.code(queue[5], "gratitude", coder="alice")
    assert coded.next_unit("alice", after=queue[4]) == queue[6]
    assert coded.next_unit("alice") == queue[3]
    coded.uncode(queue[1], "gratitude", coder="alice")
    assert coded.next_unit("alice") == queue[1]
    # bob's queue is independent
    assert coded.next_unit("bob") == queue[0]
    for unit in queue:
        coded.code(unit, "gratitude", coder="bob")
    assert coded.next_unit("bob") is None
    assert coded.progress("bob") == {"coded": len(queue), "total": len(queue)}
    # new units appear at the end of a finished queue
    coded.add_units(wb.make_units([{"unit_id": "t3:0", "thread_id": "t3", "text": "new post"}]))
    assert coded.next_unit("bob") == "t3:0"


def test_cursor_matches_a_full_scan_after_random_work(coded):
    import random

    rng = random.Random(7)
    queue = coded.queue("alice")
    for _ in range(40):
        unit = rng.choice(queue)
        if rng.random() < 0.7:
            coded.code(unit, "gratitude", coder="alice")
        else:
            coded.uncode(unit, "gratitude", coder="alice")
        coded_units = set(coded.codings(coder="alice")["unit_id"])
        expected = next((u for u in queue if u not in coded_units), None)
        assert coded.next_unit("alice") == expected
