"""Writes BENCHMARKS.md from the results of bench/run.sh.

    python3 bench/report.py RESULTS_DIR OUTPUT_MD

Every claim is a ratio of measurements taken side by side in the same run
(each repetition measures every target once, in a rotated order); the
median is given with the spread (min–max) over the repetitions.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values, fmt="{:.0f}"):
    if not values:
        return "n/a"
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def throughput_section(rows: list[dict]) -> list[str]:
    if not rows:
        return ["*(not run)*"]
    settings = next((r["result"] for r in rows if r["target"] == "settings"), {})
    reps = sorted({r["rep"] for r in rows if "rep" in r})
    by = {}
    for r in rows:
        if "rep" in r:
            by[(r["rep"], r["target"])] = r

    def rps(rep, target):
        r = by.get((rep, target))
        return r["result"]["rps"] if r else None

    def sign(rep, key):
        r = by.get((rep, "sign_rate"))
        return r["result"].get(key) if r else None

    def speed(rep, target):
        r = by.get((rep, target))
        return r["result"]["sign_per_s"] if r else None

    def cpu_us(rep, target):
        r = by.get((rep, target))
        if not r or not r["result"]["requests"]:
            return None
        return r["server_cpu_ticks"] * 10_000 / r["result"]["requests"]

    def per_rep(fn):
        values = [fn(rep) for rep in reps]
        return [v for v in values if v is not None]

    targets = [
        ("serve_signed", "`serve` (answers signed)"),
        ("serve_unsigned", "`serve --unsigned-answers`"),
        ("bare_none", "bare axum handler, constant answer"),
        ("bare_verify", "bare axum + RSA verify of the request"),
        ("bare_verify_sign", "bare axum + RSA verify + RSA sign"),
        ("prism", "Prism 5.14.2 mocking spec/openapi.json"),
    ]
    bad = sum(
        r["result"].get("non_2xx", 0) + r["result"].get("read_errors", 0) + r["result"].get("timeouts", 0)
        for r in rows
        if "rep" in r and r["target"] != "sign_rate" and not r["target"].startswith("openssl_speed")
    )
    answers = (
        "every answer was a complete 2xx"
        if bad == 0
        else f"**{bad} answers were not a complete 2xx: those runs are not comparable**"
    )
    out = [
        f"Load: `wrk -t{settings.get('wrk_threads', '?')} -c{settings.get('connections', '?')} "
        f"-d{settings.get('duration_s', '?')}s` per target per repetition, {len(reps)} repetitions, "
        f"every request a pre-signed cancel of one of {settings.get('payments', '?')} seeded payments "
        f"(pool of {settings.get('pool', '?')}, replayed by `bench/cancel.lua`); {answers}, and the "
        "reference servers answer the pool's first request with S before and after. The RSA rates "
        "(ours and `openssl speed`, the ceiling) are measured right before the signed server in each "
        "repetition. Server CPU per request "
        "(from /proc/PID/stat) is the steadiest figure on a shared machine.",
        "",
        "| target | requests/s, median (min–max) | server CPU per request, µs | non-2xx |",
        "|---|---|---|---|",
    ]
    for key, label in targets:
        values = per_rep(lambda rep, key=key: rps(rep, key))
        cpu = per_rep(lambda rep, key=key: cpu_us(rep, key))
        non_2xx = sum(by[(rep, key)]["result"]["non_2xx"] for rep in reps if (rep, key) in by)
        out.append(f"| {label} | {spread(values)} | {spread(cpu, '{:.1f}')} | {non_2xx} |")
    for key, cpu_key, label in [
        ("sign_per_s", "sign_cpu_us", "our RSA-2048 sign (aws-lc-rs), 2 threads (`testkit/src/bin/sign_rate.rs`)"),
        ("verify_per_s", "verify_cpu_us", "our RSA-2048 verify, 2 threads"),
        ("sign_verify_per_s", "sign_verify_cpu_us", "our RSA-2048 verify + sign, 2 threads"),
    ]:
        rate = spread(per_rep(lambda rep, key=key: sign(rep, key)))
        op_cpu = spread(per_rep(lambda rep, key=cpu_key: sign(rep, key)), "{:.1f}")
        out.append(f"| {label} | {rate} | {op_cpu} (per operation) | — |")
    for key, label in [
        ("openssl_speed_1", "**ceiling**: `openssl speed rsa2048` sign, 1 process (per second of its CPU time)"),
        ("openssl_speed_2", "**ceiling**: `openssl speed -multi 2 rsa2048` sign (per second of wall clock)"),
    ]:
        rate = per_rep(lambda rep, key=key: speed(rep, key))
        op_cpu = [1e6 / v for v in rate] if key == "openssl_speed_1" else []
        cpu_text = f"{spread(op_cpu, '{:.1f}')} (per signature)" if op_cpu else "—"
        out.append(f"| {label} | {spread(rate)} | {cpu_text} | — |")

    def ratio(a, b):
        def fn(rep):
            x, y = a(rep), b(rep)
            return x / y if x is not None and y else None
        return per_rep(fn)

    signed = lambda rep: rps(rep, "serve_signed")  # noqa: E731
    unsigned = lambda rep: rps(rep, "serve_unsigned")  # noqa: E731
    ratios = [
        ("CPU: OpenSSL's time for one signature (1 process) ÷ the signed server's CPU per answer", ratio(lambda r: 1e6 / speed(r, "openssl_speed_1") if speed(r, "openssl_speed_1") else None, lambda r: cpu_us(r, "serve_signed")), "≥ 0.80", lambda v: v >= 0.8),
        ("signed ÷ `openssl speed -multi 2 rsa2048` sign rate (both per second of wall clock)", ratio(signed, lambda r: speed(r, "openssl_speed_2")), "≥ 0.80", lambda v: v >= 0.8),
        ("signed ÷ our own RSA sign rate, 2 threads", ratio(signed, lambda r: sign(r, "sign_per_s")), "", None),
        ("signed ÷ our RSA verify+sign rate (the RSA work a signed exchange really costs)", ratio(signed, lambda r: sign(r, "sign_verify_per_s")), "", None),
        ("signed ÷ bare axum + verify + sign (measured end-to-end ceiling)", ratio(signed, lambda r: rps(r, "bare_verify_sign")), "", None),
        ("unsigned ÷ bare axum (the issue's HTTP ceiling)", ratio(unsigned, lambda r: rps(r, "bare_none")), "≥ 0.50", lambda v: v >= 0.5),
        ("unsigned ÷ bare axum + verify (HTTP plus the verify every request needs)", ratio(unsigned, lambda r: rps(r, "bare_verify")), "", None),
        ("CPU: one of our RSA signs ÷ the signed server's CPU per answer (its work that is the signature)", ratio(lambda r: sign(r, "sign_cpu_us"), lambda r: cpu_us(r, "serve_signed")), "", None),
        ("CPU: bare handler ÷ the unsigned server, per request (server side only)", ratio(lambda r: cpu_us(r, "bare_none"), lambda r: cpu_us(r, "serve_unsigned")), "(≥ 0.50)", None),
        ("CPU: bare handler + verify ÷ the unsigned server, per request", ratio(lambda r: cpu_us(r, "bare_verify"), lambda r: cpu_us(r, "serve_unsigned")), "", None),
        ("signed ÷ Prism (not a claim: Prism neither verifies nor signs; see below)", ratio(signed, lambda r: rps(r, "prism")), "retired", None),
        ("unsigned ÷ Prism", ratio(unsigned, lambda r: rps(r, "prism")), "≥ 10", lambda v: v >= 10),
    ]
    out += [
        "",
        "| ratio (per repetition, then median) | median (min–max) | target | |",
        "|---|---|---|---|",
    ]
    # A wall-clock ratio above the CPU ratio cannot come from the server:
    # given the same share of the cores, it answers at most at OpenSSL's
    # rate × (OpenSSL's CPU per signature ÷ its CPU per answer). Above that,
    # the neighbours' load changed between the two measurements.
    cpu_bound = med(ratios[0][1]) if ratios[0][1] else None
    for label, values, target, check in ratios:
        mark = verdict(check(med(values))) if check and values else ""
        if label.startswith("signed ÷ `openssl speed -multi 2") and values and cpu_bound and med(values) > cpu_bound:
            mark = f"**inconclusive**: above the CPU bound {cpu_bound:.2f}, so the load changed between the two measurements"
        out.append(f"| {label} | {spread(values, '{:.2f}')} | {target} | {mark} |")
    return out


def backends_section(rows: list[dict], builds: list[dict]) -> list[str]:
    if not rows:
        return ["*(not run)*"]
    settings = next((r["result"] for r in rows if r["target"] == "settings"), {})
    reps = sorted({r["rep"] for r in rows if "rep" in r})
    by = {(r["rep"], r["threads"], r["target"]): r["result"] for r in rows if "rep" in r}

    def cpu_rate(rep, target, op):
        """One thread's operations per second of its CPU time: what
        `openssl speed` reports for one process."""
        r = by.get((rep, 1, target))
        if not r:
            return None
        if target == "openssl_speed":
            return r[f"{op}_per_s"]
        return 1e6 / r[f"{op}_cpu_us"] if r.get(f"{op}_cpu_us") else None

    def wall_rate(rep, target, op):
        """Two threads' operations per second of wall clock: what
        `openssl speed -multi 2` reports."""
        r = by.get((rep, 2, target))
        return r[f"{op}_per_s"] if r else None

    def values(fn):
        found = [fn(rep) for rep in reps]
        return [v for v in found if v is not None]

    labels = [
        ("openssl_speed", f"`openssl speed rsa2048` ({settings.get('openssl', 'system OpenSSL').split(' (')[0]}), **the ceiling**"),
        ("openssl", "`openssl` crate 0.10 (the same system libcrypto)"),
        ("aws-lc-rs", "aws-lc-rs 1.19 (AWS-LC), **chosen**"),
        ("ring", "ring 0.17 (before)"),
    ]
    out = [
        f"RSA-2048 PKCS#1 v1.5 SHA-256 with the TEST provider key, {len(reps)} repetitions of "
        f"{settings.get('seconds', '?')} s per figure (`bash bench/rsa_backends.sh`; the backends "
        "through `bench/backends`, the way `src/signing/` calls them). One thread is counted as "
        "`openssl speed` counts one process: operations per second of the CPU time it got, which a "
        "neighbour on the cores does not lower. Two threads are counted as `openssl speed -multi 2` "
        "counts two processes: operations per second of wall clock, which a neighbour does lower, "
        "so those figures and their ratio move with the load of the moment. Ratios are taken "
        "within a repetition.",
        "",
        "| backend | sign/s, 1 thread (CPU-timed) | verify/s, 1 thread (CPU-timed) | CPU per signature, µs | sign/s, 2 threads (wall clock) | sign ÷ OpenSSL, 1 thread | verify ÷ OpenSSL, 1 thread | sign ÷ OpenSSL, 2 threads |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target, label in labels:
        sign1 = values(lambda rep, t=target: cpu_rate(rep, t, "sign"))
        verify1 = values(lambda rep, t=target: cpu_rate(rep, t, "verify"))
        wall2 = values(lambda rep, t=target: wall_rate(rep, t, "sign"))
        cpu_us = [1e6 / v for v in sign1]

        def against(rate, op, t=target):
            def fn(rep):
                ours = rate(rep, t, op)
                ceiling = rate(rep, "openssl_speed", op)
                return ours / ceiling if ours and ceiling else None
            return values(fn)

        ratios = [spread(against(cpu_rate, "sign"), "{:.2f}"),
                  spread(against(cpu_rate, "verify"), "{:.2f}"),
                  spread(against(wall_rate, "sign"), "{:.2f}")]
        if target == "openssl_speed":
            ratios = ["1", "1", "1"]
        out.append(
            f"| {label} | {spread(sign1)} | {spread(verify1)} | {spread(cpu_us, '{:.1f}')} | "
            f"{spread(wall2)} | {' | '.join(ratios)} |"
        )
    if builds:
        out += [
            "",
            "Clean release build (`bash bench/build_time.sh`: `cargo build --release --locked --bin "
            "cancel-conformance` into an empty target directory, the two commits one after the other, "
            "alternating over the rounds, while other builds ran on the same 2 cores):",
            "",
            "| build | commit | rounds | wall time, s, median (min–max) | CPU time (user + system), s | CPU time ÷ 2 cores, s | load average before each | binary, MB | stripped, MB | wall time < 300 s |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, name in [("before", "ring (before)"), ("after", "aws-lc-rs (after)")]:
            mine = [b for b in builds if b["label"] == label]
            if not mine:
                continue
            secs = [b["seconds"] for b in mine]
            cpu = [b["cpu_seconds"] for b in mine if "cpu_seconds" in b]
            loads = ", ".join(f"{b['loadavg_before']:.1f}" for b in mine)
            out.append(
                f"| {name} | {mine[-1]['commit']} | {len(mine)} | {spread(secs, '{:.0f}')} | "
                f"{spread(cpu, '{:.0f}')} | {spread([c / 2 for c in cpu], '{:.0f}')} | {loads} | "
                f"{med([b['binary_bytes'] for b in mine]) / 1e6:.1f} | "
                f"{med([b['stripped_bytes'] for b in mine]) / 1e6:.1f} | {verdict(med(secs) < 300)} |"
            )
    return out


def suite_section(rows: list[dict]) -> list[str]:
    if not rows:
        return ["*(not run)*"]
    counts = {r["tool"]: r["result"] for r in rows if r["kind"] == "count"}
    summaries = {r["tool"]: r["result"] for r in rows if r["kind"] == "schemathesis_summary"}
    times: dict[str, dict[int, float]] = {}
    for r in rows:
        if r["kind"] == "time":
            times.setdefault(r["tool"], {})[r["rep"]] = r["wall_s"]
    reps = sorted({rep for tool in times.values() for rep in tool})
    exchanges = {
        "ours_embedded": counts.get("ours", {}).get("requests"),
        "ours_endpoint": counts.get("ours", {}).get("requests"),
        "schemathesis_small": counts.get("schemathesis_small", {}).get("requests"),
        "schemathesis_large": counts.get("schemathesis_large", {}).get("requests"),
    }
    labels = {
        "ours_embedded": "`cancel-conformance run` (embedded server)",
        "ours_endpoint": "`cancel-conformance run --endpoint` (separate `serve`)",
        "schemathesis_small": "Schemathesis 4.32.5, `--max-examples 25`",
        "schemathesis_large": "Schemathesis 4.32.5, `--max-examples 100`",
    }
    out = [
        "| run | exchanges | wall time, s, median (min–max) | ms per exchange |",
        "|---|---|---|---|",
    ]
    per_exchange = {}
    for tool, label in labels.items():
        walls = [times.get(tool, {}).get(rep) for rep in reps]
        walls = [w for w in walls if w is not None]
        n = exchanges[tool]
        per = [w * 1000 / n for w in walls] if n else []
        per_exchange[tool] = per
        out.append(f"| {label} | {n} | {spread(walls, '{:.3f}')} | {spread(per, '{:.2f}')} |")
    ours = counts.get("ours", {})
    out += [
        "",
        f"Exchanges were counted by `bench/count_proxy.py` in a run of each tool of its own: ours "
        f"{ours.get('requests')} ({ours.get('api')} API calls, {ours.get('control')} control-plane calls); "
        f"Schemathesis' own summaries: {summaries.get('schemathesis_small', '?').strip()} / "
        f"{summaries.get('schemathesis_large', '?').strip()} (test cases; the proxy counts requests).",
    ]

    def ratio_rows(st_tool):
        values = []
        for rep in reps:
            o = times.get("ours_endpoint", {}).get(rep)
            s = times.get(st_tool, {}).get(rep)
            if o and s and exchanges[st_tool] and exchanges["ours_endpoint"]:
                values.append((s / exchanges[st_tool]) / (o / exchanges["ours_endpoint"]))
        return values

    embedded = [times.get("ours_embedded", {}).get(rep) for rep in reps]
    embedded = [w for w in embedded if w is not None]
    large = ratio_rows("schemathesis_large")
    small = ratio_rows("schemathesis_small")
    # Schemathesis' cost per extra exchange, its start-up excluded.
    marginal = []
    for rep in reps:
        s1 = times.get("schemathesis_small", {}).get(rep)
        s2 = times.get("schemathesis_large", {}).get(rep)
        o = times.get("ours_endpoint", {}).get(rep)
        n1, n2 = exchanges["schemathesis_small"], exchanges["schemathesis_large"]
        if s1 and s2 and o and n2 and n1 and n2 > n1:
            marginal.append(((s2 - s1) / (n2 - n1)) / (o / exchanges["ours_endpoint"]))
    out += [
        "",
        "| claim | median (min–max) | target | |",
        "|---|---|---|---|",
        f"| whole server suite, `run` end to end, s | {spread(embedded, '{:.3f}')} | < 0.15 | {verdict(med(embedded) < 0.15) if embedded else ''} |",
        f"| Schemathesis at its default (100 examples per operation) ms per exchange ÷ ours | {spread(large, '{:.1f}')} | ≥ 20 | {verdict(med(large) >= 20) if large else ''} |",
        f"| Schemathesis at 25 examples (its start-up weighs more) ms per exchange ÷ ours | {spread(small, '{:.1f}')} | ≥ 20 | {verdict(med(small) >= 20) if small else ''} |",
        f"| Schemathesis' marginal cost per exchange (start-up excluded) ÷ ours | {spread(marginal, '{:.1f}')} | ≥ 20 | {verdict(med(marginal) >= 20) if marginal else ''} |",
    ]
    return out


def scale_section(rows: list[dict]) -> list[str]:
    if not rows:
        return ["*(not run)*"]
    startup = [r["result"]["first_answer_ms"] for r in rows if r["kind"] == "startup"]
    seeded = {r["target"]: r for r in rows if r["kind"] == "seeded"}
    after = {r["target"]: r for r in rows if r["kind"] == "memory_after_load"}
    latency: dict[str, list[dict]] = {}
    cpu: dict[str, list[float]] = {}
    for r in rows:
        if r["kind"] == "latency":
            latency.setdefault(r["target"], []).append(r["result"])
            if r["result"]["requests"] and "server_cpu_ticks" in r:
                cpu.setdefault(r["target"], []).append(r["server_cpu_ticks"] * 10_000 / r["result"]["requests"])
    settings = next((r["result"] for r in rows if r["kind"] == "settings"), {})
    sizes = sorted({r["size"] for r in seeded.values()})
    out = [
        f"Latency: `wrk -t1 -c{settings.get('connections', '?')} -d{settings.get('duration_s', '?')}s` "
        f"per server per repetition, {len(next(iter(latency.values()), []))} repetitions, cancels of "
        f"payments drawn at random over the whole store (pool of {settings.get('pool', '?')}). All six "
        "servers run at once and are measured in turn.",
        "",
        "| payments | answers | seeding (one bulk call), s | VmRSS seeded, MB | VmRSS after load, MB (peak) | server CPU per request, µs | p50, µs | p99, µs, median (min–max) | requests/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    p99_by_mode: dict[str, list[float]] = {}
    for size in sizes:
        for mode in ("signed", "unsigned"):
            name = f"{mode}_{size}"
            if name not in seeded:
                continue
            runs = latency.get(name, [])
            p99 = [r["lat_p99_us"] for r in runs]
            p50 = [r["lat_p50_us"] for r in runs]
            rps = [r["rps"] for r in runs]
            p99_by_mode.setdefault(mode, []).append(med(p99))
            s = seeded[name]
            a = after.get(name, {})
            out.append(
                f"| {size:,} | {mode} | {s['seed_s']:.2f} | {s['rss_seeded_kb'] / 1024:.1f} | "
                f"{a.get('rss_kb', 0) / 1024:.1f} ({a.get('hwm_kb', 0) / 1024:.1f}) | "
                f"{spread(cpu.get(name, []), '{:.1f}')} | {med(p50):.0f} | "
                f"{spread(p99)} | {med(rps):.0f} |"
            )
    biggest = max(sizes) if sizes else 0
    rss_biggest = max(
        [seeded[n]["rss_seeded_kb"] for n in seeded if n.endswith(f"_{biggest}")]
        + [after[n]["hwm_kb"] for n in after if n.endswith(f"_{biggest}")],
        default=0,
    ) / 1024
    out += [
        "",
        "| claim | measured | target | |",
        "|---|---|---|---|",
        f"| peak resident memory with {biggest:,} payments, MB | {rss_biggest:.1f} | ≤ 300 | {verdict(rss_biggest <= 300)} |",
    ]
    for mode, values in p99_by_mode.items():
        flat = max(values) / min(values) if values and min(values) > 0 else float("nan")
        out.append(
            f"| p99 spread across {', '.join(f'{s:,}' for s in sizes)} payments ({mode}): largest ÷ smallest median p99 | {flat:.2f} | ≤ 2 | {verdict(flat <= 2)} |"
        )
    for mode in ("signed", "unsigned"):
        values = [med(cpu.get(f"{mode}_{size}", [])) for size in sizes if cpu.get(f"{mode}_{size}")]
        if values:
            out.append(
                f"| server CPU per cancel across the sizes ({mode}): largest ÷ smallest median | {max(values) / min(values):.2f} | (flat) | |"
            )
    out.append(
        f"| `serve` start to first answer (signed cancel), ms, median (min–max) over {len(startup)} starts | {spread(startup, '{:.1f}')} | < 50 | {verdict(med(startup) < 50) if startup else ''} |"
    )
    return out


def main() -> None:
    results, output = Path(sys.argv[1]), Path(sys.argv[2])
    machine = json.loads((results / "machine.json").read_text()) if (results / "machine.json").exists() else {}
    end = json.loads((results / "machine_end.json").read_text()) if (results / "machine_end.json").exists() else {}
    notes = (Path(__file__).parent / "NOTES.md")
    parts = [
        "# Benchmarks",
        "",
        "Written by `bash bench/run.sh` (which installs what it needs under `bench/`); "
        "do not edit by hand: the explanations come from `bench/NOTES.md`.",
        "",
        f"- Machine: {machine.get('nproc', '?')} cores, {machine.get('cpu_model', '?')}, "
        f"Linux {machine.get('kernel', '?')}; {machine.get('rustc', '')}; {machine.get('wrk', '')}",
        f"- Run: {machine.get('date', '?')} to {end.get('date', '?')}; load average "
        f"{' '.join(machine.get('loadavg_at_start', []))} at the start, "
        f"{' '.join(end.get('loadavg_at_start', []))} at the end (this machine is shared and noisy: "
        "the claims are the ratios, measured side by side, not the absolute rates).",
        "",
        "## Suite speed",
        "",
        *suite_section(lines(results / "suite_speed.jsonl")),
        "",
        "## RSA backend",
        "",
        *backends_section(lines(results / "rsa_backends.jsonl"), lines(results / "build.jsonl")),
        "",
        "## Server throughput",
        "",
        *throughput_section(lines(results / "throughput.jsonl")),
        "",
        "## Scale",
        "",
        *scale_section(lines(results / "scale.jsonl")),
        "",
    ]
    if notes.exists():
        parts += [notes.read_text().rstrip(), ""]
    output.write_text("\n".join(parts))
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
