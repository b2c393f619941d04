package reliability

import (
	"context"
	"testing"
	"time"

	lapor "github.com/lapor/lapor/services/shared"
)

// TestReliability runs the run's scenarios and prints the table. The alert
// scenarios (9, 6) run in the background from the start, because an
// incident takes two minutes to open, escalate and end; the others run
// one after another meanwhile, and crash what they crash under them too.
func TestReliability(t *testing.T) {
	need(t)
	ctx := context.Background()
	t.Logf("%s run: scenarios %v", run.name, run.scenarios)

	var attacked []lapor.Service
	if run.has("7") {
		attacked = svcs.take(5)
		if _, err := seedHistory(ctx, attacked); err != nil {
			t.Fatal(err)
		}
		// The detector reads which services have history when it starts.
		kill("detector")
		if err := restart(ctx, "detector"); err != nil {
			t.Fatal(err)
		}
	}
	var bg *alertRun
	if run.has("9") || run.has("6") {
		bg = startAlertRun(ctx)
	}

	steps := []struct {
		id, name string
		f        func(*testing.T)
	}{
		{"5", "backlog", scenarioBacklog},
		{"1", "worker_kills", scenarioWorkerKills},
		{"2", "two_workers", scenarioTwoWorkers},
		{"4", "redis_kills", scenarioRedis},
		{"7", "attacks", func(t *testing.T) { scenarioAttacks(t, attacked) }},
		{"8", "stream_exhaustion", scenarioStreamExhaustion},
		{"3", "clickhouse", scenarioClickHouse},
	}
	for _, s := range steps {
		if run.has(s.id) {
			t.Run(s.id+"_"+s.name, s.f)
		}
	}
	if bg != nil {
		bg.wait()
		if run.has("6") {
			t.Run("6_web_kills_under_stream", func(t *testing.T) { results.add(t, bg.streamRow()) })
		}
		if run.has("9") {
			t.Run("9_detector_kills", func(t *testing.T) { results.add(t, bg.detectorRow(ctx)) })
		}
	}
	writeTable(t, time.Since(started))
}
