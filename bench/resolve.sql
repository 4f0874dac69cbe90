\set n random(1, 10000)
SELECT shortlink.resolve('bench' || :n);
