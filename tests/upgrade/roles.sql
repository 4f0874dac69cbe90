-- The three role recipes and a second workspace, as an installed database has them. Run
-- on the database to upgrade (before the fill) and on the fresh install it is compared
-- with, so that both carry the same grants. Roles are the cluster's: made once.
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['sl_up_edge', 'sl_up_app', 'sl_up_acme_app', 'sl_up_dispatch'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN', r);
        END IF;
    END LOOP;
END $$;
SELECT shortlink.add_workspace('acme');
SELECT shortlink.grant_redirect('sl_up_edge');
SELECT shortlink.grant_dispatcher('sl_up_dispatch');
SELECT shortlink.grant_app('sl_up_app');
SELECT shortlink.grant_app('sl_up_acme_app', 'acme');
