"""CPython workload for ci/bench peers: allocation-heavy pure Python (dicts, lists,
strings, json, regex), run with PYTHONMALLOC=malloc so that every object comes from the
allocator under test.  Deterministic (fixed seed; PYTHONHASHSEED=0 set by the runner):
prints a digest of its results, which must be the same under every allocator.

Usage: python3.11 py_alloc.py [scale%]
"""
import hashlib
import json
import random
import re
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 100
rng = random.Random(12345)
digest = hashlib.sha256()
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau"]


def records(n):
    """Dicts of mixed values: the shape of parsed JSON or ORM rows."""
    out = []
    for i in range(n):
        out.append({
            "id": i,
            "name": "-".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))),
            "tags": [rng.choice(WORDS) for _ in range(rng.randint(0, 6))],
            "score": rng.random() * 100,
            "nested": {"a": i % 7, "b": str(i * 31), "c": [i, i + 1, i + 2]},
        })
    return out


rounds = max(1, 4 * scale // 100)
for r in range(rounds):
    recs = records(20000)
    # JSON round trip: many short-lived strings, dicts and lists.
    text = json.dumps(recs, sort_keys=True)
    back = json.loads(text)
    digest.update(str(len(text)).encode())
    # Grouping with dicts of lists, then sorting.
    groups = {}
    for rec in back:
        for t in rec["tags"]:
            groups.setdefault(t, []).append(rec["id"])
    for k in sorted(groups):
        digest.update(k.encode())
        digest.update(str(sum(groups[k])).encode())
    # Regex over a big joined string; string building and splitting.
    blob = "\n".join(f"{rec['name']}={rec['score']:.3f};{','.join(rec['tags'])}" for rec in back)
    found = re.findall(r"(\w+)-(\w+)=(\d+)\.(\d)", blob)
    digest.update(str(len(found)).encode())
    words = blob.replace(";", " ").replace(",", " ").replace("=", " ").split()
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    digest.update(repr(top).encode())
    # Tuples, sets and list comprehensions that die young.
    pairs = {(rec["id"] % 97, len(rec["tags"])) for rec in back}
    digest.update(str(len(pairs)).encode())
    squares = [x * x for x in range(100000) if x % 3]
    digest.update(str(sum(squares)).encode())
    del recs, text, back, groups, blob, found, words, counts, pairs, squares

print(f"py_alloc rounds={rounds} digest={digest.hexdigest()}")
