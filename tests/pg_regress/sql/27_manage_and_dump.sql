-- Managing links: update_link (destination, options, password), disable / enable /
-- delete_link, list_links' filters and keyset pages; and the tables pg_dump keeps with
-- users' data. Starts from no links and no domain but localhost; each block is rolled
-- back to its savepoint. Self-contained: everything is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql

-- update_link changes the destination; the click events keep the history. Null clears
-- an option; the code cannot change; errors for a missing link and bad input.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/v1', '{"code": "moving", "title": "One"}');
SELECT status, http_status, location FROM shortlink.record_click('moving');
SELECT code, url FROM shortlink.update_link('moving', '{"url": "https://example.com/v2", "title": null, "max_clicks": 5}');
SELECT status, http_status, location FROM shortlink.record_click('moving');
SELECT location FROM shortlink.click_events ORDER BY id;
SELECT title IS NULL AS title_cleared, max_clicks, updated_at IS NOT NULL AS updated FROM shortlink.get_link('moving');
SELECT q, pg_temp.error_of(q)
FROM (VALUES ($q$SELECT shortlink.update_link('moving', '{"code": "other"}')$q$),
             ($q$SELECT shortlink.update_link('missing', '{"title": "x"}')$q$),
             ($q$SELECT shortlink.update_link(NULL, '{}')$q$),
             ($q$SELECT shortlink.add_domain(NULL)$q$),
             ($q$SELECT shortlink.update_link('moving', '{"url": "ftp://x.example/"}')$q$)) v(q);
ROLLBACK TO SAVEPOINT t;

-- update_link sets and clears a password.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "guarded"}');
SELECT code FROM shortlink.update_link('guarded', '{"password": "pw"}');
SELECT status, http_status, location FROM shortlink.record_click('guarded');
SELECT code FROM shortlink.update_link('guarded', '{"password": null}');
SELECT status, http_status, location FROM shortlink.record_click('guarded');
ROLLBACK TO SAVEPOINT t;

-- disable, enable and delete_link; a deleted link takes its click events along, and is
-- then not found by any of them.
SAVEPOINT t;
SELECT code FROM shortlink.shorten('https://example.com/', '{"code": "toggle"}');
SELECT count(*) FROM shortlink.disable('toggle');
SELECT status, http_status, location FROM shortlink.record_click('toggle');
SELECT count(*) FROM shortlink.enable('toggle');
SELECT status, http_status, location FROM shortlink.record_click('toggle');
SELECT count(*) FROM shortlink.delete_link('toggle');
SELECT status, http_status, location FROM shortlink.record_click('toggle');
SELECT count(*) AS events FROM shortlink.click_events;
SELECT f, pg_temp.error_of(format('SELECT shortlink.%I(%L)', f, 'toggle'))
FROM (VALUES ('disable'), ('enable'), ('delete_link'), ('get_link')) v(f);
ROLLBACK TO SAVEPOINT t;

-- list_links filters by tag, domain, metadata, expiry and creation time, and pages by
-- keyset (after the last id seen).
SAVEPOINT t;
SELECT domain FROM shortlink.add_domain('go.example.com');
SELECT count(*) FROM generate_series(1, 5) i,
     LATERAL shortlink.shorten('https://example.com/' || i,
         jsonb_build_object('code', 'list-' || i, 'tags', jsonb_build_array(CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END),
                            'metadata', jsonb_build_object('n', i)));
SELECT code FROM shortlink.shorten('https://example.com/go', '{"code": "list-go", "domain": "go.example.com"}');
SELECT (SELECT string_agg(code, ',' ORDER BY id) FROM shortlink.list_links('{"tag": "odd"}')) AS odd,
       (SELECT string_agg(code, ',' ORDER BY id) FROM shortlink.list_links('{"domain": "go.example.com"}')) AS on_go,
       (SELECT string_agg(code, ',' ORDER BY id) FROM shortlink.list_links('{"metadata": {"n": 2}}')) AS n_2,
       (SELECT string_agg(code, ',' ORDER BY id) FROM shortlink.list_links('{}', 2)) AS first_two;
SELECT max(id) AS after FROM shortlink.list_links('{}', 2) \gset
SELECT string_agg(code, ',' ORDER BY id) AS next_two FROM shortlink.list_links('{}', 2, :after);
UPDATE shortlink.links SET expires_at = now() - interval '1 day' WHERE code = 'list-4';
SELECT string_agg(code, ',' ORDER BY id) AS expired FROM shortlink.list_links('{"expired": true}');
SELECT count(*) AS created_since_2000 FROM shortlink.list_links('{"created_after": "2000-01-01"}');
SELECT q, pg_temp.error_of(q)
FROM (VALUES ($q$SELECT shortlink.list_links('{"colour": 1}')$q$),
             ($q$SELECT shortlink.list_links('{"tag": 1}')$q$),
             ($q$SELECT shortlink.list_links('{}', 0)$q$)) v(q);
ROLLBACK TO SAVEPOINT t;

-- pg_dump keeps the rows of these tables and sequences (the extension's configuration
-- tables).
SELECT c::regclass AS dumped FROM pg_extension e, unnest(e.extconfig) c
WHERE e.extname = 'shortlink' ORDER BY c::regclass::text;
ROLLBACK;
