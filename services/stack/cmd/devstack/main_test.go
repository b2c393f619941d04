package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lapor/lapor/services/shared/testenv"
	"github.com/lapor/lapor/services/stack/internal/stack"
)

// runMainEnv makes the test binary run devstack's main instead of the
// tests, so that the tests signal the real main, not a copy of it.
const runMainEnv = "LAPOR_DEVSTACK_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// children are what a running stack must have started, by process name.
var children = []string{"redis-server", "clickhouse-serv", "worker", "detector", "ingest", "web", "simulator"}

// Every way of stopping the dev stack that issue 13 lists stops all of it:
// a signal to devstack, SIGTERM, SIGINT or SIGHUP to `make run`'s make alone
// (a process manager, kill), and Ctrl-C or a closing terminal, which signal
// make's whole process group.
func TestStopSignals(t *testing.T) {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") != "" {
		t.Skip("integration servers not wanted (LAPOR_SKIP_INTEGRATION set)")
	}
	if testing.Short() {
		t.Skip("starts the whole stack seven times")
	}
	bin := buildServices(t)
	tests := []struct {
		name  string
		make  bool // start it as `make run` does, through the Makefile
		sig   syscall.Signal
		group bool // signal the process group, as a terminal does
	}{
		{"devstack SIGTERM", false, syscall.SIGTERM, false},
		{"devstack SIGHUP", false, syscall.SIGHUP, false},
		{"make run SIGTERM", true, syscall.SIGTERM, false},
		{"make run SIGINT", true, syscall.SIGINT, false},
		{"make run SIGHUP", true, syscall.SIGHUP, false},
		{"make run terminal Ctrl-C", true, syscall.SIGINT, true},
		{"make run terminal hang-up", true, syscall.SIGHUP, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.make && !tt.group && signal.Ignored(tt.sig) {
				// make inherits the ignored signal and rightly ignores it.
				t.Skipf("%v is ignored by this test's process, so by make too", tt.sig)
			}
			cmd, out := startStack(t, bin, tt.make)
			kids := descendants(cmd.Process.Pid)
			var names []string
			for _, k := range kids {
				names = append(names, k.name)
			}
			for _, c := range children {
				if !slices.Contains(names, c) {
					t.Fatalf("no %s among the stack's processes %v", c, names)
				}
			}
			target := cmd.Process.Pid
			if tt.group {
				target = -target // startStack gave it a group of its own
			}
			if err := syscall.Kill(target, tt.sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				// make, once devstack is done, dies of the signal it got.
				if err != nil && !(tt.make && isSignaled(err, tt.sig)) {
					t.Errorf("exit: %v\n%s", err, out)
				}
			case <-time.After(90 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("still running 90s after %v\n%s", tt.sig, out)
			}
			// devstack waits for its children, so they are gone when it is;
			// a little slack for the kernel to finish with them.
			deadline := time.Now().Add(5 * time.Second)
			for _, k := range kids {
				for k.alive() && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if k.alive() {
					_ = syscall.Kill(k.pid, syscall.SIGKILL)
					t.Errorf("%s (pid %d) still running after %v\n%s", k.name, k.pid, tt.sig, out)
				}
			}
			if !strings.Contains(out.String(), "devstack: stopped") {
				t.Errorf("devstack did not say it stopped:\n%s", out)
			}
		})
	}
}

func isSignaled(err error, sig syscall.Signal) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// buildServices builds what devstack starts into a folder of the test's own.
func buildServices(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := stack.Root(wd)
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := stack.Build(ctx, root, bin, append(slices.Clone(stack.Services), "simulator")...); err != nil {
		t.Fatal(err)
	}
	// `make run` runs $(BIN)/devstack: this test binary, which runs main.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "devstack")); err != nil {
		t.Fatal(err)
	}
	return bin
}

// startStack starts devstack, directly or through the Makefile's run
// target (without its deps and build steps), in a process group of its
// own, and waits until it says the stack is running.
func startStack(t *testing.T, bin string, viaMake bool) (*exec.Cmd, *testenv.SyncBuffer) {
	t.Helper()
	data := t.TempDir()
	args := []string{"-bin", bin, "-data", data, "-backfill-days", "0"}
	for _, f := range []string{"web-port", "ingest-port", "worker-port", "detector-port", "dev-redis-port", "dev-clickhouse-port", "dev-clickhouse-http-port"} {
		p, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "-"+f, strconv.Itoa(p))
	}
	var cmd *exec.Cmd
	if viaMake {
		wd, _ := os.Getwd()
		root, err := stack.Root(wd)
		if err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command("make", "-s", "-C", root, "-o", "deps", "-o", "build", "run",
			"BIN="+bin, "GEOIP_DB=", "RUN_ARGS="+strings.Join(args, " "))
	} else {
		cmd = exec.Command(filepath.Join(bin, "devstack"), args...)
	}
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever the test does, nothing it started outlives it.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "Lapor is running at") {
		if time.Now().After(deadline) {
			t.Fatalf("stack not running within 2 minutes:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The simulator starts last and is not waited for: signalled before it
	// has set up its handler (it logs only after), it would die of SIGTERM
	// rather than stop, and devstack would rightly report that.
	simLog := filepath.Join(data, "logs", "simulator.log")
	for fi, err := os.Stat(simLog); err != nil || fi.Size() == 0; fi, err = os.Stat(simLog) {
		if time.Now().After(deadline) {
			t.Fatalf("simulator logged nothing within 2 minutes:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return cmd, out
}

// proc is a process found under /proc, with its start time, so that a
// later process that reuses the pid is not taken for it.
type proc struct {
	pid   int
	name  string
	start string
}

// stat reads a process's name, parent and start time.
func stat(pid int) (name string, ppid int, start string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, "", false
	}
	s := string(b)
	// The name is in parentheses and may hold spaces or parentheses.
	l, r := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if l < 0 || r < l {
		return "", 0, "", false
	}
	f := strings.Fields(s[r+1:])
	// f[0] is the state, f[1] the parent, f[19] the start time.
	if len(f) < 20 || f[0] == "Z" {
		return "", 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return s[l+1 : r], ppid, f[19], true
}

func (p proc) alive() bool {
	_, _, start, ok := stat(p.pid)
	return ok && start == p.start
}

// descendants lists the processes below root.
func descendants(root int) []proc {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	procs := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		name, ppid, start, ok := stat(pid)
		if !ok {
			continue
		}
		parent[pid] = ppid
		procs[pid] = proc{pid: pid, name: name, start: start}
	}
	var out []proc
	for pid, p := range procs {
		for a := parent[pid]; a != 0; a = parent[a] {
			if a == root {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
