use pgrx::prelude::*;

fn one<T: IntoDatum + FromDatum>(sql: &str) -> Option<T> {
    Spi::get_one::<T>(sql).expect("query runs")
}

fn text(sql: &str) -> String {
    one::<String>(sql).unwrap_or_else(|| panic!("NULL from {sql}"))
}

fn int(sql: &str) -> i64 {
    one::<i64>(sql).unwrap_or_else(|| panic!("NULL from {sql}"))
}

fn run(sql: &str) {
    Spi::run(sql).expect("statement runs")
}

/// The SQLSTATE `sql` fails with, or "ok".
fn sqlstate(sql: &str) -> String {
    run("CREATE OR REPLACE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
         BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$");
    Spi::get_one_with_args::<String>("SELECT pg_temp.sqlstate_of($1)", &[sql.into()])
        .expect("query runs")
        .expect("a state")
}

#[pg_test]
fn shorten_stores_the_whatwg_serialization() {
    assert_eq!(
        text("SELECT url FROM shortlink.shorten('HTTP://Example.COM/a b')"),
        "http://example.com/a%20b"
    );
}

#[pg_test]
fn shorten_returns_every_column() {
    run("SELECT * FROM shortlink.shorten('https://example.com/x', '{\"code\": \"every\", \"max_clicks\": 3, \"expire_in\": 60, \"metadata\": {\"a\": 1}}')");
    assert_eq!(text("SELECT short_url FROM shortlink.shorten('https://example.com/', '{\"code\": \"abc\"}')"), "https://localhost/abc");
    let row = text(
        "SELECT format('%s|%s|%s|%s|%s|%s', domain, code, url, max_clicks, metadata, expires_at > now() + interval '59 seconds')
         FROM shortlink.links WHERE code = 'every'",
    );
    assert_eq!(row, "localhost|every|https://example.com/x|3|{\"a\": 1}|t");
}

#[pg_test]
fn generated_codes_follow_the_settings() {
    let code = text("SELECT code FROM shortlink.shorten('https://example.com/')");
    assert_eq!(code.len(), 7);
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    run("SET LOCAL shortlink.code_length = 12");
    run("SET LOCAL shortlink.alphabet = 'xyz'");
    let code = text("SELECT code FROM shortlink.shorten('https://example.com/')");
    assert_eq!(code.len(), 12);
    assert!(code.chars().all(|c| "xyz".contains(c)), "{code}");
    assert_eq!(text("SELECT code FROM shortlink.shorten('https://example.com/', '{\"length\": 20}')").len(), 20);
}

#[pg_test]
fn each_call_creates_a_new_link() {
    run("SELECT shortlink.shorten('https://example.com/same')");
    run("SELECT shortlink.shorten('https://example.com/same')");
    assert_eq!(int("SELECT count(*) FROM shortlink.links WHERE url = 'https://example.com/same'"), 2);
}

#[pg_test(error = "invalid url: must not be empty")]
fn shorten_refuses_null_url() {
    run("SELECT shortlink.shorten(NULL)");
}

#[pg_test(error = "invalid url: must not be empty")]
fn shorten_refuses_empty_url() {
    run("SELECT shortlink.shorten('')");
}

#[pg_test]
fn shorten_refuses_bad_urls_with_22023() {
    for url in [
        "ftp://example.com/f",
        "javascript:alert(1)",
        "https://user:pass@example.com/",
        "example.com",
        "http://exa mple.com/",
    ] {
        assert_eq!(sqlstate(&format!("SELECT shortlink.shorten('{url}')")), "22023", "{url}");
    }
}

#[pg_test(error = "invalid url \"https://user:pass@bank.example/\": URLs with a user name or password are refused")]
fn shorten_refuses_credentials() {
    run("SELECT shortlink.shorten('https://user:pass@bank.example/')");
}

#[pg_test(error = "unknown option \"max_click\"")]
fn unknown_option_is_named() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"max_click\": 1}')");
}

#[pg_test(error = "invalid option \"max_clicks\": must be an integer >= 1, not \"5\"")]
fn wrong_option_type_is_named() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"max_clicks\": \"5\"}')");
}

#[pg_test]
fn option_errors_are_22023() {
    for opts in [
        r#"{"code": "a b"}"#,
        r#"{"code": "ab"}"#,
        r#"{"length": 2}"#,
        r#"{"expire_in": 0}"#,
        r#"{"expires_at": "next week"}"#,
        r#"{"expires_at": "2001-01-01T00:00:00Z"}"#,
        r#"{"max_clicks": 0}"#,
        r#"{"metadata": "x"}"#,
        r#"{"tracking": 1}"#,
        r#"{"domain": "nope.example"}"#,
        r#"[1]"#,
    ] {
        assert_eq!(
            sqlstate(&format!("SELECT shortlink.shorten('https://example.com/', '{opts}')")),
            "22023",
            "{opts}"
        );
    }
}

#[pg_test(error = "invalid option \"expires_at\": must be in the future, not 2001-01-01T00:00:00Z")]
fn expires_at_must_be_in_the_future() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"expires_at\": \"2001-01-01T00:00:00Z\"}')");
}

#[pg_test]
fn expires_at_is_stored() {
    assert_eq!(
        text("SELECT expires_at::text FROM shortlink.shorten('https://example.com/', '{\"expires_at\": \"2100-01-31T12:00:00Z\"}') WHERE true")
            .replace("+00", ""),
        text("SELECT ('2100-01-31T12:00:00Z'::timestamptz)::text").replace("+00", "")
    );
}

#[pg_test]
fn duplicate_custom_code_is_23505() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"code\": \"taken\"}')");
    assert_eq!(sqlstate("SELECT shortlink.shorten('https://example.com/2', '{\"code\": \"taken\"}')"), "23505");
}

