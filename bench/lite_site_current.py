"""Whether the JupyterLite site holds a wheel of the working tree's elastic_notebook.

    python3 bench/lite_site_current.py SITE_WHEELS_DIR PACKAGE_DIR

Exits 0 if the site's one ``elastic_notebook-*.whl`` holds exactly the package's Python,
wasm and JavaScript files; otherwise names what differs and exits 1. Used by
``bench/run --browser`` (which then rebuilds the site) and by ``bench/browser.mjs``
(which refuses to measure a stale site).
"""

import sys
import zipfile
from pathlib import Path


def main() -> int:
    """Compares the wheel in ``argv[1]`` with the package in ``argv[2]``."""
    wheels = sorted(Path(sys.argv[1]).glob("elastic_notebook-*.whl"))
    source = Path(sys.argv[2])
    if len(wheels) != 1:
        print(f"    {len(wheels)} elastic_notebook wheels in {sys.argv[1]}, not one")
        return 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        packed = {n: wheel.read(n) for n in wheel.namelist() if n.startswith("elastic_notebook/")}
    files = [
        p
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".wasm", ".js")
    ]
    stale = sorted(
        str(p.relative_to(source))
        for p in files
        if packed.get(f"elastic_notebook/{p.relative_to(source)}") != p.read_bytes()
    )
    if stale:
        print(f"    the site's wheel differs from the working tree: {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
