#!/usr/bin/env bash
# fuzz/gen_trace_seeds.sh [OUTDIR [MANIFEST]] — trace_fuzz's seeds from real programs.
#
# Runs each program under LD_PRELOAD of the malloc drop-in with GOALLOC_TRACE, then
# cuts each trace into a few windows of 1500 calls with fuzz/trace2fuzz.py, written as
# OUTDIR/<sha1 of the input> (default OUTDIR: corpus/trace_fuzz), and lists in MANIFEST
# (default fuzz/trace_seeds.txt) where each came from: "<sha1> <program>-NN calls
# a..b of N, ...".  Named by their SHA-1, as the units libFuzzer adds are: a window of a
# trace is not aimed at a path, so it has no claim in fuzz/reach.txt (fuzz/README.md,
# "Named seeds state what they reach").  The programs:
#   python   CPython 3.11's own tests test_dict test_json test_threading (PYTHONMALLOC=malloc)
#   sqlite   sqlite3 building a 50,000-row database: indexes, joins, GROUP BY, UPDATE, DELETE, VACUUM
#   xz, unxz, zstd, unzstd   xz -T2 / zstd -T2 compressing 16 MB in 1 MiB blocks, and back
#   cc1, as  gcc -O2 compiling alloc/malloc.c (each process of the driver traces to its own file: %p)
#   z3-*     z3 on four SMT-LIB problems (linear integers, bit-vectors, quantifiers with a 3 s timeout,
#            non-linear reals)
#   prog     tests/dropin/trace_prog.c (the recorder's end-to-end test): the calls the real
#            programs above rarely make -- aligned ones, malloc_usable_size, reallocarray,
#            failures, bad frees, frees by another thread
# Traces differ from run to run (thread timing, addresses), so the seeds do too; what
# they were made from is recorded in corpus/CHANGES.md.  Needs: a build of the
# drop-in (GA_BUILD_DIR, default build/default), python3.11 with its test suite,
# sqlite3, xz, zstd, gcc, z3.  About a minute on two cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/corpus/trace_fuzz}")"
manifest="$(realpath -m "${2:-$root/fuzz/trace_seeds.txt}")"
build="$(realpath "${GA_BUILD_DIR:-$root/build/default}")"
so="$build/libgoalloc-malloc.so"
[[ -f "$so" ]] || {
    echo "gen_trace_seeds: $so not built (cmake --build --preset default --target goalloc_malloc)" >&2
    exit 1
}
py=/usr/bin/python3.11
work="$(mktemp -d /tmp/gen_trace_seeds.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

traced() { # traced NAME CMD... : run CMD with the drop-in, trace to $work/NAME.bin (%p: per process)
    local name="$1"
    shift
    GOALLOC_TRACE="$work/$name.bin" LD_PRELOAD="$so" "$@"
}
mkdir -p "$work/seeds"
windows() { # windows TRACE PREFIX COUNT [SKIP]
    "$py" "$root/fuzz/trace2fuzz.py" "$1" "$work/seeds" --prefix "$2" --windows "$3" --skip "${4:-0}" | tee -a cut.log
}

# CPython: its own regression tests, every object through malloc.
PYTHONMALLOC=malloc traced python "$py" -m test test_dict test_json test_threading >python.log 2>&1 ||
    { tail python.log; exit 1; }
"$py" "$root/fuzz/trace2fuzz.py" python.bin "$work/seeds" --prefix python --windows 12 --skip 20000 --threaded 12 |
    tee -a cut.log

# sqlite3: a database of 50,000 rows per table (deterministic contents).
cat >db.sql <<'EOF'
CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, city TEXT, age INT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INT, amount REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 50000)
INSERT INTO users SELECT i, 'user' || i, 'city' || (i % 97), 18 + i % 60 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 50000)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 50000, (i % 1000) / 7.0,
  printf('note %d %s', i, substr('abcdefghijklmnopqrstuvwxyz0123456789abcdefgh', 1, i % 40)) FROM n;
CREATE INDEX users_city ON users(city);
CREATE INDEX orders_user ON orders(user_id);
CREATE INDEX orders_amount ON orders(amount);
SELECT city, count(*), avg(age) FROM users GROUP BY city ORDER BY 2 DESC LIMIT 5;
SELECT u.city, sum(o.amount), count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.city ORDER BY 2 DESC LIMIT 5;
SELECT name, (SELECT max(amount) FROM orders WHERE user_id = users.id) FROM users WHERE age = 30 LIMIT 5;
UPDATE orders SET note = note || ' updated' WHERE id % 3 = 0;
DELETE FROM orders WHERE id % 5 = 0;
SELECT length(group_concat(name, ',')) FROM (SELECT name FROM users ORDER BY age, name LIMIT 200);
VACUUM;
SELECT count(*), sum(length(note)) FROM orders;
EOF
traced sqlite sqlite3 db.sqlite <db.sql >sqlite.log
windows sqlite.bin sqlite 12