#[pg_test(error = "code \"taken\" already exists on domain \"localhost\"")]
fn duplicate_custom_code_says_already_exists() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"code\": \"taken\"}')");
    run("SELECT shortlink.shorten('https://example.com/2', '{\"code\": \"taken\"}')");
}

#[pg_test]
fn codes_are_unique_per_domain() {
    run("SELECT shortlink.add_domain('Go.Example.COM')");
    run("SELECT shortlink.shorten('https://a.example/', '{\"code\": \"same\"}')");
    let short = text("SELECT short_url FROM shortlink.shorten('https://b.example/', '{\"code\": \"same\", \"domain\": \"go.example.com\"}')");
    assert_eq!(short, "https://go.example.com/same");
    assert_eq!(text("SELECT shortlink.resolve('same')"), "https://a.example/");
    assert_eq!(text("SELECT shortlink.resolve('same', 'go.example.com')"), "https://b.example/");
    assert_eq!(text("SELECT shortlink.resolve('same', 'GO.example.com')"), "https://b.example/");
}

#[pg_test(error = "domain \"nope.example\" is not registered")]
fn unregistered_domain_is_an_error() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"domain\": \"nope.example\"}')");
}

#[pg_test(error = "domain \"go.example.com\" already exists")]
fn add_domain_twice_is_an_error() {
    run("SELECT shortlink.add_domain('go.example.com')");
    run("SELECT shortlink.add_domain('go.example.com')");
}

#[pg_test]
fn add_domain_if_not_exists_is_idempotent() {
    run("SELECT shortlink.add_domain('go.example.com', '{\"metadata\": {\"team\": \"sms\"}}')");
    assert_eq!(
        text("SELECT metadata->>'team' FROM shortlink.add_domain('go.example.com', '{\"if_not_exists\": true}')"),
        "sms"
    );
    assert_eq!(sqlstate("SELECT shortlink.add_domain('https://go.example.com/')"), "22023");
    assert_eq!(sqlstate("SELECT shortlink.add_domain('x.example', '{\"colour\": 1}')"), "22023");
}

#[pg_test]
fn resolve_returns_null_for_unknown_expired_disabled_exhausted() {
    run("SELECT shortlink.shorten('https://example.com/live', '{\"code\": \"live\"}')");
    run("SELECT shortlink.shorten('https://example.com/e', '{\"code\": \"gone\"}')");
    run("UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE code = 'gone'");
    run("SELECT shortlink.shorten('https://example.com/d', '{\"code\": \"off\"}')");
    run("UPDATE shortlink.links SET disabled = true WHERE code = 'off'");
    run("SELECT shortlink.shorten('https://example.com/m', '{\"code\": \"once\", \"max_clicks\": 1}')");
    assert_eq!(text("SELECT shortlink.resolve('live')"), "https://example.com/live");
    assert_eq!(text("SELECT shortlink.resolve('once')"), "https://example.com/m");
    run("SELECT shortlink.record_click('once')");
    for code in ["once", "gone", "off", "unknown"] {
        assert_eq!(one::<String>(&format!("SELECT shortlink.resolve('{code}')")), None, "{code}");
    }
    assert_eq!(one::<String>("SELECT shortlink.resolve(NULL)"), None);
    assert_eq!(one::<String>("SELECT shortlink.resolve('live', 'not a domain')"), None);
}

#[pg_test]
fn resolve_counts_nothing() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"code\": \"look\"}')");
    run("SELECT shortlink.resolve('look') FROM generate_series(1, 5)");
    assert_eq!(int("SELECT clicks FROM shortlink.stats('look')"), 0);
}

#[pg_test]
fn resolve_is_declared_stable_and_parallel_safe() {
    assert_eq!(
        text("SELECT provolatile::text || proparallel::text FROM pg_proc WHERE oid = 'shortlink.resolve(text, text)'::regprocedure"),
        "ss"
    );
}

fn click(code: &str) -> String {
    text(&format!(
        "SELECT format('%s %s %s', status, http_status, coalesce(location, '-')) FROM shortlink.record_click('{code}')"
    ))
}

#[pg_test]
fn record_click_answers_each_status() {
    run("SELECT shortlink.shorten('https://example.com/ok', '{\"code\": \"okay\"}')");
    run("SELECT shortlink.shorten('https://example.com/e', '{\"code\": \"gone\"}')");
    run("UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE code = 'gone'");
    run("SELECT shortlink.shorten('https://example.com/d', '{\"code\": \"off\"}')");
    run("UPDATE shortlink.links SET disabled = true WHERE code = 'off'");
    run("SELECT shortlink.shorten('https://example.com/m', '{\"code\": \"twice\", \"max_clicks\": 2}')");
    assert_eq!(click("okay"), "ok 302 https://example.com/ok");
    assert_eq!(click("nope"), "not_found 404 -");
    assert_eq!(click("gone"), "expired 410 -");
    assert_eq!(click("off"), "disabled 410 -");
    assert_eq!(click("twice"), "ok 302 https://example.com/m");
    assert_eq!(click("twice"), "ok 302 https://example.com/m");
    assert_eq!(click("twice"), "exhausted 410 -");
    assert_eq!(int("SELECT clicks FROM shortlink.stats('twice')"), 2);
    assert_eq!(int("SELECT clicks FROM shortlink.stats('gone')"), 0);
}

