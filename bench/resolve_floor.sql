\set n random(1, :links)
SELECT url FROM shortlink.links WHERE domain = 'localhost' AND code = 'bench' || :n;
