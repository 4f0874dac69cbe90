#!/usr/bin/env python3
"""Builds the small GeoIP2 City database the tests read (never a real one in the repo).

    make_db.py OUT.mmdb [--variant a|b]

Written with the PyPI package mmdb-writer (MIT), in the GeoLite2-City schema (record
shape and database type), IPv6 with the IPv4 space mapped in as GeoLite2's files are.
Variant "b" places 203.0.113.0/24 in another city: the tests swap the file while
PostgreSQL runs and see the new answer.
"""
import argparse

from mmdb_writer import MMDBWriter, MmdbU16, MmdbU32
from netaddr import IPSet


def record(country, country_name, region, region_code, city, postal, radius, geoname):
    r = {
        "continent": {"code": "EU" if country in ("GB", "DE") else "AS" if country == "JP" else "NA"},
        "country": {"iso_code": country, "geoname_id": MmdbU32(geoname), "names": {"en": country_name}},
        "registered_country": {"iso_code": country, "names": {"en": country_name}},
        "location": {"accuracy_radius": MmdbU16(radius), "latitude": 0.0, "longitude": 0.0},
    }
    if region:
        r["subdivisions"] = [
            {"iso_code": region_code, "names": {"en": region, "de": region + " (de)"}},
            {"iso_code": "X", "names": {"en": "a smaller subdivision"}},
        ]
    if city:
        r["city"] = {"geoname_id": MmdbU32(geoname + 1), "names": {"en": city, "ja": city + " (ja)"}}
    if postal:
        r["postal"] = {"code": postal}
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--variant", choices=["a", "b"], default="a")
    a = ap.parse_args()
    w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City",
                   languages=["en"], description="shortlink test database")
    w.insert_network(IPSet(["81.2.69.160/27"]),
                     record("GB", "United Kingdom", "England", "ENG", "London", "EC1A", 10, 2635167))
    if a.variant == "a":
        w.insert_network(IPSet(["203.0.113.0/24"]),
                         record("US", "United States", "California", "CA", "San Francisco", "94107", 5, 6252001))
    else:
        w.insert_network(IPSet(["203.0.113.0/24"]),
                         record("US", "United States", "California", "CA", "Los Angeles", "90001", 20, 6252001))
    # Known to its country only.
    w.insert_network(IPSet(["192.0.2.0/24"]), record("DE", "Germany", None, None, None, None, 200, 2921044))
    w.insert_network(IPSet(["2001:db8:1::/48"]),
                     record("JP", "Japan", "Tokyo", "13", "Tokyo", "100-0001", 50, 1861060))
    w.to_db_file(a.out)


if __name__ == "__main__":
    main()
