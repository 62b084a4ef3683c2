"""`computed_once`: worked out on first use, then read from the instance like an attribute."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, replace

from pipeflow.model.once import computed_once

calls: list[int] = []


@dataclass(frozen=True)
class Box:
    n: int

    @computed_once
    def doubled(self) -> int:
        """Twice n."""
        calls.append(self.n)
        return 2 * self.n


def test_worked_out_once_per_instance_even_when_frozen() -> None:
    calls.clear()
    box, other = Box(3), Box(4)
    assert (box.doubled, box.doubled, other.doubled, box.doubled) == (6, 6, 8, 6)
    assert calls == [3, 4]
    assert box.__dict__["doubled"] == 6


def test_no_part_in_equality_hash_repr_or_replace() -> None:
    box = Box(3)
    assert box.doubled == 6
    assert box == Box(3)
    assert hash(box) == hash(Box(3))
    assert repr(box) == "Box(n=3)"
    assert replace(box, n=5).doubled == 10  # a new instance works its own value out


def test_asked_of_the_class_it_is_the_descriptor_with_the_functions_doc() -> None:
    assert isinstance(Box.doubled, computed_once)
    assert Box.doubled.__doc__ == "Twice n."


def test_a_pickled_instance_keeps_or_works_out_its_value() -> None:
    fresh, used = Box(2), Box(5)
    assert used.doubled == 10
    assert pickle.loads(pickle.dumps(fresh)).doubled == 4
    assert pickle.loads(pickle.dumps(used)).doubled == 10
