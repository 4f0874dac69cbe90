UPDATE bench_counter SET clicks = clicks + 1 WHERE id = 1;
