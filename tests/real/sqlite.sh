#!/usr/bin/env bash
# tests/real/sqlite.sh NAME PART DROPIN SCRATCH — sqlite3's shell (Debian's sqlite3)
# builds a database of 250,000 + 5,000 rows from recursive CTEs (an LCG: the same
# values every run), indexes it, queries it (joins, GROUP BY, ORDER BY, window
# functions), deletes and updates, VACUUMs and queries again.  The query output and
# the database file must be byte-identical under glibc and goalloc.  A 64 MiB page
# cache and the sorts keep the heap in the tens of MB.
set -euo pipefail
# shellcheck source=tests/real/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ~1.8e6 calls; a check of this ~60 MB heap takes about a millisecond: every 300 calls
# (~5,900 checks) adds about 5 s.
REAL_CHECK_EVERY=${REAL_CHECK_EVERY:-300}
REAL_VERSIONS="sqlite3 $(sqlite3 -version)"
real_init "$@"

sql="$REAL_SCRATCH/workload.sql"
cat >"$sql" <<'EOF'
PRAGMA cache_size = -65536;
PRAGMA journal_mode = DELETE;
CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT, r REAL);
CREATE TABLE u(k INTEGER PRIMARY KEY, name TEXT, w INTEGER);
BEGIN;
WITH RECURSIVE c(i, x) AS (
    SELECT 1, 12345
    UNION ALL
    SELECT i + 1, (x * 1103515245 + 12345) % 2147483648 FROM c WHERE i < 250000)
INSERT INTO t SELECT i, x % 1000, (x / 1000) % 50000, printf('%08x-%d', x, i % 97), (x % 100000) / 7.0 FROM c;
WITH RECURSIVE c(i, x) AS (
    SELECT 0, 777
    UNION ALL
    SELECT i + 1, (x * 69069 + 1) % 4294967296 FROM c WHERE i < 4999)
INSERT INTO u SELECT i, 'name' || (x % 613) || '-' || substr('abcdefghijklmnopqrstuvwxyz', 1 + x % 26, 1 + x % 7), x % 10007
FROM c;
COMMIT;
CREATE INDEX t_a ON t(a);
CREATE INDEX t_bs ON t(b, s);
CREATE INDEX u_name ON u(name);
SELECT 'rows', count(*), sum(a), sum(b), total(r), min(s), max(s) FROM t;
SELECT a, count(*), sum(b), round(avg(r), 6), min(s), max(s) FROM t GROUP BY a ORDER BY a;
SELECT u.name, count(*), sum(t.b), max(t.r) FROM t JOIN u ON u.k = t.b % 5000
WHERE t.a < 300 GROUP BY u.name ORDER BY count(*) DESC, u.name LIMIT 400;
SELECT id, a, b, s FROM t ORDER BY s DESC, id LIMIT 500;
SELECT b % 97 AS g, group_concat(DISTINCT a % 13), count(DISTINCT s) FROM t GROUP BY g ORDER BY g;
SELECT a, id, rank FROM (SELECT a, id, row_number() OVER (PARTITION BY a ORDER BY r DESC, id) AS rank FROM t)
WHERE rank <= 3 ORDER BY a, rank;
SELECT count(*), sum(t1.id - t2.id) FROM t AS t1 JOIN t AS t2 ON t2.b = t1.b AND t2.id > t1.id WHERE t1.a = 7;
DELETE FROM t WHERE id % 3 = 0;
UPDATE t SET s = upper(s) || '/' || length(s), r = r * 2 WHERE a % 10 = 1;
INSERT INTO t(a, b, s, r) SELECT w % 1000, k, name, w / 3.0 FROM u ORDER BY name;
VACUUM;
PRAGMA integrity_check;
SELECT 'after vacuum', count(*), sum(a), sum(b), total(r), min(s), max(s) FROM t;
SELECT a, count(*), sum(length(s)), round(total(r), 4) FROM t GROUP BY a ORDER BY count(*) DESC, a LIMIT 200;
SELECT u.k, u.name, count(t.id) FROM u LEFT JOIN t ON t.s = u.name GROUP BY u.k ORDER BY u.k LIMIT 300;
SELECT s FROM t WHERE b BETWEEN 1000 AND 1100 ORDER BY s;
SELECT name, w FROM u WHERE name LIKE 'name1%' ORDER BY w DESC, name LIMIT 100;
EOF

# run MODE OUT — the workload on a new database in OUT.
run() {
    real_exec "$1" sqlite3 sqlite3 -batch -bail "$2/test.db" <"$sql" >"$2/out.txt"
}

compare() {
    local lines
    lines=$(wc -l <"$1/out.txt")
    ((lines > 3000)) || real_fail "glibc output has only $lines lines: the workload did not run"
    real_same "query output" "$1/out.txt" "$2/out.txt"
    real_same "database file after VACUUM" "$1/test.db" "$2/test.db"
}

real_main run compare
