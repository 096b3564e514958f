-- sqlite3 workload for ci/bench peers (run as `sqlite3 DB < sqlite.sql` on a new DB):
-- a few 100k generated rows, indexes, joins, GROUP BY, an UPDATE, a DELETE and VACUUM.
-- Deterministic: no random(); values are arithmetic on the row number.
PRAGMA synchronous = OFF;
PRAGMA journal_mode = MEMORY;
-- A page cache as big as the database and temporary b-trees in memory: the run is then
-- the engine's own work and its mallocs (pcache pages, sorter, records), not pread/pwrite
-- of the default 2 MiB cache.
PRAGMA cache_size = -131072;
PRAGMA temp_store = MEMORY;
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, region INTEGER, since INTEGER);
CREATE TABLE product(id INTEGER PRIMARY KEY, title TEXT, price REAL, category INTEGER);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, product INTEGER, qty INTEGER,
                    day INTEGER, note TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO customer SELECT i, 'customer-' || (i * 7919 % 100003), i % 17, 2000 + i % 24 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
INSERT INTO product SELECT i, printf('product %05d %s', i, substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26, 5)),
                           (i * 37 % 1000) / 10.0 + 0.99, i % 41 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO orders SELECT i, 1 + (i * 2654435761 % 20000), 1 + (i * 40503 % 3000), 1 + i % 9,
                          i % 730, printf('order %d for %d: %s', i, i % 977, hex(i * 1103515245 % 4294967296)) FROM n;
COMMIT;
CREATE INDEX orders_customer ON orders(customer);
CREATE INDEX orders_product ON orders(product, day);
CREATE INDEX customer_region ON customer(region);
SELECT c.region, count(*), sum(o.qty), round(sum(o.qty * p.price), 2)
  FROM orders o JOIN customer c ON c.id = o.customer JOIN product p ON p.id = o.product
  GROUP BY c.region ORDER BY c.region;
SELECT p.category, count(DISTINCT o.customer), max(o.day), round(avg(o.qty), 4)
  FROM orders o JOIN product p ON p.id = o.product
  GROUP BY p.category ORDER BY 2 DESC, 1 LIMIT 10;
SELECT c.name, count(*) AS n, sum(o.qty) FROM customer c JOIN orders o ON o.customer = c.id
  WHERE c.region = 3 GROUP BY c.id ORDER BY n DESC, c.id LIMIT 10;
SELECT day / 30 AS month, count(*), length(group_concat(note, ',')) FROM orders GROUP BY month ORDER BY month;
UPDATE orders SET note = note || ' (updated)' WHERE qty > 6;
DELETE FROM orders WHERE day % 5 = 0;
VACUUM;
SELECT count(*), sum(length(note)), sum(qty) FROM orders;
PRAGMA integrity_check;
