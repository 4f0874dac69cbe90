SELECT status FROM shortlink.record_click('bench-viral', ip => '203.0.113.9');
