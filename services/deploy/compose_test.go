package deploy

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the repository's docker-compose.yml.
const composeFile = "../../docker-compose.yml"

// minForwardSecret is forward.MinSecret, repeated rather than imported so
// that this module needs none of the services' dependencies.
const minForwardSecret = 16

// composeEnvs reads each service's environment from the compose file, with
// its anchors and merge keys resolved as docker compose resolves them.
func composeEnvs(t *testing.T) map[string]map[string]string {
	t.Helper()
	data, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatalf("read compose file: %v", err)
	}
	var f struct {
		Services map[string]struct {
			// Only the mapping form is read; a list of KEY=VALUE would
			// fail here rather than be skipped.
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("parse compose file: %v", err)
	}
	envs := map[string]map[string]string{}
	for name, s := range f.Services {
		envs[name] = s.Environment
	}
	return envs
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
