#!/usr/bin/env python3
"""The benchmark's webhook receiver: for every POST, one line in the log file,
"<webhook-id> <milliseconds from the event's clicked_at to its arrival>", written when
the request has arrived whole, and a 200 at once. asyncio with keep-alive, so that the
receiver is not what limits the dispatcher (the end-to-end test's receiver,
tests/server/receiver.py, checks signatures and answers slowly on purpose instead).
clicked_at is the clicking transaction's start (now()), a little before its commit: the
latency measured is never less than the true one.
  receiver.py PORT LOG
Loopback only; stops on SIGTERM, with the log flushed."""
import asyncio, datetime, json, signal, sys, time

port, log_path = int(sys.argv[1]), sys.argv[2]
log = open(log_path, "a", buffering=1 << 16)


async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            wid = ""
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"webhook-id":
                    wid = value.strip().decode()
            body = await reader.readexactly(length)
            arrived = time.time()
            clicked = datetime.datetime.fromisoformat(json.loads(body)["clicked_at"]).timestamp()
            log.write(f"{wid} {(arrived - clicked) * 1000:.1f}\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    log.flush()


asyncio.run(main())
