-- wrk script for a second opinion on cmd/leadbox-bench: posts a realistic
-- lead (Cyrillic name, "+7 (9xx) xxx-xx-xx" phone, email, UTM marks) to a
-- webhook URL; 20% of the requests repeat the phone and email of an earlier
-- request of the same thread, so the duplicate lookup finds something.
--
--   wrk -t2 -c64 -d10s --latency -s bench/lead.lua http://127.0.0.1:8080/hooks/TOKEN
--
-- Run it against leadbox and against cmd/leadbox-bare in turn, and compare
-- requests/sec. wrk reads no answers, so it cannot check that every 201 was
-- stored; cmd/leadbox-bench does.
local names = {"Иван Петров", "Мария Смирнова", "Алексей Кузнецов", "Ольга Иванова"}
local sources = {"yandex", "google", "vk", "direct"}
local threads = 0
local n, base = 0, 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
  base = math.random(0, 899999999)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local id = n
  if n > 1 and math.random() < 0.2 then
    id = math.random(1, n - 1)
  end
  local s = string.format("%09d", (base + id * 7 + tid) % 1000000000)
  local phone = "+7 (9" .. s:sub(1, 2) .. ") " .. s:sub(3, 5) .. "-" .. s:sub(6, 7) .. "-" .. s:sub(8, 9)
  local body = string.format(
    '{"name":"%s","phone":"%s","email":"lead%d.%d.%d@example.ru","utmSource":"%s","utmMedium":"cpc",' ..
    '"utmCampaign":"spring_sale","utmContent":"banner1","utmTerm":"купить диван",' ..
    '"referrer":"https://example.ru/landing?x=%d","ip":"203.0.113.%d"}',
    names[id % 4 + 1], phone, id, tid, base, sources[n % 4 + 1], n % 10, n % 254 + 1)
  return wrk.format(nil, nil, nil, body)
end
