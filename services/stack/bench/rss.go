package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// procRSS is one process's peak resident memory.
type procRSS struct {
	name string
	pid  int
	kb   int64
}

// measureRSS reads the peak resident memory (VmHWM) of every process the
// bench started: the services (the worker since its restart for the
// backlog), Redis and ClickHouse.
func (r *runner) measureRSS(context.Context) error {
	procs, err := children(os.Getpid())
	if err != nil {
		return err
	}
	var found []procRSS
	for _, p := range procs {
		kb, err := peakRSS(p.pid)
		if err != nil {
			continue // ended meanwhile
		}
		p.kb = kb
		found = append(found, p)
	}
	slices.SortFunc(found, func(a, b procRSS) int { return strings.Compare(a.name, b.name) })
	for _, name := range []string{"ingest", "worker", "detector", "web"} {
		if !slices.ContainsFunc(found, func(p procRSS) bool { return p.name == name }) {
			return fmt.Errorf("no %s process among the bench's children", name)
		}
	}
	var parts []string
	for _, p := range found {
		fmt.Fprintf(r.out, "peak RSS %-19s %7.1f MB\n", p.name+":", float64(p.kb)/1024)
		parts = append(parts, fmt.Sprintf("%s %.0f MB", p.name, float64(p.kb)/1024))
	}
	r.summary = append(r.summary, row{"peak RSS (VmHWM)", "–", strings.Join(parts, ", "), "–", "–"})
	return nil
}

// children are the processes whose parent is pid, by name (comm).
func children(pid int) ([]procRSS, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var out []procRSS
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(string(b[close+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil || ppid != pid {
			continue
		}
		id, err := strconv.Atoi(strings.TrimSpace(string(b[:open])))
		if err != nil {
			continue
		}
		name := string(b[open+1 : close])
		if name == "clickhouse-serv" { // comm keeps 15 bytes
			name = "clickhouse-server"
		}
		out = append(out, procRSS{name: name, pid: id})
	}
	return out, nil
}

// peakRSS is VmHWM of pid, in kB.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read status of %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM for %d", pid)
}
