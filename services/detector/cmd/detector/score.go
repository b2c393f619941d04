package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/lapor/lapor/services/detector/internal/detect"
	"github.com/lapor/lapor/services/detector/internal/offline"
	"github.com/lapor/lapor/services/shared/config"
)

// productionSettings are the stream settings of the detector service's
// defaults: the offline tools judge a series exactly as production would.
func productionSettings() offline.Settings {
	cfg := detect.DefaultConfig()
	return offline.Settings{Params: cfg.Params, Recent: cfg.RecentWindow, Weeks: cfg.Weeks}
}

// scoreCmd scores one CSV series: timestamp,value in, and
// timestamp,value,anomaly_score,alert out.
func scoreCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	l := config.New("detector score", getenv, stderr)
	var in, out string
	l.String(&in, "in", "", "input CSV with header timestamp,value (- for stdin)")
	l.String(&out, "out", "", "output CSV timestamp,value,anomaly_score,alert (- or empty for stdout)")
	if _, err := l.ParseCommand(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if in == "" {
		return errors.New("score: --in is required")
	}
	var r io.Reader = os.Stdin
	if in != "-" {
		f, err := os.Open(in)
		if err != nil {
			return fmt.Errorf("score: open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	if out == "" || out == "-" {
		if err := offline.ScoreCSV(r, stdout, productionSettings()); err != nil {
			return fmt.Errorf("score %s: %w", in, err)
		}
		return nil
	}
	// Write next to the target and rename, so a failed run leaves no
	// half-written output behind.
	tmp, err := os.CreateTemp(dirOf(out), ".score-*.csv")
	if err != nil {
		return fmt.Errorf("score: create output: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := offline.ScoreCSV(r, tmp, productionSettings()); err != nil {
		tmp.Close()
		return fmt.Errorf("score %s: %w", in, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("score: write output: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("score: write output: %w", err)
	}
	return nil
}
