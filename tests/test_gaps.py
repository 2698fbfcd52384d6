"""sync/gaps.py: a reader finds the records a server dropped from a device's sequence to its key."""

from __future__ import annotations

from sync import gaps
from sync.ids import uuid7

A, B = b"a" * 32, b"b" * 32


def numbered(device: bytes, numbers: list[int]) -> dict[int, gaps.Numbered]:
    return {n: gaps.Numbered(device, n, uuid7()) for n in numbers}


def test_a_whole_sequence_has_no_gap():
    assert gaps.find(numbered(A, [1, 2, 3]).values()) == []
    assert gaps.find([]) == []


def test_each_run_of_missing_numbers_is_one_gap_between_the_records_either_side():
    held = numbered(A, [1, 4, 5, 7])
    assert gaps.find(held.values()) == [
        gaps.Gap(A, 2, 3, held[1].record_id, held[4].record_id),
        gaps.Gap(A, 6, 6, held[5].record_id, held[7].record_id),
    ]


def test_a_gap_at_the_start_has_nothing_before_it_and_devices_are_apart():
    a, b = numbered(A, [3]), numbered(B, [1, 2])
    assert gaps.find([*b.values(), *a.values()]) == [gaps.Gap(A, 1, 2, None, a[3].record_id)]


def test_one_number_seen_twice_counts_once():
    held = numbered(A, [1, 2])
    again = gaps.Numbered(A, 2, uuid7())
    assert gaps.find([*held.values(), again]) == []


def test_a_huge_number_is_one_gap_of_a_range_not_a_list():
    held = numbered(A, [1, 10**15])
    assert gaps.find(held.values()) == [gaps.Gap(A, 2, 10**15 - 1, held[1].record_id, held[10**15].record_id)]
