package deploy

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the repository's docker-compose.yml.
const composeFile = "../../docker-compose.yml"

// minForwardSecret is forward.MinSecret, repeated rather than imported so
// that this module needs none of the services' dependencies.
const minForwardSecret = 16

// composeService is the part of a compose service that these tests read.
// Decoding is strict (see readCompose): a key this struct does not know is
// an error, so a misspelt healthcheck or depends_on fails here rather than
// being ignored.
type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context string            `yaml:"context"`
		Args    map[string]string `yaml:"args"`
	} `yaml:"build"`
	Command []string `yaml:"command"`
	// Only the mapping form is read; a list of KEY=VALUE would fail here
	// rather than be skipped.
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Ulimits     map[string]any    `yaml:"ulimits"`
	Restart     string            `yaml:"restart"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Disable     bool     `yaml:"disable"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// readCompose reads the compose file, with its anchors and merge keys
// resolved as docker compose resolves them.
func readCompose(t *testing.T) map[string]composeService {
	t.Helper()
	data, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatalf("read compose file: %v", err)
	}
	// The top level holds x- extensions (the anchors) besides services
	// and volumes.
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	var whole struct {
		Services map[string]composeService `yaml:"services"`
		Volumes  map[string]any            `yaml:"volumes"`
		Ext      map[string]any            `yaml:",inline"` // x-* anchors
	}
	if err := dec.Decode(&whole); err != nil {
		t.Fatalf("parse compose file strictly: %v", err)
	}
	for k := range whole.Ext {
		if !strings.HasPrefix(k, "x-") {
			t.Errorf("compose file: unknown top-level key %q", k)
		}
	}
	if len(whole.Services) == 0 {
		t.Fatal("compose file has no services")
	}
	return whole.Services
}

// composeEnvs reads each service's environment from the compose file.
func composeEnvs(t *testing.T) map[string]map[string]string {
	t.Helper()
	envs := map[string]map[string]string{}
	for name, s := range readCompose(t) {
		envs[name] = s.Environment
	}
	return envs
}

// composeCommand is what a service built from the Dockerfile runs, as
// settingsOf takes it ("worker migrate"), or "" for an image from
// elsewhere.
func composeCommand(s composeService) string {
	if s.Build == nil {
		return ""
	}
	return strings.Join(append([]string{s.Build.Args["SERVICE"]}, s.Command...), " ")
}

// oneShots are the services some other service waits to see complete.
func oneShots(services map[string]composeService) map[string]bool {
	out := map[string]bool{}
	for _, s := range services {
		for dep, d := range s.DependsOn {
			if d.Condition == "service_completed_successfully" {
				out[dep] = true
			}
		}
	}
	return out
}

// TestComposeTrustsNoRange checks that no compose service trusts a whole
// network to say who a reporter is, and that the web and the simulator
// sign what they forward with the secret the ingest verifies.
func TestComposeTrustsNoRange(t *testing.T) {
	envs := composeEnvs(t)
	for svc, e := range envs {
		for k, v := range e {
			if r := wholeRangeIn(v); r != "" {
				t.Errorf("%s %s = %q trusts the whole range %s", svc, k, v, r)
			}
		}
	}
	for _, svc := range []string{"web", "ingest"} {
		if v := envs[svc]["LAPOR_TRUSTED_PROXIES"]; v != "" {
			t.Errorf("%s trusts proxies %q; the web is published directly and the ingest believes signed addresses", svc, v)
		}
	}
	secret := envs["ingest"]["LAPOR_FORWARD_SECRET"]
	if len(secret) < minForwardSecret {
		t.Errorf("ingest LAPOR_FORWARD_SECRET is %d bytes, want at least %d", len(secret), minForwardSecret)
	}
	for _, svc := range []string{"web", "simulator"} {
		t.Run(svc, func(t *testing.T) {
			e, ok := envs[svc]
			if !ok {
				t.Fatalf("no %s service", svc)
			}
			if e["LAPOR_FORWARD_SECRET"] != secret {
				t.Errorf("%s LAPOR_FORWARD_SECRET differs from the ingest's", svc)
			}
		})
	}
}

