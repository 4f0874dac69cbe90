//! The HTML pages the server answers with, each value escaped.

use std::path::Path;

/// `s` with the five HTML metacharacters escaped, safe in text and in quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"robots\" content=\"noindex\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\n<body>{body}</body></html>\n",
        escape(title)
    )
}

/// The error pages, built in or read from `--pages-dir` at start.
#[derive(Clone)]
pub struct Pages {
    pub not_found: String,
    pub gone: String,
    pub forbidden: String,
}

impl Pages {
    pub fn load(dir: Option<&Path>) -> std::io::Result<Pages> {
        let read = |name: &str, default: String| -> std::io::Result<String> {
            match dir {
                Some(d) if d.join(name).exists() => std::fs::read_to_string(d.join(name)),
                _ => Ok(default),
            }
        };
        Ok(Pages {
            not_found: read(
                "404.html",
                page(
                    "Link not found",
                    "<h1>Link not found</h1><p>This short link does not exist.</p>",
                ),
            )?,
            gone: read(
                "410.html",
                page(
                    "Link no longer available",
                    "<h1>Link no longer available</h1><p>This short link has expired or been disabled.</p>",
                ),
            )?,
            forbidden: read(
                "403.html",
                page("Forbidden", "<h1>Forbidden</h1>"),
            )?,
        })
    }
}

/// The password form of a protected link; `wrong` adds the message of a failed attempt.
/// It posts back to `/{code}` with the query the link was opened with (`query`, raw), so
/// that `forward_params` forwards it once the password is given.
pub fn password_form(code: &str, query: Option<&str>, wrong: bool) -> String {
    let message = if wrong {
        "<p role=\"alert\">Wrong password. Try again.</p>"
    } else {
        ""
    };
    page(
        "Password required",
        &format!(
            "<h1>Password required</h1>{message}\
             <form method=\"post\" action=\"/{}{}\">\
             <label>Password <input type=\"password\" name=\"password\" autofocus required></label>\
             <button type=\"submit\">Continue</button></form>",
            escape(code),
            query
                .filter(|q| !q.is_empty())
                .map(|q| format!("?{}", escape(q)))
                .unwrap_or_default()
        ),
    )
}

/// A link's card, as `shortlink.link_card` returns it.
#[derive(Default)]
pub struct Card {
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
}

/// What bots and link-preview fetchers get for a link with a card: Open Graph and Twitter
/// card tags, and a link to the destination.
pub fn preview(destination: &str, card: &Card) -> String {
    let mut meta = format!(
        "<meta property=\"og:url\" content=\"{}\">",
        escape(destination)
    );
    let mut tag = |property: &str, name: &str, value: &Option<String>| {
        if let Some(v) = value {
            meta.push_str(&format!(
                "<meta property=\"og:{property}\" content=\"{v}\"><meta name=\"twitter:{name}\" content=\"{v}\">",
                v = escape(v)
            ));
        }
    };
    tag("title", "title", &card.title);
    tag("description", "description", &card.description);
    tag("image", "image", &card.image);
    let kind = if card.image.is_some() {
        "summary_large_image"
    } else {
        "summary"
    };
    let title = card.title.as_deref().unwrap_or(destination);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"robots\" content=\"noindex\">\
         <meta name=\"twitter:card\" content=\"{kind}\">{meta}<title>{}</title></head>\n\
         <body><h1>{}</h1>{}<p><a href=\"{}\">{}</a></p></body></html>\n",
        escape(title),
        escape(title),
        card.description
            .as_deref()
            .map(|d| format!("<p>{}</p>", escape(d)))
            .unwrap_or_default(),
        escape(destination),
        escape(destination)
    )
}

/// A cloaked link: the destination framed under the link's title.
pub fn cloaked(destination: &str, card: &Card) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"robots\" content=\"noindex\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>html,body,iframe{{margin:0;border:0;width:100%;height:100%}}</style>\
         </head>\n<body><iframe src=\"{}\" title=\"{}\"></iframe></body></html>\n",
        escape(card.title.as_deref().unwrap_or("")),
        escape(destination),
        escape(card.title.as_deref().unwrap_or(destination))
    )
}

/// A link's retargeting pixels (`shortlink.link_pixels`).
#[derive(Clone, Debug, Default)]
pub struct Pixels {
    /// The Meta Pixel's id.
    pub meta: Option<String>,
    /// The Google tag's id (G-…, AW-…, GTM-… as a gtag.js id).
    pub google: Option<String>,
}

/// The pixel page and the Content-Security-Policy it is sent with.
pub struct PixelPage {
    pub html: String,
    pub csp: String,
}

