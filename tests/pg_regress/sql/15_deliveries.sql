-- Webhook delivery state: one row per event and target, claimed with a lease, retried on
-- a schedule, dead after the last attempt, stopped by 410. Self-contained: rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
CREATE ROLE sl_dispatcher;
SELECT shortlink.grant_dispatcher('sl_dispatcher');
DELETE FROM shortlink.outbox;
SELECT code FROM shortlink.shorten('https://example.com/hooked', '{"code": "dl-hooked",
    "callback_url": "https://crm.example/cb", "webhook_urls": ["https://a.example/h", "https://crm.example/cb"]}');
SELECT status FROM shortlink.record_click('dl-hooked', user_agent => 'Mozilla/5.0');
-- Two distinct targets: two deliveries, pending and due now.
SELECT target, state, attempts, next_attempt_at <= now() AS due FROM shortlink.deliveries ORDER BY target;

SET ROLE sl_dispatcher;
SELECT pending, oldest_seconds >= 0 AS aged FROM shortlink.delivery_backlog();
-- A claim leases the rows: claimed again at once, they are not due.
SELECT target, attempts, payload->>'code' AS code FROM shortlink.claim_deliveries(10, '30 seconds') ORDER BY target;
SELECT count(*) AS claimed_twice FROM shortlink.claim_deliveries(10, '30 seconds');
SELECT count(*) AS claimed_without_a_lease FROM shortlink.claim_deliveries(10, NULL);
-- 2xx delivers; any other answer retries after the first wait of the schedule (5 s ± 25%).
RESET ROLE;
SELECT o.id AS event FROM shortlink.outbox o \gset
SET ROLE sl_dispatcher;
SELECT shortlink.finish_delivery(:event, 'https://a.example/h', 200);
SELECT shortlink.finish_delivery(:event, 'https://crm.example/cb', 503, 'HTTP 503');
SELECT shortlink.finish_delivery(:event, 'https://a.example/h', 500) AS already_settled;
-- It reads no table itself.
SELECT count(*) FROM shortlink.deliveries;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM shortlink.record_click('dl-hooked');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT target, state, attempts, last_status, last_error, delivered_at IS NOT NULL AS delivered,
       CASE WHEN state = 'pending'
            THEN next_attempt_at - last_attempt_at BETWEEN interval '3.75 seconds' AND interval '6.25 seconds'
       END AS backoff_in_range
FROM shortlink.deliveries ORDER BY target;

-- 13 attempts in all: the first and one after each wait of the schedule. After the last
-- the delivery is dead, and listed as such.
SELECT cardinality(shortlink.retry_schedule()) AS retries;
UPDATE shortlink.deliveries SET attempts = 12 WHERE target = 'https://crm.example/cb';
SELECT shortlink.finish_delivery(:event, 'https://crm.example/cb', NULL, 'connection refused');
SELECT target, state, attempts, last_error FROM shortlink.deliveries WHERE state = 'dead';
-- 410 Gone stops a target at once.
SELECT status FROM shortlink.record_click('dl-hooked', user_agent => 'Mozilla/5.0');
SELECT max(id) AS event2 FROM shortlink.outbox \gset
SELECT shortlink.finish_delivery(:event2, 'https://a.example/h', 410);
SELECT target, state FROM shortlink.deliveries WHERE event_id = :event2 ORDER BY target;
-- Deleting the link takes its events and their deliveries along.
SELECT shortlink.delete_link('dl-hooked');
SELECT count(*) AS deliveries_left FROM shortlink.deliveries;
ROLLBACK;
