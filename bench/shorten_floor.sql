INSERT INTO bench_links (code, url) VALUES (substr(md5(random()::text), 1, 7), 'https://example.com/landing?campaign=bench') ON CONFLICT DO NOTHING;
