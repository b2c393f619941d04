// Package logging builds the structured logger every service uses.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
)

// process is the logger New built last; see Process.
var process atomic.Pointer[slog.Logger]

// fallback is Process before any New: JSON on stderr, warnings and worse.
var fallback = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// New returns a JSON slog logger at the named level, tagged with the
// service. It also becomes the process's logger (see Process).
func New(w io.Writer, service, level string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "", "info":
		lv = slog.LevelInfo
	case "warn", "warning":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("unknown log level %q", level)
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv})
	l := slog.New(h).With("service", service)
	process.Store(l)
	return l, nil
}

// Process returns the logger New built last: in a service, the one its
// run built at start. It is for libraries that log through a process-wide
// hook instead of a logger handed to them (go-redis, see redis.Open), so
// that their lines are JSON like the rest. Before any New it is a JSON
// logger on stderr at warn level.
func Process() *slog.Logger {
	if l := process.Load(); l != nil {
		return l
	}
	return fallback
}

// Discard returns a logger that drops everything, for tests.
func Discard() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
