"""Time from `serve` start to its first answer (bench/scale.sh).

    python3 bench/startup.py BIN POOL_FILE RUNS

Each run starts `BIN serve --addr 127.0.0.1:PORT` on a free port and, from
the moment the process is spawned, sends the first pre-signed cancel of
POOL_FILE (one `<request-time>\\t<signature>\\t<body>` line) every
millisecond until a complete HTTP answer arrives; that instant minus the
spawn instant is the time to first answer. The answer goes through the whole
pipeline (signature check, schema check, store, signed answer). Prints one
JSON line per run; every server is stopped by its PID.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_bytes(pool: str, port: int) -> bytes:
    with open(pool) as lines:
        time_, signature, body = lines.readline().rstrip("\n").split("\t", 2)
    body_bytes = body.encode()
    head = (
        "POST /ams/api/v1/payments/cancel HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json; charset=UTF-8\r\n"
        "Client-Id: CONFORMANCE_TEST_CLIENT\r\n"
        f"Request-Time: {time_}\r\n"
        f"Signature: {signature}\r\n"
        f"Content-Length: {len(body_bytes)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body_bytes


def one_run(binary: str, pool: str) -> dict:
    port = free_port()
    request = request_bytes(pool, port)
    started = time.perf_counter()
    process = subprocess.Popen(
        [binary, "serve", "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = started + 10
        attempts = 0
        while time.perf_counter() < deadline:
            attempts += 1
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                    connection.sendall(request)
                    answer = b""
                    while chunk := connection.recv(65536):
                        answer += chunk
                answered = time.perf_counter()
                if answer.startswith(b"HTTP/1.1 200") and b'"resultStatus"' in answer:
                    return {
                        "first_answer_ms": (answered - started) * 1000,
                        "attempts": attempts,
                        "answer_code": answer.split(b'"resultCode":"', 1)[1].split(b'"', 1)[0].decode(),
                    }
                raise RuntimeError(f"unexpected answer: {answer[:200]!r}")
            except (ConnectionRefusedError, ConnectionResetError):
                time.sleep(0.001)
        raise RuntimeError("no answer within 10 s")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    binary, pool, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for _ in range(runs):
        print(json.dumps(one_run(binary, pool)), flush=True)


if __name__ == "__main__":
    main()
