-- wrk script: GET /v1/seals/{code} for a random registered code.
-- CODES names a file with one code per line (set by bench/http.sh).
local codes = {}

function init(args)
	local path = os.getenv("CODES")
	for line in io.lines(path) do
		codes[#codes + 1] = line
	end
	math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
	return wrk.format("GET", "/v1/seals/" .. codes[math.random(#codes)])
end
