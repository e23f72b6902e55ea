"""``python -m elastic_notebook``: commands of the Python package.

``install-kernel`` registers the Jupyter kernel "Python 3 (elastic-notebook)" (see
`elastic_notebook.kernelspec`). Exit status: 0 done, 1 failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from elastic_notebook import kernelspec

PROG = "python -m elastic_notebook"


def _kernel_name(value: str) -> str:
    try:
        return kernelspec.check_name(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    """The command-line parser (``--help`` shows it)."""
    main_parser = argparse.ArgumentParser(
        prog=PROG,
        description="elastic-notebook: checkpoint and restore of live notebook sessions.",
    )
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    install = commands.add_parser(
        "install-kernel",
        help="register the Jupyter kernel 'Python 3 (elastic-notebook)'",
        description=(
            "Register a Jupyter kernelspec that runs ipykernel on this Python "
            f"({sys.executable}) with elastic_notebook loaded before the first cell, so "
            "%checkpoint and %restore work without %load_ext. Without --user or "
            "--prefix it installs system-wide, as 'ipykernel install' does."
        ),
    )
    where = install.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user only")
    where.add_argument(
        "--prefix",
        metavar="DIR",
        type=Path,
        help="install into DIR/share/jupyter/kernels (e.g. a virtualenv)",
    )
    where.add_argument(
        "--sys-prefix",
        dest="prefix",
        action="store_const",
        const=Path(sys.prefix),
        help=f"shorthand for --prefix {sys.prefix}",
    )
    install.add_argument(
        "--name",
        type=_kernel_name,
        default=kernelspec.KERNEL_NAME,
        help=f"the kernelspec name (default: {kernelspec.KERNEL_NAME})",
    )
    install.add_argument(
        "--display-name",
        default=kernelspec.DISPLAY_NAME,
        help=f"the name Jupyter shows (default: {kernelspec.DISPLAY_NAME!r})",
    )
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command in `argv` (default: the process's arguments); the exit status."""
    args = parser().parse_args(argv)
    if args.command == "install-kernel":
        return _install_kernel(args)
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects others


def _install_kernel(args: argparse.Namespace) -> int:
    try:
        installed = kernelspec.install(
            user=args.user, prefix=args.prefix, name=args.name, display_name=args.display_name
        )
    except kernelspec.KernelspecError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print(f"Installed kernelspec {installed.name} in {installed.path}")
    if not installed.on_jupyter_path:
        print(
            f"note: Jupyter does not search {installed.path.parent} by default; "
            f"to use it, set JUPYTER_PATH={installed.path.parent.parent}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
