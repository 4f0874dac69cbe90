-- Privileges, workspaces and row-level security. Loaded last: it revokes what PostgreSQL
-- grants PUBLIC by default on every function created before it.
--
-- Three kinds of role (docs/security.md, "Roles"):
--   redirect role     EXECUTE on resolve and record_click only (both SECURITY DEFINER);
--   application role  the link-management functions (qr_svg among the reads), SELECT on
--                     its workspaces' rows (row-level security), never password hashes or
--                     the salt;
--   owner             the role that ran CREATE EXTENSION, and superusers: everything.

-- Whether the current role sees every workspace: superusers, roles that bypass row-level
-- security, and the extension's owner (and roles that inherit its rights); never while an
-- API key is presented (a key narrows, never widens).
CREATE FUNCTION shortlink.sees_every_workspace()
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM shortlink.presented_key()) THEN
        RETURN false;
    END IF;
    -- PL/pgSQL keeps this plan for the session; an SQL-language function would plan the
    -- pg_roles view on every call (0.14 ms, measured).
    RETURN (SELECT r.rolsuper OR r.rolbypassrls OR pg_catalog.pg_has_role(c.relowner, 'USAGE')
            FROM pg_catalog.pg_roles r, pg_catalog.pg_class c
            WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER
              AND c.oid OPERATOR(pg_catalog.=) 'shortlink.links'::pg_catalog.regclass);
END
$$;

-- Whether the current role may act in the workspace called name (ignoring
-- shortlink.workspace): what SET shortlink.workspace checks.
CREATE FUNCTION shortlink.workspace_granted(name text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1 FROM shortlink.workspaces w
        WHERE w.name OPERATOR(pg_catalog.=) $1
          AND (shortlink.sees_every_workspace()
               OR EXISTS (SELECT 1 FROM shortlink.workspace_members m
                          WHERE m.workspace_id OPERATOR(pg_catalog.=) w.id
                            AND pg_catalog.pg_has_role(m.member::pg_catalog.oid, 'USAGE'))))
$$;

