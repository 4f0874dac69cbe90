\set n random(1, 10000)
SELECT url FROM shortlink.links WHERE domain = 'localhost' AND code = 'bench' || :n;
