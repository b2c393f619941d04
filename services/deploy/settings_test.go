package deploy

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The settings a command reads come from the command itself: each service
// binds every setting through the shared config.Loader, which prints each
// one in `-h` as "(env LAPOR_X)" next to its type and default. The tests
// build the binaries from the workspace (go.work at the repository's
// root, which this module is outside of) and read their `-h`, rather than
// keep a list here or parse the Go source:
//   - a list in this module would drift from the code;
//   - a source scan would have to know which loader, subcommand and shared
//     function binds what (the web's `keys` subcommand reads LAPOR_NAME,
//     the web server does not), while `-h` answers for exactly the command
//     a container runs, shared settings included;
//   - the same `-h` gives each setting's default, so the chart's values can
//     be held to the code's defaults.
// Building the five binaries takes a few seconds with the build cache that
// `go test` of the services has just filled (scripts/test.sh runs those
// tests first).

// repoRoot is the repository, from this package's folder.
const repoRoot = "../.."

// binaries are the commands the deployments run, by image name (the
// Dockerfile's SERVICE).
var binaries = []string{"ingest", "worker", "detector", "web", "simulator"}

// setting is one flag of a command, as its `-h` shows it.
type setting struct {
	Env   string // LAPOR_X
	Flag  string // x
	Type  string // string, int, float, duration, bool or value (a secret, a list)
	Def   string // default as printed, unquoted; "" when none is printed
	Usage string
}

var build struct {
	once sync.Once
	dir  string
	err  error
}