-- The workspaces the current role acts in: the presented API key's only, whoever the
-- role (shortlink.api_begin); else all of them for the owner and superusers; otherwise
-- those granted to it (or to a role it inherits from), narrowed to one by
-- SET shortlink.workspace. Naming a workspace not granted is 42501.
CREATE FUNCTION shortlink.visible_workspaces()
RETURNS integer[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chosen text := COALESCE(pg_catalog.current_setting('shortlink.workspace', true), '');
    ids integer[];
    key_workspace integer := (SELECT p.workspace_id FROM shortlink.presented_key() p);
BEGIN
    IF key_workspace IS NOT NULL THEN
        RETURN ARRAY[key_workspace];
    END IF;
    IF shortlink.sees_every_workspace() THEN
        RETURN ARRAY(SELECT w.id FROM shortlink.workspaces w ORDER BY w.id);
    END IF;
    ids := ARRAY(
        SELECT m.workspace_id
        FROM shortlink.workspace_members m
        JOIN shortlink.workspaces w ON w.id OPERATOR(pg_catalog.=) m.workspace_id
        WHERE pg_catalog.pg_has_role(m.member::pg_catalog.oid, 'USAGE')
          AND (chosen OPERATOR(pg_catalog.=) '' OR w.name OPERATOR(pg_catalog.=) chosen)
        ORDER BY m.workspace_id);
    IF chosen OPERATOR(pg_catalog.<>) '' AND pg_catalog.cardinality(ids) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'workspace "%" is not granted to role "%"', chosen, CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'RESET shortlink.workspace, or ask the owner for shortlink.grant_workspace().';
    END IF;
    RETURN ids;
END
$$;

-- The workspace new domains go to: SET shortlink.workspace, else the only one the role
-- has ("default" for the owner and superusers).
CREATE FUNCTION shortlink.current_workspace()
RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chosen text := COALESCE(pg_catalog.current_setting('shortlink.workspace', true), '');
    ids integer[] := shortlink.visible_workspaces();
    id integer;
BEGIN
    IF chosen OPERATOR(pg_catalog.<>) '' THEN
        SELECT w.id INTO id FROM shortlink.workspaces w
        WHERE w.name OPERATOR(pg_catalog.=) chosen AND w.id OPERATOR(pg_catalog.=) ANY (ids);
        IF id IS NULL THEN
            RAISE EXCEPTION 'workspace "%" does not exist', chosen USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN id;
    END IF;
    IF shortlink.sees_every_workspace() THEN
        RETURN 0;
    END IF;
    IF pg_catalog.cardinality(ids) OPERATOR(pg_catalog.=) 1 THEN
        RETURN ids[1];
    END IF;
    IF pg_catalog.cardinality(ids) OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION 'role "%" has no shortlink workspace', CURRENT_USER
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'The owner grants one with shortlink.grant_app() or shortlink.grant_workspace().';
    END IF;
    RAISE EXCEPTION 'role "%" has several shortlink workspaces', CURRENT_USER
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'SET shortlink.workspace = ''name'' to choose one.';
END
$$;

-- The id of a workspace the current role may act in, by name (for add_domain's option).
CREATE FUNCTION shortlink.workspace_id(name text)
RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id integer;
BEGIN
    SELECT w.id INTO id FROM shortlink.workspaces w
    WHERE w.name OPERATOR(pg_catalog.=) $1
      AND w.id OPERATOR(pg_catalog.=) ANY (shortlink.visible_workspaces());
    IF id IS NULL THEN
        -- Unknown and not granted read the same: a workspace's existence is not revealed.
        RAISE EXCEPTION 'workspace "%" does not exist or is not granted to role "%"', $1, CURRENT_USER
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN id;
END
$$;

-- Adds a workspace (owner only).
CREATE FUNCTION shortlink.add_workspace(name text)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id integer;
BEGIN
    IF name IS NULL OR name OPERATOR(pg_catalog.!~) '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid workspace name "%": 1 to 63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit',
            COALESCE(name, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO shortlink.workspaces AS w (name) VALUES ($1)
    ON CONFLICT ON CONSTRAINT workspaces_name_key DO NOTHING
    RETURNING w.id INTO id;
    IF id IS NULL THEN
        RAISE EXCEPTION 'workspace "%" already exists', name USING ERRCODE = 'unique_violation';
    END IF;
    RETURN id;
END
$$;

-- Lets role act in a workspace (owner only). Idempotent.
CREATE FUNCTION shortlink.grant_workspace(name text, role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id integer;
BEGIN
    SELECT w.id INTO id FROM shortlink.workspaces w WHERE w.name OPERATOR(pg_catalog.=) $1;
    IF id IS NULL OR role IS NULL THEN
        RAISE EXCEPTION 'workspace "%" does not exist', COALESCE(name, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'shortlink.add_workspace() adds one.';
    END IF;
    INSERT INTO shortlink.workspace_members (workspace_id, member) VALUES (id, role)
    ON CONFLICT DO NOTHING;
END
$$;

CREATE FUNCTION shortlink.revoke_workspace(name text, role regrole)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
    DELETE FROM shortlink.workspace_members m
    USING shortlink.workspaces w
    WHERE w.id OPERATOR(pg_catalog.=) m.workspace_id AND w.name OPERATOR(pg_catalog.=) $1
      AND m.member OPERATOR(pg_catalog.=) $2
$$;

-- Refuses new links and updates to host and its subdomains, and disables the links that
-- point there now (owner only). Returns how many links it disabled.
CREATE FUNCTION shortlink.block_host(host text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h text := pg_catalog.rtrim(pg_catalog.lower(pg_catalog.btrim(host)), '.');
    n bigint;
BEGIN
    -- A host name: the blocklist matches the domain hosts of URLs (an IP address is
    -- refused by the private-address rule or not at all).
    IF h IS NULL OR h OPERATOR(pg_catalog.!~) '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$' THEN
        RAISE EXCEPTION 'invalid host "%": a host name such as evil.example is needed', COALESCE(host, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF h OPERATOR(pg_catalog.~) '^[0-9.]+$' THEN
        RAISE EXCEPTION 'invalid host "%": an IP address cannot be blocked', host
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The blocklist matches host names; private addresses are refused already (shortlink.allow_private_destinations).';
    END IF;
    INSERT INTO shortlink.blocked_hosts (host) VALUES (h) ON CONFLICT DO NOTHING;
    UPDATE shortlink.links l SET disabled = true, updated_at = pg_catalog.now()
    WHERE NOT l.disabled
      AND h OPERATOR(pg_catalog.=) ANY (shortlink.url_host_suffixes(l.url));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

CREATE FUNCTION shortlink.unblock_host(host text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM shortlink.blocked_hosts b
    WHERE b.host OPERATOR(pg_catalog.=) pg_catalog.rtrim(pg_catalog.lower(pg_catalog.btrim($1)), '.');
    RETURN FOUND;
END
$$;

-- Whether url's host, or a parent domain of it, is blocked. SECURITY DEFINER: the
-- blocklist is the owner's; this says only yes or no about one URL.
CREATE FUNCTION shortlink.host_blocked(url text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (
        SELECT 1 FROM shortlink.blocked_hosts b
        WHERE b.host OPERATOR(pg_catalog.=) ANY (shortlink.url_host_suffixes($1)))
$$;

-- A link that block_host disabled stays disabled while its host is blocked, whoever
-- enables it (enable(), or an UPDATE of the disabled column).
CREATE FUNCTION shortlink.links_enable_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shortlink.host_blocked(NEW.url) THEN
        RAISE EXCEPTION 'link "%" points at a blocked host: %', NEW.code, shortlink.url_host(NEW.url)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The owner lifts the block with shortlink.unblock_host().';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER links_enable_guard BEFORE UPDATE OF disabled ON shortlink.links
    FOR EACH ROW WHEN (OLD.disabled AND NOT NEW.disabled)
    EXECUTE FUNCTION shortlink.links_enable_guard();

-- shortlink.url_host(url) and shortlink.url_host_suffixes(url), the blocklist's view of a
-- URL, are the extension's (src/domains.rs): shorten checks hosts with the same code.

-- GRANT recipes (owner only; docs/security.md lists what each grants).
CREATE FUNCTION shortlink.grant_redirect(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA shortlink TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION shortlink.resolve(text, text),
        shortlink.record_click(text, text, inet, text, text, text, text, text),
        shortlink.peek_click(text, text, inet, text, text, text, text, text),
        shortlink.link_card(text, text), shortlink.link_pixels(text, text) TO %s', role);
END
$$;

-- The rights of an application role (grant_app, grant_api), written once: no membership.
CREATE FUNCTION shortlink.grant_app_rights(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA shortlink TO %s', role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION
        shortlink.shorten(text, jsonb), shortlink.shorten_many(jsonb), shortlink.shorten_many_links(jsonb),
        shortlink.update_link(text, jsonb, text), shortlink.get_link(text, text), shortlink.short_url(text, text),
        shortlink.list_links(jsonb, integer, bigint), shortlink.stats(text, text),
        shortlink.qr_svg(text, text),
        shortlink.click_stats(text, text, timestamptz, timestamptz, text),
        shortlink.click_totals(bigint, timestamptz, timestamptz),
        shortlink.click_totals(bigint, timestamptz, timestamptz, text[]),
        shortlink.click_hour_rows(bigint, timestamptz, timestamptz, text[]),
        shortlink.click_dimensions(),
        shortlink.click_hours(bigint, timestamptz, timestamptz),
        shortlink.disable(text, text), shortlink.enable(text, text),
        shortlink.delete_link(text, text), shortlink.set_disabled(text, text, boolean),
        shortlink.link_id(text, text), shortlink.require_link(text, text), shortlink.link_clicks(bigint),
        shortlink.autolink(), shortlink.add_domain(text, jsonb),
        shortlink.purge_expired(interval), shortlink.visible_workspaces(),
        shortlink.sees_every_workspace(), shortlink.current_workspace(),
        shortlink.workspace_id(text), shortlink.workspace_granted(text), shortlink.url_host(text), shortlink.host_blocked(text),
        shortlink.filter_timestamp(text, text), shortlink.remove_domain(text),
        shortlink.presented_key(), shortlink.key_allows(text), shortlink.require_scope(text),
        shortlink.own_links_key(), shortlink.key_sees_domain(text),
        shortlink.create_api_key(text, text, jsonb), shortlink.update_api_key(bigint, jsonb),
        shortlink.revoke_api_key(bigint),
        shortlink.acting_workspace(text),
        shortlink.set_sending_list(bigint, text, text, text, text), shortlink.remove_sending_list(bigint, text),
        shortlink.set_offer(text, text, boolean, boolean, text, text), shortlink.remove_offer(text, text),
        shortlink.share_stats(bigint, boolean), shortlink.secret_token() TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT ON shortlink.workspaces, shortlink.workspace_members,
        shortlink.domains, shortlink.click_counts, shortlink.click_log, shortlink.click_events, shortlink.click_rollups,
        shortlink.rollup_state, shortlink.outbox, shortlink.deliveries TO %s', role);
    -- Every column of links but password_hash.
    EXECUTE pg_catalog.format('GRANT SELECT (%s) ON shortlink.links TO %s',
        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) 'shortlink.links'::pg_catalog.regclass
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname OPERATOR(pg_catalog.<>) 'password_hash'),
        role);
    EXECUTE pg_catalog.format('GRANT UPDATE (disabled, updated_at), DELETE ON shortlink.links TO %s', role);
    -- API keys: every column but secret_hash.
    EXECUTE pg_catalog.format('GRANT SELECT (%s) ON shortlink.api_keys TO %s',
        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) 'shortlink.api_keys'::pg_catalog.regclass
           AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
           AND a.attname OPERATOR(pg_catalog.<>) 'secret_hash'),
        role);
    EXECUTE pg_catalog.format('GRANT SELECT ON shortlink.api_key_links TO %s', role);
    -- Sending lists and offers: their policies decide what a role or key may change.
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON shortlink.sending_lists,
        shortlink.offers TO %s', role);
    -- Public statistics pages of the links it sees (share_stats).
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, DELETE ON shortlink.shared_stats TO %s', role);
    -- The earlier destinations of the links it sees.
    EXECUTE pg_catalog.format('GRANT SELECT ON shortlink.link_destinations TO %s', role);
END
$$;

CREATE FUNCTION shortlink.grant_app(role regrole, workspace text DEFAULT 'default')
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM shortlink.grant_workspace(workspace, role);
    PERFORM shortlink.grant_app_rights(role);
END
$$;

-- The role of an HTTP API server: an application role's rights and the key functions,
-- but no workspace: it sees no row of any workspace until a request's key is presented
-- (shortlink.api_begin), and then that key's workspace only.
CREATE FUNCTION shortlink.grant_api(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM shortlink.grant_app_rights(role);
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION shortlink.api_begin(text),
        shortlink.api_shorten(text, text, jsonb),
        shortlink.presented_key_id(), shortlink.idempotency_claim(text, bytea),
        shortlink.idempotency_store(text, integer, text) TO %s', role);
    -- The dashboard's sign-ins, members and public statistics pages (sql/dashboard.sql).
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION
        shortlink.sign_in(text, text, text, interval), shortlink.sign_out(boolean),
        shortlink.session_user_id(), shortlink.session_info(), shortlink.switch_workspace(text),
        shortlink.invite_user(text, text, interval), shortlink.accept_invitation(text, text, interval),
        shortlink.members(), shortlink.remove_member(text), shortlink.shared_link(text),
        shortlink.shared_click_totals(text, timestamptz, timestamptz, text[]),
        shortlink.shared_click_hours(text, timestamptz, timestamptz) TO %s', role);
    EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE ON shortlink.api_idempotency TO %s', role);
END
$$;

-- Row-level security: an application role sees and changes only its workspaces' rows.
-- The owner and superusers are not subject to it; the SECURITY DEFINER functions
-- (resolve, record_click) run as the owner and serve every workspace.
ALTER TABLE shortlink.workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.workspace_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.links ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.click_counts ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.click_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.click_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.click_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.api_key_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.api_idempotency ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.sending_lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.offers ENABLE ROW LEVEL SECURITY;

-- A presented API key (shortlink.api_begin) narrows every policy below to its workspace
-- (visible_workspaces), its domains (key_sees_domain), its own links when it is restricted
-- to them (own_links_key) and its scopes (key_allows). Without a key those read true or
-- NULL, and each is an uncorrelated subquery run once per statement (but key_sees_domain,
-- once per domain row).
CREATE POLICY own_memberships ON shortlink.workspace_members
    USING (pg_catalog.pg_has_role(member::pg_catalog.oid, 'USAGE'));
CREATE POLICY granted_workspaces ON shortlink.workspaces
    USING (CASE WHEN (SELECT p.workspace_id FROM shortlink.presented_key() p) IS NULL
                THEN id IN (SELECT m.workspace_id FROM shortlink.workspace_members m)
                ELSE id = (SELECT p.workspace_id FROM shortlink.presented_key() p) END);
-- An uncorrelated subquery: the function runs once per statement, not once per row.
-- Domain rows are visible to a key with domains:read or domains:write, and to one with
-- links:read or links:write, whose links name their domains anyway (and whose link rows
-- are found through this table).
CREATE POLICY workspace_domains ON shortlink.domains
    USING (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
           AND shortlink.key_sees_domain(domain));
-- Link rows are visible to a key with links:read, and to one with links:write: PostgreSQL
-- applies a table's SELECT policies to the UPDATE and DELETE statements that read the rows
-- they change (disable, enable, delete_link), so a key that may change links sees them.
-- The read functions (get_link, list_links, stats, qr_svg) require links:read themselves.
CREATE POLICY workspace_links ON shortlink.links
    USING (domain IN (SELECT d.domain FROM shortlink.domains d)
           AND (SELECT shortlink.key_allows('links:read') OR shortlink.key_allows('links:write'))
           AND ((SELECT shortlink.own_links_key()) IS NULL
                OR id IN (SELECT k.link_id FROM shortlink.api_key_links k
                          WHERE k.key_id = (SELECT shortlink.own_links_key()))));
-- Counters are part of a link (stats, get_link); events, rollups and webhook payloads are
-- analytics (analytics:read). A row's link is looked up by its key (EXISTS, one index
-- probe a row), not as IN (SELECT id FROM links), which hashes every visible link first:
-- get_link of one link read 4 tables so, 3 ms at 10^5 links and 110 ms at 5 x 10^5
-- (bench/api.sh, 2026-12-07).
CREATE POLICY workspace_click_counts ON shortlink.click_counts
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id));
CREATE POLICY workspace_click_log ON shortlink.click_log
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id));
CREATE POLICY workspace_click_events ON shortlink.click_events
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id)
           AND (SELECT shortlink.key_allows('analytics:read')));
CREATE POLICY workspace_click_rollups ON shortlink.click_rollups
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id)
           AND (SELECT shortlink.key_allows('analytics:read')));
