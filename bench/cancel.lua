-- wrk script: replays pre-signed cancel requests (testkit/src/bin/bench_requests.rs
-- writes them, one `<request-time>\t<signature>\t<body>` per line) and
-- prints one JSON line of results when wrk is done.
--
--   POOL=pool.tsv wrk -t1 -c32 -d5s -s bench/cancel.lua http://127.0.0.1:PORT
--
-- Every request is formatted once, in `init`; `request` only hands them out
-- in turn (each thread starting at a different place), so wrk spends
-- nothing per request beyond sending.

local path = os.getenv("CANCEL_PATH") or "/ams/api/v1/payments/cancel"
local client_id = os.getenv("CLIENT_ID") or "CONFORMANCE_TEST_CLIENT"
local pool_file = os.getenv("POOL")
local requests = {}
local next_index = 1
local thread_count = 0

function setup(thread)
    thread:set("thread_number", thread_count)
    thread_count = thread_count + 1
end

function init(args)
    if not pool_file then
        error("set POOL to a file of pre-signed requests")
    end
    for line in io.lines(pool_file) do
        local time, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
        if body then
            requests[#requests + 1] = wrk.format("POST", path, {
                ["Content-Type"] = "application/json; charset=UTF-8",
                ["Client-Id"] = client_id,
                ["Request-Time"] = time,
                ["Signature"] = signature,
            }, body)
        end
    end
    if #requests == 0 then
        error("no requests in " .. pool_file)
    end
    -- Spread the threads over the pool.
    next_index = ((thread_number or 0) * 7919) % #requests + 1
end

function request()
    local r = requests[next_index]
    next_index = next_index + 1
    if next_index > #requests then
        next_index = 1
    end
    return r
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local errors = summary.errors
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"rps":%.1f,"non_2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
        '"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
        summary.requests, seconds, summary.requests / seconds, errors.status, errors.connect,
        errors.read, errors.write, errors.timeout,
        latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
