package deploy

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"helm.sh/helm/v4/pkg/chart/common"
)

// valueSets are the value files CI renders the chart with
// (testdata/<name>.yaml): the defaults (single Redis and ClickHouse), an
// external Redis Cluster and ClickHouse cluster with autoscaling, and the
// smallest sensible install.
var valueSets = []string{"single", "cluster", "minimal"}

// instanceLabel is the label that tells one release's pods from
// another's.
const instanceLabel = "app.kubernetes.io/instance"

// readValueSet reads testdata/<name>.yaml.
func readValueSet(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatalf("read value set: %v", err)
	}
	vals, err := common.ReadValues(data)
	if err != nil {
		t.Fatalf("parse testdata/%s.yaml: %v", name, err)
	}
	return vals.AsMap()
}

// release is one rendered release, every manifest decoded into its
// Kubernetes API type.
type release struct {
	name        string
	values      map[string]any // the chart's values with the set's over them
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	jobs        []*batchv1.Job
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
}

// apiTypes are the only kinds the chart may render; anything else fails
// to decode.
var apiTypes = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme,
		autoscalingv2.AddToScheme, policyv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strictDecoder decodes YAML into the API types and fails on a field the
// type does not have, or one given twice.
var strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, apiTypes, apiTypes,
	kjson.SerializerOptions{Yaml: true, Strict: true})

// docSeparator splits a rendered file into its YAML documents.
var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// renderRelease renders the chart as `helm template NAME -f values` would
// and decodes every manifest strictly.
func renderRelease(t *testing.T, name string, values map[string]any) *release {
	t.Helper()
	files, vals, err := renderFiles(t, name, values)
	if err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	r := &release{name: name, values: vals}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		if !strings.HasSuffix(file, ".yaml") {
			continue
		}
		for i, doc := range docSeparator.Split(files[file], -1) {
			if !hasContent(doc) {
				continue
			}
			obj, gvk, err := strictDecoder.Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%s, document %d: %v\n%s", file, i, err, doc)
			}
			switch o := obj.(type) {
			case *appsv1.Deployment:
				r.deployments = append(r.deployments, o)
			case *corev1.Service:
				r.services = append(r.services, o)
			case *batchv1.Job:
				r.jobs = append(r.jobs, o)
			case *autoscalingv2.HorizontalPodAutoscaler:
				r.hpas = append(r.hpas, o)
			case *policyv1.PodDisruptionBudget:
				r.pdbs = append(r.pdbs, o)
			default:
				t.Fatalf("%s: the chart renders a %s; teach these tests what to check of it", file, gvk)
			}
		}
	}
	return r
}

// hasContent says whether a YAML document holds more than comments.
func hasContent(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}

// workload is a pod template and what owns it.
type workload struct {
	kind, name string
	pod        *corev1.PodTemplateSpec
}

func (r *release) workloads() []workload {
	var out []workload
	for _, d := range r.deployments {
		out = append(out, workload{"Deployment", d.Name, &d.Spec.Template})
	}
	for _, j := range r.jobs {
		out = append(out, workload{"Job", j.Name, &j.Spec.Template})
	}
	return out
}

// command is what a container runs, as settingsOf takes it: the image's
// service and the container's arguments ("worker migrate").
func command(c corev1.Container) string {
	image := c.Image[strings.LastIndex(c.Image, "/")+1:]
	if i := strings.IndexAny(image, ":@"); i >= 0 {
		image = image[:i]
	}
	return strings.Join(append([]string{image}, c.Args...), " ")
}

// plainEnv is a container's environment given as plain values.
func plainEnv(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			out[e.Name] = e.Value
		}
	}
	return out
}

func TestChartValueSets(t *testing.T) {
	for _, set := range valueSets {
		t.Run(set, func(t *testing.T) {
			values := readValueSet(t, set)
			r := renderRelease(t, "lapor", values)
			checkKinds(t, r)
			checkNames(t, r)
			checkSelectors(t, r)
			checkPods(t, r)
			checkEnv(t, r)
			checkAgreement(t, r)
			checkScaling(t, r)

			// A second release of the same values in the same namespace
			// must neither select nor be selected by the first.
			other := renderRelease(t, "lapor-canary", values)
			checkApart(t, r, other)
			checkApart(t, other, r)
		})
	}
}

