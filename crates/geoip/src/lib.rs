//! Where a click came from, read from a MaxMind DB file: the format of MaxMind's GeoIP2
//! and GeoLite2 databases and of DB-IP's Lite databases, read with the `maxminddb` crate
//! (the reader MaxMind's own Go and Rust readers' author keeps).
//!
//! A [`Database`] is the file memory-mapped: every process that maps it shares the one
//! copy in the page cache, and a process that inherits the mapping (a PostgreSQL backend
//! forked from a postmaster that opened it) maps nothing. [`Database::lookup`] gives the
//! [`Place`] of an address as the GeoIP2 City schema describes it; a Country database
//! gives the country alone.
//!
//! A mapped file must not be rewritten in place while it is mapped: databases are
//! replaced by writing a new file and renaming it over the old one, as `geoipupdate`
//! does; the old mapping then stays valid until it is dropped. [`FileIdentity`] tells a
//! replaced file from the one mapped.

use std::fmt;
use std::net::IpAddr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use maxminddb::geoip2;

/// What a database says about one address. Every field may be missing: free databases
/// leave postal codes out, many addresses are known only to their country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 code of the country, uppercase ("DE").
    pub country: Option<String>,
    /// English name of the largest subdivision: state, province, region ("Bavaria").
    pub region: Option<String>,
    /// English name of the city ("Munich").
    pub city: Option<String>,
    /// Postal code, or its first part where the database keeps only that ("80331").
    pub postal_code: Option<String>,
    /// Radius in kilometres around the location within which the address is (with 67%
    /// confidence, in MaxMind's words).
    pub accuracy_radius_km: Option<i32>,
}

impl Place {
    pub fn is_empty(&self) -> bool {
        *self == Place::default()
    }

    /// The place of a click whose proxy said it came from `proxy_country` (an uppercase
    /// alpha-2 code, from a CDN's geo header): the proxy's country wins, and a region and
    /// city the database puts in another country are dropped rather than mixed with it.
    pub fn with_proxy_country(self, proxy_country: Option<&str>) -> Place {
        match (proxy_country, self.country.as_deref()) {
            (Some(proxy), Some(found)) if proxy != found => Place {
                country: Some(proxy.to_owned()),
                ..Place::default()
            },
            (Some(proxy), None) => Place {
                country: Some(proxy.to_owned()),
                ..self
            },
            _ => self,
        }
    }
}

/// Which file a path named when it was opened: device, inode, size and modification
/// time. A database replaced by rename, or rewritten, has another identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
    size: u64,
    modified_ns: i128,
}

impl FileIdentity {
    /// The identity of the file at `path` now.
    pub fn of(path: &Path) -> std::io::Result<FileIdentity> {
        let m = std::fs::metadata(path)?;
        Ok(FileIdentity {
            device: m.dev(),
            inode: m.ino(),
            size: m.size(),
            modified_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }
}

/// Why a database could not be opened.
#[derive(Debug)]
pub struct OpenError {
    path: String,
    reason: String,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot open MaxMind DB \"{}\": {}",
            self.path, self.reason
        )
    }
}

impl std::error::Error for OpenError {}

/// A MaxMind DB file, memory-mapped.
pub struct Database {
    reader: maxminddb::Reader<maxminddb::Mmap>,
    identity: FileIdentity,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("database_type", &self.database_type())
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Maps the database at `path` and reads its metadata. A file that is not a MaxMind
    /// DB (no metadata marker, a bad search tree) is refused here, not at a lookup.
    pub fn open(path: &Path) -> Result<Database, OpenError> {
        let fail = |reason: String| OpenError {
            path: path.display().to_string(),
            reason,
        };
        let identity = FileIdentity::of(path).map_err(|e| fail(e.to_string()))?;
        // SAFETY: the mapping is read while the file may be replaced; a replacement by
        // rename (geoipupdate's way, the one documented) leaves the mapped inode as it
        // was. A file truncated in place under the mapping would fault on access, as it
        // would under libmaxminddb, which maps files the same way.
        let reader =
            unsafe { maxminddb::Reader::open_mmap(path) }.map_err(|e| fail(e.to_string()))?;
        if reader.metadata().node_count == 0 {
            return Err(fail("the database has no networks".to_owned()));
        }
        Ok(Database { reader, identity })
    }

    /// The identity of the file when it was opened.
    pub fn identity(&self) -> FileIdentity {
        self.identity
    }

    /// The database's type as its metadata names it ("GeoLite2-City", "DBIP-City-Lite").
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// When the database was built, in seconds since the Unix epoch.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata().build_epoch
    }

    /// The place of `ip`: empty when the database does not know the address, or holds
    /// something other than the City or Country schema there. An IPv4 address mapped
    /// into IPv6 (`::ffff:192.0.2.1`) is looked up as the IPv4 address it is; an IPv6
    /// address in an IPv4-only database is unknown.
    pub fn lookup(&self, ip: IpAddr) -> Place {
        let ip = match ip {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Place::default();
        }
        let city = match self.reader.lookup(ip) {
            Ok(found) => found.decode::<geoip2::City<'_>>(),
            Err(e) => Err(e),
        };
        match city {
            Ok(Some(city)) => place_of(&city),
            // Not found, or a record of another shape (an ASN database): nothing known.
            Ok(None) | Err(_) => Place::default(),
        }
    }
}

