"""gen_smt.py OUTDIR — deterministic SMT-LIB2 problems for z3 (tests/real/z3.sh), some
sat, some unsat, each a file OUTDIR/NN-kind.smt2 ending in (check-sat) and, when sat,
(get-value ...) of terms whose value the constraints fix (so that the answer does not
depend on which model the solver happens to find).  Kinds: bit-vector equations and
identities, factoring, arrays, linear integer systems, pigeonhole, a Latin square."""
import os
import random
import sys

rng = random.Random(4242)
problems = []


def add(kind, text):
    problems.append((kind, text))


def bv(v, w):
    return f"(_ bv{v % (1 << w)} {w})"


# Bit-vector linear equations with a unique solution: x*a + b = c with a odd (invertible
# mod 2^32), and y = x ^ k.
for _ in range(8):
    a, b, x, k = rng.randrange(1, 1 << 32, 2), rng.randrange(1 << 32), rng.randrange(1 << 32), rng.randrange(1 << 32)
    c = (x * a + b) % (1 << 32)
    add(
        "bv-linear",
        f"""(set-logic QF_BV)
(declare-const x (_ BitVec 32))
(declare-const y (_ BitVec 32))
(assert (= (bvadd (bvmul x {bv(a, 32)}) {bv(b, 32)}) {bv(c, 32)}))
(assert (= y (bvxor x {bv(k, 32)})))
(check-sat)
(get-value (x y (bvudiv x (_ bv7 32)) (bvurem y (_ bv1000 32))))
""",
    )

# Bit-vector identities (unsat: they hold for every x, y, z) and equations (sat or not;
# only whether is asked, not which solution).
identities = [
    "(not (= (bvadd (bvand x y) (bvor x y)) (bvadd x y)))",
    "(not (= (bvsub x y) (bvadd x (bvneg y))))",
    "(not (= (bvxor (bvxor x y) y) x))",
    "(not (= (bvmul (bvmul x y) z) (bvmul x (bvmul y z))))",
    "(not (= (bvmul x (bvadd y z)) (bvadd (bvmul x y) (bvmul x z))))",
    "(not (= (bvshl x (_ bv3 {w})) (bvmul x (_ bv8 {w}))))",
    "(not (= (bvlshr (bvshl x (_ bv1 {w})) (_ bv1 {w})) (bvand x (bvlshr (bvnot (_ bv0 {w})) (_ bv1 {w})))))",
]
non_identities = [
    "(not (= (bvmul x y) (bvmul x z)))",
    "(= (bvmul x x) (_ bv2 {w}))",
    "(and (bvult x y) (bvult y z) (= (bvadd x y z) (_ bv5 {w})))",
]
for w in (8, 12, 16):
    for f in identities:
        if "bvmul (bvmul" in f and w > 12:
            continue  # associativity of 16-bit products: minutes of bit-blasting
        add(
            f"bv-identity-{w}",
            f"""(set-logic QF_BV)
(declare-const x (_ BitVec {w}))
(declare-const y (_ BitVec {w}))
(declare-const z (_ BitVec {w}))
(assert {f.format(w=w)})
(check-sat)
""",
        )
    for f in non_identities:
        add(
            f"bv-equation-{w}",
            f"""(set-logic QF_BV)
(declare-const x (_ BitVec {w}))
(declare-const y (_ BitVec {w}))
(declare-const z (_ BitVec {w}))
(assert {f.format(w=w)})
(check-sat)
""",
        )


def is_prime(n):
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


# Factoring: p * q = n over 32 bits with 1 < p <= q < 2^16; unique for a product of two
# primes (sat), none for a prime (unsat).
primes = [p for p in range(3000, 30000) if is_prime(p)]
for _ in range(4):
    p, q = sorted(rng.sample(primes, 2))
    n = p * q
    add(
        "factor",
        f"""(set-logic QF_BV)
(declare-const p (_ BitVec 32))
(declare-const q (_ BitVec 32))
(assert (bvult (_ bv1 32) p))
(assert (bvule p q))
(assert (bvult q (_ bv65536 32)))
(assert (= (bvmul p q) {bv(n, 32)}))
(check-sat)
(get-value (p q))
""",
    )
for _ in range(2):
    n = rng.choice([x for x in primes if x > 20000])  # a prime: no factors (p * q < 2^32)
    add(
        "factor-prime",
        f"""(set-logic QF_BV)
(declare-const p (_ BitVec 32))
(declare-const q (_ BitVec 32))
(assert (bvult (_ bv1 32) p))
(assert (bvult (_ bv1 32) q))
(assert (bvult p (_ bv65536 32)))
(assert (bvult q (_ bv65536 32)))
(assert (= (bvmul p q) {bv(n, 32)}))
(check-sat)
""",
    )