# xz and zstd, two threads each, 16 MB of text in 1 MiB blocks, and back.
for i in 1 2; do cat /usr/lib/python3.11/*.py; done | head -c 16000000 >data.txt
traced xz xz -T2 -6 --block-size=1MiB -c data.txt >data.xz
traced unxz xz -T2 -d -c data.xz >/dev/null
traced zstd zstd -T2 -B1048576 -q -c data.txt >data.zst
traced unzstd zstd -T2 -d -q -c data.zst >/dev/null
for p in xz unxz zstd unzstd; do windows "$p.bin" "$p" 1; done

# gcc: the driver, cc1 and as, each to its own trace.
traced 'gcc-%p' gcc -O2 -std=c11 -D_GNU_SOURCE -I"$root/include" -I"$root/alloc" -c "$root/alloc/malloc.c" -o malloc.o
cc1="$(ls -S gcc-*.bin | head -1)"  # the compiler proper makes by far the most calls
as="$(ls -S gcc-*.bin | sed -n 2p)" # then the assembler
windows "$cc1" cc1 12
windows "$as" as 2

# z3 (its own -T timeout: a wrapper such as timeout(1) would take the trace itself).
cat >lia.smt2 <<'EOF'
(set-logic QF_LIA)
(declare-fun x () Int) (declare-fun y () Int) (declare-fun z () Int)
(assert (and (> x 0) (> y 0) (> z 0) (= (+ (* 3 x) (* 5 y) (* 7 z)) 1001) (< x y) (< y z) (distinct (mod x 11) 3)))
(check-sat) (get-model)
EOF
cat >bv.smt2 <<'EOF'
(set-logic QF_BV)
(declare-fun a () (_ BitVec 32)) (declare-fun b () (_ BitVec 32))
(assert (= (bvmul a b) #x12345679))
(assert (bvugt a #x00001000)) (assert (bvugt b #x00001000))
(assert (= (bvand a #x0000000f) #x00000007))
(check-sat) (get-model)
EOF
cat >quant.smt2 <<'EOF'
(declare-fun f (Int) Int)
(declare-const arr (Array Int Int))
(assert (forall ((x Int)) (=> (> x 0) (> (f x) (f (- x 1))))))
(assert (= (select (store arr 3 (f 2)) 3) (+ (f 1) 5)))
(assert (> (f 0) 10))
(check-sat)
EOF
cat >nra.smt2 <<'EOF'
(set-logic QF_NRA)
(declare-fun x () Real) (declare-fun y () Real)
(assert (= (+ (* x x) (* y y)) 2.0)) (assert (> x 0.5)) (assert (= (* x y x) 0.75))
(check-sat)
EOF
for p in lia bv nra; do traced "z3-$p" z3 -T:20 "$p.smt2" >"$p.out"; done
traced z3-quant z3 -T:3 quant.smt2 >quant.out || true # "timeout" (exit status 0 or 1 by version)
windows z3-lia.bin z3-lia 4
windows z3-bv.bin z3-bv 6
windows z3-nra.bin z3-nra 4
windows z3-quant.bin z3-quant 8

# The recorder's test program: every call of the drop-in, bad frees included.
gcc -O1 -pthread "$root/tests/dropin/trace_prog.c" -o trace_prog
GOALLOC_BAD_FREE=warn traced prog ./trace_prog >prog.out 2>prog.err
"$py" "$root/fuzz/trace2fuzz.py" prog.bin "$work/seeds" --prefix prog --windows 3 --threaded 2 --rare 4 | tee -a cut.log

# Into the corpus under their SHA-1; the manifest says what each one is.
{
    echo "# trace_fuzz's seeds (corpus/trace_fuzz/<sha1>): written by fuzz/gen_trace_seeds.sh"
    echo "# <sha1>  <program>-<window>: calls a..b of the trace's N, objects from before the window, threads, bytes"
    while IFS= read -r line; do
        f="${line%%:*}"
        h="$(sha1sum "$f" | cut -c1-40)"
        cp "$f" "$out/$h"
        echo "$h  $(basename "$f"):${line#*:}"
    done <cut.log
} >"$manifest"
echo "gen_trace_seeds: $(grep -vc '^#' "$manifest") seeds in $out, listed in $manifest"
