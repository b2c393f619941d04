package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/engine"
)

// chartDir is the chart as the repository ships it; tests run in this
// package's folder.
const chartDir = "../../charts/lapor"

// webTrustedMessage is the start of the chart's refusal to render a web that
// trusts no proxy; the rest tells the operator what to set.
const webTrustedMessage = "web.trustedProxies is empty"

// env is one container's environment: plain values and secret references.
type env struct {
	values  map[string]string
	secrets map[string]secretRef
}

type secretRef struct{ name, key string }

// manifest is the part of a rendered workload that these tests read.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Name string `yaml:"name"`
					Env  []struct {
						Name      string  `yaml:"name"`
						Value     *string `yaml:"value"`
						ValueFrom *struct {
							SecretKeyRef *struct {
								Name string `yaml:"name"`
								Key  string `yaml:"key"`
							} `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// renderFiles renders the chart as `helm template` would, as release name
// with values over the chart's defaults. It returns each template's text
// and the values the templates saw.
func renderFiles(t *testing.T, name string, values map[string]any) (map[string]string, map[string]any, error) {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: name, Namespace: "lapor", Revision: 1, IsInstall: true}, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("compose render values: %w", err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, nil, err
	}
	v, _ := vals["Values"].(common.Values)
	return files, v.AsMap(), nil
}

// render renders the chart with values over its defaults, as `helm
// template` would, and returns each container's environment by container
// name.
func render(t *testing.T, values map[string]any) (map[string]env, error) {
	t.Helper()
	files, _, err := renderFiles(t, "lapor", values)
	if err != nil {
		return nil, err
	}
	envs := map[string]env{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasSuffix(name, ".yaml") {
			continue // helpers render to nothing
		}
		dec := yaml.NewDecoder(bytes.NewReader([]byte(files[name])))
		for {
			var m manifest
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("parse rendered %s: %v\n%s", name, err, files[name])
			}
			for _, c := range m.Spec.Template.Spec.Containers {
				if _, dup := envs[c.Name]; dup {
					t.Fatalf("%s: container %q rendered twice", name, c.Name)
				}
				e := env{values: map[string]string{}, secrets: map[string]secretRef{}}
				for _, v := range c.Env {
					switch {
					case v.Value != nil:
						e.values[v.Name] = *v.Value
					case v.ValueFrom != nil && v.ValueFrom.SecretKeyRef != nil:
						e.secrets[v.Name] = secretRef{v.ValueFrom.SecretKeyRef.Name, v.ValueFrom.SecretKeyRef.Key}
					}
				}
				envs[c.Name] = e
			}
		}
	}
	return envs, nil
}

// wholeRanges are ranges no Lapor deployment may trust as a whole: every
// private network (where any pod, or anyone on the same network, could
// claim any address) and every address at all.
var wholeRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("0.0.0.0/0"),
	netip.MustParsePrefix("::/0"),
}

// wholeRangeIn returns the first entry of a comma-separated value that
// covers one of wholeRanges entirely ("10.0.0.0/7" as well as
// "10.0.0.0/8"), or "" when there is none.
func wholeRangeIn(value string) string {
	for _, part := range strings.Split(value, ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(part))
		if err != nil {
			continue // not a CIDR: an address, a host name, anything else
		}
		for _, r := range wholeRanges {
			if p.Addr().Is4() == r.Addr().Is4() && p.Bits() <= r.Bits() && p.Contains(r.Addr()) {
				return strings.TrimSpace(part)
			}
		}
	}
	return ""
}