# Arrays: a chain of stores, then reads; the sat ones fix the values read.
for i in range(6):
    n = 30 + 10 * i
    idx = [rng.randrange(1000) for _ in range(n)]
    val = [rng.randrange(1 << 16) for _ in range(n)]
    lines = ["(set-logic QF_ALIA)", "(declare-const a0 (Array Int Int))"]
    for j in range(n):
        lines.append(f"(define-fun a{j + 1} () (Array Int Int) (store a{j} {idx[j]} {val[j]}))")
    last = {}
    for j in range(n):
        last[idx[j]] = val[j]
    probe = sorted(last)[: 5]
    if i % 2 == 0:  # sat: the reads are what the last stores wrote
        for k in probe:
            lines.append(f"(assert (= (select a{n} {k}) {last[k]}))")
        lines.append("(declare-const u Int)")
        lines.append(f"(assert (= u (+ {' '.join(f'(select a{n} {k})' for k in probe)})))")
        lines += ["(check-sat)", "(get-value (u))"]
    else:  # unsat: one read contradicts the last store
        k = probe[0]
        lines.append(f"(assert (= (select a{n} {k}) {last[k] + 1}))")
        lines.append("(check-sat)")
    add("array", "\n".join(lines) + "\n")

# Extensionality: two arrays equal on a range but differing somewhere.
add(
    "array-ext",
    """(set-logic QF_AX)
(declare-sort E 0)
(declare-const a (Array E E))
(declare-const b (Array E E))
(declare-const i E)
(declare-const v E)
(assert (= (store a i v) (store b i v)))
(assert (not (= a b)))
(assert (= (select a i) (select b i)))
(check-sat)
""",
)

# Linear integer systems with a unique solution (a triangular system: sat) and with an
# added parity contradiction (unsat).
for i in range(6):
    n = 12 + 2 * i
    sol = [rng.randrange(-50, 50) for _ in range(n)]
    lines = ["(set-logic QF_LIA)"] + [f"(declare-const x{j} Int)" for j in range(n)]
    for j in range(n):
        coef = [rng.randrange(-9, 10) if k < j else 0 for k in range(n)]
        coef[j] = rng.choice([1, -1])
        rhs = sum(c * s for c, s in zip(coef, sol))
        terms = " ".join(f"(* {c} x{k})" if c >= 0 else f"(* (- {-c}) x{k})" for k, c in enumerate(coef) if c)
        lines.append(f"(assert (= (+ {terms} 0) {rhs}))" if rhs >= 0 else f"(assert (= (+ {terms} 0) (- {-rhs})))")
    if i % 2:
        lines.append("(declare-const h Int)")
        lines.append(f"(assert (= (+ (* 2 h) 1) (* 2 x0)))")  # odd = even
        lines.append("(check-sat)")
    else:
        lines.append("(check-sat)")
        lines.append(f"(get-value ({' '.join(f'x{j}' for j in range(n))}))")
    add("lia", "\n".join(lines) + "\n")

# Pigeonhole: n+1 pigeons in n holes (unsat, exponential for resolution).
for n in (6, 7, 8, 9):
    lines = ["(set-logic QF_UF)"]
    lines += [f"(declare-const p{i}_{h} Bool)" for i in range(n + 1) for h in range(n)]
    for i in range(n + 1):
        lines.append(f"(assert (or {' '.join(f'p{i}_{h}' for h in range(n))}))")
    for h in range(n):
        for i in range(n + 1):
            for j in range(i + 1, n + 1):
                lines.append(f"(assert (not (and p{i}_{h} p{j}_{h})))")
    lines.append("(check-sat)")
    add("pigeonhole", "\n".join(lines) + "\n")

# A Latin square of order 7 with some cells given, in LIA with distinct (sat; the
# cyclic square's givens fix it, so the values are asked for).
n = 7
lines = ["(set-logic QF_LIA)"]
lines += [f"(declare-const c{r}_{k} Int)" for r in range(n) for k in range(n)]
for r in range(n):
    for k in range(n):
        lines.append(f"(assert (and (<= 1 c{r}_{k}) (<= c{r}_{k} {n})))")
    lines.append(f"(assert (distinct {' '.join(f'c{r}_{k}' for k in range(n))}))")
    lines.append(f"(assert (distinct {' '.join(f'c{k}_{r}' for k in range(n))}))")
for r in range(n):
    lines.append(f"(assert (= c{r}_0 {r + 1}))")
    lines.append(f"(assert (= c0_{r} {r + 1}))")
lines.append(f"(assert (= (+ {' '.join(f'(* {r + 1} c{r}_{(r * 3) % n})' for r in range(n))}) 0))")
lines.append("(check-sat)")
add("latin-unsat", "\n".join(lines) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, (kind, text) in enumerate(problems):
        with open(os.path.join(out, f"{i:02d}-{kind}.smt2"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
