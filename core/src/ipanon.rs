//! IP address anonymisation for click records: the network is kept, the host is dropped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Keeps the /24 of an IPv4 address and the /48 of an IPv6 address, zeroing the rest.
/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is treated as the IPv4 address it maps,
/// and returned as IPv4.
pub fn anonymize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(anonymize_v4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(anonymize_v4(v4)),
            None => IpAddr::V6(anonymize_v6(v6)),
        },
    }
}

fn anonymize_v4(ip: Ipv4Addr) -> Ipv4Addr {
    Ipv4Addr::from(ip.to_bits() & 0xFFFF_FF00)
}

fn anonymize_v6(ip: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(ip.to_bits() & !(u128::MAX >> 48))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(s: &str) -> String {
        anonymize(s.parse().unwrap()).to_string()
    }

    #[test]
    fn ipv4_keeps_slash_24() {
        assert_eq!(anon("203.0.113.77"), "203.0.113.0");
        assert_eq!(anon("192.168.1.255"), "192.168.1.0");
        assert_eq!(anon("10.0.0.0"), "10.0.0.0");
        assert_eq!(anon("255.255.255.255"), "255.255.255.0");
        assert_eq!(anon("0.0.0.1"), "0.0.0.0");
        assert_eq!(anon("127.0.0.1"), "127.0.0.0");
    }

    #[test]
    fn ipv6_keeps_slash_48() {
        assert_eq!(
            anon("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
            "2001:db8:85a3::"
        );
        assert_eq!(anon("2001:db8:abcd:12::1"), "2001:db8:abcd::");
        assert_eq!(anon("2a00:1450:4001:82b::200e"), "2a00:1450:4001::");
        assert_eq!(
            anon("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff::"
        );
        assert_eq!(anon("::1"), "::");
        assert_eq!(anon("fe80::1%0".split('%').next().unwrap()), "fe80::");
    }

    #[test]
    fn ipv4_mapped_is_ipv4() {
        let got = anonymize("::ffff:198.51.100.23".parse().unwrap());
        assert_eq!(got, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 0)));
        assert!(got.is_ipv4());
        assert_eq!(anon("::ffff:c633:6417"), "198.51.100.0");
    }

    #[test]
    fn ipv4_compatible_and_other_embeddings_stay_ipv6() {
        // Deprecated IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96) are plain IPv6 here.
        assert_eq!(anon("::198.51.100.23"), "::");
        assert_eq!(anon("64:ff9b::198.51.100.23"), "64:ff9b::");
    }

    #[test]
    fn idempotent() {
        for s in ["203.0.113.77", "2001:db8:85a3:8d3::1", "::ffff:1.2.3.4"] {
            let once = anonymize(s.parse().unwrap());
            assert_eq!(anonymize(once), once, "{s}");
        }
    }
}
