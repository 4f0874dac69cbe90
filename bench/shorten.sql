SELECT code FROM shortlink.shorten('https://example.com/landing?campaign=bench');
