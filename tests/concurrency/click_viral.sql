SELECT status FROM shortlink.record_click('conc-viral', ip => '203.0.113.1', user_agent => 'pgbench');