// checkKinds checks that the release has what the chart promises: a
// Deployment and a Service per component, the schema Job, and the
// autoscalers and disruption budgets the values ask for.
func checkKinds(t *testing.T, r *release) {
	t.Helper()
	components := []string{"ingest", "worker", "detector", "web"}
	var wantHPA, wantPDB []string
	for _, c := range components {
		v := r.values[c].(map[string]any)
		if a, ok := v["autoscaling"].(map[string]any); ok && a["enabled"] == true {
			wantHPA = append(wantHPA, r.name+"-"+c)
		}
		if p, ok := v["pdb"].(map[string]any); ok && p["enabled"] == true {
			wantPDB = append(wantPDB, r.name+"-"+c)
		}
	}
	var want []string
	for _, c := range components {
		want = append(want, r.name+"-"+c)
	}
	names := func(n int, name func(int) string) []string {
		out := make([]string, n)
		for i := range n {
			out[i] = name(i)
		}
		slices.Sort(out)
		return out
	}
	slices.Sort(want)
	slices.Sort(wantHPA)
	slices.Sort(wantPDB)
	for _, k := range []struct {
		kind      string
		got, want []string
	}{
		{"Deployment", names(len(r.deployments), func(i int) string { return r.deployments[i].Name }), want},
		{"Service", names(len(r.services), func(i int) string { return r.services[i].Name }), want},
		{"HorizontalPodAutoscaler", names(len(r.hpas), func(i int) string { return r.hpas[i].Name }), wantHPA},
		{"PodDisruptionBudget", names(len(r.pdbs), func(i int) string { return r.pdbs[i].Name }), wantPDB},
	} {
		if !slices.Equal(k.got, k.want) {
			t.Errorf("%ss %v, want %v", k.kind, k.got, k.want)
		}
	}
	if len(r.jobs) != 1 || r.jobs[0].Spec.Template.Spec.Containers[0].Args[0] != "migrate" {
		t.Errorf("want one Job running migrate, got %d", len(r.jobs))
	}
}

// checkNames checks names and labels as the API server would.
func checkNames(t *testing.T, r *release) {
	t.Helper()
	check := func(kind string, m metav1.ObjectMeta) {
		for _, msg := range validation.IsDNS1123Subdomain(m.Name) {
			t.Errorf("%s %q: %s", kind, m.Name, msg)
		}
		if len(m.Name) > validation.DNS1123LabelMaxLength {
			t.Errorf("%s %q: longer than %d characters", kind, m.Name, validation.DNS1123LabelMaxLength)
		}
		for _, e := range metavalidation.ValidateLabels(m.Labels, field.NewPath(kind, m.Name, "labels")) {
			t.Error(e)
		}
		if m.Labels[instanceLabel] != r.name {
			t.Errorf("%s %q: label %s = %q, want %q", kind, m.Name, instanceLabel, m.Labels[instanceLabel], r.name)
		}
	}
	for _, d := range r.deployments {
		check("Deployment", d.ObjectMeta)
	}
	for _, s := range r.services {
		check("Service", s.ObjectMeta)
		for _, msg := range validation.IsDNS1035Label(s.Name) {
			t.Errorf("Service %q: %s", s.Name, msg)
		}
	}
	for _, j := range r.jobs {
		check("Job", j.ObjectMeta)
	}
	for _, h := range r.hpas {
		check("HorizontalPodAutoscaler", h.ObjectMeta)
	}
	for _, p := range r.pdbs {
		check("PodDisruptionBudget", p.ObjectMeta)
	}
	for _, w := range r.workloads() {
		for _, e := range metavalidation.ValidateLabels(w.pod.Labels, field.NewPath(w.kind, w.name, "template", "labels")) {
			t.Error(e)
		}
	}
}

