// Package stack brings up the whole of Lapor on one machine: a private
// Redis and ClickHouse, then ingest, worker, detector and web as separate
// processes (and optionally the traffic simulator). The dev command and the
// end-to-end tests share it, so what the tests exercise is what `make run`
// starts.
package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/testenv"
)

// Services are Lapor's processes, in start order: the web forwards
// reports to the ingest, so the ingest is up first.
var Services = []string{"worker", "detector", "ingest", "web"}

// Build compiles the named commands into binDir, from the repository root.
func Build(ctx context.Context, root, binDir string, names ...string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("make bin dir: %w", err)
	}
	args := []string{"build", "-o", binDir + string(os.PathSeparator)}
	for _, n := range names {
		args = append(args, "./services/"+n+"/cmd/"+n)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %v: %w\n%s", names, err, out)
	}
	return nil
}

// Root finds the repository root (the folder holding go.work) from dir up.
func Root(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work above %s", dir)
		}
	}
}

// Proc is one running service process.
type Proc struct {
	Name string
	Addr string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartProc runs bin with args and extra environment, logging to logPath.
func StartProc(name, bin string, args, env []string, logPath string) (*Proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log %s: %w", logPath, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Pdeathsig: no service outlives the process that started it, however
	// that ends. Setpgid: a terminal's Ctrl-C or hang-up (sent to its whole
	// foreground process group) reaches only that process, which then stops
	// the services in order (see Stack.Stop); the services do not handle
	// SIGHUP, so without it a closing terminal killed them unflushed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// Stop sends SIGTERM and waits up to grace, then kills.
func (p *Proc) Stop(grace time.Duration) error {
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s after SIGTERM", p.Name, grace)
	}
}

// Kill ends the process at once, as a crash would.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Options say where and how to run the stack.
type Options struct {
	BinDir string
	// DataDir keeps Redis and ClickHouse data across runs when set; when
	// empty both live in temporary folders removed on Stop.
	DataDir string
	LogDir  string
	// RedisAddr, when set, is a Redis (or the comma-separated nodes of a
	// Redis Cluster) that the stack uses instead of starting its own.
	RedisAddr string
	// ClickHouseAddr, when set, is a ClickHouse (or the comma-separated
	// servers of the cluster ClickHouseCluster) that the stack uses
	// instead of starting its own.
	ClickHouseAddr, ClickHouseCluster string
	// Ports: zero picks a free one.
	RedisPort, ClickHousePort, ClickHouseHTTPPort int
	Ports                                         map[string]int
	// Env adds settings per service name ("*" for all).
	Env map[string][]string
	// Simulator starts the traffic simulator with these arguments when set.
	Simulator     bool
	SimulatorArgs []string
	// BackfillDays, when above zero, has the simulator write that many days
	// of history into the rollup before the services start, so that the
	// detector has a baseline (see "simulator backfill"). It uses the rate
	// and seed given in SimulatorArgs.
	BackfillDays int
	// BackfillArgs are extra arguments of "simulator backfill" (such as
	// -outage-every 0 for a history without past outages).
	BackfillArgs []string
	// Out receives progress lines when set.
	Out io.Writer
}

// Stack is a running Lapor.
type Stack struct {
	Redis      *testenv.Redis      // nil with Options.RedisAddr
	ClickHouse *testenv.ClickHouse // nil with Options.ClickHouseAddr
	Procs      map[string]*Proc
	opts       Options
}

// URL is the base URL of a service.
func (s *Stack) URL(name string) string { return "http://" + s.Procs[name].Addr }

// database is the stack's ClickHouse database.
const database = "lapor"

// CommonEnv is the environment that points a service at the stack's servers.
func (s *Stack) CommonEnv() []string {
	return []string{
		"LAPOR_REDIS_ADDR=" + s.RedisAddr(),
		"LAPOR_CLICKHOUSE_ADDR=" + s.clickHouse().ClickHouseAddr,
		"LAPOR_CLICKHOUSE_CLUSTER=" + s.opts.ClickHouseCluster,
		"LAPOR_CLICKHOUSE_DB=" + database,
	}
}

// RedisAddr is the address the services reach Redis at.
func (s *Stack) RedisAddr() string {
	if s.opts.RedisAddr != "" {
		return s.opts.RedisAddr
	}
	return s.Redis.Addr
}

// Conn connects to the stack's ClickHouse database, for tests that read
// or seed what the services store.
func (s *Stack) Conn(ctx context.Context) (driver.Conn, error) {
	return clickhouse.Open(ctx, s.clickHouse())
}

// clickHouse is how the stack reaches its ClickHouse database.
func (s *Stack) clickHouse() config.Common {
	c := config.Common{ClickHouseAddr: s.opts.ClickHouseAddr, ClickHouseCluster: s.opts.ClickHouseCluster, ClickHouseDB: database, ClickHouseUser: "default"}
	if c.ClickHouseAddr == "" {
		c.ClickHouseAddr = s.ClickHouse.Addr
	}
	return c
}

// Start brings everything up and waits until every service is ready.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.LogDir == "" {
		o.LogDir = os.TempDir()
	}
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("make log dir: %w", err)
	}
	s := &Stack{Procs: map[string]*Proc{}, opts: o}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	switch {
	case o.RedisAddr != "":
	case o.DataDir != "":
		s.Redis, err = testenv.StartRedisAt(filepath.Join(o.DataDir, "redis"), portOr(o.RedisPort), true)
	default:
		s.Redis, err = testenv.StartRedis(true)
	}
	if err != nil {
		return s, err
	}
	switch {
	case o.ClickHouseAddr != "":
	case o.DataDir != "":
		s.ClickHouse, err = testenv.StartClickHouseAt(filepath.Join(o.DataDir, "clickhouse"), portOr(o.ClickHousePort), portOr(o.ClickHouseHTTPPort))
	default:
		s.ClickHouse, err = testenv.StartClickHouse()
	}
	if err != nil {
		return s, err
	}
	if err := s.Migrate(ctx); err != nil {
		return s, err
	}
	if o.BackfillDays > 0 {
		if err := s.Backfill(ctx, o.BackfillDays); err != nil {
			return s, err
		}
	}
	for _, name := range Services {
		if err := s.StartService(ctx, name); err != nil {
			return s, err
		}
	}
	if o.Simulator {
		args := append([]string{"-target", s.URL("ingest") + "/api/v1/reports"}, o.SimulatorArgs...)
		p, err := StartProc("simulator", filepath.Join(o.BinDir, "simulator"), args, s.env("simulator"), filepath.Join(o.LogDir, "simulator.log"))
		if err != nil {
			return s, err
		}
		s.Procs["simulator"] = p
	}
	return s, nil
}

