import math
from collections import Counter
threshold_0 = 0.5 * scale
def normalize_0(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_0 = normalize_0([w * factor for w in raw_weights if w > threshold_0])
counts_0 = Counter(word.lower() for line in lines for word in line.split())
top_0 = sorted(counts_0.items(), key=lambda kv: -kv[1])[:10]
summary_0 = {name: round(math.log1p(n), 3) for name, n in top_0}
for i, (name, n) in enumerate(top_0):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_0 = len(flagged) / len(top_0)
except ZeroDivisionError as err:
    ratio_0 = 0.0
with open(path) as fh:
    header_0 = fh.readline()
print(f"{ratio_0:.2f} {summary_0['a'] if 'a' in summary_0 else None}")
