"""Inputs of ci/bench peers' real programs, generated deterministically (fixed seeds):

  gen.py z3 FILE       SMT-LIB: 100 small QF_LIA problems (14 integer variables, 35
                       constraints of 4 terms, around a known point), separated by
                       (reset): many short solves, so the total time is stable.
  gen.py text FILE     4 MiB of log-like text for xz and zstd (compressible about 4x).

Run by /usr/bin/python3.11 from bench/peers/run.py."""
import random
import sys


def z3_problems(path, count=100, n=14, m=35, k=4):
    rng = random.Random(1)
    out = []
    for _ in range(count):
        pt = [rng.randint(-30, 30) for _ in range(n)]
        out.append("(reset)")
        out.append("(set-logic QF_LIA)")
        out.extend(f"(declare-fun x{j} () Int)" for j in range(n))
        for _ in range(m):
            idx = [rng.randrange(n) for _ in range(k)]
            co = [rng.randint(-9, 9) for _ in range(k)]
            rhs = sum(c * pt[j] for c, j in zip(co, idx)) + rng.randint(-3, 3)
            terms = " ".join(f"(* {c} x{j})" if c >= 0 else f"(* (- {-c}) x{j})" for c, j in zip(co, idx))
            out.append(f"(assert (<= (+ {terms}) {rhs if rhs >= 0 else f'(- {-rhs})'}))")
        out.append("(check-sat)")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def text(path, size=4 << 20):
    rng = random.Random(2)
    words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))))
             for _ in range(4000)]
    levels = ["INFO", "WARN", "DEBUG", "ERROR"]
    written = 0
    with open(path, "w") as f:
        i = 0
        while written < size:
            line = (f"2026-01-{1 + i // 500000 % 28:02d}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
                    f" {levels[rng.randrange(4)]} worker-{rng.randrange(64)} "
                    + " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
                    + f" id={rng.randrange(1 << 32):08x} took={rng.randrange(10000)}ms\n")
            f.write(line)
            written += len(line)
            i += 1


if __name__ == "__main__":
    {"z3": z3_problems, "text": text}[sys.argv[1]](sys.argv[2])