// selectorOf turns a label selector into one that can be matched, and
// checks that it names the release and a component.
func selectorOf(t *testing.T, r *release, what string, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	if s == nil || len(s.MatchLabels) == 0 {
		t.Errorf("%s has no selector", what)
		return labels.Nothing()
	}
	if s.MatchLabels[instanceLabel] != r.name {
		t.Errorf("%s selects %s=%q, want the release %q", what, instanceLabel, s.MatchLabels[instanceLabel], r.name)
	}
	if s.MatchLabels["app.kubernetes.io/component"] == "" {
		t.Errorf("%s selects no component", what)
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return labels.Nothing()
	}
	return sel
}

// selected returns the Deployments of r whose pods sel matches.
func selected(r *release, sel labels.Selector) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range r.deployments {
		if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			out = append(out, d)
		}
	}
	return out
}

// checkSelectors checks that every selector matches the pods it is for,
// and only those.
func checkSelectors(t *testing.T, r *release) {
	t.Helper()
	for _, d := range r.deployments {
		sel := selectorOf(t, r, "Deployment "+d.Name, d.Spec.Selector)
		if got := selected(r, sel); len(got) != 1 || got[0] != d {
			t.Errorf("Deployment %s's selector %s matches %d Deployments' pods, want its own only", d.Name, sel, len(got))
		}
		for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
			s := selectorOf(t, r, "Deployment "+d.Name+" topology spread", c.LabelSelector)
			if got := selected(r, s); len(got) != 1 || got[0] != d {
				t.Errorf("Deployment %s spreads by %s, which matches %d Deployments' pods", d.Name, s, len(got))
			}
		}
	}
	for _, s := range r.services {
		sel := selectorOf(t, r, "Service "+s.Name, &metav1.LabelSelector{MatchLabels: s.Spec.Selector})
		got := selected(r, sel)
		if len(got) != 1 {
			t.Errorf("Service %s selects %d Deployments' pods, want 1", s.Name, len(got))
			continue
		}
		ports := map[string]bool{}
		for _, c := range got[0].Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				ports[p.Name] = true
			}
		}
		for _, p := range s.Spec.Ports {
			if !ports[p.TargetPort.String()] {
				t.Errorf("Service %s targets port %q, which %s's containers do not name", s.Name, p.TargetPort.String(), got[0].Name)
			}
		}
	}
	for _, p := range r.pdbs {
		sel := selectorOf(t, r, "PodDisruptionBudget "+p.Name, p.Spec.Selector)
		if got := selected(r, sel); len(got) != 1 || got[0].Name != p.Name {
			t.Errorf("PodDisruptionBudget %s matches %d Deployments' pods, want its own Deployment's", p.Name, len(got))
		}
	}
	for _, j := range r.jobs {
		if got := selected(r, labels.SelectorFromSet(j.Spec.Template.Labels)); len(got) != 0 {
			t.Errorf("Job %s's pods carry a Deployment's labels", j.Name)
		}
	}
}

// checkApart checks that no selector of a selects a pod of b.
func checkApart(t *testing.T, a, b *release) {
	t.Helper()
	var selectors []struct {
		what string
		sel  *metav1.LabelSelector
	}
	add := func(what string, s *metav1.LabelSelector) {
		selectors = append(selectors, struct {
			what string
			sel  *metav1.LabelSelector
		}{what, s})
	}
	for _, d := range a.deployments {
		add("Deployment "+d.Name, d.Spec.Selector)
		for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
			add("Deployment "+d.Name+" topology spread", c.LabelSelector)
		}
	}
	for _, s := range a.services {
		add("Service "+s.Name, &metav1.LabelSelector{MatchLabels: s.Spec.Selector})
	}
	for _, p := range a.pdbs {
		add("PodDisruptionBudget "+p.Name, p.Spec.Selector)
	}
	for _, s := range selectors {
		sel, err := metav1.LabelSelectorAsSelector(s.sel)
		if err != nil {
			t.Errorf("%s: %v", s.what, err)
			continue
		}
		for _, w := range b.workloads() {
			if sel.Matches(labels.Set(w.pod.Labels)) {
				t.Errorf("release %s's %s selects release %s's %s %s pods", a.name, s.what, b.name, w.kind, w.name)
			}
		}
	}
}

// restricted is the Kubernetes "restricted" Pod Security Standard, as the
// admission controller checks it.
var restricted = psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}

