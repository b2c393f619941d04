package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// detectorBench is the detector's own benchmark of one cycle, its
// ClickHouse queries included, over 10,000 services.
const (
	detectorBench = "BenchmarkDetectorCycle10k"
	detectorPkg   = "./services/detector/internal/detect/"
)

// benchLine matches a result line: name-procs, iterations, ns/op, and
// the µs/service metric the benchmark reports.
var benchLine = regexp.MustCompile(`(?m)^` + detectorBench + `\S*\s+(\d+)\s+(\d+(?:\.\d+)?) ns/op(?:.*?(\d+(?:\.\d+)?) µs/service)?`)

// detector runs BenchmarkDetectorCycle10k for DetectorRuns cycles (go
// test -bench, which starts its own Redis and ClickHouse) and prints the
// time of one. The first cycle reads a cold cache, so one alone (the
// short run) overstates it.
func (r *runner) detector(ctx context.Context) error {
	runs := fmt.Sprintf("%dx", max(1, r.cfg.DetectorRuns))
	r.say("go test -run '^$' -bench '^%s$' -benchtime %s %s (its setup inserts the history first)", detectorBench, runs, detectorPkg)
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-run", "^$", "-bench", "^"+detectorBench+"$",
		"-benchtime", runs, "-benchmem", "-timeout", "20m", detectorPkg)
	cmd.Dir = r.cfg.Root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -bench %s: %w\n%s", detectorBench, err, out.Bytes())
	}
	m := benchLine.FindSubmatch(out.Bytes())
	if m == nil {
		return fmt.Errorf("no result line in the benchmark's output:\n%s", out.Bytes())
	}
	ns, _ := strconv.ParseFloat(string(m[2]), 64)
	perService := ""
	if len(m[3]) > 0 {
		perService = fmt.Sprintf(", %s µs/service", m[3])
	}
	fmt.Fprintf(r.out, "detector cycle over 10,000 services: %.2f s/op%s over %s (the benchmark took %s, its setup included)\n",
		ns/1e9, perService, iterations(r.cfg.DetectorRuns), time.Since(began).Round(time.Second))
	r.summary = append(r.summary, row{fmt.Sprintf("detector cycle, 10,000 services, queries included (%s)", iterations(r.cfg.DetectorRuns)), "< 1 s", fmt.Sprintf("%.2f s", ns/1e9), "–", "–"})
	return nil
}

// iterations says how many cycles were timed.
func iterations(n int) string {
	if n <= 1 {
		return "1 cycle, cold"
	}
	return fmt.Sprintf("%d cycles", n)
}