CREATE POLICY workspace_outbox ON shortlink.outbox
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id)
           AND (SELECT shortlink.key_allows('analytics:read')));
CREATE POLICY workspace_deliveries ON shortlink.deliveries
    USING (EXISTS (SELECT FROM shortlink.outbox o WHERE o.id = event_id));
-- API keys: those of the role's workspaces; to a presented key, those of its workspace if
-- it has keys:manage. SELECT on every column but secret_hash (grant_app_rights).
CREATE POLICY workspace_api_keys ON shortlink.api_keys
    USING (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
           AND (SELECT shortlink.key_allows('keys:manage')));
-- The own-link records of the keys the role sees, and of the presented key (the links
-- policy reads them for a key restricted to its own links).
CREATE POLICY workspace_api_key_links ON shortlink.api_key_links
    USING (key_id IN (SELECT k.id FROM shortlink.api_keys k)
           OR key_id = (SELECT p.key_id FROM shortlink.presented_key() p));
-- Idempotency records: the presented key's only (none without a key).
CREATE POLICY presented_key_idempotency ON shortlink.api_idempotency
    USING (key_id = (SELECT p.key_id FROM shortlink.presented_key() p));

-- Sending lists and offers: those of the role's workspaces; to a presented key, those of
-- its workspace, read with sending:read or with links:write (which makes links from them),
-- changed with sending:write. A list's domain is one of its own workspace's, in the view
-- of the role or key.
CREATE POLICY read_sending_lists ON shortlink.sending_lists FOR SELECT
    USING (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
           AND (SELECT shortlink.key_allows('sending:read') OR shortlink.key_allows('links:write')));