// checkPods checks every pod template: the restricted Pod Security
// Standard and this chart's own rules (a fixed non-root user, a read-only
// root filesystem, no service account token, no service links), probes on
// ports the container names, and volumes that exist.
func checkPods(t *testing.T, r *release) {
	t.Helper()
	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatalf("pod security evaluator: %v", err)
	}
	for _, w := range r.workloads() {
		what := w.kind + " " + w.name
		spec := &w.pod.Spec
		if res := psapolicy.AggregateCheckResults(evaluator.EvaluatePod(restricted, &w.pod.ObjectMeta, spec)); !res.Allowed {
			t.Errorf("%s breaks the restricted Pod Security Standard: %s: %s", what, res.ForbiddenReason(), res.ForbiddenDetail())
		}
		psc := spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: the pod must run as a fixed non-root user (runAsNonRoot, runAsUser)", what)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s mounts a service account token; no Lapor pod talks to the Kubernetes API", what)
		}
		// Service links would add a LAPOR_<NAME>_PORT variable for each
		// Service of a release named "lapor", unasked.
		if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
			t.Errorf("%s: enableServiceLinks must be false", what)
		}
		volumes := map[string]bool{}
		for _, v := range spec.Volumes {
			volumes[v.Name] = true
		}
		used := map[string]bool{}
		for _, c := range spec.Containers {
			what := what + " container " + c.Name
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s has no securityContext", what)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: root filesystem not read-only", what)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s may escalate privileges", what)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s keeps capabilities", what)
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
				t.Errorf("%s requests no CPU or memory (an autoscaler measures against the CPU request)", what)
			}
			ports := map[string]bool{}
			for _, p := range c.Ports {
				ports[p.Name] = true
			}
			if w.kind == "Deployment" {
				for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
					switch {
					case p == nil || p.HTTPGet == nil:
						t.Errorf("%s has no HTTP %s probe", what, name)
					case !ports[p.HTTPGet.Port.String()]:
						t.Errorf("%s's %s probe uses port %q, which the container does not name", what, name, p.HTTPGet.Port.String())
					}
				}
			}
			for _, m := range c.VolumeMounts {
				used[m.Name] = true
				if !volumes[m.Name] {
					t.Errorf("%s mounts volume %q, which the pod does not have", what, m.Name)
				}
			}
		}
		for v := range volumes {
			if !used[v] {
				t.Errorf("%s has volume %q that no container mounts", what, v)
			}
		}
	}
}

// checkEnv checks that each variable a container gets is one that the
// command it runs reads, given once, and that secrets come from Secrets.
func checkEnv(t *testing.T, r *release) {
	t.Helper()
	for _, w := range r.workloads() {
		for _, c := range w.pod.Spec.Containers {
			cmd := command(c)
			reads := settingsOf(t, cmd)
			what := fmt.Sprintf("%s %s container %s (%s)", w.kind, w.name, c.Name, cmd)
			if len(c.EnvFrom) > 0 {
				t.Errorf("%s takes envFrom, whose variables cannot be checked", what)
			}
			seen := map[string]bool{}
			for _, e := range c.Env {
				if seen[e.Name] {
					t.Errorf("%s gets %s twice", what, e.Name)
				}
				seen[e.Name] = true
				s, ok := reads[e.Name]
				if !ok {
					t.Errorf("%s gets %s, which it does not read", what, e.Name)
					continue
				}
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && (e.ValueFrom.SecretKeyRef.Name == "" || e.ValueFrom.SecretKeyRef.Key == "") {
					t.Errorf("%s: %s from a Secret without a name or key", what, e.Name)
				}
				// Settings that -h never shows (secrets) come from Secrets,
				// never as plain values in the manifest.
				if strings.Contains(strings.ToLower(s.Flag), "password") || strings.HasSuffix(s.Flag, "-secret") {
					if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						t.Errorf("%s gets %s as a plain value, not from a Secret", what, e.Name)
					}
				}
			}
		}
	}
}

