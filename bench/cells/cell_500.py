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
import math
from collections import Counter
threshold_1 = 0.5 * scale
def normalize_1(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_1 = normalize_1([w * factor for w in raw_weights if w > threshold_1])
counts_1 = Counter(word.lower() for line in lines for word in line.split())
top_1 = sorted(counts_1.items(), key=lambda kv: -kv[1])[:10]
summary_1 = {name: round(math.log1p(n), 3) for name, n in top_1}
for i, (name, n) in enumerate(top_1):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_1 = len(flagged) / len(top_1)
except ZeroDivisionError as err:
    ratio_1 = 0.0
with open(path) as fh:
    header_1 = fh.readline()
print(f"{ratio_1:.2f} {summary_1['a'] if 'a' in summary_1 else None}")
import math
from collections import Counter
threshold_2 = 0.5 * scale
def normalize_2(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_2 = normalize_2([w * factor for w in raw_weights if w > threshold_2])
counts_2 = Counter(word.lower() for line in lines for word in line.split())
top_2 = sorted(counts_2.items(), key=lambda kv: -kv[1])[:10]
summary_2 = {name: round(math.log1p(n), 3) for name, n in top_2}
for i, (name, n) in enumerate(top_2):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_2 = len(flagged) / len(top_2)
except ZeroDivisionError as err:
    ratio_2 = 0.0
with open(path) as fh:
    header_2 = fh.readline()
print(f"{ratio_2:.2f} {summary_2['a'] if 'a' in summary_2 else None}")
import math
from collections import Counter
threshold_3 = 0.5 * scale
def normalize_3(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_3 = normalize_3([w * factor for w in raw_weights if w > threshold_3])
counts_3 = Counter(word.lower() for line in lines for word in line.split())
top_3 = sorted(counts_3.items(), key=lambda kv: -kv[1])[:10]
summary_3 = {name: round(math.log1p(n), 3) for name, n in top_3}
for i, (name, n) in enumerate(top_3):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_3 = len(flagged) / len(top_3)
except ZeroDivisionError as err:
    ratio_3 = 0.0
with open(path) as fh:
    header_3 = fh.readline()
print(f"{ratio_3:.2f} {summary_3['a'] if 'a' in summary_3 else None}")
import math
from collections import Counter
threshold_4 = 0.5 * scale
def normalize_4(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_4 = normalize_4([w * factor for w in raw_weights if w > threshold_4])
counts_4 = Counter(word.lower() for line in lines for word in line.split())
top_4 = sorted(counts_4.items(), key=lambda kv: -kv[1])[:10]
summary_4 = {name: round(math.log1p(n), 3) for name, n in top_4}
for i, (name, n) in enumerate(top_4):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_4 = len(flagged) / len(top_4)
except ZeroDivisionError as err:
    ratio_4 = 0.0
with open(path) as fh:
    header_4 = fh.readline()
print(f"{ratio_4:.2f} {summary_4['a'] if 'a' in summary_4 else None}")
import math
from collections import Counter
threshold_5 = 0.5 * scale
def normalize_5(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_5 = normalize_5([w * factor for w in raw_weights if w > threshold_5])
counts_5 = Counter(word.lower() for line in lines for word in line.split())
top_5 = sorted(counts_5.items(), key=lambda kv: -kv[1])[:10]
summary_5 = {name: round(math.log1p(n), 3) for name, n in top_5}
for i, (name, n) in enumerate(top_5):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_5 = len(flagged) / len(top_5)
except ZeroDivisionError as err:
    ratio_5 = 0.0
with open(path) as fh:
    header_5 = fh.readline()
print(f"{ratio_5:.2f} {summary_5['a'] if 'a' in summary_5 else None}")
import math
from collections import Counter
threshold_6 = 0.5 * scale
def normalize_6(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_6 = normalize_6([w * factor for w in raw_weights if w > threshold_6])
counts_6 = Counter(word.lower() for line in lines for word in line.split())
top_6 = sorted(counts_6.items(), key=lambda kv: -kv[1])[:10]
summary_6 = {name: round(math.log1p(n), 3) for name, n in top_6}
for i, (name, n) in enumerate(top_6):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_6 = len(flagged) / len(top_6)
except ZeroDivisionError as err:
    ratio_6 = 0.0
with open(path) as fh:
    header_6 = fh.readline()
print(f"{ratio_6:.2f} {summary_6['a'] if 'a' in summary_6 else None}")
import math
from collections import Counter
threshold_7 = 0.5 * scale
def normalize_7(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_7 = normalize_7([w * factor for w in raw_weights if w > threshold_7])
counts_7 = Counter(word.lower() for line in lines for word in line.split())
top_7 = sorted(counts_7.items(), key=lambda kv: -kv[1])[:10]
summary_7 = {name: round(math.log1p(n), 3) for name, n in top_7}
for i, (name, n) in enumerate(top_7):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_7 = len(flagged) / len(top_7)
except ZeroDivisionError as err:
    ratio_7 = 0.0
with open(path) as fh:
    header_7 = fh.readline()
print(f"{ratio_7:.2f} {summary_7['a'] if 'a' in summary_7 else None}")
import math
from collections import Counter
threshold_8 = 0.5 * scale
def normalize_8(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_8 = normalize_8([w * factor for w in raw_weights if w > threshold_8])
counts_8 = Counter(word.lower() for line in lines for word in line.split())
top_8 = sorted(counts_8.items(), key=lambda kv: -kv[1])[:10]
summary_8 = {name: round(math.log1p(n), 3) for name, n in top_8}
for i, (name, n) in enumerate(top_8):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_8 = len(flagged) / len(top_8)
except ZeroDivisionError as err:
    ratio_8 = 0.0
with open(path) as fh:
    header_8 = fh.readline()
print(f"{ratio_8:.2f} {summary_8['a'] if 'a' in summary_8 else None}")
import math
from collections import Counter
threshold_9 = 0.5 * scale
def normalize_9(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_9 = normalize_9([w * factor for w in raw_weights if w > threshold_9])
counts_9 = Counter(word.lower() for line in lines for word in line.split())
top_9 = sorted(counts_9.items(), key=lambda kv: -kv[1])[:10]
summary_9 = {name: round(math.log1p(n), 3) for name, n in top_9}
for i, (name, n) in enumerate(top_9):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_9 = len(flagged) / len(top_9)
except ZeroDivisionError as err:
    ratio_9 = 0.0
with open(path) as fh:
    header_9 = fh.readline()
print(f"{ratio_9:.2f} {summary_9['a'] if 'a' in summary_9 else None}")
import math
from collections import Counter
threshold_10 = 0.5 * scale
def normalize_10(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_10 = normalize_10([w * factor for w in raw_weights if w > threshold_10])
counts_10 = Counter(word.lower() for line in lines for word in line.split())
top_10 = sorted(counts_10.items(), key=lambda kv: -kv[1])[:10]
summary_10 = {name: round(math.log1p(n), 3) for name, n in top_10}
for i, (name, n) in enumerate(top_10):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_10 = len(flagged) / len(top_10)
except ZeroDivisionError as err:
    ratio_10 = 0.0
with open(path) as fh:
    header_10 = fh.readline()
print(f"{ratio_10:.2f} {summary_10['a'] if 'a' in summary_10 else None}")
import math
from collections import Counter
threshold_11 = 0.5 * scale
def normalize_11(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_11 = normalize_11([w * factor for w in raw_weights if w > threshold_11])
counts_11 = Counter(word.lower() for line in lines for word in line.split())
top_11 = sorted(counts_11.items(), key=lambda kv: -kv[1])[:10]
summary_11 = {name: round(math.log1p(n), 3) for name, n in top_11}
for i, (name, n) in enumerate(top_11):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_11 = len(flagged) / len(top_11)
except ZeroDivisionError as err:
    ratio_11 = 0.0
with open(path) as fh:
    header_11 = fh.readline()
print(f"{ratio_11:.2f} {summary_11['a'] if 'a' in summary_11 else None}")
import math
from collections import Counter
threshold_12 = 0.5 * scale
def normalize_12(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_12 = normalize_12([w * factor for w in raw_weights if w > threshold_12])
counts_12 = Counter(word.lower() for line in lines for word in line.split())
top_12 = sorted(counts_12.items(), key=lambda kv: -kv[1])[:10]
summary_12 = {name: round(math.log1p(n), 3) for name, n in top_12}
for i, (name, n) in enumerate(top_12):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_12 = len(flagged) / len(top_12)
except ZeroDivisionError as err:
    ratio_12 = 0.0
with open(path) as fh:
    header_12 = fh.readline()
print(f"{ratio_12:.2f} {summary_12['a'] if 'a' in summary_12 else None}")
import math
from collections import Counter
threshold_13 = 0.5 * scale
def normalize_13(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_13 = normalize_13([w * factor for w in raw_weights if w > threshold_13])
counts_13 = Counter(word.lower() for line in lines for word in line.split())
top_13 = sorted(counts_13.items(), key=lambda kv: -kv[1])[:10]
summary_13 = {name: round(math.log1p(n), 3) for name, n in top_13}
for i, (name, n) in enumerate(top_13):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_13 = len(flagged) / len(top_13)
except ZeroDivisionError as err:
    ratio_13 = 0.0
with open(path) as fh:
    header_13 = fh.readline()
print(f"{ratio_13:.2f} {summary_13['a'] if 'a' in summary_13 else None}")
import math
from collections import Counter
threshold_14 = 0.5 * scale
def normalize_14(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_14 = normalize_14([w * factor for w in raw_weights if w > threshold_14])
counts_14 = Counter(word.lower() for line in lines for word in line.split())
top_14 = sorted(counts_14.items(), key=lambda kv: -kv[1])[:10]
summary_14 = {name: round(math.log1p(n), 3) for name, n in top_14}
for i, (name, n) in enumerate(top_14):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_14 = len(flagged) / len(top_14)
except ZeroDivisionError as err:
    ratio_14 = 0.0
with open(path) as fh:
    header_14 = fh.readline()
print(f"{ratio_14:.2f} {summary_14['a'] if 'a' in summary_14 else None}")
import math
from collections import Counter
threshold_15 = 0.5 * scale
def normalize_15(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_15 = normalize_15([w * factor for w in raw_weights if w > threshold_15])
counts_15 = Counter(word.lower() for line in lines for word in line.split())
top_15 = sorted(counts_15.items(), key=lambda kv: -kv[1])[:10]
summary_15 = {name: round(math.log1p(n), 3) for name, n in top_15}
for i, (name, n) in enumerate(top_15):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_15 = len(flagged) / len(top_15)
except ZeroDivisionError as err:
    ratio_15 = 0.0
with open(path) as fh:
    header_15 = fh.readline()
print(f"{ratio_15:.2f} {summary_15['a'] if 'a' in summary_15 else None}")
import math
from collections import Counter
threshold_16 = 0.5 * scale
def normalize_16(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_16 = normalize_16([w * factor for w in raw_weights if w > threshold_16])
counts_16 = Counter(word.lower() for line in lines for word in line.split())
top_16 = sorted(counts_16.items(), key=lambda kv: -kv[1])[:10]
summary_16 = {name: round(math.log1p(n), 3) for name, n in top_16}
for i, (name, n) in enumerate(top_16):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_16 = len(flagged) / len(top_16)
except ZeroDivisionError as err:
    ratio_16 = 0.0
with open(path) as fh:
    header_16 = fh.readline()
print(f"{ratio_16:.2f} {summary_16['a'] if 'a' in summary_16 else None}")
import math
from collections import Counter
threshold_17 = 0.5 * scale
def normalize_17(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_17 = normalize_17([w * factor for w in raw_weights if w > threshold_17])
counts_17 = Counter(word.lower() for line in lines for word in line.split())
top_17 = sorted(counts_17.items(), key=lambda kv: -kv[1])[:10]
summary_17 = {name: round(math.log1p(n), 3) for name, n in top_17}
for i, (name, n) in enumerate(top_17):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_17 = len(flagged) / len(top_17)
except ZeroDivisionError as err:
    ratio_17 = 0.0
with open(path) as fh:
    header_17 = fh.readline()
print(f"{ratio_17:.2f} {summary_17['a'] if 'a' in summary_17 else None}")
import math
from collections import Counter
threshold_18 = 0.5 * scale
def normalize_18(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_18 = normalize_18([w * factor for w in raw_weights if w > threshold_18])
counts_18 = Counter(word.lower() for line in lines for word in line.split())
top_18 = sorted(counts_18.items(), key=lambda kv: -kv[1])[:10]
summary_18 = {name: round(math.log1p(n), 3) for name, n in top_18}
for i, (name, n) in enumerate(top_18):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_18 = len(flagged) / len(top_18)
except ZeroDivisionError as err:
    ratio_18 = 0.0
with open(path) as fh:
    header_18 = fh.readline()
print(f"{ratio_18:.2f} {summary_18['a'] if 'a' in summary_18 else None}")
import math
from collections import Counter
threshold_19 = 0.5 * scale
def normalize_19(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_19 = normalize_19([w * factor for w in raw_weights if w > threshold_19])
counts_19 = Counter(word.lower() for line in lines for word in line.split())
top_19 = sorted(counts_19.items(), key=lambda kv: -kv[1])[:10]
summary_19 = {name: round(math.log1p(n), 3) for name, n in top_19}
for i, (name, n) in enumerate(top_19):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_19 = len(flagged) / len(top_19)
except ZeroDivisionError as err:
    ratio_19 = 0.0
with open(path) as fh:
    header_19 = fh.readline()
print(f"{ratio_19:.2f} {summary_19['a'] if 'a' in summary_19 else None}")
import math
from collections import Counter
threshold_20 = 0.5 * scale
def normalize_20(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_20 = normalize_20([w * factor for w in raw_weights if w > threshold_20])
counts_20 = Counter(word.lower() for line in lines for word in line.split())
top_20 = sorted(counts_20.items(), key=lambda kv: -kv[1])[:10]
summary_20 = {name: round(math.log1p(n), 3) for name, n in top_20}
for i, (name, n) in enumerate(top_20):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_20 = len(flagged) / len(top_20)
except ZeroDivisionError as err:
    ratio_20 = 0.0
with open(path) as fh:
    header_20 = fh.readline()
print(f"{ratio_20:.2f} {summary_20['a'] if 'a' in summary_20 else None}")
import math
from collections import Counter
threshold_21 = 0.5 * scale
def normalize_21(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_21 = normalize_21([w * factor for w in raw_weights if w > threshold_21])
counts_21 = Counter(word.lower() for line in lines for word in line.split())
top_21 = sorted(counts_21.items(), key=lambda kv: -kv[1])[:10]
summary_21 = {name: round(math.log1p(n), 3) for name, n in top_21}
for i, (name, n) in enumerate(top_21):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_21 = len(flagged) / len(top_21)
except ZeroDivisionError as err:
    ratio_21 = 0.0
with open(path) as fh:
    header_21 = fh.readline()
print(f"{ratio_21:.2f} {summary_21['a'] if 'a' in summary_21 else None}")
import math
from collections import Counter
threshold_22 = 0.5 * scale
def normalize_22(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_22 = normalize_22([w * factor for w in raw_weights if w > threshold_22])
counts_22 = Counter(word.lower() for line in lines for word in line.split())
top_22 = sorted(counts_22.items(), key=lambda kv: -kv[1])[:10]
summary_22 = {name: round(math.log1p(n), 3) for name, n in top_22}
for i, (name, n) in enumerate(top_22):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_22 = len(flagged) / len(top_22)
except ZeroDivisionError as err:
    ratio_22 = 0.0
with open(path) as fh:
    header_22 = fh.readline()
print(f"{ratio_22:.2f} {summary_22['a'] if 'a' in summary_22 else None}")
import math
from collections import Counter
threshold_23 = 0.5 * scale
def normalize_23(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_23 = normalize_23([w * factor for w in raw_weights if w > threshold_23])
counts_23 = Counter(word.lower() for line in lines for word in line.split())
top_23 = sorted(counts_23.items(), key=lambda kv: -kv[1])[:10]
summary_23 = {name: round(math.log1p(n), 3) for name, n in top_23}
for i, (name, n) in enumerate(top_23):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_23 = len(flagged) / len(top_23)
except ZeroDivisionError as err:
    ratio_23 = 0.0
with open(path) as fh:
    header_23 = fh.readline()
print(f"{ratio_23:.2f} {summary_23['a'] if 'a' in summary_23 else None}")
import math
from collections import Counter
threshold_24 = 0.5 * scale
def normalize_24(values, eps=1e-9):
    total = sum(values) + eps
    return [v / total for v in values]
weights_24 = normalize_24([w * factor for w in raw_weights if w > threshold_24])
counts_24 = Counter(word.lower() for line in lines for word in line.split())
top_24 = sorted(counts_24.items(), key=lambda kv: -kv[1])[:10]
summary_24 = {name: round(math.log1p(n), 3) for name, n in top_24}
for i, (name, n) in enumerate(top_24):
    if n > limit:
        flagged.append((i, name))
try:
    ratio_24 = len(flagged) / len(top_24)
except ZeroDivisionError as err:
    ratio_24 = 0.0
with open(path) as fh:
    header_24 = fh.readline()
print(f"{ratio_24:.2f} {summary_24['a'] if 'a' in summary_24 else None}")
