SELECT status FROM shortlink.record_click('conc-limited');
