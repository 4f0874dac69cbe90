-- Sending lists and offers (docs/reference.md, "Sending lists and offers"): the data an SMS
-- sender's links come from, per workspace. A sending list is a number messages are sent
-- from, mapped to the short domain its links go on; an offer is a destination template
-- ({{contact.phone}} and the other macros of shorten) with its bot filtering. The server's
-- Trackly drop-in (POST /api/v2/links/shorten) makes links from them; /api/v1/sending-lists
-- and /api/v1/offers manage them. Rows under row-level security (security.sql): a key with
-- sending:read reads them, one with links:write too (it makes links from them), one with
-- sending:write changes them.

CREATE TABLE shortlink.sending_lists (
    workspace_id integer NOT NULL REFERENCES shortlink.workspaces (id) ON DELETE CASCADE,
    list_id      bigint NOT NULL CHECK (list_id OPERATOR(pg_catalog.>) 0),
    -- E.164: "+", then 7 to 15 digits, the first not 0.
    phone_number text NOT NULL CHECK (phone_number OPERATOR(pg_catalog.~) '^\+[1-9][0-9]{6,14}$'),
    -- The short domain of the list's links; NULL: none yet, or removed since.
    domain       text REFERENCES shortlink.domains (domain) ON DELETE SET NULL,
    name         text CHECK (pg_catalog.char_length(name) OPERATOR(pg_catalog.<=) 200),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz,
    PRIMARY KEY (workspace_id, list_id),
    UNIQUE (workspace_id, phone_number)
);
COMMENT ON TABLE shortlink.sending_lists IS 'Numbers a workspace sends from and the short domain of their links (shortlink.set_sending_list).';
CREATE INDEX sending_lists_domain_idx ON shortlink.sending_lists (domain) WHERE domain IS NOT NULL;

CREATE TABLE shortlink.offers (
    workspace_id integer NOT NULL REFERENCES shortlink.workspaces (id) ON DELETE CASCADE,
    offer_id     text NOT NULL CHECK (offer_id OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.:-]{1,64}$'),
    -- An http(s) URL, with {{macros}} filled when a link is made.
    destination  text NOT NULL
                 CHECK (pg_catalog.octet_length(destination) OPERATOR(pg_catalog.<=) 8192
                        AND destination OPERATOR(pg_catalog.~*) '^https?://[^/?#[:space:]]+'),
    -- Links made from the offer refuse known bots (block_bots).
    filter_bots  boolean NOT NULL DEFAULT false,
    -- An inactive offer makes no new links (404 offer_not_found); its links keep working.
    active       boolean NOT NULL DEFAULT true,
    name         text CHECK (pg_catalog.char_length(name) OPERATOR(pg_catalog.<=) 200),
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz,
    PRIMARY KEY (workspace_id, offer_id)
);
COMMENT ON TABLE shortlink.offers IS 'Destination templates links are made from (shortlink.set_offer).';

SELECT pg_catalog.pg_extension_config_dump('shortlink.sending_lists', '');
SELECT pg_catalog.pg_extension_config_dump('shortlink.offers', '');

-- The workspace a management function acts in: the named one (one of the caller's), else
-- the caller's own (the presented key's).
CREATE FUNCTION shortlink.acting_workspace(workspace text)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN workspace IS NULL THEN shortlink.current_workspace()
                ELSE shortlink.workspace_id(workspace) END
$$;

-- Adds sending list list_id, or changes it: its E.164 phone number, the short domain of its
-- links (a domain of the same workspace; NULL: none) and a name. Needs sending:write of a
-- presented key. 23505 when another list of the workspace has the number.
CREATE FUNCTION shortlink.set_sending_list(list_id bigint, phone_number text, domain text DEFAULT NULL,
                                           name text DEFAULT NULL, workspace text DEFAULT NULL)
RETURNS shortlink.sending_lists
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws integer;
    number text := pg_catalog.regexp_replace(COALESCE(phone_number, ''), '[[:space:]().-]', '', 'g');
    host text := pg_catalog.lower(pg_catalog.btrim(domain));
    result shortlink.sending_lists;
