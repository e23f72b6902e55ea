"""The desktop Jupyter kernelspec: an ipykernel with ``elastic_notebook`` already loaded.

A notebook started on this kernel records every cell from its first one, so ``%checkpoint``
works at any time and ``%restore`` works in a fresh notebook without a ``%load_ext`` cell::

    $ python -m elastic_notebook install-kernel --user
    Installed kernelspec elastic-notebook in ~/.local/share/jupyter/kernels/elastic-notebook

ipykernel and jupyter_client are optional dependencies of the package
(``pip install 'elastic-notebook[jupyter]'``); this module imports them only when called.
"""

from __future__ import annotations

import errno
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The default kernelspec name (the directory under ``share/jupyter/kernels``).
KERNEL_NAME = "elastic-notebook"
#: What Jupyter's kernel picker shows.
DISPLAY_NAME = "Python 3 (elastic-notebook)"
#: The kernel's argument that loads the extension before the first cell. ``extra_extensions``
#: rather than ``extensions``: a command-line value replaces the configured one, and users
#: configure ``InteractiveShellApp.extensions`` in their profiles.
EXTENSION_ARGUMENT = "--IPKernelApp.extra_extensions=elastic_notebook"
#: The interpreter option ``ipykernel install`` adds on CPython (see `kernel_dict`).
FROZEN_MODULES_OFF = "-Xfrozen_modules=off"

# jupyter_client's rule for kernelspec names (`kernelspec._is_valid_kernel_name`).
_VALID_NAME = re.compile(r"^[a-z0-9._\-]+$", re.IGNORECASE)


class KernelspecError(Exception):
    """The kernelspec could not be installed; the message says why and what to do."""


@dataclass(frozen=True)
class InstalledKernel:
    """Where a kernelspec was installed and whether Jupyter will find it there."""

    name: str
    path: Path
    #: False when `path` is outside Jupyter's search path (`jupyter --paths`, data), as
    #: with a ``--prefix`` that is not the environment's: set ``JUPYTER_PATH`` to use it.
    on_jupyter_path: bool


def check_name(name: str) -> str:
    """`name` if it is a valid kernelspec name (letters, digits, ``.``, ``_``, ``-``)."""
    if not _VALID_NAME.match(name):
        raise ValueError(
            f"invalid kernel name {name!r}: use only letters, digits, '.', '_' and '-'"
        )
    return name


def kernel_dict(*, display_name: str = DISPLAY_NAME) -> dict[str, Any]:
    """The ``kernel.json`` contents: ipykernel's own, with the extension loaded.

    The kernel runs this interpreter (``sys.executable``), which has elastic_notebook.
    """
    _require_jupyter()
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict(extra_arguments=[EXTENSION_ARGUMENT])
    # As `ipykernel install` (7.x) does: debugpy warns about frozen modules unless they are
    # off. Inserted here rather than through `python_arguments`, which ipykernel 6 lacks.
    argv: list[str] = spec["argv"]
    if sys.implementation.name == "cpython" and FROZEN_MODULES_OFF not in argv:
        argv.insert(1, FROZEN_MODULES_OFF)
    spec["display_name"] = display_name
    return spec


def install(
    *,
    user: bool = False,
    prefix: str | Path | None = None,
    name: str = KERNEL_NAME,
    display_name: str = DISPLAY_NAME,
) -> InstalledKernel:
    """Installs the kernelspec as ``ipykernel install`` would, with the extension preloaded.

    Where it goes: `user` in the user's Jupyter data directory, `prefix` in
    ``PREFIX/share/jupyter/kernels``, neither in the system-wide directory. The spec
    directory also gets ipykernel's logos. Raises `KernelspecError` if ipykernel or
    jupyter_client is missing or the directory cannot be written, `ValueError` for an
    invalid name or both `user` and `prefix`.
    """
    check_name(name)
    if user and prefix is not None:
        raise ValueError("choose either a user install or a prefix, not both")
    _require_jupyter()
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.paths import jupyter_path

    staging = Path(tempfile.mkdtemp(prefix="elastic-notebook-kernel-"))
    try:
        source = staging / name
        # ipykernel's resources (logos) with our kernel.json.
        write_kernel_spec(source, overrides=kernel_dict(display_name=display_name))
        try:
            destination = KernelSpecManager().install_kernel_spec(
                str(source),
                kernel_name=name,
                user=user,
                prefix=None if prefix is None else str(prefix),
            )
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise KernelspecError(
                    f"cannot write the kernelspec: {error}; "
                    "install it for yourself with --user, or elsewhere with --prefix DIR"
                ) from error
            raise KernelspecError(f"cannot write the kernelspec: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    path = Path(destination).resolve()
    searched = {Path(directory).resolve() for directory in jupyter_path("kernels")}
    return InstalledKernel(name=name, path=path, on_jupyter_path=path.parent in searched)


def _require_jupyter() -> None:
    try:
        import ipykernel.kernelspec  # noqa: F401 - the import is the check
        import jupyter_client.kernelspec  # noqa: F401
    except ImportError as error:
        raise KernelspecError(
            f"the Jupyter kernel needs ipykernel and jupyter_client ({error}): "
            f"pip install ipykernel  (into {sys.executable})"
        ) from error
