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
pub fn password_form(code: &str, wrong: bool) -> String {
    let message = if wrong {
        "<p role=\"alert\">Wrong password. Try again.</p>"
    } else {
        ""
    };
    page(
        "Password required",
        &format!(
            "<h1>Password required</h1>{message}\
             <form method=\"post\" action=\"/{}\">\
             <label>Password <input type=\"password\" name=\"password\" autofocus required></label>\
             <button type=\"submit\">Continue</button></form>",
            escape(code)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_form_posts_back_to_its_code_and_says_when_the_password_was_wrong() {
        let f = password_form("abc", true);
        assert!(f.contains("action=\"/abc\""));
        assert!(f.contains("Wrong password"));
        assert!(!password_form("abc", false).contains("Wrong password"));
        assert!(password_form("a\"b", false).contains("action=\"/a&quot;b\""));
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
