"""The notebooks `bench/session.py` runs: realistic cells, deterministic (seeded).

Each notebook is a list of cells taking together about 1-5 s on a 2-core machine. Cells
never read files, so a notebook can be re-run in a new process to the same values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notebook:
    """One benchmark notebook."""

    name: str
    #: What it stands for, for the report.
    about: str
    cells: tuple[str, ...]


NUMPY_INPLACE = Notebook(
    "numpy_inplace",
    "numpy numeric work: three 32 MB arrays edited in place, a matrix product, sorting",
    (
        "import numpy as np\nrng = np.random.default_rng(0)",
        "prices = rng.standard_normal(4_000_000)\n"
        "volumes = rng.integers(1, 1000, size=4_000_000).astype(np.float64)\n"
        "weights = rng.random((2000, 2000))",
        "prices *= 1.05\nprices += 0.01 * np.sin(np.arange(prices.size))",
        "np.cumsum(volumes, out=volumes)\nvolumes /= volumes[-1]",
        "gram = weights @ weights.T",
        "for _ in range(12):\n"
        "    weights[1:-1] = 0.5 * weights[1:-1] + 0.25 * (weights[:-2] + weights[2:])",
        "weights[weights < 0.5] = 0\nrow_sums = weights.sum(axis=1)\nweights /= row_sums[:, None]",
        "prices.sort()\nquantiles = np.quantile(prices, [0.01, 0.5, 0.99])",
        "signal = np.convolve(prices[:1_000_000], np.ones(50) / 50, mode='same')",
        "spectrum = np.abs(np.fft.rfft(prices))\nspectrum[spectrum < spectrum.mean()] = 0",
        "returns = np.diff(np.log(np.abs(prices) + 1.0))\nreturns.clip(-0.5, 0.5, out=returns)",
        "stats = {'mean': float(prices.mean()), 'std': float(prices.std()),\n"
        "         'vol': float(volumes.max()), 'gram': float(np.trace(gram))}",
        "stats",
    ),
)

PANDAS_CLEANING = Notebook(
    "pandas_cleaning",
    "pandas: 600k-row dataframe, string cleaning, dates, groupby, pivot, merge",
    (
        "import numpy as np\nimport pandas as pd\nrng = np.random.default_rng(1)\nn = 600_000",
        "cities = np.array([' Berlin', 'paris ', 'LONDON', 'Rome', 'madrid', None], dtype=object)\n"
        "df = pd.DataFrame({'city': rng.choice(cities, n), 'amount': rng.normal(100, 30, n),\n"
        "                   'qty': rng.integers(0, 20, n), 'day': rng.integers(0, 365, n)})",
        "df['city'] = df['city'].fillna('unknown').str.strip().str.lower()",
        "df = df[df['amount'] > 0].copy()\ndf['revenue'] = df['amount'] * df['qty']",
        "df['date'] = pd.Timestamp('2025-01-01') + pd.to_timedelta(df['day'], unit='D')\n"
        "df['month'] = df['date'].dt.month",
        "by_city = df.groupby('city').agg(revenue=('revenue', 'sum'), orders=('qty', 'count'),\n"
        "                                 mean_amount=('amount', 'mean'))",
        "monthly = df.pivot_table(index='month', columns='city', values='revenue', aggfunc='sum')",
        "top = df.sort_values('revenue', ascending=False).head(1000)",
        "df['city_rank'] = df.groupby('city')['revenue'].rank(ascending=False)\n"
        "df['weekly'] = df.groupby('city')['revenue'].transform(\n"
        "    lambda s: s.rolling(7, min_periods=1).mean())",
        "df = df.merge(by_city[['orders']], left_on='city', right_index=True)",
        "df.describe()",
    ),
)

PYTHON_LOOPS = Notebook(
    "python_loops",
    "pure Python: 100k order dicts, grouping loops, an in-place update, a prime sieve",
    (
        "import random\nrandom.seed(2)",
        "orders = [{'id': i, 'customer': random.randrange(5000),\n"
        "           'items': [random.randrange(100) for _ in range(random.randrange(1, 6))],\n"
        "           'total': round(random.uniform(1, 500), 2)} for i in range(100_000)]",
        "by_customer = {}\nfor o in orders:\n"
        "    by_customer.setdefault(o['customer'], []).append(o['total'])",
        "item_counts = {}\nfor o in orders:\n    for it in o['items']:\n"
        "        item_counts[it] = item_counts.get(it, 0) + 1",
        "best = sorted(((sum(v), k) for k, v in by_customer.items()), reverse=True)[:20]",
        "primes = [n for n in range(2, 100_000) if all(n % p for p in range(2, int(n**0.5) + 1))]",
        "for o in orders:\n    o['total'] = round(o['total'] * 1.1, 2)",
        "fib = [0, 1]\nfor _ in range(5000):\n    fib.append(fib[-1] + fib[-2])",
        "size = 120\nma = [[(i * j) % 7 for j in range(size)] for i in range(size)]\n"
        "product = [[sum(ma[i][k] * ma[k][j] for k in range(size)) for j in range(size)]\n"
        "           for i in range(size)]",
        "walk = [0]\nfor _ in range(400_000):\n    walk.append(walk[-1] + random.choice((-1, 1)))\n"
        "peak = max(walk)",
        "len(primes), best[0], len(str(fib[-1]))",
    ),
)

_SMALL_CELLS = (
    "t = np.linspace(0, 1, 100_000)\ny = np.sin(2 * np.pi * 5 * t)",
    "log.append(float(y.max()))",
    "config['step'] = config.get('step', 0) + 1",
    "summary = {k: round(float(v), 3) for k, v in zip('abc', np.percentile(y, [5, 50, 95]))}",
    "s = sum(i * i for i in range(200_000))",
    "words = 'the quick brown fox jumps over the lazy dog'.split() * 2000\n"
    "counts = {w: words.count(w) for w in set(words)}",
    "len(log)",
    "m = np.random.default_rng(len(log)).random((100, 100))\n"
    "inv = np.linalg.inv(m + 100 * np.eye(100))",
    "def helper(v):\n    return v * config['step']",
    "r = helper(3)\nprint(f\"step {config['step']}: {s} {r}\")",
)

MANY_SMALL_CELLS = Notebook(
    "many_small_cells",
    "300 small cells (1-10 ms each): small arrays, dicts, a helper function, prints",
    ("import numpy as np\nlog = []\nconfig = {}", *(_SMALL_CELLS * 30)),
)

#: The same 301 cells, every one a different source (a comment tells them apart): none
#: is an analysis the recorder has kept from an earlier run of the same cell.
MANY_DISTINCT_CELLS = Notebook(
    "many_distinct_cells",
    "many_small_cells with every cell's source different: no cell run again",
    (
        MANY_SMALL_CELLS.cells[0],
        *(f"{cell}  # run {index}" for index, cell in enumerate(MANY_SMALL_CELLS.cells[1:])),
    ),
)

ML_LOOPS = Notebook(
    "ml_lstsq_kmeans",
    "ML-ish numpy: 48 MB design matrix, least squares, gradient descent, k-means loops",
    (
        "import numpy as np\nrng = np.random.default_rng(3)",
        "X = rng.standard_normal((300_000, 20))\ntrue_w = rng.standard_normal(20)\n"
        "y = X @ true_w + 0.1 * rng.standard_normal(300_000)",
        "w, *_ = np.linalg.lstsq(X, y, rcond=None)\nresidual = float(np.linalg.norm(X @ w - y))",
        "Xs = (X - X.mean(0)) / X.std(0)",
        "w_gd = np.zeros(20)\nfor _ in range(20):\n"
        "    w_gd -= 0.1 * Xs.T @ (Xs @ w_gd - y) / len(y)",
        "pts = Xs[:100_000, :5].copy()\ncenters = pts[rng.choice(len(pts), 8, replace=False)]",
        "for _ in range(8):\n    d = ((pts[:, None, :] - centers[None]) ** 2).sum(-1)\n"
        "    labels = d.argmin(1)\n"
        "    centers = np.array([pts[labels == k].mean(0) for k in range(8)])",
        "for _ in range(8):\n    d = ((pts[:, None, :] - centers[None]) ** 2).sum(-1)\n"
        "    labels = d.argmin(1)\n"
        "    centers = np.array([pts[labels == k].mean(0) for k in range(8)])",
        "inertia = float(((pts - centers[labels]) ** 2).sum())",
        "residual, inertia",
    ),
)

STRINGS = Notebook(
    "strings",
    "text processing: 60k documents, regex tokenizing, counters, bigrams, case changes",
    (
        "import collections\nimport random\nimport re\nrandom.seed(4)",
        "vocab = [''.join(random.choices('abcdefghijklmnopqrstuvwxyz', k=random.randint(2, 9)))\n"
        "         for _ in range(5000)]\n"
        "docs = [' '.join(random.choices(vocab, k=random.randint(5, 40))) for _ in range(60_000)]",
        "tokens = [w for d in docs for w in re.findall(r'[a-z]+', d)]",
        "freq = collections.Counter(tokens)",
        "bigrams = collections.Counter(zip(tokens, tokens[1:]))\ncommon = bigrams.most_common(50)",
        "docs = [d.upper() for d in docs]",
        "titles = [d.title() for d in docs[:10_000]]",
        "lengths = sorted(len(d) for d in docs)",
        "freq.most_common(5), lengths[len(lengths) // 2]",
    ),
)

#: Part 1: recording overhead.
OVERHEAD = (
    NUMPY_INPLACE,
    PANDAS_CLEANING,
    PYTHON_LOOPS,
    MANY_SMALL_CELLS,
    MANY_DISTINCT_CELLS,
    ML_LOOPS,
    STRINGS,
)
#: Part 3: the reach walk on the values these leave (pure Python: no numpy needed).
WALKED = (PYTHON_LOOPS, STRINGS)
#: Part 4: the least any recorder on IPython's hooks costs, on the notebooks of short cells.
FLOOR = (MANY_SMALL_CELLS, MANY_DISTINCT_CELLS)

COMPUTE_HEAVY = Notebook(
    "compute_heavy",
    "cells that run for seconds and leave small state: Monte Carlo, ridge CV, edit distances",
    (
        "import random\nimport numpy as np",
        "random.seed(5)\nhits = 0\nfor _ in range(4_000_000):\n"
        "    px, py = random.random(), random.random()\n    hits += px * px + py * py <= 1.0\n"
        "pi_estimate = 4 * hits / 4_000_000",
        "rng = np.random.default_rng(6)\nA = rng.standard_normal((20_000, 300))\n"
        "b = A @ rng.standard_normal(300) + rng.standard_normal(20_000)",
        "scores = {}\nfor lam in [0.01, 0.1, 1, 10, 100, 1000]:\n    errs = []\n"
        "    for k in range(5):\n        test = slice(k * 4000, (k + 1) * 4000)\n"
        "        mask = np.ones(20_000, bool)\n        mask[test] = False\n"
        "        At, bt = A[mask], b[mask]\n"
        "        coef = np.linalg.solve(At.T @ At + lam * np.eye(300), At.T @ bt)\n"
        "        errs.append(float(np.mean((A[test] @ coef - b[test]) ** 2)))\n"
        "    scores[lam] = sum(errs) / 5\n"
        "best_lam = min(scores, key=scores.get)\ndel mask, At, bt, coef, errs, test",
        "def edit_distance(s, t):\n    prev = list(range(len(t) + 1))\n"
        "    for i, cs in enumerate(s, 1):\n        cur = [i]\n"
        "        for j, ct in enumerate(t, 1):\n"
        "            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (cs != ct)))\n"
        "        prev = cur\n    return prev[-1]",
        "random.seed(7)\nwords = [''.join(random.choices('acgt', k=60)) for _ in range(300)]\n"
        "distances = [edit_distance(words[i], words[i + 1]) for i in range(299)]\n"
        "distance_summary = (min(distances), max(distances), sum(distances) / len(distances))",
    ),
)

BUFFER_HEAVY = Notebook(
    "buffer_heavy",
    "image-stack processing: 64 MB float32 stack, smoothing, FFT, ~200 MB of arrays in all",
    (
        "import numpy as np\nrng = np.random.default_rng(8)",
        "raw = rng.standard_normal((64, 512, 512)).astype(np.float32)",
        "smoothed = raw.copy()\nfor _ in range(6):\n"
        "    smoothed[:, 1:-1, 1:-1] = (smoothed[:, :-2, 1:-1] + smoothed[:, 2:, 1:-1]\n"
        "                               + smoothed[:, 1:-1, :-2] + smoothed[:, 1:-1, 2:]) / 4",
        "spectrum = np.abs(np.fft.rfft2(smoothed)).astype(np.float32)",
        "features = np.stack([smoothed.mean(0), smoothed.std(0), raw.max(0)])\n"
        "energy = float((spectrum**2).sum())",
    ),
)

#: Part 2: checkpoint/restore against dill and re-running.
CHECKPOINT = (COMPUTE_HEAVY, BUFFER_HEAVY, ML_LOOPS, PANDAS_CLEANING)

BY_NAME = {notebook.name: notebook for notebook in (*OVERHEAD, *CHECKPOINT)}
