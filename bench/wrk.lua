-- wrk script for the bench (bench/loadgen.py runs it): one JSON line with the figures.
--
-- Environment:
--   BENCH_METHOD   GET (default) or POST
--   BENCH_COOKIES  cookie headers separated by "|"; requests take them in turn
--   BENCH_HEADERS  extra "Name: value" headers separated by "|"
--   BENCH_BODY     path of a file sent as the body of every request (uploads)

local method = os.getenv("BENCH_METHOD") or "GET"
local cookies = {}
local headers = {}
local body = nil
local requests = {}
local next_request = 1

local function split(text, separator)
  local out = {}
  if text == nil or text == "" then
    return out
  end
  for part in string.gmatch(text, "([^" .. separator .. "]+)") do
    table.insert(out, part)
  end
  return out
end

function init(args)
  cookies = split(os.getenv("BENCH_COOKIES"), "|")
  for _, line in ipairs(split(os.getenv("BENCH_HEADERS"), "|")) do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  local path = os.getenv("BENCH_BODY")
  if path ~= nil and path ~= "" then
    local file = assert(io.open(path, "rb"))
    body = file:read("*a")
    file:close()
  end
  -- Built once per thread: a 20 MB body is not copied again for every request.
  local variants = math.max(1, #cookies)
  for i = 1, variants do
    local h = {}
    for name, value in pairs(headers) do
      h[name] = value
    end
    if #cookies > 0 then
      h["Cookie"] = cookies[i]
    end
    requests[i] = wrk.format(method, nil, h, body)
  end
end

function request()
  local r = requests[next_request]
  next_request = next_request % #requests + 1
  return r
end

function done(summary, latency, requests_)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d, "max_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout))
end
