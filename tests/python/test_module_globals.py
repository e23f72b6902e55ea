"""Lists, dicts and sets a module holds as globals load back into that module's objects."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import numpy as np
import pytest

from elastic_notebook.fingerprint import covariable_groups, reach
from elastic_notebook.module_globals import globals_reached, module_globals, with_modules
from elastic_notebook.serialize import SerializedGroup, load_group, serialize_group

MODULE = "elastic_test_settings"


class Options:
    """A library's settings object (a plain instance)."""

    def __init__(self) -> None:
        self.verbose = False


Options.__module__ = MODULE


class Slotted:
    """An instance with slots: pickle has to make it, nothing to put in place."""

    __slots__ = ("level",)

    def __init__(self) -> None:
        self.level = 1


class Params(dict[str, object]):
    """A dict subclass (as matplotlib's `RcParams`): its items are not in its `__dict__`."""


class Lazy:
    """A proxy that loads on first use (as `lazy_object_proxy`): never to be made to."""

    def __getattribute__(self, name: str) -> object:
        raise AssertionError(f"the proxy was asked for {name}")


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """A library module with a config dict, a results list and a tag set."""
    module = types.ModuleType(MODULE)  # made at run time: the session's own
    module.CONFIG = {"scale": 1}  # type: ignore[attr-defined]
    module.RESULTS = []  # type: ignore[attr-defined]
    module.TAGS = set()  # type: ignore[attr-defined]
    module.__all__ = ["CONFIG"]  # type: ignore[attr-defined]
    module.Options = Options  # type: ignore[attr-defined]
    module.options = Options()  # type: ignore[attr-defined]
    module.slotted = Slotted()  # type: ignore[attr-defined]
    module.params = Params(scale=1)  # type: ignore[attr-defined]
    module.lazy = Lazy()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, MODULE, module)
    yield module


def stored(members: dict[str, object]) -> SerializedGroup:
    """`members` serialized as a checkpoint does: with the globals the group reaches."""
    shared = globals_reached(module_globals({}), [reach(v).objects for v in members.values()])
    group = serialize_group(members, shared)
    assert isinstance(group, SerializedGroup), group
    return group


def load(group: SerializedGroup) -> dict[str, object]:
    return load_group([bytearray(blob) for blob in group.blobs()], {})


def test_the_globals_are_the_sessions_modules_lists_dicts_sets_and_instances(
    settings: types.ModuleType,
) -> None:
    found = module_globals({})
    assert found[id(settings.CONFIG)] == (MODULE, "CONFIG")
    assert found[id(settings.RESULTS)] == (MODULE, "RESULTS")
    assert found[id(settings.TAGS)] == (MODULE, "TAGS")
    assert found[id(settings.options)] == (MODULE, "options")
    assert id(settings.__all__) not in found  # a dunder
    assert id(settings.slotted) not in found
    assert id(settings.params) not in found
    assert id(settings.lazy) not in found
    # The standard library's are the process's own state, never put back by a restore;
    # an installed library's refer to its internals, which copies would part them from.
    assert id(sys.path) not in found
    assert id(sys.modules) not in found
    assert id(np.sctypeDict) not in found
    assert not any(where[0].partition(".")[0] in ("numpy", "pytest") for where in found.values())
    # Nor the notebook's own module, whose globals are the user's variables.
    assert id(settings.CONFIG) not in module_globals(vars(settings))


def test_a_global_loads_into_the_modules_object_with_what_was_stored(
    settings: types.ModuleType,
) -> None:
    config, tags = settings.CONFIG, settings.TAGS
    config["scale"] = 10
    tags.add("a")
    settings.RESULTS.append(20)
    group = stored({"config": config, "both": [config, settings.RESULTS], "tags": tags})
    # What a fresh import would hold, in the same objects.
    config.clear()
    config["scale"] = 1
    settings.RESULTS.clear()
    tags.clear()
    back = load(group)
    assert back["config"] is settings.CONFIG
    assert settings.CONFIG == {"scale": 10}
    both = back["both"]
    assert isinstance(both, list)
    assert both[0] is settings.CONFIG and both[1] is settings.RESULTS
    assert settings.RESULTS == [20]
    assert back["tags"] is settings.TAGS
    assert {"a"} == settings.TAGS


def test_a_group_the_plain_pickler_refuses_keeps_them_too(settings: types.ModuleType) -> None:
    """A lambda in the group sends it through cloudpickle, which writes them the same way."""
    settings.CONFIG["key"] = lambda x: x + 1
    group = stored({"config": settings.CONFIG})
    assert group.serializer == "cloudPickle"
    settings.CONFIG.clear()
    back = load(group)
    assert back["config"] is settings.CONFIG
    key = vars(settings)["CONFIG"]["key"]
    assert callable(key) and key(1) == 2


def test_where_the_module_is_gone_or_rebound_the_value_loads_as_a_copy(
    settings: types.ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.RESULTS.append(1)
    group = stored({"results": settings.RESULTS, "alias": settings.RESULTS})
    # Where the global is another list, that one takes the items: it is the module's
    # now, as a fresh import's would be. Where it is no list at all, a new one does.
    settings.RESULTS = [99]  # type: ignore[attr-defined]
    assert load(group)["results"] is settings.RESULTS and settings.RESULTS == [1]
    settings.RESULTS = (99,)  # type: ignore[attr-defined]
    back = load(group)
    assert back["results"] == [1] and back["results"] is back["alias"]
    assert settings.RESULTS == (99,)
    monkeypatch.delitem(sys.modules, MODULE)  # not importable here
    back = load(group)
    assert back["results"] == [1] and back["results"] is back["alias"]


def test_groups_that_reach_no_global_are_pickled_as_before(settings: types.ModuleType) -> None:
    group = stored({"mine": {"scale": 1}, "big": bytearray(2_000_000)})
    assert b"module global" not in group.stream
    with_global = stored({"config": settings.CONFIG, "big": bytearray(2_000_000)})
    assert b"module global" in with_global.stream
    assert len(with_global.buffers) == 1  # the large bytearray still goes out of band
    settings.CONFIG.clear()
    back = load(with_global)
    assert back["config"] is settings.CONFIG and settings.CONFIG == {"scale": 1}
    assert back["big"] == bytearray(2_000_000)


def test_a_plain_instance_loads_into_the_modules_instance(settings: types.ModuleType) -> None:
    options = settings.options
    options.verbose = True
    options.extra = [1]
    group = stored({"options": options, "held": {"o": options}})
    settings.options = Options()  # type: ignore[attr-defined] # a fresh import's
    back = load(group)
    assert back["options"] is settings.options
    assert vars(settings.options) == {"verbose": True, "extra": [1]}
    held = back["held"]
    assert isinstance(held, dict) and held["o"] is settings.options
    settings.options = None  # type: ignore[attr-defined] # no longer an Options
    again = load(group)["options"]
    assert isinstance(again, Options) and vars(again) == {"verbose": True, "extra": [1]}
    assert settings.options is None


def test_a_value_holding_a_modules_global_is_grouped_with_the_module(
    settings: types.ModuleType,
) -> None:
    """They share the object: stored or recomputed together, or a restore would load the
    value and then re-run a cell that changed it through the module."""
    reaches = {
        "config": reach(settings.CONFIG),
        "mod": reach(settings),
        "mine": reach({"k": 1}),
        "opts": reach([settings.options]),
    }
    grouped = with_modules(reaches, module_globals({}))
    assert covariable_groups(grouped) == [["config", "mod", "opts"], ["mine"]]
    assert grouped["mine"] is reaches["mine"]  # reaching no global: as it was
