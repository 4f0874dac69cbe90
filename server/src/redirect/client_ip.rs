//! The client's address: the socket peer, or, when the peer is a trusted proxy, the
//! right-most address in Forwarded / X-Forwarded-For that is not a trusted proxy (every
//! address left of it could have been written by the client itself).

use ipnet::IpNet;
use std::net::IpAddr;

/// One address of a forwarding header: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_matches('"');
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    s.rsplit_once(':').and_then(|(host, _)| host.parse().ok())
}

/// The hops of `Forwarded` (its `for=` parameters) or, without it, of `X-Forwarded-For`,
/// left to right. None for an unreadable hop (`unknown`, an obfuscated name).
pub fn hops(forwarded: Option<&str>, x_forwarded_for: Option<&str>) -> Vec<Option<IpAddr>> {
    if let Some(f) = forwarded {
        return f
            .split(',')
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| parse_hop(v))
                        .flatten()
                })
            })
            .collect();
    }
    x_forwarded_for
        .map(|x| x.split(',').map(parse_hop).collect())
        .unwrap_or_default()
}

pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    trusted.iter().any(|net| net.contains(&ip))
}

/// The client of a request from `peer` with these forwarding headers.
pub fn client_ip(
    peer: IpAddr,
    trusted: &[IpNet],
    forwarded: Option<&str>,
    x_forwarded_for: Option<&str>,
) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut client = peer;
    for hop in hops(forwarded, x_forwarded_for).into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip, trusted) => client = ip,
            Some(ip) => return ip,
            // A hop we cannot read: the last trusted hop before it is all we know.
            None => return client,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(s: &[&str]) -> Vec<IpNet> {
        s.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let t = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.5"), &t, None, Some("198.51.100.1")),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn a_trusted_peer_gives_the_right_most_untrusted_hop() {
        let t = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The client wrote 1.1.1.1 itself; 198.51.100.7 is what the first proxy saw.
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                &t,
                None,
                Some("1.1.1.1, 198.51.100.7, 10.0.0.2")
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &t, None, Some("10.0.0.3, 10.0.0.2")),
            ip("10.0.0.3")
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &t, None, None), ip("127.0.0.1"));
    }

    #[test]
    fn forwarded_is_read_before_x_forwarded_for() {
        let t = nets(&["127.0.0.0/8"]);
        assert_eq!(
            client_ip(
                ip("127.0.0.1"),
                &t,
                Some(
                    r#"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711""#
                ),
                Some("9.9.9.9")
            ),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), &t, Some("for=unknown"), None),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn mapped_ipv4_peers_are_matched_as_ipv4() {
        let t = nets(&["127.0.0.1/32"]);
        assert!(is_trusted(ip("::ffff:127.0.0.1"), &t));
        assert!(!is_trusted(ip("::1"), &t));
    }

    #[test]
    fn hops_read_every_spelling() {
        assert_eq!(parse_hop("192.0.2.1:80"), Some(ip("192.0.2.1")));
        assert_eq!(parse_hop("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop(" 2001:db8::1 "), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop("_hidden"), None);
    }
}