// noHealthcheck are the long-running services that have none, and why.
var noHealthcheck = map[string]string{
	"simulator": "a traffic generator: it serves nothing to ask, and nothing depends on it",
}

// TestComposeHealthchecks checks that every long-running service has a
// health check that asks something real: Redis and ClickHouse a command
// (ClickHouse as the services' user), each Lapor service its own /readyz on
// the port it listens on, through the image's /healthcheck.
func TestComposeHealthchecks(t *testing.T) {
	services := readCompose(t)
	once := oneShots(services)
	for _, name := range slices.Sorted(maps.Keys(services)) {
		s := services[name]
		hc := s.Healthcheck
		switch {
		case once[name]:
			if hc != nil && !hc.Disable {
				t.Errorf("%s runs once, yet has a health check", name)
			}
			continue
		case noHealthcheck[name] != "":
			if hc == nil || !hc.Disable {
				t.Errorf("%s: say healthcheck {disable: true}, so that the image's own check (if any) does not apply either", name)
			}
			continue
		case hc == nil || hc.Disable || len(hc.Test) < 2:
			t.Errorf("%s has no health check", name)
			continue
		}
		if hc.Interval == "" || hc.Timeout == "" || hc.Retries == 0 {
			t.Errorf("%s's health check sets no interval, timeout or retries: %+v", name, *hc)
		}
		if s.Build == nil {
			continue // Redis and ClickHouse: their own clients, checked below
		}
		addr := s.Environment["LAPOR_HTTP_ADDR"]
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s: LAPOR_HTTP_ADDR %q: %v", name, addr, err)
			continue
		}
		if len(hc.Test) != 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/healthcheck" {
			t.Errorf("%s's health check is %q, want [CMD /healthcheck http://127.0.0.1:%s/readyz]", name, hc.Test, port)
			continue
		}
		u, err := url.Parse(hc.Test[2])
		if err != nil || u.Port() != port || u.Path != "/readyz" {
			t.Errorf("%s's health check asks %q, want /readyz on port %s", name, hc.Test[2], port)
		}
	}
	if got := strings.Join(services["redis"].Healthcheck.Test, " "); !strings.Contains(got, "redis-cli ping") {
		t.Errorf("redis's health check is %q, want a redis-cli ping", got)
	}
	ch := services["clickhouse"].Healthcheck.Test
	if got := strings.Join(ch, " "); !strings.Contains(got, `--user "$$CLICKHOUSE_USER"`) || !strings.Contains(got, `--password "$$CLICKHOUSE_PASSWORD"`) || !strings.Contains(got, "SELECT 1") {
		t.Errorf("clickhouse's health check is %q, want a query as CLICKHOUSE_USER with its password", got)
	}
}

// TestComposeClickHouseLogin checks that ClickHouse gets a user with a
// password (current images refuse network logins of a passwordless
// `default`), and that every service that talks to it logs in as that user.
func TestComposeClickHouseLogin(t *testing.T) {
	services := readCompose(t)
	server := services["clickhouse"].Environment
	user, password := server["CLICKHOUSE_USER"], server["CLICKHOUSE_PASSWORD"]
	if user == "" || user == "default" || password == "" {
		t.Fatalf("clickhouse: CLICKHOUSE_USER %q, CLICKHOUSE_PASSWORD set %v; want a user of its own with a password", user, password != "")
	}
	talk := 0
	for name, s := range services {
		if _, ok := s.Environment["LAPOR_CLICKHOUSE_ADDR"]; !ok {
			continue
		}
		talk++
		if s.Environment["LAPOR_CLICKHOUSE_USER"] != user || s.Environment["LAPOR_CLICKHOUSE_PASSWORD"] != password {
			t.Errorf("%s logs in to ClickHouse as %q with another password than the server's %q", name, s.Environment["LAPOR_CLICKHOUSE_USER"], user)
		}
	}
	if talk < 4 {
		t.Errorf("only %d services talk to ClickHouse", talk)
	}
}

