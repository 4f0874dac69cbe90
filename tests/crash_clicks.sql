-- tests/crash.sh: a click of the limited link per transaction, and of the hooked link in
-- one transaction of ten (its events go to a local receiver); a third of the
-- transactions rolled back.
\set r random(1, 3)
\set h random(1, 10)
BEGIN;
SELECT status FROM shortlink.record_click('crash-load');
\if :h = 1
SELECT status FROM shortlink.record_click('crash-hook');
\endif
\if :r = 1
ROLLBACK;
\else
COMMIT;
\endif
