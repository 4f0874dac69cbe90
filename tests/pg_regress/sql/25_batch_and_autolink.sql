-- shorten_many() reports each item; shortlink.autolink() fills a short URL column, and its
-- arguments are checked at CREATE TRIGGER. Starts from no links and no domain but
-- localhost; each block is rolled back to its savepoint. Self-contained: everything is
-- rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/begin_from_no_links.sql

-- One result per item, in order: the good ones made, the bad ones with their SQLSTATE.
SAVEPOINT t;
SELECT idx, ok, CASE WHEN idx = 5 THEN length(code)::text ELSE code END AS code, sqlstate
FROM shortlink.shorten_many('[{"url": "https://a.example/", "code": "batch1"},
                              {"url": "ftp://b.example/"},
                              {"url": "https://c.example/", "code": "batch1"},
                              {"code": "nourl"},
                              7,
                              {"url": "https://d.example/", "max_clicks": 2}]')
ORDER BY idx;
SELECT count(*) AS links FROM shortlink.links;
ROLLBACK TO SAVEPOINT t;

-- Items must be a JSON array.
SELECT * FROM shortlink.shorten_many('{"url": "x"}');
\echo :LAST_ERROR_SQLSTATE

-- autolink() fills the short URL of each new row with a destination, with the trigger's
-- options; a row without one is left alone; a bad destination fails the INSERT.
SAVEPOINT t;
CREATE TABLE al_campaigns (id serial, landing_url text, short_url varchar(200));
CREATE TRIGGER al_campaigns_autolink BEFORE INSERT ON al_campaigns FOR EACH ROW
    EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url', '{"max_clicks": 10}');
INSERT INTO al_campaigns (landing_url) VALUES ('https://example.com/spring'), (NULL);
SELECT c.short_url ~ '^https://localhost/.{7}$' AS short_url_ok, l.url, l.max_clicks
FROM al_campaigns c JOIN shortlink.links l ON c.short_url = 'https://localhost/' || l.code
WHERE c.landing_url IS NOT NULL;
SELECT count(*) AS without_short_url FROM al_campaigns WHERE short_url IS NULL;
INSERT INTO al_campaigns (landing_url) VALUES ('not a url');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- A missing column is named at CREATE TRIGGER.
SAVEPOINT t;
CREATE TABLE c2 (landing_url text, short_url text);
CREATE TRIGGER t BEFORE INSERT ON c2 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('nope', 'short_url');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT t;

-- Every argument is checked at CREATE TRIGGER: 22023, and no trigger is made.
SAVEPOINT t;
CREATE TABLE c3 (landing_url text, short_url varchar(200), n integer);
SELECT bad, pg_temp.error_of('CREATE TRIGGER t ' || bad)
FROM (VALUES ('AFTER INSERT ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'')'),
             ('BEFORE INSERT ON c3 FOR EACH STATEMENT EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'')'),
             ('BEFORE INSERT OR DELETE ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'')'),
             ('BEFORE INSERT ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'')'),
             ('BEFORE INSERT ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''n'')'),
             ('BEFORE INSERT ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'', ''not json'')'),
             ('BEFORE INSERT ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'', ''{"max_clicks": 0}'')'),
             ('BEFORE INSERT ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink(''landing_url'', ''short_url'', ''{"colour": "red"}'')')) v(bad);
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'c3'::regclass;
-- A good one is made; a later change to the table is caught by the first INSERT.
CREATE TRIGGER t BEFORE INSERT OR UPDATE ON c3 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url');
ALTER TABLE c3 RENAME COLUMN landing_url TO landing;
INSERT INTO c3 (landing) VALUES ('https://example.com/');
\echo :LAST_ERROR_SQLSTATE
-- Triggers of other functions are none of its business.
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER other AFTER INSERT ON c3 FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.noop();
ROLLBACK TO SAVEPOINT t;
ROLLBACK;