// listValue renders a value that may be a list or a comma-separated
// string as the chart does.
func listValue(v any) string {
	var parts []string
	switch v := v.(type) {
	case []any:
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
	case string:
		parts = strings.Split(v, ",")
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}

// checkAgreement checks that every container that talks to Redis or
// ClickHouse gets the whole of their settings from the same values: the
// addresses, the cluster, and the number of report shards, on which the
// ingest, the worker, the detector and the web must agree.
func checkAgreement(t *testing.T, r *release) {
	t.Helper()
	redis := r.values["redis"].(map[string]any)
	ch := r.values["clickhouse"].(map[string]any)
	wantRedis := map[string]string{
		"LAPOR_REDIS_ADDR":    listValue(redis["addrs"]),
		"LAPOR_REPORT_SHARDS": fmt.Sprint(redis["reportShards"]),
	}
	wantCH := map[string]string{
		"LAPOR_CLICKHOUSE_ADDR":       listValue(ch["addrs"]),
		"LAPOR_CLICKHOUSE_CLUSTER":    fmt.Sprint(ch["cluster"]),
		"LAPOR_CLICKHOUSE_REPLICATED": fmt.Sprint(ch["replicated"]),
		"LAPOR_CLICKHOUSE_DB":         fmt.Sprint(ch["database"]),
		"LAPOR_CLICKHOUSE_USER":       fmt.Sprint(ch["user"]),
	}
	secret := func(c corev1.Container, name string) *corev1.SecretKeySelector {
		for _, e := range c.Env {
			if e.Name == name && e.ValueFrom != nil {
				return e.ValueFrom.SecretKeyRef
			}
		}
		return nil
	}
	check := func(what string, c corev1.Container, want map[string]string, password string, conf map[string]any) {
		env := plainEnv(c)
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s: %s = %q, want %q", what, k, env[k], v)
			}
		}
		ref := secret(c, password)
		if s, _ := conf["existingSecret"].(string); s != "" {
			if ref == nil || ref.Name != s || ref.Key != conf["passwordKey"] {
				t.Errorf("%s: %s from %+v, want Secret %s key %v", what, password, ref, s, conf["passwordKey"])
			}
		} else if ref != nil {
			t.Errorf("%s gets %s though no Secret is configured", what, password)
		}
	}
	for _, w := range r.workloads() {
		for _, c := range w.pod.Spec.Containers {
			what := w.kind + " " + w.name + " container " + c.Name
			env := plainEnv(c)
			if w.kind == "Deployment" {
				// Every service talks to Redis.
				check(what, c, wantRedis, "LAPOR_REDIS_PASSWORD", redis)
			} else if _, ok := env["LAPOR_REDIS_ADDR"]; ok {
				t.Errorf("%s gets Redis settings; migrations need ClickHouse only", what)
			}
			if _, ok := env["LAPOR_CLICKHOUSE_ADDR"]; ok || w.kind == "Job" {
				check(what, c, wantCH, "LAPOR_CLICKHOUSE_PASSWORD", ch)
			} else if secret(c, "LAPOR_CLICKHOUSE_PASSWORD") != nil {
				t.Errorf("%s gets the ClickHouse password without talking to ClickHouse", what)
			}
		}
	}
}

// checkScaling checks the autoscalers against their Deployments.
func checkScaling(t *testing.T, r *release) {
	t.Helper()
	byName := map[string]*appsv1.Deployment{}
	for _, d := range r.deployments {
		byName[d.Name] = d
	}
	scaled := map[string]bool{}
	for _, h := range r.hpas {
		ref := h.Spec.ScaleTargetRef
		d, ok := byName[ref.Name]
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || !ok {
			t.Errorf("HorizontalPodAutoscaler %s scales %s %s %q, which the release does not have", h.Name, ref.APIVersion, ref.Kind, ref.Name)
			continue
		}
		scaled[d.Name] = true
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
			t.Errorf("HorizontalPodAutoscaler %s: replicas from %v to %d", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		if len(h.Spec.Metrics) == 0 {
			t.Errorf("HorizontalPodAutoscaler %s has no metric", h.Name)
		}
		if d.Spec.Replicas != nil {
			t.Errorf("Deployment %s sets replicas while %s scales it: every upgrade would reset the autoscaler's count", d.Name, h.Name)
		}
	}
	for _, d := range r.deployments {
		if !scaled[d.Name] && d.Spec.Replicas == nil {
			t.Errorf("Deployment %s has neither replicas nor an autoscaler", d.Name)
		}
	}
}

// notInChart are settings the services read that the chart leaves to the
// code on purpose, and why.
var notInChart = map[string]string{
	"LAPOR_MIGRATE_ON_START": "the chart's pre-install and pre-upgrade Job applies the migrations, once, before the services roll out",
}

// unused are settings a command binds (through config.BindCommon) but
// never uses, so the chart does not give them: the ingest faces the
// Internet and never opens ClickHouse, so it gets neither its address nor
// its password. Each holds as long as the command's source does not
// import the package that would use the settings; the test checks that.
var unused = []struct {
	command, prefix, pkg, dir string
}{
	{"ingest", "LAPOR_CLICKHOUSE_", "github.com/lapor/lapor/services/shared/clickhouse", "services/ingest"},
}

// imports says whether any non-test Go file under dir imports pkg.
func imports(t *testing.T, dir, pkg string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), strconv.Quote(pkg)) {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return found
}

