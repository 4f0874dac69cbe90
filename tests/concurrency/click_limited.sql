-- A click of the limited link per transaction; a third of the transactions roll back
-- (their clicks neither count nor use up the limit).
\set r random(1, 3)
BEGIN;
SELECT status FROM shortlink.record_click('conc-limited');
\if :r = 1
ROLLBACK;
\else
COMMIT;
\endif
