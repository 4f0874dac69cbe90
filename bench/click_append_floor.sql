INSERT INTO bench_events (link_id, ip, user_agent) VALUES (1, '203.0.113.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