BEGIN
    PERFORM shortlink.require_scope('sending:write');
    ws := shortlink.acting_workspace(workspace);
    IF list_id IS NULL OR list_id OPERATOR(pg_catalog.<=) 0 THEN
        RAISE EXCEPTION 'invalid option "list_id": must be a positive integer, not %', COALESCE(list_id::text, 'null')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF number OPERATOR(pg_catalog.!~) '^\+[1-9][0-9]{6,14}$' THEN
        RAISE EXCEPTION 'invalid option "phone_number": must be an E.164 phone number such as +14155550123, not "%"', phone_number
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF host OPERATOR(pg_catalog.=) '' THEN
        host := NULL;
    END IF;
    IF host IS NOT NULL AND NOT EXISTS (
        SELECT FROM shortlink.domains d
        WHERE d.domain OPERATOR(pg_catalog.=) host AND d.workspace_id OPERATOR(pg_catalog.=) ws) THEN
        RAISE EXCEPTION 'invalid option "domain": "%" is not a domain of this workspace', host
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Register it first with shortlink.add_domain() or POST /api/v1/domains.';
    END IF;
    IF EXISTS (SELECT FROM shortlink.sending_lists s
               WHERE s.workspace_id OPERATOR(pg_catalog.=) ws
                 AND s.phone_number OPERATOR(pg_catalog.=) number
                 AND s.list_id OPERATOR(pg_catalog.<>) set_sending_list.list_id) THEN
        RAISE EXCEPTION 'phone number % is already another sending list''s', number
            USING ERRCODE = 'unique_violation',
                  DETAIL = pg_catalog.format('Sending list %s has it.',
                      (SELECT s.list_id FROM shortlink.sending_lists s
                       WHERE s.workspace_id OPERATOR(pg_catalog.=) ws
                         AND s.phone_number OPERATOR(pg_catalog.=) number)),
                  HINT = 'Give that list another number first, or remove it.';
    END IF;
    INSERT INTO shortlink.sending_lists AS s (workspace_id, list_id, phone_number, domain, name)
    VALUES (ws, set_sending_list.list_id, number, host, set_sending_list.name)
    ON CONFLICT ON CONSTRAINT sending_lists_pkey DO UPDATE
        SET phone_number = excluded.phone_number, domain = excluded.domain, name = excluded.name,
            updated_at = pg_catalog.now()
    RETURNING s.* INTO result;
    RETURN result;
END
$$;

-- Removes sending list list_id: whether there was one. Links made for it stay.
CREATE FUNCTION shortlink.remove_sending_list(list_id bigint, workspace text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws integer;
BEGIN
    PERFORM shortlink.require_scope('sending:write');
    ws := shortlink.acting_workspace(workspace);
    DELETE FROM shortlink.sending_lists s
    WHERE s.workspace_id OPERATOR(pg_catalog.=) ws AND s.list_id OPERATOR(pg_catalog.=) remove_sending_list.list_id;
    RETURN FOUND;
END
$$;

-- Adds offer offer_id, or changes it: its destination template (an http or https URL whose
-- {{macros}} are filled when a link is made), whether its links refuse bots, whether it
-- makes new links, and a name. Needs sending:write of a presented key.
CREATE FUNCTION shortlink.set_offer(offer_id text, destination text, filter_bots boolean DEFAULT false,
                                    active boolean DEFAULT true, name text DEFAULT NULL,
                                    workspace text DEFAULT NULL)
RETURNS shortlink.offers
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws integer;
    dest text := pg_catalog.btrim(destination);
    result shortlink.offers;
BEGIN
    PERFORM shortlink.require_scope('sending:write');
    ws := shortlink.acting_workspace(workspace);
    IF offer_id IS NULL OR offer_id OPERATOR(pg_catalog.!~) '^[A-Za-z0-9_.:-]{1,64}$' THEN
        RAISE EXCEPTION 'invalid option "offer_id": must be 1 to 64 letters, digits, "_", ".", ":" or "-", not "%"', offer_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF dest IS NULL OR dest OPERATOR(pg_catalog.!~*) '^https?://[^/?#[:space:]]+' THEN
        RAISE EXCEPTION 'invalid option "destination": must be an http or https URL, not "%"', destination
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Every {{ must open a macro: {{ name }}, the name dot-separated parts of letters,
    -- digits, "_" and "-" (core/src/template.rs).
    IF pg_catalog.strpos(pg_catalog.regexp_replace(dest,
            '\{\{[[:space:]]*[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*[[:space:]]*\}\}', '', 'g'), '{{')
       OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'invalid option "destination": a "{{" opens no macro such as {{contact.phone}}'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO shortlink.offers AS o (workspace_id, offer_id, destination, filter_bots, active, name)
    VALUES (ws, set_offer.offer_id, dest, COALESCE(set_offer.filter_bots, false),
            COALESCE(set_offer.active, true), set_offer.name)
    ON CONFLICT ON CONSTRAINT offers_pkey DO UPDATE
        SET destination = excluded.destination, filter_bots = excluded.filter_bots,
            active = excluded.active, name = excluded.name, updated_at = pg_catalog.now()
    RETURNING o.* INTO result;
    RETURN result;
END
$$;

-- Removes offer offer_id: whether there was one. Links made from it stay.
CREATE FUNCTION shortlink.remove_offer(offer_id text, workspace text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws integer;
BEGIN
    PERFORM shortlink.require_scope('sending:write');
    ws := shortlink.acting_workspace(workspace);
    DELETE FROM shortlink.offers o
    WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.offer_id OPERATOR(pg_catalog.=) remove_offer.offer_id;
    RETURN FOUND;
END
$$;