#[pg_test]
fn record_click_stores_an_event_when_tracking() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"code\": \"tracked\"}')");
    run("SELECT shortlink.record_click('tracked', NULL, '203.0.113.9', 'Mozilla/5.0', 'https://ref.example/')");
    assert_eq!(
        text("SELECT format('%s|%s|%s', e.ip, e.user_agent, e.referer) FROM shortlink.click_events e
              JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'tracked'"),
        "203.0.113.0|Mozilla/5.0|https://ref.example/"
    );
    run("SET LOCAL shortlink.anonymize_ip = off");
    run("SELECT shortlink.record_click('tracked', NULL, '2001:db8:abcd:12::1')");
    assert_eq!(
        text("SELECT string_agg(host(ip), ',' ORDER BY e.id) FROM shortlink.click_events e"),
        "203.0.113.0,2001:db8:abcd:12::1"
    );
}

#[pg_test]
fn tracking_off_counts_but_keeps_no_event() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"code\": \"quiet\", \"tracking\": false}')");
    run("SELECT shortlink.record_click('quiet', NULL, '203.0.113.9') FROM generate_series(1, 3)");
    assert_eq!(int("SELECT clicks FROM shortlink.stats('quiet')"), 3);
    assert_eq!(
        int("SELECT count(*) FROM shortlink.click_events e JOIN shortlink.links l ON l.id = e.link_id WHERE l.code = 'quiet'"),
        0
    );
}

#[pg_test]
fn stats_counts_clicks_and_last_click() {
    run("SELECT shortlink.shorten('https://example.com/s', '{\"code\": \"counted\"}')");
    assert_eq!(text("SELECT format('%s %s', clicks, last_clicked_at IS NULL) FROM shortlink.stats('counted')"), "0 t");
    run("SELECT shortlink.record_click('counted') FROM generate_series(1, 4)");
    assert_eq!(
        text("SELECT format('%s %s %s', clicks, url, last_clicked_at IS NOT NULL) FROM shortlink.stats('counted')"),
        "4 https://example.com/s t"
    );
    assert_eq!(int("SELECT count(*) FROM shortlink.stats('unknown')"), 0);
}

#[pg_test]
fn stats_adds_counts_from_before_and_after_a_limit() {
    run("SELECT shortlink.shorten('https://example.com/', '{\"code\": \"mixed\"}')");
    run("SELECT shortlink.record_click('mixed') FROM generate_series(1, 3)");
    run("UPDATE shortlink.links SET max_clicks = 5 WHERE code = 'mixed'");
    let statuses: Vec<String> = (0..3).map(|_| click("mixed")).collect();
    assert_eq!(statuses, ["ok 302 https://example.com/", "ok 302 https://example.com/", "exhausted 410 -"]);
    assert_eq!(int("SELECT clicks FROM shortlink.stats('mixed')"), 5);
}

#[pg_test]
fn shorten_many_reports_each_item() {
    let got = text(
        r#"SELECT string_agg(format('%s:%s:%s:%s', idx, ok, coalesce(code, '-'), coalesce(sqlstate, '-')), ' ' ORDER BY idx)
           FROM shortlink.shorten_many('[{"url": "https://a.example/", "code": "batch1"},
                                         {"url": "ftp://b.example/"},
                                         {"url": "https://c.example/", "code": "batch1"},
                                         {"code": "nourl"},
                                         7,
                                         {"url": "https://d.example/", "max_clicks": 2}]')"#,
    );
    let parts: Vec<&str> = got.split(' ').collect();
    assert_eq!(parts[..5], ["0:t:batch1:-", "1:f:-:22023", "2:f:-:23505", "3:f:-:22023", "4:f:-:22023"]);
    assert!(parts[5].starts_with("5:t:") && parts[5].ends_with(":-"), "{got}");
    assert_eq!(int("SELECT count(*) FROM shortlink.links"), 2);
}

