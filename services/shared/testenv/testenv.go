// Package testenv starts private Redis and ClickHouse servers for tests, on
// free ports with their own temporary data folders, so tests never touch
// the machine's default instances. Both die with the test process.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	goredis "github.com/redis/go-redis/v9"

	"github.com/lapor/lapor/services/shared/clickhouse"
	"github.com/lapor/lapor/services/shared/config"
	"github.com/lapor/lapor/services/shared/logging"
	"github.com/lapor/lapor/services/shared/redis"
)

// FreePort asks the kernel for a free TCP port on loopback.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitDial(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not start listening within %s: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitUntil polls check until it passes, for at most d, and gives up at
// once when the server p has exited (a taken port, a bad config), instead
// of waiting out the bound.
func waitUntil(p *proc, d time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("server exited before it %s (%v): %w", what, p.cmd.ProcessState, err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server did not %s within %s: %w", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pingRedis asks the server at addr for PONG. An open port is not enough:
// while a restarted Redis reads its append-only file it accepts
// connections and answers every command with "LOADING Redis is loading
// the dataset in memory".
// ask connects to addr and sends req, giving the caller a second to read
// the answer from the connection it returns.
func ask(addr, req string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return nil, fmt.Errorf("send %q: %w", strings.TrimSpace(req), err)
	}
	return c, nil
}

func pingRedis(addr string) error {
	c, err := ask(addr, "PING\r\n")
	if err != nil {
		return err
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read PING's answer: %w", err)
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// queryClickHouse runs q over the native protocol, which the services
// use, and reads its rows: SELECT 1 answers only once the server has
// loaded its tables.
func queryClickHouse(addr, q string) error {
	conn, err := ch.Open(&ch.Options{
		Protocol:    ch.Native,
		Addr:        []string{addr},
		Auth:        ch.Auth{Database: "default", Username: "default"},
		DialTimeout: time.Second,
	})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	for rows.Next() {
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

// proc is a started server process; done closes once it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startProc(name string, args []string, logPath string) (*proc, error) {
	cmd := exec.Command(name, args...)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", logPath, err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server must not outlive a test binary that crashes or is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	return p, nil
}

// stop asks the process to end and kills it if it has not within 10s.
func (p *proc) stop() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process at once, as a crash would.
func (p *proc) kill() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// signalGroup sends sig to the process's group (startProc gives each server
// its own), so that any child the server forked gets it too.
func (p *proc) signalGroup(sig syscall.Signal) error {
	if p == nil {
		return errors.New("no process")
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("signal %v to process group %d: %w", sig, p.cmd.Process.Pid, err)
	}
	return nil
}

// Redis is a private redis-server.
type Redis struct {
	Addr string
	Dir  string
	// AppendFsync is the append-only file's fsync policy on the next Start:
	// "always" (what an empty value means), "everysec" or "no". Tests that
	// crash Redis set it to check what each policy keeps.
	AppendFsync string
	port        int
	appendOnly  bool
	keepDir     bool
	extra       []string // more redis-server arguments (StartRedisCluster)
	proc        *proc
}

// StartRedis starts redis-server on a free port. With appendOnly it keeps an
// append-only file in its folder, so a restart recovers what it held.
func StartRedis(appendOnly bool) (*Redis, error) {
	dir, err := os.MkdirTemp("", "lapor-redis-")
	if err != nil {
		return nil, fmt.Errorf("make redis dir: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	r := &Redis{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, port: port, appendOnly: appendOnly}
	if err := r.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// StartRedisAt starts redis-server on a given port and folder, which Stop
// keeps: the dev stack's data survives restarts.
func StartRedisAt(dir string, port int, appendOnly bool) (*Redis, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make redis dir: %w", err)
	}
	r := &Redis{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, port: port, appendOnly: appendOnly, keepDir: true}
	if err := r.Start(); err != nil {
		return nil, err
	}
	return r, nil
}

// Start (re)starts the server on its port and folder.
func (r *Redis) Start() error {
	ao := "no"
	if r.appendOnly {
		ao = "yes"
	}
	fsync := r.AppendFsync
	if fsync == "" {
		fsync = "always"
	}
	args := []string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.Dir,
		"--save", "", "--appendonly", ao, "--appendfsync", fsync, "--daemonize", "no"}
	args = append(args, r.extra...)
	p, err := startProc("redis-server", args, filepath.Join(r.Dir, "redis.log"))
	if err != nil {
		return err
	}
	r.proc = p
	if err := waitDial(r.Addr, 10*time.Second); err != nil {
		p.stop()
		return fmt.Errorf("redis: %w", err)
	}
	// A big append-only file can take a while to load; an empty one, as
	// tests have, answers at once.
	if err := waitUntil(p, time.Minute, "answer PING", func() error { return pingRedis(r.Addr) }); err != nil {
		p.stop()
		log, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
		return fmt.Errorf("redis at %s: %w; redis.log: %s", r.Addr, err, lastLines(log, 10))
	}
	return nil
}

// Kill stops the server abruptly (SIGKILL), as a crash would.
func (r *Redis) Kill() { r.proc.kill() }

// Stop ends the server and removes its folder unless it was given one.
func (r *Redis) Stop() {
	r.proc.stop()
	if !r.keepDir {
		os.RemoveAll(r.Dir)
	}
}

// ClickHouse is a private clickhouse-server.
type ClickHouse struct {
	Addr    string
	Dir     string
	proc    *proc
	conf    string
	port    int
	keepDir bool
}

var dbSeq atomic.Int64

// StartClickHouse starts clickhouse-server from a config of its own.
func StartClickHouse() (*ClickHouse, error) {
	dir, err := os.MkdirTemp("", "lapor-clickhouse-")
	if err != nil {
		return nil, fmt.Errorf("make clickhouse dir: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	ch, err := startClickHouse(dir, port, httpPort, false)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return ch, nil
}

// StartClickHouseAt starts clickhouse-server on given ports and folder,
// which Stop keeps.
func StartClickHouseAt(dir string, port, httpPort int) (*ClickHouse, error) {
	return startClickHouse(dir, port, httpPort, true)
}

func startClickHouse(dir string, port, httpPort int, keep bool) (*ClickHouse, error) {
	for _, d := range []string{"data", "tmp", "log", "user_files"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("make clickhouse dir: %w", err)
		}
	}
	users := `<yandex>
 <profiles><default></default></profiles>
 <users><default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default></users>
 <quotas><default></default></quotas>
</yandex>
`
	conf := fmt.Sprintf(`<yandex>
  <logger><level>warning</level><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/err.log</errorlog></logger>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`, dir, port, httpPort)
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o644); err != nil {
		return nil, fmt.Errorf("write users.xml: %w", err)
	}
	confPath := filepath.Join(dir, "config.xml")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("write config.xml: %w", err)
	}
	ch := &ClickHouse{Addr: "127.0.0.1:" + strconv.Itoa(port), Dir: dir, conf: confPath, port: port, keepDir: keep}
	if err := ch.Start(); err != nil {
		return nil, err
	}
	return ch, nil
}

// Start (re)starts the server.
func (c *ClickHouse) Start() error {
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		return fmt.Errorf("clickhouse-server not installed (make test installs it): %w", err)
	}
	p, err := startProc(bin, []string{"--config-file=" + c.conf}, filepath.Join(c.Dir, "stdout.log"))
	if err != nil {
		return err
	}
	c.proc = p
	err = waitDial(c.Addr, 30*time.Second)
	if err == nil {
		err = waitUntil(p, time.Minute, "answer SELECT 1", func() error { return queryClickHouse(c.Addr, "SELECT 1") })
	}
	if err != nil {
		p.stop()
		errLog, _ := os.ReadFile(filepath.Join(c.Dir, "log", "err.log"))
		return fmt.Errorf("clickhouse at %s: %w; err.log: %s", c.Addr, err, lastLines(errLog, 10))
	}
	return nil
}

// Kill stops the server abruptly.
func (c *ClickHouse) Kill() { c.proc.kill() }

// Pause freezes the server (SIGSTOP to its process group), as a long GC
// pause, a full disk or a stalled VM would: connections stay open and
// nothing answers. Resume undoes it.
func (c *ClickHouse) Pause() error { return c.proc.signalGroup(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (c *ClickHouse) Resume() error { return c.proc.signalGroup(syscall.SIGCONT) }

// Stop ends the server and removes its folder unless it was given one.
func (c *ClickHouse) Stop() {
	c.proc.stop()
	if !c.keepDir {
		os.RemoveAll(c.Dir)
	}
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Env is a Redis and a ClickHouse started together, or a Redis alone (see
// MainRedis), in which case ClickHouse is nil.
type Env struct {
	Redis      *Redis
	ClickHouse *ClickHouse
}

// Start starts both servers.
func Start() (*Env, error) {
	r, err := StartRedis(false)
	if err != nil {
		return nil, err
	}
	ch, err := StartClickHouse()
	if err != nil {
		r.Stop()
		return nil, err
	}
	return &Env{Redis: r, ClickHouse: ch}, nil
}

// startRedisOnly starts the Redis half of an Env.
func startRedisOnly() (*Env, error) {
	r, err := StartRedis(false)
	if err != nil {
		return nil, err
	}
	return &Env{Redis: r}, nil
}

// Stop stops the servers.
func (e *Env) Stop() {
	if e == nil {
		return
	}
	e.Redis.Stop()
	if e.ClickHouse != nil {
		e.ClickHouse.Stop()
	}
}

// Config returns settings that point at the servers, with a ClickHouse
// database and Redis database unique to the caller, so tests sharing one
// Env do not see each other's data.
func (e *Env) Config(t testing.TB) config.Common {
	n := dbSeq.Add(1)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	c := config.Common{
		LogLevel:       "error",
		RedisAddr:      e.Redis.Addr,
		RedisDB:        int(n % 16),
		ClickHouseDB:   fmt.Sprintf("t%d_%s", n, name),
		ClickHouseUser: "default",
	}
	if e.ClickHouse != nil {
		c.ClickHouseAddr = e.ClickHouse.Addr
	}
	return c
}

// RedisClient connects to the Redis database of a fresh Config, emptied
// first, and closes the client when the test ends. Redis has 16 databases,
// so no more than 16 tests using it may run at once.
func (e *Env) RedisClient(t testing.TB) *goredis.Client {
	t.Helper()
	Need(t, e)
	ctx := Ctx(t)
	rdb, err := redis.Open(ctx, e.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	return singleNode(t, rdb)
}

// singleNode is the client of a single Redis node.
func singleNode(t testing.TB, rdb goredis.UniversalClient) *goredis.Client {
	t.Helper()
	one, ok := rdb.(*goredis.Client)
	if !ok {
		t.Fatalf("redis client is a %T, not a single node's", rdb)
	}
	return one
}

// OwnRedis starts a redis-server of the test's own, for tests that kill or
// restart it, and returns it with a connected client. Both go when the
// test ends.
func OwnRedis(t testing.TB) (*Redis, *goredis.Client) {
	t.Helper()
	r, err := StartRedis(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	rdb, err := redis.Open(Ctx(t), config.Common{RedisAddr: r.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return r, singleNode(t, rdb)
}

// Main runs a package's tests with a fresh Env in *env, stopping it after.
// Set LAPOR_SKIP_INTEGRATION=1 to run without servers (env stays nil).
func Main(m *testing.M, env **Env) int { return runMain(m, env, Start) }

// MainRedis is Main for packages that need only Redis: it starts no
// ClickHouse, and env.ClickHouse stays nil.
func MainRedis(m *testing.M, env **Env) int { return runMain(m, env, startRedisOnly) }

func runMain(m *testing.M, env **Env, start func() (*Env, error)) int {
	if os.Getenv("LAPOR_SKIP_INTEGRATION") == "" && !fuzzWorker() {
		e, err := start()
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		*env = e
		defer e.Stop()
	}
	return m.Run()
}

// fuzzWorker says whether this process is one of the fuzzing engine's
// workers. They run only the fuzz target, which needs no servers, and
// the engine starts and restarts them often: starting a Redis in each
// stalled fuzzing on a busy machine until its time ran out.
func fuzzWorker() bool {
	if !flag.Parsed() {
		flag.Parse() // TestMain runs before testing parses its flags
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// Need skips the test when no Env is running.
func Need(t testing.TB, env *Env) {
	t.Helper()
	if env == nil {
		t.Skip("integration servers not started (LAPOR_SKIP_INTEGRATION set)")
	}
}

// Ctx returns a context that ends with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// Migrated connects to a database of the caller's own (see Config) with
// Lapor's schema applied, closed when the test ends.
func (e *Env) Migrated(t testing.TB) driver.Conn {
	t.Helper()
	Need(t, e)
	if e.ClickHouse == nil {
		t.Fatal("testenv: no ClickHouse in this Env (started by MainRedis)")
	}
	ctx := Ctx(t)
	conn, err := clickhouse.Open(ctx, e.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := clickhouse.Migrate(ctx, conn, logging.Discard()); err != nil {
		t.Fatal(err)
	}
	return conn
}

// SyncBuffer is a bytes.Buffer that a service may write its log to while
// the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitReady polls url until it answers 200, and fails the test with the
// service's log if that has not happened within d.
func WaitReady(t testing.TB, url string, d time.Duration, log fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered 200 (last: %v); log:\n%s", url, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
