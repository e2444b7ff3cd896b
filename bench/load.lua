-- wrk script: each request searches from an origin picked at random from a file of
-- "lat lon" lines, so the load is spread over the map instead of one cached spot.
-- Args (after --): ORIGINS_FILE PATH_PREFIX, e.g. origins.txt /api/v1/facilities?radius=25
local origins = {}
local prefix = "/api/v1/facilities?radius=25"

function init(args)
  local file = args[1] or "origins.txt"
  prefix = args[2] or prefix
  for line in io.lines(file) do
    local lat, lon = line:match("^(%S+)%s+(%S+)$")
    if lat then origins[#origins + 1] = { lat, lon } end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end

function request()
  local o = origins[math.random(#origins)]
  return wrk.format("GET", prefix .. "&lat=" .. o[1] .. "&lon=" .. o[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, socket))
end
