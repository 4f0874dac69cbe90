INSERT INTO bench_links (domain, code, url) VALUES ('localhost', substr(md5(random()::text), 1, 7), 'https://example.com/landing?campaign=bench') ON CONFLICT DO NOTHING;
