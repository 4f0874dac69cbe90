SELECT status FROM shortlink.record_click('bench-limited', ip => '203.0.113.9', user_agent => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