func portOr(p int) int {
	if p != 0 {
		return p
	}
	p, _ = testenv.FreePort()
	return p
}

func (s *Stack) env(name string) []string {
	env := append(s.CommonEnv(), s.opts.Env["*"]...)
	return append(env, s.opts.Env[name]...)
}

// Migrate applies the schema once, through the worker's migrate command.
func (s *Stack) Migrate(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.opts.BinDir, "worker"), "migrate")
	cmd.Env = append(os.Environ(), s.env("worker")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("migrate: %w\n%s", err, out)
	}
	return nil
}

// Backfill has the simulator write days of history into the rollup, at
// the rate and with the seed that the live simulator is given. The
// simulator itself does nothing when history is already there.
func (s *Stack) Backfill(ctx context.Context, days int) error {
	s.say("backfilling %d days of history …", days)
	began := time.Now()
	args := append([]string{"backfill", "-days", strconv.Itoa(days)}, passOn(s.opts.SimulatorArgs, "rate", "seed")...)
	args = append(args, s.opts.BackfillArgs...)
	logPath := filepath.Join(s.opts.LogDir, "backfill.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create log %s: %w", logPath, err)
	}
	defer logf.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(s.opts.BinDir, "simulator"), args...)
	cmd.Env = append(os.Environ(), s.env("simulator")...)
	cmd.Stdout, cmd.Stderr = &out, logf
	// On Ctrl-C the simulator gets to drop its staging tables.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backfill %d days: %w\n%s%s", days, err, out.Bytes(), logTail(logPath))
	}
	s.say("%s", s.backfillHint(strings.TrimSpace(out.String())))
	s.say("backfill took %s", time.Since(began).Round(100*time.Millisecond))
	if strings.Contains(out.String(), "nothing written") {
		return nil // the detector has judged this history before
	}
	return s.replay(ctx)
}

// replay has the detector judge the history just written, so the pages
// have its past incidents and their charts its usual range from the
// first minute (see "detector replay").
func (s *Stack) replay(ctx context.Context) error {
	s.say("judging the history with the detector's rules …")
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(s.opts.BinDir, "detector"), "replay")
	cmd.Env = append(os.Environ(), s.env("detector")...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("replay the backfilled history: %w\n%s", err, out.Bytes())
	}
	s.say("%s", strings.TrimSpace(out.String()))
	return nil
}

// backfillHint rewrites the simulator's hint for history that is already
// there, "-force writes anyway": the stack has no such flag, and forcing
// would write a second history on top of the first. What works is
// starting from an empty data folder.
func (s *Stack) backfillHint(out string) string {
	const force = "(-force writes anyway)"
	if !strings.Contains(out, force) {
		return out
	}
	hint := "(history kept from an earlier run; for a fresh one, stop the stack and remove its data folder " + s.opts.DataDir + ")"
	if s.opts.DataDir == "" {
		hint = "(BackfillArgs -force writes anyway)"
	}
	return strings.Replace(out, force, hint, 1)
}

// passOn picks the named flags, with their values, out of args, in any of
// the spellings the flag package reads (-name v, -name=v, --name …).
func passOn(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		flag, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || !slices.Contains(names, flag) {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		out = append(out, "-"+flag, value)
	}
	return out
}

