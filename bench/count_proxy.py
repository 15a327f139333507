"""A counting TCP proxy for HTTP/1.1 on loopback (bench/suite_speed.sh).

    python3 bench/count_proxy.py LISTEN_PORT UPSTREAM_PORT STATS_FILE

Forwards every byte both ways unchanged (so signatures, held answers and
cut connections reach the client exactly as the server made them) and
counts the requests it sees, by parsing request heads and skipping
`Content-Length` bodies. On SIGTERM or SIGINT it writes
`{"requests": N, "api": N, "control": N, "unparsed_connections": N}` to
STATS_FILE and exits. Used to count the exchanges of each tool in a run of
its own: the timed runs go straight to the server.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

counts = {"requests": 0, "api": 0, "control": 0, "unparsed_connections": 0}


async def pump_requests(reader, writer):
    """Client to server: forward, and count request heads."""
    buffer = b""
    body_left = 0
    parsing = True
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
        if not parsing:
            continue
        buffer += data
        while True:
            if body_left:
                taken = min(body_left, len(buffer))
                buffer = buffer[taken:]
                body_left -= taken
                if body_left:
                    break
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].decode("latin-1")
            buffer = buffer[end + 4 :]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            path = parts[1] if len(parts) > 1 else ""
            counts["requests"] += 1
            counts["control" if path.startswith("/control/") else "api"] += 1
            fields = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            if "chunked" in fields.get("transfer-encoding", "").lower():
                # Boundaries of chunked bodies are not followed: this
                # connection's later requests go uncounted (reported).
                counts["unparsed_connections"] += 1
                parsing = False
                break
            try:
                body_left = int(fields.get("content-length", "0"))
            except ValueError:
                body_left = 0
    try:
        writer.write_eof()
    except (OSError, RuntimeError):
        pass


async def pump_answers(reader, writer):
    """Server to client: forward; when the server cuts, cut."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def handle(client_reader, client_writer, upstream_port):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    except OSError:
        client_writer.close()
        return
    tasks = [
        asyncio.create_task(pump_requests(client_reader, upstream_writer)),
        asyncio.create_task(pump_answers(upstream_reader, client_writer)),
    ]
    try:
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        upstream_writer.close()
        client_writer.close()


async def main(listen_port: int, upstream_port: int, stats_file: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, upstream_port), "127.0.0.1", listen_port
    )
    print(f"counting proxy on 127.0.0.1:{listen_port} -> {upstream_port}", flush=True)
    await stop.wait()
    server.close()
    with open(stats_file, "w") as out:
        json.dump(counts, out)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
