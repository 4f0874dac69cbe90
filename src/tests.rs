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
        "203.0.113.9|Mozilla/5.0|https://ref.example/"
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

#[pg_test(error = "invalid items: must be a JSON array of objects, not {\"url\":\"x\"}")]
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
    assert_eq!(int("SELECT count(*) FROM shortlink.click_counts"), 2);
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
fn the_tables_are_dumped_with_user_data() {
    assert_eq!(
        int("SELECT count(*) FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'shortlink'"),
        6
    );
}