func TestWholeRangeIn(t *testing.T) {
	tests := []struct{ value, want string }{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.42.7.0/24, 172.0.0.0/8", "172.0.0.0/8"},
		{"::/0", "::/0"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"10.42.7.0/24,192.0.2.10", ""},
		{"192.168.1.0/24", ""},
		{"redis:6379", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := wholeRangeIn(tt.value); got != tt.want {
				t.Errorf("wholeRangeIn(%q) = %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

// TestChartTrustsOnlyTheWebsHop renders the chart as an operator would and
// checks that people are counted by their own address: the web trusts
// exactly the proxies it is given, the ingest trusts no network and
// believes the web's signed address instead, and nothing trusts a whole
// range.
func TestChartTrustsOnlyTheWebsHop(t *testing.T) {
	tests := []struct {
		name        string
		values      map[string]any
		wantTrusted string // the web's LAPOR_TRUSTED_PROXIES
	}{
		{
			name:        "ingress CIDR as a string",
			values:      map[string]any{"web": map[string]any{"trustedProxies": "10.42.7.0/24"}},
			wantTrusted: "10.42.7.0/24",
		},
		{
			name:        "ingress CIDRs as a list",
			values:      map[string]any{"web": map[string]any{"trustedProxies": []any{"10.42.7.0/24", " 192.0.2.10 "}}},
			wantTrusted: "10.42.7.0/24,192.0.2.10",
		},
		{
			name:   "clients connect directly",
			values: map[string]any{"web": map[string]any{"clientsConnectDirectly": true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs, err := render(t, tt.values)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			want := secretRef{name: "lapor-forward", key: "forward-secret"}
			for _, c := range []string{"web", "ingest"} {
				e, ok := envs[c]
				if !ok {
					t.Fatalf("no %s container rendered", c)
				}
				if got := e.secrets["LAPOR_FORWARD_SECRET"]; got != want {
					t.Errorf("%s LAPOR_FORWARD_SECRET from %+v, want %+v", c, got, want)
				}
				if _, plain := e.values["LAPOR_FORWARD_SECRET"]; plain {
					t.Errorf("%s gets LAPOR_FORWARD_SECRET as a plain value", c)
				}
			}
			if got, ok := envs["ingest"].values["LAPOR_TRUSTED_PROXIES"]; ok && got != "" {
				t.Errorf("ingest LAPOR_TRUSTED_PROXIES = %q, want empty", got)
			}
			if got := envs["web"].values["LAPOR_TRUSTED_PROXIES"]; got != tt.wantTrusted {
				t.Errorf("web LAPOR_TRUSTED_PROXIES = %q, want %q", got, tt.wantTrusted)
			}
			for c, e := range envs {
				for k, v := range e.values {
					if r := wholeRangeIn(v); r != "" {
						t.Errorf("%s %s = %q trusts the whole range %s", c, k, v, r)
					}
				}
			}
		})
	}
}

// direct is values over a web that browsers reach directly, the least a
// render needs.
func direct(values map[string]any) map[string]any {
	out := map[string]any{"web": map[string]any{"clientsConnectDirectly": true}}
	for k, v := range values {
		out[k] = v
	}
	return out
}

// TestChartRefuses checks that the chart will not render a deployment that
// counts people wrongly, and says what to set instead.
func TestChartRefuses(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string // parts of the error
	}{
		{
			name:   "defaults: the web trusts no proxy",
			values: nil,
			want:   []string{webTrustedMessage, "ingress controller", "load balancer", "web.clientsConnectDirectly=true"},
		},
		{
			name:   "empty list",
			values: map[string]any{"web": map[string]any{"trustedProxies": []any{}}},
			want:   []string{webTrustedMessage},
		},
		{
			name:   "web trusts everyone",
			values: map[string]any{"web": map[string]any{"trustedProxies": "10.42.7.0/24,0.0.0.0/0"}},
			want:   []string{"web.trustedProxies must not contain 0.0.0.0/0"},
		},
		{
			name: "ingest trusts everyone",
			values: map[string]any{
				"web":    map[string]any{"clientsConnectDirectly": true},
				"ingest": map[string]any{"trustedProxies": []any{"::/0"}},
			},
			want: []string{"ingest.trustedProxies must not contain ::/0"},
		},
		{
			name: "no forward secret",
			values: map[string]any{
				"web":           map[string]any{"clientsConnectDirectly": true},
				"forwardSecret": map[string]any{"existingSecret": ""},
			},
			want: []string{"forwardSecret.existingSecret", `"forward-secret"`},
		},
		{
			name:   "no reporter secret",
			values: direct(map[string]any{"reporterSecret": map[string]any{"existingSecret": ""}}),
			want:   []string{"reporterSecret.existingSecret", `"reporter-secret"`},
		},
		{
			name:   "a misspelt setting (values.schema.json)",
			values: direct(map[string]any{"ingest": map[string]any{"maxBackLog": 5000}}),
			want:   []string{"/ingest", "maxBackLog"},
		},
		{
			name:   "a duration without its unit",
			values: direct(map[string]any{"worker": map[string]any{"claimIdle": 30}}),
			want:   []string{"/worker/claimIdle"},
		},
		{
			name:   "the old single Redis address",
			values: direct(map[string]any{"redis": map[string]any{"addr": "redis:6379"}}),
			want:   []string{"redis.addr is now redis.addrs"},
		},
		{
			name:   "no Redis",
			values: direct(map[string]any{"redis": map[string]any{"addrs": []any{}}}),
			want:   []string{"redis.addrs is empty"},
		},
		{
			name:   "no ClickHouse",
			values: direct(map[string]any{"clickhouse": map[string]any{"addrs": " , "}}),
			want:   []string{"clickhouse.addrs is empty"},
		},
		{
			name:   "a database other than 0 on a Redis Cluster",
			values: direct(map[string]any{"redis": map[string]any{"addrs": "redis-0:6379,redis-1:6379", "db": 2}}),
			want:   []string{"redis.db is 2", "database 0 only"},
		},
		{
			name:   "no report shard",
			values: direct(map[string]any{"redis": map[string]any{"reportShards": 0}}),
			want:   []string{"redis.reportShards must be at least 1, got 0"},
		},
		{
			name:   "half a report shard",
			values: direct(map[string]any{"redis": map[string]any{"reportShards": 1.5}}),
			want:   []string{"reportShards", "want integer"},
		},
		{
			name:   "report shards in words",
			values: direct(map[string]any{"redis": map[string]any{"reportShards": "eight"}}),
			want:   []string{"redis.reportShards must be a whole number"},
		},
		{
			name:   "replicated tables without a cluster",
			values: direct(map[string]any{"clickhouse": map[string]any{"replicated": true}}),
			want:   []string{"clickhouse.replicated is true but clickhouse.cluster is empty"},
		},
		{
			name:   "GeoIP databases without their volume",
			values: direct(map[string]any{"ingest": map[string]any{"geoip": map[string]any{"files": []any{"GeoLite2-City.mmdb"}}}}),
			want:   []string{"ingest.geoip.volume is empty"},
		},
		{
			name:   "an autoscaler upside down",
			values: direct(map[string]any{"ingest": map[string]any{"autoscaling": map[string]any{"enabled": true, "minReplicas": 5, "maxReplicas": 3}}}),
			want:   []string{"ingest.autoscaling.minReplicas (5) is above maxReplicas (3)"},
		},
		{
			name:   "a public URL with a path",
			values: direct(map[string]any{"web": map[string]any{"clientsConnectDirectly": true, "publicURL": "https://lapor.example/status/"}}),
			want:   []string{"web.publicURL must be a scheme and host"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, tt.values)
			if err == nil {
				t.Fatal("rendered")
			}
			t.Logf("refused: %v", err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestChartRunsDetectorReplicasUnderTheLease checks that the detector
// replicas the chart runs by default all take part in the lease, with its
// TTL set from the values.
func TestChartRunsDetectorReplicasUnderTheLease(t *testing.T) {
	envs, err := render(t, map[string]any{"web": map[string]any{"clientsConnectDirectly": true}, "detector": map[string]any{"leaseTTL": "20s"}})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if got := envs["detector"].values["LAPOR_LEASE_TTL"]; got != "20s" {
		t.Errorf("detector LAPOR_LEASE_TTL = %q, want 20s", got)
	}
}

// TestChartLints runs Helm's own linter (the chart's metadata, its values
// against values.schema.json, every template rendered and parsed, and
// deprecated API versions) on each value set, for the oldest Kubernetes
// the chart supports; a warning fails as an error does.
func TestChartLints(t *testing.T) {
	oldest, err := common.ParseKubeVersion("v1.27.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range valueSets {
		t.Run(set, func(t *testing.T) {
			res := lint.RunAll(chartDir, readValueSet(t, set), "lapor", lint.WithKubeVersion(oldest))
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Error(m)
				} else {
					t.Log(m)
				}
			}
		})
	}
}
