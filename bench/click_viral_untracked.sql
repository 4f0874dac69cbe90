SELECT status FROM shortlink.record_click('bench-viral-untracked');
