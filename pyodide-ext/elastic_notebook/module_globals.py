"""Values a session shares with imported modules: ``from settings import CONFIG``.

A list, dict, set or plain instance that a module holds as a global (``settings.CONFIG``)
and that a variable holds too is one object: a cell's ``CONFIG['debug'] = True`` changes
what the module's own functions read. Stored as any other value, it loaded as a copy: the
restored variable was no longer the module's, and the freshly imported module had its
defaults again, so a later call (``settings.describe()``) computed with them, without a
word.

A checkpoint writes such an object as a reference to the module's global, with its
items or attributes (`ModuleGlobalIds`). Loading it imports the module and puts them into
the object the global holds there, so the variable and the module share it again. Where
the module does not import, or no longer holds an object of that type under that name,
the load makes a new one: the value comes back, what the module shared with it cannot.

Only the session's own modules are looked at: its files (``settings.py`` beside the
notebook, a package of its own installed in development mode) and modules made at run
time. Not the installed packages' (the standard library, site-packages, the kernel's):
they hold the process's state (``sys.path``, ``os.environ``), and a library's objects
refer to its internals, which a refill with copies would part them from
(``pd.options`` wraps the options registry); a change a cell makes to a library's state
comes back by re-running that cell (`Recorder.changed_by_name`).
"""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import site
import sys
import sysconfig
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from elastic_notebook.core import IdSet
    from elastic_notebook.fingerprint import HasObjects

#: The containers shared this way: exact types, whose items a load puts back in place.
_KINDS = frozenset((list, dict, set))
#: `type.__flags__`' bit of classes made by Python code (``class Settings: ...``).
_HEAP_TYPE = 1 << 9
#: Top-level packages of the kernel and this package: their globals are not the session's.
_KERNEL_PACKAGES = frozenset(
    (
        "__main__",
        "elastic_notebook",
        "IPython",
        "ipykernel",
        "ipywidgets",
        "traitlets",
        "jupyter_client",
        "jupyter_core",
        "comm",
        "zmq",
        "tornado",
        "debugpy",
        "jedi",
        "parso",
        "pygments",
        "prompt_toolkit",
        "matplotlib_inline",
        "cloudpickle",
        "pyodide",
        "_pyodide",
        "pyodide_js",
        "pyodide_kernel",
        "js",
        "micropip",
        "piplite",
    )
)

#: The modules' globals shared this way: id -> (module name, global's name).
ModuleGlobals = dict[int, tuple[str, str]]


def module_globals(user_namespace: Mapping[str, object]) -> ModuleGlobals:
    """The lists, dicts, sets and plain instances the imported modules hold as globals.

    Taken once per checkpoint (0.5 ms with numpy and pandas imported, whose modules are
    skipped by their files' directories). Dunders (``__all__``) are skipped, and so is
    any module whose globals are `user_namespace` (the notebook's own).
    """
    skipped = _KERNEL_PACKAGES | sys.stdlib_module_names
    installed = _installation_directories()
    found: ModuleGlobals = {}
    for module_name, module in list(sys.modules.items()):
        # By its type: `isinstance` would ask a lazy stand-in in sys.modules its __class__.
        if (
            not issubclass(type(module), types.ModuleType)
            or module_name.partition(".")[0] in skipped
            or _installed(module, installed)
        ):
            continue
        attributes = getattr(module, "__dict__", None)
        if not isinstance(attributes, dict) or attributes is user_namespace:
            continue
        for name, value in list(attributes.items()):
            if (type(value) in _KINDS or plain_instance(value)) and not (
                name.startswith("__") and name.endswith("__")
            ):
                found.setdefault(id(value), (module_name, name))
    return found


@functools.cache
def _installation_directories() -> tuple[str, ...]:
    """Where installed modules live: the standard library's and site-packages' directories."""
    paths = sysconfig.get_paths()
    found = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
    found += getattr(site, "getsitepackages", list)()
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if isinstance(user_site, str):
        found.append(user_site)
    return tuple(sorted({os.path.join(os.path.abspath(path), "") for path in found}))


def _installed(module: types.ModuleType, directories: tuple[str, ...]) -> bool:
    """Whether `module` was loaded from an installation's directory (not the session's)."""
    file = getattr(module, "__file__", None)
    return isinstance(file, str) and os.path.abspath(file).startswith(directories)


def plain_instance(value: object) -> bool:
    """Whether `value` is an instance whose attributes a load can put back in place.

    That is an instance of a class written in Python on `object` alone (no builtin base:
    a dict subclass such as matplotlib's ``RcParams`` keeps its items outside its
    ``__dict__``), with a ``__dict__`` and none of pickle's hooks of its own
    (``__reduce__``, ``__getstate__``, ``__setstate__``, ``__getnewargs__``, slots):
    pickle would make a new one and fill its ``__dict__``. Nor a proxy (its own
    ``__getattribute__``). Only the class is asked, and the instance's ``__dict__`` read
    past any hook: a module's lazy object is never made to load here.
    """
    cls = type(value)
    if issubclass(cls, type) or not all(
        base is object or base.__flags__ & _HEAP_TYPE for base in cls.__mro__
    ):
        return False
    if (
        cls.__getattribute__ is not object.__getattribute__
        or cls.__reduce_ex__ is not object.__reduce_ex__
        or cls.__reduce__ is not object.__reduce__
        or getattr(cls, "__getstate__", None) is not getattr(object, "__getstate__", None)
        or any(
            hasattr(cls, hook) for hook in ("__setstate__", "__getnewargs__", "__getnewargs_ex__")
        )
        or any("__slots__" in vars(base) for base in cls.__mro__)
    ):
        return False
    try:
        return isinstance(object.__getattribute__(value, "__dict__"), dict)
    except Exception:  # no instance dict after all
        return False


