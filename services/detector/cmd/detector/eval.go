package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lapor/lapor/services/detector/internal/nab"
	"github.com/lapor/lapor/services/detector/internal/offline"
	"github.com/lapor/lapor/services/shared/config"
)

// quickRows is how much of each NAB file a quick evaluation reads: enough
// to pass probation and meet the first labelled windows, fast enough for CI.
const quickRows = 3000

// evalCmd scores the NAB files and prints the NAB scores per corpus.
func evalCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	l := config.New("detector eval", getenv, stderr)
	var (
		dir, explain, looDetail string
		quick                   bool
	)
	l.String(&dir, "nab", "", "NAB folder with data/ and labels/ (default ../shared/datasets/nab from the repository root)")
	l.Bool(&quick, "quick", false, fmt.Sprintf("read only the first %d rows of each file (for CI)", quickRows))
	l.String(&explain, "explain", "", "also list, for this corpus (e.g. realTweets), its leave-one-out file by file, each window's first detection and the detections outside the windows (standard profile, the corpus's best threshold)")
	l.String(&looDetail, "loo-detail", "", "also list, for this corpus (e.g. realTweets, or "+offline.Overall+"), each file's leave-one-out threshold and share of the score (standard profile)")
	if _, err := l.ParseCommand(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("eval: working directory: %w", err)
		}
		root, err := repoRoot(wd)
		if err != nil {
			return fmt.Errorf("eval: %w (pass -nab DIR)", err)
		}
		dir = filepath.Join(root, "..", "shared", "datasets", "nab")
	}
	opt := offline.EvalOptions{Dir: dir}
	if quick {
		opt.MaxRows = quickRows
	}
	start := time.Now()
	corpora, err := offline.LoadNAB(opt, productionSettings())
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	results := offline.Evaluate(corpora)
	// Reject a corpus that is not there before printing anything.
	standard := make(map[string]offline.Result)
	for _, r := range results {
		if r.Profile == nab.Profiles[0].Name {
			standard[r.Corpus] = r
		}
	}
	if _, ok := standard[looDetail]; looDetail != "" && !ok {
		return fmt.Errorf("eval: -loo-detail %q: no such corpus folder", looDetail)
	}
	if _, ok := corpora[explain]; explain != "" && !ok {
		return fmt.Errorf("eval: -explain %q: no such corpus folder", explain)
	}
	if err := offline.PrintResults(stdout, results); err != nil {
		return fmt.Errorf("eval: write results: %w", err)
	}
	if looDetail != "" && looDetail != explain {
		fmt.Fprintln(stdout)
		if err := offline.PrintLOO(stdout, standard[looDetail]); err != nil {
			return fmt.Errorf("eval: write leave-one-out: %w", err)
		}
	}
	if explain != "" {
		r := standard[explain]
		fmt.Fprintln(stdout)
		if err := offline.PrintLOO(stdout, r); err != nil {
			return fmt.Errorf("eval: write leave-one-out: %w", err)
		}
		fmt.Fprintln(stdout)
		if err := offline.Explain(stdout, corpora[explain], r.Threshold, nab.Profiles[0]); err != nil {
			return fmt.Errorf("eval: write explanation: %w", err)
		}
	}
	fmt.Fprintf(stdout, "(%s, %s)\n", map[bool]string{true: "quick", false: "full"}[quick], time.Since(start).Round(time.Millisecond))
	return nil
}

// repoRoot is the nearest folder at or above dir that holds go.work.
func repoRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work above %s", dir)
		}
	}
}

// dirOf is the folder a file path lies in.
func dirOf(path string) string { return filepath.Dir(path) }