// binDir builds the commands once per test run into a temporary folder.
func binDir(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "lapor-deploy-bin-")
		if build.err != nil {
			return
		}
		root, err := filepath.Abs(repoRoot)
		if err != nil {
			build.err = err
			return
		}
		args := []string{"build", "-o", build.dir + string(filepath.Separator)}
		for _, b := range binaries {
			args = append(args, "./services/"+b+"/cmd/"+b)
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"))
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if build.err != nil {
		t.Fatalf("build the services to read their settings: %v", build.err)
	}
	return build.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

var help struct {
	sync.Mutex
	byCmd map[string]map[string]setting
}

// flagLine is a flag's first line in `-h`: its name and, but for a bool,
// its type.
var flagLine = regexp.MustCompile(`^  -([a-z0-9-]+)(?: (\w+))?$`)

// envInUsage is the variable the loader names in a flag's usage.
var envInUsage = regexp.MustCompile(`\(env (LAPOR_[A-Z0-9_]+)\)`)

// defaultInUsage is a default as the flag package prints it, or as the
// loader prints a list's.
var defaultInUsage = regexp.MustCompile(`\((?:comma-separated, )?default ("(?:[^"\\]|\\.)*"|[^)]*)\)`)

// settingsOf returns the LAPOR_ settings that a command reads, by
// variable: command is the binary and its subcommand, as a container runs
// it ("worker", "worker migrate", "simulator backfill").
func settingsOf(t *testing.T, command string) map[string]setting {
	t.Helper()
	help.Lock()
	defer help.Unlock()
	if s, ok := help.byCmd[command]; ok {
		return s
	}
	args := strings.Fields(command)
	bin := filepath.Join(binDir(t), args[0])
	cmd := exec.Command(bin, append(args[1:], "-h")...)
	// An empty environment: the defaults printed are the code's own, not
	// this machine's LAPOR_ variables.
	cmd.Env = []string{}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // -h exits 1 after printing the usage (flag.ErrHelp)
	settings, err := parseHelp(out.String())
	if err != nil {
		t.Fatalf("%s -h: %v\n%s", command, err, out.String())
	}
	if help.byCmd == nil {
		help.byCmd = map[string]map[string]setting{}
	}
	help.byCmd[command] = settings
	return settings
}

// parseHelp reads the flags of a flag.FlagSet's usage.
func parseHelp(text string) (map[string]setting, error) {
	settings := map[string]setting{}
	var cur *setting
	flush := func() error {
		if cur == nil {
			return nil
		}
		m := envInUsage.FindStringSubmatch(cur.Usage)
		if m == nil {
			return fmt.Errorf("flag -%s names no LAPOR_ variable: every setting should be bound through config.Loader", cur.Flag)
		}
		cur.Env = m[1]
		if d := defaultInUsage.FindStringSubmatch(cur.Usage); d != nil {
			cur.Def = d[1]
			if u, err := strconv.Unquote(d[1]); err == nil {
				cur.Def = u
			}
		}
		settings[cur.Env] = *cur
		cur = nil
		return nil
	}
	for _, line := range strings.Split(text, "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			if err := flush(); err != nil {
				return nil, err
			}
			typ := m[2]
			if typ == "" {
				typ = "bool"
			}
			cur = &setting{Flag: m[1], Type: typ}
			continue
		}
		if cur != nil && strings.HasPrefix(line, "    \t") {
			cur.Usage = strings.TrimSpace(cur.Usage + " " + strings.TrimSpace(line))
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(settings) == 0 {
		return nil, fmt.Errorf("no flags in the usage")
	}
	return settings, nil
}

// sameSetting says whether a value the deployment sets means the same as
// the code's default for s: 15m is 15m0s, "" is an unset integer's 0.
func sameSetting(s setting, value string) bool {
	def := s.Def
	switch s.Type {
	case "duration":
		if def == "" {
			def = "0s"
		}
		a, err1 := time.ParseDuration(def)
		b, err2 := time.ParseDuration(value)
		return err1 == nil && err2 == nil && a == b
	case "int", "float":
		if def == "" {
			def = "0"
		}
		a, err1 := strconv.ParseFloat(def, 64)
		b, err2 := strconv.ParseFloat(value, 64)
		return err1 == nil && err2 == nil && a == b
	case "bool":
		if def == "" {
			def = "false"
		}
		a, err1 := strconv.ParseBool(def)
		b, err2 := strconv.ParseBool(value)
		return err1 == nil && err2 == nil && a == b
	default:
		return def == value
	}
}

func TestParseHelp(t *testing.T) {
	const usage = `Usage of x:
  -batch-size int
    	reports per ClickHouse insert (env LAPOR_BATCH_SIZE) (default 5000)
  -claim-idle duration
    	how long a report is pending (env LAPOR_CLAIM_IDLE) (default 30s)
  -geoip-db value
    	MaxMind-format databases (env LAPOR_GEOIP_DB) (comma-separated, default "")
  -migrate-on-start
    	apply migrations (env LAPOR_MIGRATE_ON_START)
  -public-url string
    	scheme and host, e.g. https://lapor.example; empty leaves
    	og:url out (env LAPOR_PUBLIC_URL)
  -rate-limit-ip string
    	reports allowed per client address (IPv6: per /64), as "<count>-<S|M|H|D>" (env LAPOR_RATE_LIMIT_IP) (default "60-M")
  -redis-password value
    	Redis password (env LAPOR_REDIS_PASSWORD)
`
	got, err := parseHelp(usage)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]setting{
		"LAPOR_BATCH_SIZE":       {Flag: "batch-size", Type: "int", Def: "5000"},
		"LAPOR_CLAIM_IDLE":       {Flag: "claim-idle", Type: "duration", Def: "30s"},
		"LAPOR_GEOIP_DB":         {Flag: "geoip-db", Type: "value", Def: ""},
		"LAPOR_MIGRATE_ON_START": {Flag: "migrate-on-start", Type: "bool"},
		"LAPOR_PUBLIC_URL":       {Flag: "public-url", Type: "string"},
		"LAPOR_RATE_LIMIT_IP":    {Flag: "rate-limit-ip", Type: "string", Def: "60-M"},
		"LAPOR_REDIS_PASSWORD":   {Flag: "redis-password", Type: "value"},
	}
	if len(got) != len(want) {
		t.Errorf("parsed %d settings, want %d: %v", len(got), len(want), slices.Sorted(maps.Keys(got)))
	}
	for env, w := range want {
		g, ok := got[env]
		if !ok {
			t.Errorf("%s not parsed", env)
			continue
		}
		if g.Flag != w.Flag || g.Type != w.Type || g.Def != w.Def {
			t.Errorf("%s = {%s %s %q}, want {%s %s %q}", env, g.Flag, g.Type, g.Def, w.Flag, w.Type, w.Def)
		}
	}
	if !sameSetting(got["LAPOR_CLAIM_IDLE"], "30000ms") || sameSetting(got["LAPOR_CLAIM_IDLE"], "31s") {
		t.Error("sameSetting compares durations wrongly")
	}
	if !sameSetting(got["LAPOR_MIGRATE_ON_START"], "false") || !sameSetting(got["LAPOR_BATCH_SIZE"], "5000") {
		t.Error("sameSetting compares zero or integer defaults wrongly")
	}
	if _, err := parseHelp("Usage of x:\n  -verbose\n    \tsay more\n"); err == nil {
		t.Error("a flag without a LAPOR_ variable was accepted")
	}
}

// TestServicesPrintTheirSettings checks that each command the deployments
// run lists its settings, so that the checks built on them check
// something.
func TestServicesPrintTheirSettings(t *testing.T) {
	for _, command := range []string{"ingest", "worker", "worker migrate", "detector", "web", "simulator", "simulator backfill"} {
		s := settingsOf(t, command)
		if _, ok := s["LAPOR_LOG_LEVEL"]; !ok {
			t.Errorf("%s -h lists no LAPOR_LOG_LEVEL: %v", command, slices.Sorted(maps.Keys(s)))
		}
	}
	for _, command := range []string{"ingest", "worker", "detector", "web"} {
		for _, env := range []string{"LAPOR_REDIS_ADDR", "LAPOR_REPORT_SHARDS"} {
			if _, ok := settingsOf(t, command)[env]; !ok {
				t.Errorf("%s does not read %s", command, env)
			}
		}
	}
}
