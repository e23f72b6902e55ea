"""Fingerprints catch in-place changes (also through aliases) and find co-variables,
on real numpy and pandas values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from elastic_notebook.fingerprint import covariable_groups, fingerprint


class Point:
    def __init__(self, x: int) -> None:
        self.x = x


class Slotted:
    __slots__ = ("value",)

    def __init__(self, value: list[int]) -> None:
        self.value = value


def changed(value: object, mutate: Callable[[], object]) -> bool:
    before = fingerprint(value)
    mutate()
    return fingerprint(value).digest != before.digest


def test_list_append_is_caught() -> None:
    lst = [1, 2]
    assert changed(lst, lambda: lst.append(3))


def test_numpy_item_assignment_is_caught() -> None:
    arr = np.zeros(1000)

    def set_item() -> None:
        arr[0] = 1

    assert changed(arr, set_item)


def test_pandas_column_assignment_is_caught() -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})

    def scale() -> None:
        df["a"] = df["a"] * 10

    assert changed(df, scale)


def test_pandas_loc_edit_is_caught() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})

    def edit() -> None:
        df.loc[0, "a"] = 5

    assert changed(df, edit)


def test_attribute_assignment_is_caught() -> None:
    obj = Point(0)

    def set_attr() -> None:
        obj.x = 1

    assert changed(obj, set_attr)
    slotted = Slotted([1])
    assert changed(slotted, lambda: slotted.value.append(2))


def test_nested_append_is_caught() -> None:
    d = {"k": [1]}
    assert changed(d, lambda: d["k"].append(1))


def test_a_mutation_through_an_alias_changes_both_names() -> None:
    l1 = [1, 2]
    holder = {"list": l1}
    before = (fingerprint(l1), fingerprint(holder))
    alias = l1
    alias.append(3)
    assert fingerprint(l1).digest != before[0].digest
    assert fingerprint(holder).digest != before[1].digest


@pytest.mark.parametrize(
    "make",
    [
        lambda: [1, "a", 2.5, None, (1, 2)],
        lambda: {"a": {"b": [float("nan")]}},
        lambda: np.arange(12).reshape(3, 4)[:, ::2],
        lambda: pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]}),
        lambda: Point(3),
    ],
)
def test_an_unchanged_value_keeps_its_fingerprint(make: Callable[[], object]) -> None:
    value = make()
    assert fingerprint(value).digest == fingerprint(value).digest


def test_equal_values_in_other_shapes_differ() -> None:
    assert fingerprint([1, [2]]).digest != fingerprint([[1], 2]).digest
    shared = [0]
    assert fingerprint([shared, shared]).digest != fingerprint([[0], [0]]).digest


def test_cycles_terminate() -> None:
    a: list[object] = [1]
    a.append(a)
    assert fingerprint(a).digest == fingerprint(a).digest


def test_covariables_share_objects_and_atoms_do_not() -> None:
    l1 = [1, 2]
    l2 = l1
    arr = np.arange(10)
    view = arr[::2]
    inner = [5]
    holder = {"x": inner}
    x = 5
    y = 5
    s1 = "shared"
    s2 = "shared"
    namespace = {
        "l1": l1,
        "l2": l2,
        "arr": arr,
        "view": view,
        "inner": inner,
        "holder": holder,
        "x": x,
        "y": y,
        "s1": s1,
        "s2": s2,
    }
    groups = covariable_groups({name: fingerprint(v) for name, v in namespace.items()})
    assert groups == [
        ["arr", "view"],
        ["holder", "inner"],
        ["l1", "l2"],
        ["s1"],
        ["s2"],
        ["x"],
        ["y"],
    ]


def test_large_buffers_are_hashed_in_bounded_pieces() -> None:
    big = np.ones(5_000_000)  # 40 MB: three pieces of 16 MiB
    before = fingerprint(big)
    big[-1] = 2.0
    assert fingerprint(big).digest != before.digest
