//! What a request for a short link comes to: the order of the checks (password,
//! disabled, expired, bot block, click limit), the outcome and its HTTP status. Pure:
//! `record_click` and `peek_click` do the reads and writes around it, and a redirect
//! server maps the outcome it gets back from the database with the same type.

use std::fmt;

/// The longest user agent and referer kept, in bytes; longer ones are cut at a character
/// boundary. The extension stores at most this, so a redirect server sends no more.
pub const MAX_HEADER_BYTES: usize = 4096;

/// `s` cut to at most `max` bytes, at a character boundary.
pub fn truncate_at_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A request header value as it is kept: at most MAX_HEADER_BYTES.
pub fn clip_header(s: &str) -> &str {
    truncate_at_char_boundary(s, MAX_HEADER_BYTES)
}

/// What a redirect proxy does with a request for a short code (`status` of
/// `shortlink.click_answer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    NotFound,
    Expired,
    Exhausted,
    Disabled,
    PasswordRequired,
    Blocked,
    /// A bot or link-preview fetcher on a link with a title, description or image: a
    /// page of its card, counted as a bot click.
    Preview,
    /// A cloaked link: a page framing the destination, counted as a click.
    Cloaked,
    /// A person's click of a link with retargeting pixels (`meta_pixel_id`,
    /// `google_tag_id`): a page that loads them and forwards to the destination at once,
    /// counted as a click.
    Pixel,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Ok,
        Outcome::NotFound,
        Outcome::Expired,
        Outcome::Exhausted,
        Outcome::Disabled,
        Outcome::PasswordRequired,
        Outcome::Blocked,
        Outcome::Preview,
        Outcome::Cloaked,
        Outcome::Pixel,
    ];

    /// The status as SQL returns it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not_found",
            Outcome::Expired => "expired",
            Outcome::Exhausted => "exhausted",
            Outcome::Disabled => "disabled",
            Outcome::PasswordRequired => "password_required",
            Outcome::Blocked => "blocked",
            Outcome::Preview => "preview",
            Outcome::Cloaked => "cloaked",
            Outcome::Pixel => "pixel",
        }
    }

    /// The outcome a status returned by SQL names; None for a status this build does not
    /// know (a newer extension).
    pub fn from_status(status: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == status)
    }

    /// The HTTP status of the outcome without a location of its own: `ok` redirects
    /// with the link's redirect type, a gone link with an `expired_url` with 302.
    pub fn http_status(self) -> u16 {
        match self {
            Outcome::Ok => 302,
            Outcome::NotFound => 404,
            Outcome::Expired | Outcome::Exhausted | Outcome::Disabled => 410,
            Outcome::PasswordRequired => 401,
            Outcome::Blocked => 403,
            Outcome::Preview | Outcome::Cloaked | Outcome::Pixel => 200,
        }
    }

    /// The link exists but answers no more (410, or its `expired_url`).
    pub fn is_gone(self) -> bool {
        matches!(
            self,
            Outcome::Expired | Outcome::Exhausted | Outcome::Disabled
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the decision needs of a link, read from its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkFacts {
    pub password_protected: bool,
    pub disabled: bool,
    /// `expires_at` is at or before the transaction's start.
    pub expired: bool,
    /// The link has `max_clicks`.
    pub limited: bool,
    pub block_bots: bool,
    /// A title, description or image: bots get a preview page of it.
    pub has_card: bool,
    pub cloaked: bool,
    /// A Meta pixel or Google tag id: a person gets the pixel page (on a protected link,
    /// once the password is given).
    pub has_pixels: bool,
    /// 301 or 302.
    pub redirect_type: u16,
    pub has_expired_url: bool,
}

/// Where the client is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    None,
    /// The link's destination (with the request's query merged for `forward_params`).
    Destination,
    /// The link's `expired_url`, for a link that is gone.
    ExpiredUrl,
}

/// The answer to one request: outcome, location and HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub outcome: Outcome,
    pub location: Location,
    pub http_status: u16,
}

impl From<Outcome> for Answer {
    fn from(outcome: Outcome) -> Self {
        Answer {
            outcome,
            location: Location::None,
            http_status: outcome.http_status(),
        }
    }
}