/// The fields shortlink keeps of a City record.
pub fn place_of(city: &geoip2::City<'_>) -> Place {
    let text = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Place {
        country: city
            .country
            .iso_code
            .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
            .map(str::to_ascii_uppercase),
        region: city
            .subdivisions
            .first()
            .and_then(|s| text(s.names.english)),
        city: text(city.city.names.english),
        postal_code: text(city.postal.code),
        accuracy_radius_km: city.location.accuracy_radius.map(i32::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city<'a>(
        country: Option<&'a str>,
        region: Option<&'a str>,
        name: Option<&'a str>,
    ) -> geoip2::City<'a> {
        let mut c = geoip2::City::default();
        c.country.iso_code = country;
        if let Some(r) = region {
            let mut s = geoip2::city::Subdivision::default();
            s.names.english = Some(r);
            c.subdivisions.push(s);
            let mut smaller = geoip2::city::Subdivision::default();
            smaller.names.english = Some("Smaller");
            c.subdivisions.push(smaller);
        }
        c.city.names.english = name;
        c
    }

    #[test]
    fn place_keeps_the_largest_subdivision_and_english_names() {
        let mut c = city(Some("de"), Some("Bavaria"), Some("Munich"));
        c.postal.code = Some("80331");
        c.location.accuracy_radius = Some(20);
        c.city.names.german = Some("München");
        assert_eq!(
            place_of(&c),
            Place {
                country: Some("DE".into()),
                region: Some("Bavaria".into()),
                city: Some("Munich".into()),
                postal_code: Some("80331".into()),
                accuracy_radius_km: Some(20),
            }
        );
    }

    #[test]
    fn the_proxy_country_wins_and_a_place_elsewhere_is_dropped() {
        let mut c = city(Some("US"), Some("California"), Some("San Francisco"));
        c.location.accuracy_radius = Some(5);
        let found = place_of(&c);
        assert_eq!(found.clone().with_proxy_country(None), found);
        assert_eq!(found.clone().with_proxy_country(Some("US")), found);
        assert_eq!(
            found.clone().with_proxy_country(Some("FR")),
            Place {
                country: Some("FR".into()),
                ..Place::default()
            }
        );
        let unknown_country = place_of(&city(None, Some("Somewhere"), None));
        assert_eq!(
            unknown_country.with_proxy_country(Some("FR")),
            Place {
                country: Some("FR".into()),
                region: Some("Somewhere".into()),
                ..Place::default()
            }
        );
    }

    #[test]
    fn missing_and_blank_fields_are_none() {
        let c = city(None, None, Some("  "));
        assert!(place_of(&c).is_empty());
        let c = city(Some("XYZ"), None, None);
        assert_eq!(place_of(&c).country, None, "not an alpha-2 code");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_its_path() {
        let dir = std::env::temp_dir().join(format!("shortlink-geoip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("not.mmdb");
        std::fs::write(&path, b"not a MaxMind DB at all").unwrap();
        let e = Database::open(&path).unwrap_err().to_string();
        assert!(e.contains("not.mmdb"), "{e}");
        let missing = dir.join("missing.mmdb");
        let e = Database::open(&missing).unwrap_err().to_string();
        assert!(
            e.contains("missing.mmdb") && e.contains("No such file"),
            "{e}"
        );
        let before = FileIdentity::of(&path).unwrap();
        std::fs::write(&path, b"rewritten, and longer than it was").unwrap();
        assert_ne!(before, FileIdentity::of(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A database built by the test command (tests/geoip/make_db.py) when it is given:
    /// the reader's whole path over a real file, IPv4 and IPv6.
    #[test]
    fn lookups_in_the_test_database() {
        let Ok(path) = std::env::var("SHORTLINK_TEST_GEOIP_DB") else {
            eprintln!("SHORTLINK_TEST_GEOIP_DB not set: scripts/test sets it");
            return;
        };
        let db = Database::open(Path::new(&path)).unwrap();
        assert_eq!(db.database_type(), "GeoLite2-City");
        let p = db.lookup("81.2.69.160".parse().unwrap());
        assert_eq!(p.country.as_deref(), Some("GB"));
        assert_eq!(p.city.as_deref(), Some("London"));
        assert_eq!(p.region.as_deref(), Some("England"));
        assert_eq!(p.postal_code.as_deref(), Some("EC1A"));
        assert_eq!(p.accuracy_radius_km, Some(10));
        let mapped = db.lookup("::ffff:81.2.69.160".parse().unwrap());
        assert_eq!(mapped, p, "an IPv4-mapped address is its IPv4 address");
        let v6 = db.lookup("2001:db8:1::5".parse().unwrap());
        assert_eq!(v6.city.as_deref(), Some("Tokyo"));
        assert!(db.lookup("198.51.100.1".parse().unwrap()).is_empty());
    }
}
