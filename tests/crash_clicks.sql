-- tests/crash.sh: a click of a limited and of a hooked link per transaction, a third of
-- the transactions rolled back.
\set r random(1, 3)
BEGIN;
SELECT status FROM shortlink.record_click('crash-load');
SELECT status FROM shortlink.record_click('crash-hook');
\if :r = 1
ROLLBACK;
\else
COMMIT;
\endif
