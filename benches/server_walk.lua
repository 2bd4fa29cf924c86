-- wrk script: every thread walks a TAXII collection page by page, following the
-- `next` value of the last response (restarting at the first page after the last),
-- so the load covers the whole collection rather than one cached URL.
-- usage: wrk ... -s benches/server_walk.lua URL/taxii2/root/collections/ID/objects/
local base, cursor, pages, errors = nil, nil, 0, 0

function init(args)
  base = wrk.path .. "?limit=100"
end

function request()
  local path = base
  if cursor then path = base .. "&next=" .. cursor end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    return
  end
  pages = pages + 1
  local i = string.find(body, '"next":"', 1, true)
  if i then
    cursor = string.match(body, '^(%d+)', i + 8)
  else
    cursor = nil
  end
end