const META_SCRIPT: &str = "https://connect.facebook.net/en_US/fbevents.js";
const GOOGLE_SCRIPT: &str = "https://www.googletagmanager.com/gtag/js?id=";
const GTM_SCRIPT: &str = "https://www.googletagmanager.com/gtm.js?id=";
/// Longest wait for the pixel scripts before the page forwards anyway, in milliseconds.
const PIXEL_WAIT_MS: u32 = 1500;

/// `s` as a JavaScript string literal safe inside an HTML `<script>`: JSON, with `<`,
/// `>`, `&` and the two JavaScript line separators escaped.
fn script_string(s: &str) -> String {
    let json = serde_json::Value::from(s).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A person's click of a link with retargeting pixels: a page that loads the Meta Pixel
/// and the Google tag with the link's ids (each records a page view: `fbq('track',
/// 'PageView')`, gtag's `config`) and forwards to `destination` once both scripts have
/// loaded or failed, or after 1.5 s at most; without JavaScript at once (a refresh in
/// `<noscript>`), and by a link on the page. The Content-Security-Policy allows the
/// page's own script (by its hash) and the two vendors' origins only, and nothing else:
/// no other script, style, frame, form or origin.
pub fn pixel(destination: &str, pixels: &Pixels) -> PixelPage {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut script = format!(
        "(function(){{var d={},n=0,gone=false;\
         function go(){{if(!gone){{gone=true;location.replace(d);}}}}\
         function loaded(){{if(--n<=0)setTimeout(go,100);}}\
         function load(src){{n++;var s=document.createElement('script');s.async=true;s.src=src;\
         s.onload=s.onerror=loaded;document.head.appendChild(s);}}\
         setTimeout(go,{PIXEL_WAIT_MS});",
        script_string(destination)
    );
    if let Some(id) = &pixels.meta {
        script.push_str(&format!(
            "var f=window.fbq=function(){{f.callMethod?f.callMethod.apply(f,arguments):f.queue.push(arguments);}};\
             if(!window._fbq)window._fbq=f;f.push=f;f.loaded=true;f.version='2.0';f.queue=[];\
             fbq('init',{});fbq('track','PageView');load({});",
            script_string(id),
            script_string(META_SCRIPT)
        ));
    }
    if let Some(id) = pixels.google.as_ref().filter(|id| id.starts_with("GTM-")) {
        // A Tag Manager container: gtm.js, started as its snippet starts it.
        script.push_str(&format!(
            "window.dataLayer=window.dataLayer||[];\
             dataLayer.push({{'gtm.start':new Date().getTime(),event:'gtm.js'}});\
             load({src}+encodeURIComponent({id}));",
            id = script_string(id),
            src = script_string(GTM_SCRIPT)
        ));
    } else if let Some(id) = &pixels.google {
        script.push_str(&format!(
            "window.dataLayer=window.dataLayer||[];window.gtag=function(){{dataLayer.push(arguments);}};\
             gtag('js',new Date());gtag('config',{id});load({src}+encodeURIComponent({id}));",
            id = script_string(id),
            src = script_string(GOOGLE_SCRIPT)
        ));
    }
    script.push_str("if(n===0)go();})();");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
    let own = format!("'sha256-{hash}'");
    let (mut scripts, mut images, mut connect) = (vec![own.as_str()], vec![], vec![]);
    if pixels.meta.is_some() {
        scripts.push("https://connect.facebook.net");
        images.push("https://www.facebook.com");
        connect.extend(["https://www.facebook.com", "https://connect.facebook.net"]);
    }
    if pixels.google.is_some() {
        scripts.push("https://www.googletagmanager.com");
        images.extend([
            "https://www.googletagmanager.com",
            "https://*.google-analytics.com",
        ]);
        connect.extend([
            "https://www.googletagmanager.com",
            "https://*.google-analytics.com",
            "https://*.analytics.google.com",
        ]);
    }
    let list = |v: &[&str]| {
        if v.is_empty() {
            "'none'".to_owned()
        } else {
            v.join(" ")
        }
    };
    let csp = format!(
        "default-src 'none'; script-src {}; img-src {}; connect-src {}; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        scripts.join(" "),
        list(&images),
        list(&connect)
    );
    let dest = escape(destination);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"robots\" content=\"noindex\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Redirecting</title>\
         <noscript><meta http-equiv=\"refresh\" content=\"0;url={dest}\"></noscript>\
         <script>{script}</script></head>\n\
         <body><p>Redirecting to <a href=\"{dest}\">{dest}</a></p></body></html>\n"
    );
    PixelPage { html, csp }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_page_loads_each_pixel_with_its_id_and_allows_only_their_origins() {
        let both = Pixels {
            meta: Some("1234567890".into()),
            google: Some("G-ABC123".into()),
        };
        let p = pixel("https://example.com/?a=1&b=</script>", &both);
        assert!(p.html.contains("fbq('init',\"1234567890\")"));
        assert!(p.html.contains("fbq('track','PageView')"));
        assert!(p.html.contains("gtag('config',\"G-ABC123\")"));
        assert!(p.html.contains(META_SCRIPT));
        // The destination: escaped in the script, in the refresh and in the link.
        assert!(!p.html.contains("b=</script>"));
        assert!(p.html.contains("b=\\u003c/script\\u003e"));
        assert!(p.html.contains(
            "<noscript><meta http-equiv=\"refresh\" content=\"0;url=https://example.com/?a=1&amp;b=&lt;/script&gt;\"></noscript>"
        ));
        assert!(p.csp.starts_with("default-src 'none'; script-src 'sha256-"));
        assert!(p
            .csp
            .contains("https://connect.facebook.net https://www.googletagmanager.com;"));
        // The CSP's hash is the page's one script's.
        let script = p
            .html
            .split("<script>")
            .nth(1)
            .unwrap()
            .split("</script>")
            .next()
            .unwrap();
        use base64::Engine;
        use sha2::{Digest, Sha256};
        let hash =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()));
        assert!(p.csp.contains(&format!("'sha256-{hash}'")));
        let meta_only = pixel(
            "https://example.com/",
            &Pixels {
                meta: Some("1234567890".into()),
                google: None,
            },
        );
        assert!(!meta_only.csp.contains("google"));
        assert!(!meta_only.html.contains("gtag"));
        let google_only = pixel(
            "https://example.com/",
            &Pixels {
                meta: None,
                google: Some("G-X1".into()),
            },
        );
        assert!(!google_only.csp.contains("facebook"));
        assert!(!google_only.html.contains("fbq"));
        let container = pixel(
            "https://example.com/",
            &Pixels {
                meta: None,
                google: Some("GTM-AB12CD".into()),
            },
        );
        assert!(container.html.contains("'gtm.start'"));
        assert!(container.html.contains(GTM_SCRIPT) && !container.html.contains("gtag("));
    }

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_form_posts_back_to_its_code_and_says_when_the_password_was_wrong() {
        let f = password_form("abc", None, true);
        assert!(f.contains("action=\"/abc\""));
        assert!(f.contains("Wrong password"));
        assert!(!password_form("abc", None, false).contains("Wrong password"));
        assert!(password_form("a\"b", None, false).contains("action=\"/a&quot;b\""));
        // The query the link was opened with goes with the password (forward_params).
        assert!(password_form("abc", Some("ref=sms&x=\"1\""), false)
            .contains("action=\"/abc?ref=sms&amp;x=&quot;1&quot;\""));
        assert!(password_form("abc", Some(""), false).contains("action=\"/abc\""));
    }

    #[test]
    fn preview_pages_carry_open_graph_and_twitter_tags_escaped() {
        let card = Card {
            title: Some("Sale <b>\"now\"</b>".into()),
            description: None,
            image: Some("https://img.example/a.png?x=1&y=2".into()),
        };
        let p = preview("https://example.com/?a=1&b=2", &card);
        assert!(p.contains(
            r#"<meta property="og:title" content="Sale &lt;b&gt;&quot;now&quot;&lt;/b&gt;">"#
        ));
        assert!(p.contains(r#"<meta name="twitter:card" content="summary_large_image">"#));
        assert!(p.contains(r#"content="https://img.example/a.png?x=1&amp;y=2""#));
        assert!(p.contains(r#"<a href="https://example.com/?a=1&amp;b=2">"#));
        assert!(!p.contains("og:description"));
        assert!(!p.contains("<b>"));
    }

    #[test]
    fn cloaked_pages_frame_the_destination_under_the_title() {
        let card = Card {
            title: Some("T&C".into()),
            ..Card::default()
        };
        let p = cloaked("https://example.com/x\"y", &card);
        assert!(p.contains("<title>T&amp;C</title>"));
        assert!(p.contains(r#"<iframe src="https://example.com/x&quot;y""#));
    }

    #[test]
    fn a_pages_dir_replaces_the_built_in_pages() {
        let dir = std::env::temp_dir().join(format!("shortlink-pages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("404.html"), "custom 404").unwrap();
        let p = Pages::load(Some(&dir)).unwrap();
        assert_eq!(p.not_found, "custom 404");
        assert!(p.gone.contains("no longer available"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
