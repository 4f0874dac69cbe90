-- Generated codes in a crowded space: collisions are retried through the unique index,
-- with no subtransaction, and the code grows instead of failing.
SET shortlink.alphabet = 'ab';
SET shortlink.code_length = 3;
SET shortlink.default_domain = 'crowded.example';
SELECT domain FROM shortlink.add_domain('crowded.example');

-- One statement, one transaction: a transaction id before and after tells how many the
-- 40 shortens spent, retries included. Subtransactions would each take one more.
SELECT txid_current() AS xid_before \gset
SELECT count(*) AS created FROM generate_series(1, 40) g,
       LATERAL shortlink.shorten('https://example.com/' || g);
SELECT txid_current() - :xid_before AS xids_spent;  -- 1 by the shorten statement, 1 by this one

SELECT count(*) AS links, count(DISTINCT code) AS distinct_codes,
       min(length(code)) AS shortest, max(length(code)) > 3 AS grew
FROM shortlink.links WHERE domain = 'crowded.example';

-- With the length capped, an exhausted space is SQLSTATE 54000.
\set SHOW_CONTEXT never
SET shortlink.max_code_length = 3;
SELECT count(*) FROM generate_series(1, 9) g, LATERAL shortlink.shorten('https://example.com/' || g);
\echo :LAST_ERROR_SQLSTATE
RESET ALL;