func (s *Stack) say(format string, args ...any) {
	if s.opts.Out != nil {
		fmt.Fprintf(s.opts.Out, "devstack: "+format+"\n", args...)
	}
}

// StartService (re)starts one service and waits for its /readyz.
func (s *Stack) StartService(ctx context.Context, name string) error {
	return s.start(ctx, name, name, nil)
}

// StartServiceEnv (re)starts one service as StartService does, with extra
// settings (KEY=value) for this start only, after those of Options.Env so
// that they win. Restarting it with StartService drops them again.
func (s *Stack) StartServiceEnv(ctx context.Context, name string, extra []string) error {
	return s.start(ctx, name, name, extra)
}

// StartReplica starts another process of service name, known in Procs as
// replica (its log is replica.log), on a port of its own and with the
// service's settings plus extra: two workers or detectors at once, as a
// deployment with several replicas runs them. Stop stops it too.
func (s *Stack) StartReplica(ctx context.Context, name, replica string, extra []string) error {
	if replica == name || slices.Contains(Services, replica) || replica == "simulator" {
		return fmt.Errorf("replica name %q is taken by a service", replica)
	}
	return s.start(ctx, name, replica, extra)
}

// start runs service name's binary as process proc and waits for its
// /readyz. A process restarted under the same proc keeps its port.
func (s *Stack) start(ctx context.Context, name, proc string, extra []string) error {
	port := s.opts.Ports[proc]
	if old, ok := s.Procs[proc]; ok && port == 0 {
		port, _ = strconv.Atoi(old.Addr[len("127.0.0.1:"):])
	}
	// A port found free can be taken before the service binds it (by any
	// process's outgoing connection, whose local port comes from the same
	// range): a port the stack chose itself is chosen again then.
	chosen := port == 0
	for attempt := 1; ; attempt++ {
		err := s.startOn(ctx, name, proc, portOr(port), extra)
		if err == nil || !chosen || attempt == 3 || !errors.Is(err, errPortTaken) {
			return err
		}
	}
}

// errPortTaken marks a service that exited because its port was taken.
var errPortTaken = errors.New("port taken")

// startOn starts service name as process proc on port and waits for its
// /readyz.
func (s *Stack) startOn(ctx context.Context, name, proc string, port int, extra []string) error {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env := append(s.env(name), "LAPOR_HTTP_ADDR="+addr)
	if name == "web" {
		if ing, ok := s.Procs["ingest"]; ok {
			env = append(env, "LAPOR_INGEST_URL=http://"+ing.Addr)
		} else if p := s.opts.Ports["ingest"]; p != 0 {
			env = append(env, "LAPOR_INGEST_URL=http://127.0.0.1:"+strconv.Itoa(p))
		}
	}
	env = append(env, extra...)
	logPath := filepath.Join(s.opts.LogDir, proc+".log")
	p, err := StartProc(proc, filepath.Join(s.opts.BinDir, name), nil, env, logPath)
	if err != nil {
		return err
	}
	p.Addr = addr
	s.Procs[proc] = p
	if err := WaitOK(ctx, "http://"+addr+"/readyz", p.Exited, 30*time.Second); err != nil {
		tail := logTail(logPath)
		if exited, _ := p.Exited(); exited && bytes.Contains(tail, []byte("address already in use")) {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return fmt.Errorf("%s not ready: %w\n%s", proc, err, tail)
	}
	return nil
}

// logTail is the end of a log, enough to say why a process failed.
func logTail(path string) []byte {
	tail, _ := os.ReadFile(path)
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	return tail
}

// WaitOK polls url until it answers 200, d passes, or exited says the
// process that should answer has ended.
func WaitOK(ctx context.Context, url string, exited func() (bool, error), d time.Duration) error {
	deadline := time.Now().Add(d)
	client := &http.Client{Timeout: time.Second}
	for {
		if done, err := exited(); done {
			return fmt.Errorf("exited: %v", err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop ends the simulator and the services in an order that lets the worker
// flush what it holds, then the servers.
func (s *Stack) Stop() error {
	var errs []error
	order := []string{"simulator", "ingest", "web", "worker", "detector"}
	// Replicas (see StartReplica) go first: they are extra copies.
	var replicas []string
	for name := range s.Procs {
		if !slices.Contains(order, name) {
			replicas = append(replicas, name)
		}
	}
	slices.Sort(replicas)
	for _, name := range append(replicas, order...) {
		if p, ok := s.Procs[name]; ok {
			if err := p.Stop(20 * time.Second); err != nil {
				errs = append(errs, fmt.Errorf("stop %s: %w", name, err))
			}
		}
	}
	if s.ClickHouse != nil {
		s.ClickHouse.Stop()
	}
	if s.Redis != nil {
		s.Redis.Stop()
	}
	return errors.Join(errs...)
}
