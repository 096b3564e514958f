"""Plot bench_spans' output (stdin) as bars: ns per span alloc + free pair, per thread
count, with and without page caches.  Usage:
    build/default/bench_spans 7 | tee out.txt; /usr/bin/python3.11 bench/spans/plot.py OUT.png < out.txt
Lines read: '  <n> thread[s], page cache <on|off>  <median> ns   (min <a>, max <b>)'."""
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = {}
header = []
for line in sys.stdin:
    m = re.match(r"\s*(\d+) threads?\s*, page cache (on|off)\s+([0-9.]+) ns\s+\(min ([0-9.]+), max ([0-9.]+)\)", line)
    if m:
        rows[(int(m[1]), m[2])] = tuple(float(v) for v in m.group(3, 4, 5))
    elif line.strip():
        header.append(line.strip())
if not rows:
    sys.exit("plot.py: no result lines on stdin")
threads = sorted({t for t, _ in rows})
fig, ax = plt.subplots(figsize=(6, 4))
width = 0.38
for k, mode in enumerate(("off", "on")):
    xs = [i + (k - 0.5) * width for i in range(len(threads))]
    med = [rows.get((t, mode), (0, 0, 0))[0] for t in threads]
    lo = [med[i] - rows.get((t, mode), (0, 0, 0))[1] for i, t in enumerate(threads)]
    hi = [rows.get((t, mode), (0, 0, 0))[2] - med[i] for i, t in enumerate(threads)]
    bars = ax.bar(xs, med, width, yerr=[lo, hi], capsize=4, label=f"page cache {mode}")
    ax.bar_label(bars, fmt="%.0f", padding=2)
ax.set_xticks(range(len(threads)), [f"{t} thread{'s' if t > 1 else ''}" for t in threads])
ax.set_ylabel("ns per span alloc + free (median; bars: min-max)")
ax.set_title("goalloc span allocation, 1-8 pages (bench_spans)")
ax.legend()
if len(sys.argv) > 2:
    fig.text(0.01, 0.01, sys.argv[2], fontsize=7)
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=110)
