-- Links with a generated code written through the executor's row-insert path without a
-- statement (src/direct_write/link_insert.rs), and the domain check read straight from the indexes
-- (src/link_row.rs): the row is the one INSERT would write (defaults, an operator's
-- changed default or added column, CHECK constraints, generated columns, partial
-- indexes); the executor takes over for a table with an INSERT trigger; a host blocked
-- or a domain added in the same transaction is seen at once. Self-contained: everything
-- is rolled back.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/include/preamble.sql

BEGIN;
-- A plain link: every column as INSERT's defaults make it.
CREATE TEMP TABLE made AS
SELECT * FROM shortlink.shorten('https://example.com/direct', '{"expire_in": 90}');
SELECT length(m.code) AS code_length, m.short_url = 'https://localhost/' || m.code AS short_url_ok,
       m.created_at = now() AS created_now, m.expires_at = now() + interval '90 seconds' AS expires_ok,
       l.id = m.id AS same_id, l.metadata, l.tracking, l.disabled, l.link_type, l.redirect_type,
       l.tags, l.password_protected, l.limited_clicks, l.updated_at IS NULL AS never_updated
FROM made m JOIN shortlink.links l ON l.code = m.code;
-- The id comes from the identity sequence, as INSERT's would.
SELECT (SELECT id FROM shortlink.shorten('https://example.com/direct2')) > (SELECT id FROM made) AS next_id;
-- A password: the stored generated column follows it. (A link is read in the next
-- statement: the one that made it does not see it, as with INSERT.)
SELECT code FROM shortlink.shorten('https://example.com/secret', '{"password": "pw"}') \gset
SELECT password_protected, password_hash LIKE '$argon2id$%' AS hashed
FROM shortlink.links WHERE code = :'code';
-- Partial indexes: the link is in links_expires_at_idx (it expires), not in the tag and
-- metadata indexes (it has none): an index-only question finds exactly it.
SET LOCAL enable_seqscan = off;
SELECT count(*) AS expiring_found FROM shortlink.links
WHERE expires_at IS NOT NULL AND expires_at = (SELECT expires_at FROM made);
RESET enable_seqscan;
-- resolve and the click path read it.
SELECT shortlink.resolve(code) FROM made;
SELECT status FROM shortlink.record_click((SELECT code FROM made));

-- An operator's changes to the table are honoured: a changed default, an added column
-- with a default, an added CHECK constraint (its error as INSERT raises it).
SAVEPOINT altered;
ALTER TABLE shortlink.links ALTER COLUMN tracking SET DEFAULT false;
ALTER TABLE shortlink.links ADD COLUMN source text NOT NULL DEFAULT 'sql';
SELECT code FROM shortlink.shorten('https://example.com/altered') \gset
SELECT tracking, source FROM shortlink.links WHERE code = :'code';
ALTER TABLE shortlink.links ADD CONSTRAINT url_not_too_long CHECK (length(url) < 30) NOT VALID;
\set VERBOSITY terse
SELECT code FROM shortlink.shorten('https://example.com/a-long-path-over-thirty');
\set VERBOSITY default
ROLLBACK TO SAVEPOINT altered;
SELECT code FROM shortlink.shorten('https://example.com/restored') \gset
SELECT tracking FROM shortlink.links WHERE code = :'code';

-- An INSERT trigger of an operator's: the executor inserts, and the trigger fires.
SAVEPOINT triggered;
CREATE TEMP TABLE seen (code text);
CREATE FUNCTION pg_temp.note_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO seen VALUES (NEW.code);
    RETURN NEW;
END $$;
CREATE TRIGGER note_link AFTER INSERT ON shortlink.links FOR EACH ROW EXECUTE FUNCTION pg_temp.note_link();
SELECT code FROM shortlink.shorten('https://example.com/watched') \gset
SELECT code = :'code' AS trigger_fired FROM seen;
ROLLBACK TO SAVEPOINT triggered;

-- The domain check sees what this transaction changed since its last link: a host
-- blocked now, a destination that became a short domain.
SELECT count(*) AS linked FROM shortlink.shorten('https://tracker.example/a');
SELECT shortlink.block_host('tracker.example');
SELECT code FROM shortlink.shorten('https://tracker.example/b');
SELECT code FROM shortlink.shorten('https://sub.tracker.example/b');
SELECT count(*) AS linked FROM shortlink.shorten('https://go.example/a');
SELECT domain FROM shortlink.add_domain('go.example');
SELECT code FROM shortlink.shorten('https://go.example/b');
-- ... and links on that domain, once it is registered.
SELECT domain, length(code) FROM shortlink.shorten('https://example.com/on-go', '{"domain": "go.example"}');
SELECT code FROM shortlink.shorten('https://example.com/nowhere', '{"domain": "unregistered.example"}');
ROLLBACK;

-- A backend keeps its last domain answer across transactions until domains or
-- blocked_hosts change. A domain registered in a transaction, or in a savepoint, that
-- rolled back is gone for the next link, though the same question was answered inside it.
BEGIN;
SELECT domain FROM shortlink.add_domain('undone.example');
SELECT domain, length(code) FROM shortlink.shorten('https://example.com/undone', '{"domain": "undone.example"}');
ROLLBACK;
SELECT code FROM shortlink.shorten('https://example.com/undone', '{"domain": "undone.example"}');
BEGIN;
SAVEPOINT registered;
SELECT domain FROM shortlink.add_domain('undone.example');
SELECT domain, length(code) FROM shortlink.shorten('https://example.com/undone', '{"domain": "undone.example"}');
ROLLBACK TO SAVEPOINT registered;
SELECT code FROM shortlink.shorten('https://example.com/undone', '{"domain": "undone.example"}');
ROLLBACK;

-- A read-only transaction cannot make a link (25006), as INSERT cannot.
BEGIN READ ONLY;
\set VERBOSITY sqlstate
SELECT code FROM shortlink.shorten('https://example.com/read-only');
\set VERBOSITY default
ROLLBACK;
