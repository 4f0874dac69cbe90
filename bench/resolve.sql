\set n random(1, :links)
SELECT shortlink.resolve('bench' || :n);