CREATE POLICY change_sending_lists ON shortlink.sending_lists
    USING (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
           AND (SELECT shortlink.key_allows('sending:write')))
    WITH CHECK (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
                AND (SELECT shortlink.key_allows('sending:write'))
                AND (domain IS NULL
                     OR domain IN (SELECT d.domain FROM shortlink.domains d
                                   WHERE d.workspace_id = sending_lists.workspace_id)));
CREATE POLICY read_offers ON shortlink.offers FOR SELECT
    USING (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
           AND (SELECT shortlink.key_allows('sending:read') OR shortlink.key_allows('links:write')));
CREATE POLICY change_offers ON shortlink.offers
    USING (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
           AND (SELECT shortlink.key_allows('sending:write')))
    WITH CHECK (workspace_id IN (SELECT pg_catalog.unnest(shortlink.visible_workspaces()))
                AND (SELECT shortlink.key_allows('sending:write')));

-- The dashboard's users, memberships and invitations have no policy: no role but the owner
-- reads them, and the dashboard's functions (SECURITY DEFINER, sql/dashboard.sql) read what
-- each needs for the session presented. Public statistics pages: those of the links the
-- role or key sees.
ALTER TABLE shortlink.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE shortlink.shared_stats ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_link_shared_stats ON shortlink.shared_stats
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id));
ALTER TABLE shortlink.link_destinations ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_link_destinations ON shortlink.link_destinations
    USING (EXISTS (SELECT FROM shortlink.links l WHERE l.id = link_id));

-- Nothing for PUBLIC: no function, table or sequence privilege in schema shortlink.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA shortlink FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA shortlink FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA shortlink FROM PUBLIC;

-- autolink triggers are checked when they are created (sql/functions.sql).
CREATE EVENT TRIGGER shortlink_autolink_check ON ddl_command_end
    WHEN TAG IN ('CREATE TRIGGER')
    EXECUTE FUNCTION shortlink.autolink_check_new_triggers();