// leftOut says why the chart does not give cmd the setting env, or "".
func leftOut(t *testing.T, cmd, env string) string {
	if why, ok := notInChart[env]; ok {
		return why
	}
	for _, u := range unused {
		if u.command == cmd && strings.HasPrefix(env, u.prefix) {
			if imports(t, u.dir, u.pkg) {
				t.Errorf("%s now imports %s: give it the %s* settings in the chart, and drop its entry in unused", u.dir, u.pkg, u.prefix)
				return ""
			}
			return "unused by " + cmd
		}
	}
	return ""
}

// TestChartSetsEverySettingTheCodeReads checks that every setting each
// service reads can be set from values.yaml: rendered, by at least one of
// the value sets, into the service's container.
func TestChartSetsEverySettingTheCodeReads(t *testing.T) {
	given := map[string]map[string]bool{} // command → variables
	for _, set := range valueSets {
		r := renderRelease(t, "lapor", readValueSet(t, set))
		for _, d := range r.deployments {
			for _, c := range d.Spec.Template.Spec.Containers {
				cmd := command(c)
				if given[cmd] == nil {
					given[cmd] = map[string]bool{}
				}
				for _, e := range c.Env {
					given[cmd][e.Name] = true
				}
			}
		}
	}
	for _, cmd := range []string{"ingest", "worker", "detector", "web"} {
		if given[cmd] == nil {
			t.Errorf("no Deployment runs %s", cmd)
			continue
		}
		settings := settingsOf(t, cmd)
		for _, env := range slices.Sorted(maps.Keys(settings)) {
			if given[cmd][env] || leftOut(t, cmd, env) != "" {
				continue
			}
			t.Errorf("%s reads %s (-%s: %s), which no value of the chart sets", cmd, env, settings[env].Flag, settings[env].Usage)
		}
	}
}

// chartWiring are settings whose chart value is the deployment's own, not
// a copy of the code's default.
var chartWiring = map[string]string{
	"LAPOR_HTTP_ADDR":       "every address of the pod, not loopback",
	"LAPOR_REDIS_ADDR":      "the operator's Redis",
	"LAPOR_CLICKHOUSE_ADDR": "the operator's ClickHouse",
	"LAPOR_INGEST_URL":      "this release's ingest Service",
	"LAPOR_TRUSTED_PROXIES": "the operator's ingress (testdata/single.yaml)",
}

// TestChartDefaultsAreTheCodes checks that values.yaml's tuning settings
// are the code's defaults, so that the chart does not quietly hold on to a
// default the code has since changed. Where the chart means to differ,
// chartWiring says why.
func TestChartDefaultsAreTheCodes(t *testing.T) {
	r := renderRelease(t, "lapor", readValueSet(t, "single"))
	for _, d := range r.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			settings := settingsOf(t, command(c))
			for env, value := range plainEnv(c) {
				if _, ok := chartWiring[env]; ok {
					continue
				}
				s, ok := settings[env]
				if !ok {
					continue // checkEnv reports it
				}
				if !sameSetting(s, value) {
					t.Errorf("%s: values.yaml gives %s = %q, the code's default is %q", d.Name, env, value, s.Def)
				}
			}
		}
	}
}
