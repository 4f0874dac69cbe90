\set n random(1, 1000)
SELECT status FROM shortlink.record_click('bench-viral', ip => '203.0.113.9', user_agent => (SELECT ua FROM bench_user_agents WHERE id = :n));