#[pg_test(error = "invalid items: must be a JSON array of objects, not {\"url\": \"x\"}")]
fn shorten_many_needs_an_array() {
    run(r#"SELECT * FROM shortlink.shorten_many('{"url": "x"}')"#);
}

#[pg_test]
fn autolink_fills_the_short_url() {
    run("CREATE TABLE campaigns (id serial, landing_url text, short_url varchar(200))");
    run(r#"CREATE TRIGGER campaigns_autolink BEFORE INSERT ON campaigns FOR EACH ROW
           EXECUTE FUNCTION shortlink.autolink('landing_url', 'short_url', '{"max_clicks": 10}')"#);
    run("INSERT INTO campaigns (landing_url) VALUES ('https://example.com/spring'), (NULL)");
    let short = text("SELECT short_url FROM campaigns WHERE landing_url IS NOT NULL");
    assert!(short.starts_with("https://localhost/") && short.len() == "https://localhost/".len() + 7, "{short}");
    let code = short.trim_start_matches("https://localhost/");
    assert_eq!(text(&format!("SELECT url FROM shortlink.links WHERE code = '{code}' AND max_clicks = 10")), "https://example.com/spring");
    assert_eq!(int("SELECT count(*) FROM campaigns WHERE short_url IS NULL"), 1);
    assert_eq!(sqlstate("INSERT INTO campaigns (landing_url) VALUES ('not a url')"), "22023");
}

#[pg_test(error = "shortlink.autolink(): table public.c2 has no column \"nope\"")]
fn autolink_names_a_missing_column() {
    run("CREATE TABLE c2 (landing_url text, short_url text)");
    run("CREATE TRIGGER t BEFORE INSERT ON c2 FOR EACH ROW EXECUTE FUNCTION shortlink.autolink('nope', 'short_url')");
    run("INSERT INTO c2 VALUES ('https://example.com/')");
}

#[pg_test]
fn purge_expired_removes_old_expired_links_and_their_clicks() {
    for code in ["old", "recent", "forever"] {
        run(&format!("SELECT shortlink.shorten('https://example.com/', '{{\"code\": \"{code}\"}}')"));
        run(&format!("SELECT shortlink.record_click('{code}')"));
    }
    run("UPDATE shortlink.links SET expires_at = now() - interval '40 days' WHERE code = 'old'");
    run("UPDATE shortlink.links SET expires_at = now() - interval '1 day' WHERE code = 'recent'");
    assert_eq!(int("SELECT shortlink.purge_expired()"), 1);
    assert_eq!(text("SELECT string_agg(code, ',' ORDER BY code) FROM shortlink.links"), "forever,recent");
    assert_eq!(int("SELECT count(*) FROM shortlink.click_events"), 2);
    assert_eq!(int("SELECT count(*) FROM shortlink.click_log"), 2);
    assert_eq!(int("SELECT shortlink.purge_expired(interval '0')"), 1);
    assert_eq!(sqlstate("SELECT shortlink.purge_expired(interval '-1 day')"), "22023");
    assert_eq!(sqlstate("SELECT shortlink.purge_expired(NULL)"), "22023");
}

#[pg_test]
fn crowded_space_grows_the_code() {
    run("SET LOCAL shortlink.alphabet = 'ab'");
    run("SET LOCAL shortlink.code_length = 3");
    assert_eq!(int("SELECT count(*) FROM generate_series(1, 40) g, LATERAL shortlink.shorten('https://example.com/' || g)"), 40);
    assert_eq!(int("SELECT count(DISTINCT code) FROM shortlink.links"), 40);
    assert!(int("SELECT max(length(code)) FROM shortlink.links") > 3);
    assert_eq!(int("SELECT count(*) FROM shortlink.links WHERE code !~ '^[ab]+$'"), 0);
}

#[pg_test]
fn exhausted_code_space_is_54000() {
    run("SET LOCAL shortlink.alphabet = 'ab'");
    run("SET LOCAL shortlink.code_length = 3");
    run("SET LOCAL shortlink.max_code_length = 3");
    let mut states = Vec::new();
    for _ in 0..9 {
        states.push(sqlstate("SELECT shortlink.shorten('https://example.com/')"));
    }
    // 8 codes of 3 letters exist: at least one of 9 calls must fail, and only with 54000.
    assert!(states.iter().any(|s| s == "54000"), "{states:?}");
    assert!(states.iter().all(|s| s == "ok" || s == "54000"), "{states:?}");
    assert!(int("SELECT count(*) FROM shortlink.links") <= 8);
}

#[pg_test]
fn a_bad_alphabet_setting_is_22023() {
    run("SET LOCAL shortlink.alphabet = 'a'");
    assert_eq!(sqlstate("SELECT shortlink.shorten('https://example.com/')"), "22023");
    run("SET LOCAL shortlink.alphabet = 'ab/'");
    assert_eq!(sqlstate("SELECT shortlink.shorten('https://example.com/')"), "22023");
}

#[pg_test]
fn a_click_in_a_read_only_transaction_is_25006() {
    shorten("https://example.com/", r#"{"code": "ro-link"}"#);
    assert_eq!(sqlstate("SELECT 1"), "ok"); // creates its helper while it still can
    run("SET LOCAL transaction_read_only = on");
    assert_eq!(
        text("SELECT pg_temp.sqlstate_of($q$SELECT shortlink.record_click('ro-link')$q$)"),
        "25006"
    );
    // Reading is fine: what a standby answers.
    assert_eq!(text("SELECT status FROM shortlink.peek_click('ro-link')"), "ok");
    assert_eq!(text("SELECT shortlink.resolve('ro-link')"), "https://example.com/");
}

#[pg_test]
fn the_tables_are_dumped_with_user_data() {
    assert_eq!(
        text("SELECT string_agg(c::regclass::text, ' ' ORDER BY c::regclass::text)
              FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'shortlink'"),
        "shortlink.blocked_hosts shortlink.bot_rules shortlink.bot_rules_id_seq shortlink.click_counts \
         shortlink.click_events_default shortlink.click_events_id_seq shortlink.click_log \
         shortlink.click_rollups \
         shortlink.deliveries shortlink.domains shortlink.links shortlink.links_id_seq \
         shortlink.outbox shortlink.outbox_id_seq shortlink.rollup_state \
         shortlink.workspace_members shortlink.workspaces shortlink.workspaces_id_seq"
    );
}

// ---- Options of today's link APIs --------------------------------------------------

fn shorten(url: &str, opts: &str) -> String {
    Spi::get_one_with_args::<String>(
        "SELECT code FROM shortlink.shorten($1, $2::jsonb)",
        &[url.into(), opts.into()],
    )
    .expect("shorten runs")
    .expect("a code")
}

fn click_with(code: &str, args: &str) -> String {
    text(&format!(
        "SELECT format('%s %s %s', status, http_status, coalesce(location, '-')) FROM shortlink.record_click('{code}'{args})"
    ))
}

#[pg_test]
fn redirect_type_301_is_returned_by_record_click() {
    shorten("https://example.com/p", r#"{"code": "perm", "redirect_type": 301}"#);
    assert_eq!(click("perm"), "ok 301 https://example.com/p");
    assert_eq!(sqlstate(r#"SELECT shortlink.shorten('https://example.com/', '{"redirect_type": 307}')"#), "22023");
}

#[pg_test]
fn link_types_validate_their_destination() {
    shorten("tel:+1 (415) 555-0123", r#"{"code": "call", "link_type": "tel"}"#);
    assert_eq!(text("SELECT url FROM shortlink.links WHERE code = 'call'"), "tel:+14155550123");
    shorten("sms:+447700900123?body=hi", r#"{"code": "text", "link_type": "sms"}"#);
    shorten("mailto:sales@example.com?subject=Hi", r#"{"code": "mail", "link_type": "mailto"}"#);
    assert_eq!(click("mail"), "ok 302 mailto:sales@example.com?subject=Hi");
    for (url, t) in [("tel:12345", "tel"), ("https://example.com/", "tel"), ("mailto:nobody", "mailto"), ("sms:+0123", "sms"), ("tel:+14155550123", "url")] {
        assert_eq!(sqlstate(&format!("SELECT shortlink.shorten('{url}', '{{\"link_type\": \"{t}\"}}')")), "22023", "{url} {t}");
    }
}

#[pg_test]
fn password_protects_record_click_and_resolve() {
    shorten("https://example.com/secret", r#"{"code": "locked", "password": "open sesame"}"#);
    let hash = text("SELECT password_hash FROM shortlink.links WHERE code = 'locked'");
    assert!(hash.starts_with("$argon2id$") && !hash.contains("open sesame"), "{hash}");
    assert_eq!(click("locked"), "password_required 401 -");
    assert_eq!(click_with("locked", ", password => 'wrong'"), "password_required 401 -");
    assert_eq!(click_with("locked", ", password => 'open sesame'"), "ok 302 https://example.com/secret");
    assert_eq!(one::<String>("SELECT shortlink.resolve('locked')"), None);
    assert_eq!(int("SELECT clicks FROM shortlink.stats('locked')"), 1);
}

#[pg_test]
fn utm_options_replace_parameters_of_the_same_name() {
    shorten(
        "https://shop.example/p?utm_source=old&x=1#top",
        r#"{"code": "utm", "utm_source": "sms", "utm_medium": "text", "utm_campaign": "spring", "utm_term": "shoes", "utm_content": "v2"}"#,
    );
    assert_eq!(
        text("SELECT url FROM shortlink.links WHERE code = 'utm'"),
        "https://shop.example/p?x=1&utm_source=sms&utm_medium=text&utm_campaign=spring&utm_term=shoes&utm_content=v2#top"
    );
}

#[pg_test]
fn forward_params_merges_the_request_query() {
    shorten("https://shop.example/p?a=1&b=2", r#"{"code": "fwd", "forward_params": true}"#);
    shorten("https://shop.example/p?a=1", r#"{"code": "nofwd"}"#);
    assert_eq!(click_with("fwd", ", query => 'b=3&c=4'"), "ok 302 https://shop.example/p?a=1&b=3&c=4");
    assert_eq!(click_with("nofwd", ", query => 'b=3'"), "ok 302 https://shop.example/p?a=1");
}

const WHATSAPP: &str = "WhatsApp/2.23.20.0 A";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

#[pg_test]
fn bots_are_counted_apart_and_never_against_max_clicks() {
    shorten("https://example.com/b", r#"{"code": "botty", "max_clicks": 1}"#);
    for bot in [WHATSAPP, "TelegramBot (like TwitterBot)", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "facebookexternalhit/1.1", "Twitterbot/1.0", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "LinkedInBot/1.0", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"] {
        assert_eq!(click_with("botty", &format!(", user_agent => '{bot}'")), "ok 302 https://example.com/b", "{bot}");
    }
    assert_eq!(text("SELECT format('%s %s', clicks, bot_clicks) FROM shortlink.stats('botty')"), "0 9");
    assert_eq!(click_with("botty", &format!(", user_agent => '{IPHONE}'")), "ok 302 https://example.com/b");
    assert_eq!(click_with("botty", &format!(", user_agent => '{IPHONE}'")), "exhausted 410 -");
    assert_eq!(text("SELECT format('%s %s', clicks, bot_clicks) FROM shortlink.stats('botty')"), "1 9");
    assert_eq!(int("SELECT count(*) FROM shortlink.click_events WHERE is_bot"), 9);
}

#[pg_test]
fn block_bots_answers_403() {
    shorten("https://example.com/h", r#"{"code": "humans", "block_bots": true}"#);
    assert_eq!(click_with("humans", &format!(", user_agent => '{WHATSAPP}'")), "blocked 403 -");
    assert_eq!(click_with("humans", &format!(", user_agent => '{IPHONE}'")), "ok 302 https://example.com/h");
    assert_eq!(text("SELECT format('%s %s', clicks, bot_clicks) FROM shortlink.stats('humans')"), "1 0");
}

#[pg_test]
fn preview_and_tracking_fields_are_stored_and_returned_by_get_link() {
    shorten(
        "https://example.com/",
        r#"{"code": "rich", "title": "Spring sale", "description": "All shoes", "image": "https://img.example/s.png",
            "tags": ["sms", "spring"], "cloaked": true, "meta_pixel_id": "123456789012345", "google_tag_id": "G-ABC123",
            "custom_field": "crm:42", "dlt_header": "ACMEIN", "contact_phone": "+91 98765 43210"}"#,
    );
    assert_eq!(
        text("SELECT concat_ws('|', title, description, image, tags::text, cloaked, meta_pixel_id, google_tag_id, custom_field, dlt_header, contact_phone) FROM shortlink.get_link('rich')"),
        "Spring sale|All shoes|https://img.example/s.png|{sms,spring}|t|123456789012345|G-ABC123|crm:42|ACMEIN|+919876543210"
    );
    assert_eq!(sqlstate(&format!(r#"SELECT shortlink.shorten('https://example.com/', '{{"custom_field": "{}"}}')"#, "x".repeat(1025))), "22023");
    assert_eq!(sqlstate(r#"SELECT shortlink.shorten('https://example.com/', '{"contact_phone": "12345"}')"#), "22023");
}

#[pg_test]
fn template_vars_fill_macros_at_creation() {
    let code = shorten(
        "https://shop.example/o?phone={{contact.phone}}&c={{link.code}}",
        r#"{"template_vars": {"contact": {"phone": "+14155550123"}}}"#,
    );
    assert_eq!(
        text(&format!("SELECT url FROM shortlink.links WHERE code = '{code}'")),
        format!("https://shop.example/o?phone=%2B14155550123&c={code}")
    );
    assert_eq!(sqlstate("SELECT shortlink.shorten('https://shop.example/{{nope}}')"), "22023");
}

#[pg_test(error = "invalid option \"template_vars\": unknown macro {{nope}}")]
fn an_unknown_macro_is_named() {
    run("SELECT shortlink.shorten('https://shop.example/{{nope}}', '{\"template_vars\": {\"yes\": 1}}')");
}

#[pg_test]
fn callbacks_write_an_outbox_event_in_the_clicking_transaction() {
    shorten(
        "https://example.com/cb",
        r#"{"code": "hooked", "callback_url": "https://hooks.example/exotel", "webhook_urls": ["https://a.example/h", "https://b.example/h"]}"#,
    );
    shorten("https://example.com/plain", r#"{"code": "plain"}"#);
    run(&format!("SELECT shortlink.record_click('hooked', NULL, '203.0.113.9', '{IPHONE}', 'https://t.co/x', 'de')"));
    run("SELECT shortlink.record_click('plain')");
    assert_eq!(int("SELECT count(*) FROM shortlink.outbox"), 1);
    assert_eq!(
        text("SELECT targets::text FROM shortlink.outbox"),
        "{https://hooks.example/exotel,https://a.example/h,https://b.example/h}"
    );
    assert_eq!(
        text("SELECT concat_ws('|', payload->>'code', payload->>'short_url', payload->>'long_url', payload->>'total_clicks', payload->>'ip', payload->>'referer', payload->>'device', payload->>'os', payload->>'browser', payload->>'country', (payload->>'clicked_at')::timestamptz = now()) FROM shortlink.outbox"),
        "hooked|https://localhost/hooked|https://example.com/cb|1|203.0.113.0|https://t.co/x|mobile|iOS|Safari|DE|t"
    );
    assert_eq!(sqlstate(r#"SELECT shortlink.shorten('https://example.com/', '{"callback_url": "ftp://x.example/"}')"#), "22023");
}

#[pg_test]
fn expired_url_receives_expired_and_exhausted_links() {
    shorten("https://example.com/x", r#"{"code": "late", "expired_url": "https://example.com/over"}"#);
    run("UPDATE shortlink.links SET expires_at = now() - interval '1 second' WHERE code = 'late'");
    assert_eq!(click("late"), "expired 302 https://example.com/over");
    shorten("https://example.com/x", r#"{"code": "full", "max_clicks": 1, "expired_url": "https://example.com/over"}"#);
    assert_eq!(click("full"), "ok 302 https://example.com/x");
    assert_eq!(click("full"), "exhausted 302 https://example.com/over");
}

#[pg_test]
fn if_exists_return_gives_back_the_same_link() {
    let id = int(r#"SELECT id FROM shortlink.shorten('https://example.com/a', '{"code": "again"}')"#);
    assert_eq!(int(r#"SELECT id FROM shortlink.shorten('https://EXAMPLE.com/a', '{"code": "again", "if_exists": "return"}')"#), id);
    assert_eq!(sqlstate(r#"SELECT shortlink.shorten('https://example.com/b', '{"code": "again", "if_exists": "return"}')"#), "23505");
    assert_eq!(sqlstate(r#"SELECT shortlink.shorten('https://example.com/a', '{"code": "again"}')"#), "23505");
    assert_eq!(int("SELECT count(*) FROM shortlink.links"), 1);
}

// ---- Link management ------------------------------------------------------------------

#[pg_test]
fn update_link_changes_the_destination_and_keeps_the_history_in_click_events() {
    shorten("https://example.com/v1", r#"{"code": "moving", "title": "One"}"#);
    assert_eq!(click("moving"), "ok 302 https://example.com/v1");
    assert_eq!(
        text(r#"SELECT concat_ws('|', code, url) FROM shortlink.update_link('moving', '{"url": "https://example.com/v2", "title": null, "max_clicks": 5}')"#),
        "moving|https://example.com/v2"
    );
    assert_eq!(click("moving"), "ok 302 https://example.com/v2");
    assert_eq!(
        text("SELECT string_agg(location, ',' ORDER BY id) FROM shortlink.click_events"),
        "https://example.com/v1,https://example.com/v2"
    );
    assert_eq!(text("SELECT concat_ws('|', title IS NULL, max_clicks, updated_at IS NOT NULL) FROM shortlink.get_link('moving')"), "t|5|t");
    assert_eq!(sqlstate(r#"SELECT shortlink.update_link('moving', '{"code": "other"}')"#), "22023");
    assert_eq!(sqlstate(r#"SELECT shortlink.update_link('missing', '{"title": "x"}')"#), "P0002");
    assert_eq!(sqlstate("SELECT shortlink.update_link(NULL, '{}')"), "22023");
    assert_eq!(sqlstate("SELECT shortlink.add_domain(NULL)"), "22023");
    assert_eq!(sqlstate(r#"SELECT shortlink.update_link('moving', '{"url": "ftp://x.example/"}')"#), "22023");
}

#[pg_test]
fn update_link_sets_and_clears_a_password() {
    shorten("https://example.com/", r#"{"code": "guarded"}"#);
    run(r#"SELECT shortlink.update_link('guarded', '{"password": "pw"}')"#);
    assert_eq!(click("guarded"), "password_required 401 -");
    run(r#"SELECT shortlink.update_link('guarded', '{"password": null}')"#);
    assert_eq!(click("guarded"), "ok 302 https://example.com/");
}

#[pg_test]
fn disable_enable_and_delete_link() {
    shorten("https://example.com/", r#"{"code": "toggle"}"#);
    run("SELECT shortlink.disable('toggle')");
    assert_eq!(click("toggle"), "disabled 410 -");
    run("SELECT shortlink.enable('toggle')");
    assert_eq!(click("toggle"), "ok 302 https://example.com/");
    run("SELECT shortlink.delete_link('toggle')");
    assert_eq!(click("toggle"), "not_found 404 -");
    assert_eq!(int("SELECT count(*) FROM shortlink.click_events"), 0);
    for f in ["disable", "enable", "delete_link", "get_link"] {
        assert_eq!(sqlstate(&format!("SELECT shortlink.{f}('toggle')")), "P0002", "{f}");
    }
}

#[pg_test]
fn list_links_filters_and_pages_by_keyset() {
    run("SELECT shortlink.add_domain('go.example.com')");
    for i in 1..=5 {
        shorten(&format!("https://example.com/{i}"), &format!(r#"{{"code": "list-{i}", "tags": ["{}"], "metadata": {{"n": {i}}}}}"#, if i % 2 == 0 { "even" } else { "odd" }));
    }
    shorten("https://example.com/go", r#"{"code": "list-go", "domain": "go.example.com"}"#);
    let codes = |sql: &str| text(&format!("SELECT string_agg(code, ',' ORDER BY id) FROM {sql}"));
    assert_eq!(codes("shortlink.list_links('{\"tag\": \"odd\"}')"), "list-1,list-3,list-5");
    assert_eq!(codes("shortlink.list_links('{\"domain\": \"go.example.com\"}')"), "list-go");
    assert_eq!(codes("shortlink.list_links('{\"metadata\": {\"n\": 2}}')"), "list-2");
    let first_two = codes("shortlink.list_links('{}', 2)");
    assert_eq!(first_two, "list-1,list-2");
    let after = int("SELECT max(id) FROM shortlink.list_links('{}', 2)");
    assert_eq!(codes(&format!("shortlink.list_links('{{}}', 2, {after})")), "list-3,list-4");
    run("UPDATE shortlink.links SET expires_at = now() - interval '1 day' WHERE code = 'list-4'");
    assert_eq!(codes("shortlink.list_links('{\"expired\": true}')"), "list-4");
    assert_eq!(int("SELECT count(*) FROM shortlink.list_links('{\"created_after\": \"2000-01-01\"}')"), 6);
    assert_eq!(sqlstate("SELECT shortlink.list_links('{\"colour\": 1}')"), "22023");
    assert_eq!(sqlstate("SELECT shortlink.list_links('{\"tag\": 1}')"), "22023");
    assert_eq!(sqlstate("SELECT shortlink.list_links('{}', 0)"), "22023");
}

#[pg_test]
fn click_stats_counts_clicks_visitors_and_bots_per_bucket_and_breakdown() {
    shorten("https://example.com/", r#"{"code": "stats"}"#);
    let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
    for (ip, ua, referer, country) in [
        ("203.0.113.1", IPHONE, "https://t.co/a", "US"),
        ("203.0.113.1", IPHONE, "https://t.co/b", "US"),
        ("203.0.113.2", android, "https://www.facebook.com/", "DE"),
        ("203.0.113.3", WHATSAPP, "", ""),
    ] {
        run(&format!("SELECT shortlink.record_click('stats', NULL, '{ip}', '{ua}', nullif('{referer}', ''), nullif('{country}', ''))"));
    }
    let row = |dim: &str, key: &str| {
        text(&format!(
            "SELECT format('%s %s %s', clicks, unique_visitors, bot_clicks) FROM shortlink.click_stats('stats')
             WHERE dimension = '{dim}' AND key IS NOT DISTINCT FROM nullif('{key}', '')"
        ))
    };
    assert_eq!(row("total", ""), "3 2 1");
    assert_eq!(row("referer_host", "t.co"), "2 1 0");
    assert_eq!(row("device", "mobile"), "3 2 0");
    assert_eq!(row("os", "Android"), "1 1 0");
    assert_eq!(row("browser", "Safari"), "2 1 0");
    assert_eq!(row("country", "DE"), "1 1 0");
    assert_eq!(text("SELECT format('%s %s', clicks, bucket_start = date_trunc('hour', now())) FROM shortlink.click_stats('stats', bucket => 'hour') WHERE dimension = 'time'"), "3 t");
    assert_eq!(int("SELECT count(*) FROM shortlink.click_stats('stats', since => now() + interval '1 day') WHERE dimension = 'time'"), 0);
    assert_eq!(sqlstate("SELECT shortlink.click_stats('stats', bucket => 'fortnight')"), "22023");
    assert_eq!(sqlstate("SELECT shortlink.click_stats('nope')"), "P0002");
    // Never the raw IP: visitors are a salted hash; the stored address is anonymised.
    assert_eq!(int("SELECT count(*) FROM shortlink.click_events WHERE visitor_hash LIKE '%203.0.113%' OR host(ip) <> '203.0.113.0'"), 0);
}

#[pg_test]
fn tracking_off_stores_no_event_and_no_ip() {
    shorten("https://example.com/", r#"{"code": "private", "tracking": false, "callback_url": "https://hooks.example/"}"#);
    run(&format!("SELECT shortlink.record_click('private', NULL, '203.0.113.9', '{IPHONE}')"));
    assert_eq!(int("SELECT count(*) FROM shortlink.click_events"), 0);
    assert_eq!(text("SELECT coalesce(payload->>'ip', 'none') FROM shortlink.outbox"), "none");
    assert_eq!(int("SELECT clicks FROM shortlink.stats('private')"), 1);
    // Without tracking or callbacks the user agent is still classified.
    shorten("https://example.com/", r#"{"code": "bare", "tracking": false}"#);
    run(&format!("SELECT shortlink.record_click('bare', user_agent => '{WHATSAPP}')"));
    run(&format!("SELECT shortlink.record_click('bare', user_agent => '{IPHONE}')"));
    assert_eq!(text("SELECT format('%s %s', clicks, bot_clicks) FROM shortlink.stats('bare')"), "1 1");
}

#[pg_test]
fn a_default_domain_setting_in_capitals_still_finds_its_links() {
    run("SELECT shortlink.add_domain('go.example.com')");
    run("SET LOCAL shortlink.default_domain = 'Go.Example.COM'");
    let code = shorten("https://example.com/caps", "{}");
    assert_eq!(text(&format!("SELECT domain FROM shortlink.links WHERE code = '{code}'")), "go.example.com");
    assert_eq!(text(&format!("SELECT shortlink.resolve('{code}')")), "https://example.com/caps");
    assert_eq!(click(&code), "ok 302 https://example.com/caps");
}

#[pg_test]
fn remembered_links_bounds_the_places_a_backend_remembers() {
    run("SELECT count(*) FROM generate_series(1, 11) g, LATERAL shortlink.shorten('https://example.com/r' || g, jsonb_build_object('code', 'rem' || g))");
    let resolve = |from: i32, to: i32| {
        for g in from..=to {
            assert_eq!(text(&format!("SELECT shortlink.resolve('rem{g}')")), format!("https://example.com/r{g}"));
        }
    };
    run("SET LOCAL shortlink.remembered_links = 1000");
    resolve(1, 5);
    assert!(crate::link_row::remembered_places() >= 5);
    // Room for 2: each link read through the index empties a full memo first, so it
    // never holds more than 2; links read from their remembered place still resolve.
    run("SET LOCAL shortlink.remembered_links = 2");
    resolve(6, 10);
    assert!(crate::link_row::remembered_places() <= 2);
    resolve(1, 10);
    assert!(crate::link_row::remembered_places() <= 2);
    // 0: the next link read through the index empties it and nothing is remembered.
    run("SET LOCAL shortlink.remembered_links = 0");
    resolve(11, 11);
    assert_eq!(crate::link_row::remembered_places(), 0);
    resolve(1, 11);
    assert_eq!(crate::link_row::remembered_places(), 0);
    assert_eq!(sqlstate("SET shortlink.remembered_links = -1"), "22023");
}

#[pg_test]
fn a_memo_that_does_not_pay_holds_few_places_for_a_while() {
    run("SELECT count(*) FROM generate_series(1, 4000) g, LATERAL shortlink.shorten('https://example.com/f' || g, jsonb_build_object('code', 'few' || g))");
    // Reads links few<from> .. few<to> in one statement.
    let read = |from: i32, to: i32| {
        let n = text(&format!(
            "SELECT count(*)::text FROM generate_series({from}, {to}) g WHERE shortlink.resolve('few' || g) = 'https://example.com/f' || g"
        ));
        assert_eq!(n, (to - from + 1).to_string());
    };
    let empty = || {
        run("SET LOCAL shortlink.remembered_links = 0");
        read(1, 1);
        assert_eq!(crate::link_row::remembered_places(), 0);
        run("SET LOCAL shortlink.remembered_links = 1100");
    };
    // Paying: 600 of the 1,101 reads before it filled found their place. Emptied when
    // full, it fills to its whole 1,100 again.
    empty();
    read(1, 600);
    read(1, 600);
    read(601, 1101);
    read(1102, 2200);
    assert_eq!(crate::link_row::remembered_places(), 1100);
    // Not paying: no read found its place before it filled. For the next 8 x 1,100 reads
    // it holds at most 1,024 places, then its whole 1,100 again.
    empty();
    read(1, 1101);
    let mut most = 0;
    for i in 0..8800 {
        let g = 1102 + i % 1800;
        assert_eq!(text(&format!("SELECT shortlink.resolve('few{g}')")), format!("https://example.com/f{g}"));
        most = most.max(crate::link_row::remembered_places());
    }
    assert!(most <= 1024, "held {most} places while not paying");
    for g in 3001..=4000 {
        assert_eq!(text(&format!("SELECT shortlink.resolve('few{g}')")), format!("https://example.com/f{g}"));
        most = most.max(crate::link_row::remembered_places());
    }
    assert!(most > 1024, "held at most {most} places after the reads with few");
}

#[pg_test]
fn the_shared_place_memo_is_off_without_preloading() {
    // `cargo pgrx test` does not preload shortlink: no shared memory was set aside, so
    // links are read through each backend's memo and the index, and warming is an error.
    assert_eq!(text("SELECT format('%s/%s', slots, remembered) FROM shortlink.shared_place_memo()"), "0/0");
    assert_eq!(sqlstate("SELECT shortlink.warm_places()"), "55000");
    run("SELECT FROM shortlink.shorten('https://example.com/unshared', '{\"code\": \"unshared\"}')");
    assert_eq!(text("SELECT shortlink.resolve('unshared')"), "https://example.com/unshared");
    // The setting is defined only by a preloaded library: it sizes shared memory at start.
    assert_eq!(sqlstate("SHOW shortlink.shared_places"), "42704");
}

#[pg_test]
fn a_shared_place_is_one_word_and_back() {
    let tid = pg_sys::ItemPointerData {
        ip_blkid: pg_sys::BlockIdData { bi_hi: 0xfffe, bi_lo: 0x1234 },
        ip_posid: 291,
    };
    let word = crate::shared_places::pack(tid);
    assert_ne!(word, 0);
    let back = crate::shared_places::unpack(word);
    assert_eq!((back.ip_blkid.bi_hi, back.ip_blkid.bi_lo, back.ip_posid), (0xfffe, 0x1234, 291));
}