/// A click let through, to be recorded by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub is_bot: bool,
    /// The click still has to be appended to the click log; false when it was counted
    /// on the link's own row (a person's click of a link with `max_clicks` when the click
    /// counter is not in shared memory).
    pub append: bool,
}

/// The decision: the answer, and for a counted click let through, how to record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub answer: Answer,
    pub recorded: Option<Recorded>,
}

/// The facts a decision asks for only when it gets to them, each costly (a password
/// hash, a user-agent parse, a read or a write of the click count).
pub trait Probe {
    /// The request's password matches the link's; asked only of a protected link.
    fn password_matches(&mut self) -> bool;
    /// The client is a bot.
    fn is_bot(&mut self) -> bool;
    /// A link with `max_clicks` has clicks left; asked for bots and peeks, which never
    /// use one up.
    fn has_clicks_left(&mut self) -> bool;
    /// Counts a person's click against `max_clicks`; `Exhausted` when the limit is
    /// reached (nothing counted).
    fn take_limited_click(&mut self) -> LimitedClick;
}

/// How a person's click of a link with `max_clicks` was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitedClick {
    /// Taken from the click counter in shared memory; the click row is its durable record.
    Taken,
    /// Counted on the link's own row, under its lock (no counter in shared memory).
    OnLinkRow,
    /// The limit is reached.
    Exhausted,
}

