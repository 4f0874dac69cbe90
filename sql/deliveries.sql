-- Webhook delivery: the retry schedule, and the functions a dispatcher (shortlink-server)
-- calls to claim due deliveries and report each attempt, with the grant recipe for its
-- role. The tables (shortlink.outbox, shortlink.deliveries) are in schema.sql; their
-- row-level security and PUBLIC's privileges are security.sql's, which loads after this
-- file and revokes what PostgreSQL grants PUBLIC on the functions created here.

-- The retry schedule, in seconds after each failed attempt; after the last, the delivery
-- is dead. Each wait is jittered by ±25%.
CREATE FUNCTION shortlink.retry_schedule()
RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY[5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400] $$;

-- Claims up to lim (1 to 1000) due deliveries for lease (STRICT: NULL claims nothing): they are not due again until the lease ends,
-- so a dispatcher that dies mid-delivery loses nothing (another retries after the
-- lease), and several dispatchers share the work (SKIP LOCKED).
CREATE FUNCTION shortlink.claim_deliveries(lim integer DEFAULT 50, lease interval DEFAULT '60 seconds')
RETURNS TABLE (event_id bigint, target text, attempts integer, payload jsonb)
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH due AS (
        SELECT d.event_id, d.target FROM shortlink.deliveries d
        WHERE d.state OPERATOR(pg_catalog.=) 'pending' AND d.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.now()
        ORDER BY d.next_attempt_at
        LIMIT GREATEST(1, LEAST($1, 1000))
        FOR UPDATE SKIP LOCKED)
    UPDATE shortlink.deliveries d
    SET next_attempt_at = pg_catalog.now() OPERATOR(pg_catalog.+) $2
    FROM due, shortlink.outbox o
    WHERE d.event_id OPERATOR(pg_catalog.=) due.event_id AND d.target OPERATOR(pg_catalog.=) due.target
      AND o.id OPERATOR(pg_catalog.=) d.event_id
    RETURNING d.event_id, d.target, d.attempts, o.payload
$$;

-- Reports one attempt: a 2xx status delivers; 410 stops the target ("gone"); anything
-- else (status NULL: no answer) retries on shortlink.retry_schedule(), then is dead;
-- give_up makes it dead at once (a target the dispatcher refuses). Returns the new state.
CREATE FUNCTION shortlink.finish_delivery(event_id bigint, target text, status integer,
                                          error text DEFAULT NULL, give_up boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    schedule integer[] := shortlink.retry_schedule();
    tries integer;
    new_state text;
BEGIN
    UPDATE shortlink.deliveries d
    SET attempts = d.attempts OPERATOR(pg_catalog.+) 1,
        last_attempt_at = pg_catalog.now(),
        last_status = $3,
        last_error = pg_catalog.left($4, 1000),
        state = CASE
            WHEN $3 OPERATOR(pg_catalog.>=) 200 AND $3 OPERATOR(pg_catalog.<) 300 THEN 'delivered'
            WHEN $3 OPERATOR(pg_catalog.=) 410 THEN 'gone'
            WHEN $5 THEN 'dead'
            WHEN (d.attempts OPERATOR(pg_catalog.+) 1) OPERATOR(pg_catalog.>) pg_catalog.cardinality(schedule) THEN 'dead'
            ELSE 'pending' END,
        delivered_at = CASE WHEN $3 OPERATOR(pg_catalog.>=) 200 AND $3 OPERATOR(pg_catalog.<) 300 THEN pg_catalog.now() END
    WHERE d.event_id OPERATOR(pg_catalog.=) $1 AND d.target OPERATOR(pg_catalog.=) $2
      AND d.state OPERATOR(pg_catalog.=) 'pending'
    RETURNING d.attempts, d.state INTO tries, new_state;
    IF new_state IS NULL THEN
        -- Already settled (another dispatcher after a lease ran out): nothing to do.
        RETURN NULL;
    END IF;
    IF new_state OPERATOR(pg_catalog.=) 'pending' THEN
        UPDATE shortlink.deliveries d
        SET next_attempt_at = pg_catalog.now() OPERATOR(pg_catalog.+) pg_catalog.make_interval(
                secs => schedule[tries] * (0.75 + 0.5 * pg_catalog.random()))
        WHERE d.event_id OPERATOR(pg_catalog.=) $1 AND d.target OPERATOR(pg_catalog.=) $2;
    END IF;
    RETURN new_state;
END
$$;

-- What /metrics reports: pending deliveries and the age of the oldest pending event.
CREATE FUNCTION shortlink.delivery_backlog()
RETURNS TABLE (pending bigint, oldest_seconds double precision)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.count(*),
           COALESCE(pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.min(o.created_at)), 0)
    FROM shortlink.deliveries d JOIN shortlink.outbox o ON o.id OPERATOR(pg_catalog.=) d.event_id
    WHERE d.state OPERATOR(pg_catalog.=) 'pending'
$$;

CREATE FUNCTION shortlink.grant_dispatcher(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA shortlink TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION shortlink.claim_deliveries(integer, interval),
        shortlink.finish_delivery(bigint, text, integer, text, boolean), shortlink.delivery_backlog(),
        shortlink.retry_schedule() TO %s', role);
END
$$;
