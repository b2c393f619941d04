# Lapor: `make run` brings up everything, `make test` runs every test.
BIN := bin
SERVICES := ingest worker detector web simulator

.PHONY: run test build deps clean eval frontend

# The ingest's city databases (scripts/geoip.sh fetches them once; empty runs
# without locations).
GEOIP_DB = $$(scripts/geoip.sh)

# exec: the recipe's shell becomes devstack, so the SIGTERM that make passes
# on to its child when killed reaches devstack, which stops everything
# (without it the shell died and left devstack and its servers running).
# A terminal's Ctrl-C and hang-up reach devstack directly, as they reach its
# whole process group. services/stack/cmd/devstack's tests check all three.
run: deps build
	@echo '== starting the dev stack ($(BIN)/devstack; options go in RUN_ARGS="...", RUN_ARGS=-h lists them)'
	exec $(BIN)/devstack -geoip-db "$(GEOIP_DB)" $(RUN_ARGS)

test:
	scripts/test.sh

deps:
	scripts/deps.sh

# The web binary embeds the frontend's build, so it comes first.
build: frontend
	@echo "== building $(SERVICES) devstack into $(BIN)/ (go build; the first build takes a few minutes)"
	go build -o $(BIN)/ $(foreach s,$(SERVICES),./services/$(s)/cmd/$(s)) ./services/stack/cmd/devstack
	@echo "== built $(BIN)/: $(SERVICES) devstack"

frontend:
	@echo "== building the web app (frontend/, npm; the first install takes a minute)"
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

# Each stage of Lapor measured against a reference in the same run (the
# README's Performance): builds the services, starts them with a private
# Redis and ClickHouse, prints the figures and ratios (a few minutes on 2
# cores). BENCH_ARGS=-short is CI's run; BENCH_ARGS=-h lists the options.
# exec, as for run: a SIGTERM to make reaches bench, which stops everything.
.PHONY: bench
bench:
	go build -o $(BIN)/bench ./services/stack/cmd/bench
	exec $(BIN)/bench $(BENCH_ARGS)