@dataclass(frozen=True)
class _WithModules:
    """A value's reach, with the modules whose globals it reaches (`with_modules`)."""

    objects: frozenset[int]


def with_modules(reaches: Mapping[str, HasObjects], shared: ModuleGlobals) -> dict[str, HasObjects]:
    """`reaches` where a value that reaches a module's global reaches the module too.

    The variable and the module share that object: grouped as co-variables, they are
    stored or recomputed together. Apart, a restore loaded ``CONFIG`` (filling the
    module's dict) and then re-ran the cell that changed the module, so
    ``mod.CONFIG['n'] += 1`` counted twice.
    """
    if not shared:
        return dict(reaches)
    grouped: dict[str, HasObjects] = {}
    for name, reached in reaches.items():
        modules = {module for module, _ in globals_reached(shared, [reached.objects]).values()}
        ids = [id(sys.modules[m]) for m in modules if m in sys.modules]
        grouped[name] = _WithModules(frozenset(reached.objects).union(ids)) if ids else reached
    return grouped


def globals_reached(shared: ModuleGlobals, reaches: Iterable[IdSet]) -> ModuleGlobals:
    """The globals among `shared` that a group reaches (its members' `reaches`).

    Most groups reach none, and are pickled without persistent ids.
    """
    objects = list(reaches)
    return {key: where for key, where in shared.items() if any(key in o for o in objects)}


#: First item of the persistent ids here (`buffers` has its own).
_TAG = "module global"
#: The kind of a plain instance's id, whose state is its class and attributes.
_INSTANCE = "instance"


class ModuleGlobalIds:
    """Pickle's persistent ids for the modules' globals a group holds.

    A persistent id, because pickle writes exact lists, dicts and sets itself, with no
    call to any override. The id is the module's and the global's names with a copy of
    the object's items (an instance's: its class and a copy of its attributes): pickled
    with the rest, they keep what they share with it. An object that holds itself
    recurses until pickling gives up, and its group goes to the next serializer (and at
    last is recomputed), which is the rare case's price.
    """

    def __init__(self, shared: ModuleGlobals) -> None:
        """`shared`: the globals the group reaches (`module_globals`)."""
        self._shared = shared

    def persistent_id(self, obj: object) -> tuple[object, ...] | None:
        """The id of `obj` if it is one of the modules' globals; None for any other."""
        where = self._shared.get(id(obj))
        if where is None:
            return None
        module_name, name = where
        module = sys.modules.get(module_name)
        if getattr(module, "__dict__", {}).get(name) is not obj:
            return None  # rebound since `module_globals` looked, or another object's id
        if isinstance(obj, list | dict | set) and type(obj) in _KINDS:
            return (_TAG, module_name, name, type(obj).__name__, type(obj)(obj))
        if plain_instance(obj):
            return (_TAG, module_name, name, _INSTANCE, (type(obj), dict(vars(obj))))
        return None


class ModuleGlobalLoads:
    """The loading side of `ModuleGlobalIds`, for one group's load."""

    def __init__(self) -> None:
        # Each reference to a global in a stream has an id of its own: one object for all.
        self._loaded: dict[tuple[str, str], object] = {}

    @staticmethod
    def owns(pid: object) -> bool:
        """Whether `pid` is a module global's id."""
        return isinstance(pid, tuple) and len(pid) == 5 and pid[0] == _TAG

    def persistent_load(self, pid: tuple[object, ...]) -> object:
        """The global `pid` names, holding the stored items (`module_global`)."""
        _, module_name, name, kind_name, items = pid
        if not isinstance(module_name, str) or not isinstance(name, str):
            raise pickle.UnpicklingError(f"a module global's id is damaged: {pid[:4]!r}")
        key = (module_name, name)
        if key not in self._loaded:
            self._loaded[key] = _filled(module_name, name, kind_name, items)
        return self._loaded[key]


def _filled(module_name: str, name: str, kind_name: object, items: object) -> object:
    """The module's global `name` (or a new object) holding `items`, per `kind_name`."""
    if kind_name == _INSTANCE:
        cls, attributes = items if isinstance(items, tuple) and len(items) == 2 else (None, None)
        if not isinstance(cls, type) or not isinstance(attributes, dict):
            raise pickle.UnpicklingError(f"a module global's state is damaged: {name!r}")
        instance = module_global(module_name, name, cls)
        vars(instance).update(attributes)
        return instance
    kinds = {kind.__name__: kind for kind in _KINDS}
    kind = kinds.get(str(kind_name))
    target = None if kind is None else module_global(module_name, name, kind)
    if isinstance(target, dict) and isinstance(items, dict):
        target.update(items)
    elif isinstance(target, list) and isinstance(items, list):
        target.extend(items)
    elif isinstance(target, set) and isinstance(items, set):
        target.update(items)
    else:
        raise pickle.UnpicklingError(f"a module global's items are damaged: {name!r}")
    return target


def module_global(module_name: str, name: str, kind: type) -> object:
    """The module's global `name`, emptied for the stored state; a new `kind` if it has none.

    The module is imported: a restore imports what the session had imported anyway. A
    new instance is made as pickle makes one (``kind.__new__``, no ``__init__``).
    """
    try:
        module = importlib.import_module(module_name)
        target = getattr(module, "__dict__", {}).get(name)
    except Exception:  # not importable here, whatever its import raised: a copy, as before
        target = None
    if type(target) is not kind:
        return kind() if kind in _KINDS else cast("Any", kind).__new__(kind)
    if isinstance(target, list | dict | set):
        target.clear()
    else:
        vars(target).clear()
    return target