// TestComposeMigratesFirst checks that the schema is applied by a one-shot
// service, and that everything that uses ClickHouse waits until it has
// completed.
func TestComposeMigratesFirst(t *testing.T) {
	services := readCompose(t)
	var migrate string
	for name, s := range services {
		if composeCommand(s) == "worker migrate" {
			if migrate != "" {
				t.Errorf("two services migrate: %s and %s", migrate, name)
			}
			migrate = name
		}
	}
	if migrate == "" {
		t.Fatal("no service runs `worker migrate`")
	}
	m := services[migrate]
	if m.Restart != "" && m.Restart != "no" {
		t.Errorf("%s restarts (%q); it must run once", migrate, m.Restart)
	}
	if m.DependsOn["clickhouse"].Condition != "service_healthy" {
		t.Errorf("%s does not wait for a healthy ClickHouse", migrate)
	}
	for name, s := range services {
		if name == migrate {
			continue
		}
		if _, ok := s.Environment["LAPOR_CLICKHOUSE_ADDR"]; ok && s.DependsOn[migrate].Condition != "service_completed_successfully" {
			t.Errorf("%s uses ClickHouse without waiting for %s to complete", name, migrate)
		}
	}
	// Every condition names a service that can meet it.
	once := oneShots(services)
	for name, s := range services {
		for dep, d := range s.DependsOn {
			target, ok := services[dep]
			switch {
			case !ok:
				t.Errorf("%s depends on %s, which does not exist", name, dep)
			case d.Condition == "service_healthy" && (target.Healthcheck == nil || target.Healthcheck.Disable):
				t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
			case d.Condition == "service_completed_successfully" && target.Restart != "no":
				t.Errorf("%s waits for %s to complete, which does not say restart: \"no\"", name, dep)
			case d.Condition != "service_healthy" && d.Condition != "service_completed_successfully" && d.Condition != "service_started":
				t.Errorf("%s depends on %s with condition %q", name, dep, d.Condition)
			}
		}
		if !once[name] && s.Build != nil && s.Restart != "unless-stopped" && s.Restart != "always" {
			t.Errorf("%s runs for good but does not restart (restart %q)", name, s.Restart)
		}
	}
}

// TestComposeEnvIsRead checks that each LAPOR_ variable a Lapor service
// gets is one its command reads, and that the services agree on the
// number of report shards.
func TestComposeEnvIsRead(t *testing.T) {
	services := readCompose(t)
	shards := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		s := services[name]
		cmd := composeCommand(s)
		if cmd == "" {
			for k := range s.Environment {
				if strings.HasPrefix(k, "LAPOR_") {
					t.Errorf("%s is not a Lapor image, yet gets %s", name, k)
				}
			}
			continue
		}
		reads := settingsOf(t, cmd)
		for k := range s.Environment {
			if _, ok := reads[k]; !ok {
				t.Errorf("%s (%s) gets %s, which it does not read", name, cmd, k)
			}
		}
		if _, ok := s.Environment["LAPOR_REDIS_ADDR"]; ok {
			shards[name] = s.Environment["LAPOR_REPORT_SHARDS"]
		}
	}
	for _, svc := range []string{"ingest", "worker", "detector", "web"} {
		if _, ok := shards[svc]; !ok {
			t.Errorf("%s gets no Redis settings", svc)
		}
	}
	if vals := slices.Compact(slices.Sorted(maps.Values(shards))); len(vals) != 1 || vals[0] == "" {
		t.Errorf("the services disagree on LAPOR_REPORT_SHARDS (or leave it out): %v", fmt.Sprint(shards))
	}
}