/// What a request for `link` comes to. `counting` is false for `peek_click`: the answer
/// a click would get, with nothing counted (`recorded` is then None).
///
/// The order is the contract: a protected link reveals nothing, not even that it is
/// disabled or expired, before the right password; then disabled, expired, a bot on a
/// link that blocks bots, and the click limit, which bots never use up (an exhausted
/// link is gone for them too).
pub fn decide(link: &LinkFacts, counting: bool, probe: &mut impl Probe) -> Decision {
    let refuse = |outcome: Outcome| Decision {
        answer: outcome.into(),
        recorded: None,
    };
    let gone = |outcome: Outcome| Decision {
        answer: if link.has_expired_url {
            Answer {
                outcome,
                location: Location::ExpiredUrl,
                http_status: 302,
            }
        } else {
            outcome.into()
        },
        recorded: None,
    };
    if link.password_protected && !probe.password_matches() {
        return refuse(Outcome::PasswordRequired);
    }
    if link.disabled {
        return refuse(Outcome::Disabled);
    }
    if link.expired {
        return gone(Outcome::Expired);
    }
    let is_bot = probe.is_bot();
    if is_bot && link.block_bots {
        return refuse(Outcome::Blocked);
    }
    let append = if !counting || is_bot {
        if link.limited && !probe.has_clicks_left() {
            return gone(Outcome::Exhausted);
        }
        true
    } else if link.limited {
        match probe.take_limited_click() {
            LimitedClick::Exhausted => return gone(Outcome::Exhausted),
            LimitedClick::OnLinkRow => false,
            LimitedClick::Taken => true,
        }
    } else {
        true
    };
    let answer = if is_bot && link.has_card {
        Outcome::Preview.into()
    } else if link.cloaked {
        Outcome::Cloaked.into()
    } else if link.has_pixels && !is_bot {
        Outcome::Pixel.into()
    } else {
        Answer {
            outcome: Outcome::Ok,
            location: Location::Destination,
            http_status: link.redirect_type,
        }
    };
    Decision {
        answer: Answer {
            location: Location::Destination,
            ..answer
        },
        recorded: counting.then_some(Recorded { is_bot, append }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probe with fixed answers that records which facts were asked for, in order.
    #[derive(Default)]
    struct Fixed {
        password: bool,
        bot: bool,
        left: bool,
        /// The click counter is in shared memory.
        counter: bool,
        asked: Vec<&'static str>,
    }

    impl Probe for Fixed {
        fn password_matches(&mut self) -> bool {
            self.asked.push("password");
            self.password
        }
        fn is_bot(&mut self) -> bool {
            self.asked.push("bot");
            self.bot
        }
        fn has_clicks_left(&mut self) -> bool {
            self.asked.push("left");
            self.left
        }
        fn take_limited_click(&mut self) -> LimitedClick {
            self.asked.push("count");
            match (self.left, self.counter) {
                (false, _) => LimitedClick::Exhausted,
                (true, true) => LimitedClick::Taken,
                (true, false) => LimitedClick::OnLinkRow,
            }
        }
    }

    fn plain() -> LinkFacts {
        LinkFacts {
            redirect_type: 302,
            ..LinkFacts::default()
        }
    }

    fn person() -> Fixed {
        Fixed {
            password: true,
            left: true,
            ..Fixed::default()
        }
    }

    #[test]
    fn a_plain_click_redirects_and_is_appended() {
        let mut p = person();
        let d = decide(&plain(), true, &mut p);
        assert_eq!(
            d.answer,
            Answer {
                outcome: Outcome::Ok,
                location: Location::Destination,
                http_status: 302
            }
        );
        assert_eq!(
            d.recorded,
            Some(Recorded {
                is_bot: false,
                append: true
            })
        );
        assert_eq!(p.asked, ["bot"]);
        let permanent = LinkFacts {
            redirect_type: 301,
            ..plain()
        };
        assert_eq!(
            decide(&permanent, true, &mut person()).answer.http_status,
            301
        );
    }

    #[test]
    fn the_password_comes_before_everything_else() {
        let link = LinkFacts {
            password_protected: true,
            disabled: true,
            expired: true,
            has_expired_url: true,
            ..plain()
        };
        let mut p = Fixed::default();
        let d = decide(&link, true, &mut p);
        assert_eq!(d.answer, Outcome::PasswordRequired.into());
        assert_eq!(d.answer.http_status, 401);
        assert_eq!(d.recorded, None);
        assert_eq!(p.asked, ["password"]);
        // With the right password the link's state shows.
        assert_eq!(
            decide(&link, true, &mut person()).answer.outcome,
            Outcome::Disabled
        );
    }

    #[test]
    fn disabled_before_expired_and_neither_sends_a_bot_check() {
        let link = LinkFacts {
            disabled: true,
            expired: true,
            has_expired_url: true,
            ..plain()
        };
        let mut p = person();
        let d = decide(&link, true, &mut p);
        // Disabled never goes to expired_url.
        assert_eq!(d.answer, Outcome::Disabled.into());
        assert_eq!(d.answer.http_status, 410);
        assert!(p.asked.is_empty());
    }

    #[test]
    fn an_expired_link_goes_to_its_expired_url() {
        let link = LinkFacts {
            expired: true,
            ..plain()
        };
        assert_eq!(
            decide(&link, true, &mut person()).answer,
            Outcome::Expired.into()
        );
        let with_url = LinkFacts {
            has_expired_url: true,
            ..link
        };
        assert_eq!(
            decide(&with_url, true, &mut person()).answer,
            Answer {
                outcome: Outcome::Expired,
                location: Location::ExpiredUrl,
                http_status: 302
            }
        );
    }

    #[test]
    fn bots_are_blocked_before_the_limit_is_looked_at() {
        let link = LinkFacts {
            block_bots: true,
            limited: true,
            ..plain()
        };
        let mut bot = Fixed {
            bot: true,
            ..Fixed::default()
        };
        let d = decide(&link, true, &mut bot);
        assert_eq!(d.answer, Outcome::Blocked.into());
        assert_eq!(d.answer.http_status, 403);
        assert_eq!(bot.asked, ["bot"]);
    }

    #[test]
    fn a_person_uses_up_the_limit_on_the_link_row() {
        let link = LinkFacts {
            limited: true,
            ..plain()
        };
        let mut p = person();
        let d = decide(&link, true, &mut p);
        assert_eq!(d.answer.outcome, Outcome::Ok);
        assert_eq!(
            d.recorded,
            Some(Recorded {
                is_bot: false,
                append: false
            })
        );
        assert_eq!(p.asked, ["bot", "count"]);
        // Taken from the counter in shared memory, the click row is its record.
        let mut counted = Fixed {
            counter: true,
            ..person()
        };
        let d = decide(&link, true, &mut counted);
        assert_eq!(
            d.recorded,
            Some(Recorded {
                is_bot: false,
                append: true
            })
        );
        let mut none_left = Fixed::default();
        let d = decide(&link, true, &mut none_left);
        assert_eq!(d.answer, Outcome::Exhausted.into());
        assert_eq!(d.recorded, None);
    }

    #[test]
    fn bots_and_peeks_never_use_up_the_limit() {
        let link = LinkFacts {
            limited: true,
            has_expired_url: true,
            ..plain()
        };
        let mut bot = Fixed {
            bot: true,
            left: true,
            ..Fixed::default()
        };
        let d = decide(&link, true, &mut bot);
        assert_eq!(
            d.recorded,
            Some(Recorded {
                is_bot: true,
                append: true
            })
        );
        assert_eq!(bot.asked, ["bot", "left"]);
        let mut peek = person();
        let d = decide(&link, false, &mut peek);
        assert_eq!(d.answer.outcome, Outcome::Ok);
        assert_eq!(d.recorded, None);
        assert_eq!(peek.asked, ["bot", "left"]);
        // An exhausted link is gone for bots too, to its expired_url.
        let mut exhausted_bot = Fixed {
            bot: true,
            ..Fixed::default()
        };
        assert_eq!(
            decide(&link, true, &mut exhausted_bot).answer,
            Answer {
                outcome: Outcome::Exhausted,
                location: Location::ExpiredUrl,
                http_status: 302
            }
        );
    }

    #[test]
    fn bots_get_the_card_and_everyone_the_cloak() {
        let card = LinkFacts {
            has_card: true,
            cloaked: true,
            ..plain()
        };
        let mut bot = Fixed {
            bot: true,
            ..Fixed::default()
        };
        let d = decide(&card, true, &mut bot);
        assert_eq!(d.answer.outcome, Outcome::Preview);
        assert_eq!(d.answer.http_status, 200);
        assert_eq!(d.answer.location, Location::Destination);
        let d = decide(&card, true, &mut person());
        assert_eq!(d.answer.outcome, Outcome::Cloaked);
        assert_eq!(d.answer.http_status, 200);
        let uncloaked = LinkFacts {
            cloaked: false,
            ..card
        };
        assert_eq!(
            decide(&uncloaked, true, &mut person()).answer.outcome,
            Outcome::Ok
        );
    }

    #[test]
    fn people_get_the_pixel_page_and_bots_the_redirect() {
        let pixels = LinkFacts {
            has_pixels: true,
            ..plain()
        };
        let d = decide(&pixels, true, &mut person());
        assert_eq!(
            (d.answer.outcome, d.answer.http_status, d.answer.location),
            (Outcome::Pixel, 200, Location::Destination)
        );
        assert_eq!(d.recorded.map(|r| r.is_bot), Some(false));
        let mut bot = Fixed {
            bot: true,
            ..Fixed::default()
        };
        assert_eq!(decide(&pixels, true, &mut bot).answer.outcome, Outcome::Ok);
        // A bot with a card gets the preview; a cloaked link keeps its frame.
        let card = LinkFacts {
            has_card: true,
            ..pixels
        };
        assert_eq!(
            decide(&card, true, &mut bot).answer.outcome,
            Outcome::Preview
        );
        let cloaked = LinkFacts {
            cloaked: true,
            ..pixels
        };
        assert_eq!(
            decide(&cloaked, true, &mut person()).answer.outcome,
            Outcome::Cloaked
        );
        let locked = LinkFacts {
            password_protected: true,
            ..pixels
        };
        let mut stranger = Fixed {
            left: true,
            ..Fixed::default()
        };
        assert_eq!(
            decide(&locked, true, &mut stranger).answer.outcome,
            Outcome::PasswordRequired
        );
        assert_eq!(
            decide(&locked, true, &mut person()).answer.outcome,
            Outcome::Pixel
        );
    }

    #[test]
    fn statuses_round_trip() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_status(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::from_status("teapot"), None);
        assert!(Outcome::ALL.iter().filter(|o| o.is_gone()).count() == 3);
    }

    #[test]
    fn headers_are_cut_at_a_character_boundary() {
        assert_eq!(truncate_at_char_boundary("aé", 2), "a");
        assert_eq!(truncate_at_char_boundary("aé", 3), "aé");
        let long = "é".repeat(MAX_HEADER_BYTES);
        let clipped = clip_header(&long);
        assert_eq!(clipped.len(), MAX_HEADER_BYTES);
        assert!(clipped.chars().all(|c| c == 'é'));
        let odd = format!("a{long}");
        assert_eq!(clip_header(&odd).len(), MAX_HEADER_BYTES - 1);
    }
}
