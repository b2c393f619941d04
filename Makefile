# Lapor: `make run` brings up everything, `make test` runs every test.
BIN := bin
SERVICES := ingest worker detector web simulator

.PHONY: run test build deps clean eval frontend

run: deps build
	$(BIN)/devstack -geoip-db "$$(scripts/geoip.sh)" $(RUN_ARGS)

test:
	scripts/test.sh

deps:
	scripts/deps.sh

# The web binary embeds the frontend's build, so it comes first.
build: frontend
	go build -o $(BIN)/ $(foreach s,$(SERVICES),./services/$(s)/cmd/$(s)) ./services/stack/cmd/devstack

frontend:
	cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build

clean:
	rm -rf $(BIN) .run

# NAB scores of the spike detector and both synthetic suites (full run; CI uses -quick).
eval:
	go run ./services/detector/cmd/detector eval $(EVAL_ARGS)
	go run ./services/detector/cmd/detector synth $(EVAL_ARGS)
	go run ./services/detector/cmd/detector synth -suite alt $(EVAL_ARGS)

# The reliability suite's full run (kills, restarts, attacks; under 10 min on
# 2 cores); `make test` runs its short run. Saves the table to docs/reliability.md.
.PHONY: reliability
reliability:
	LAPOR_RELIABILITY=full LAPOR_RELIABILITY_OUT=docs/reliability.md \
		go test -count=1 -timeout 15m -v -run '^TestReliability$$' ./services/stack/reliability/
