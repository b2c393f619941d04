package deploy

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// No Docker engine here: these tests read the Dockerfile and
// .dockerignore and check the facts the images depend on.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, COPY, RUN, ...
	args string
}

// stage is one FROM and what follows it.
type stage struct {
	name, base string
	steps      []instruction
}

// readDockerfile splits the Dockerfile into stages. It knows comments and
// line continuations, which is all this Dockerfile uses.
func readDockerfile(t *testing.T) []stage {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatalf("open Dockerfile: %v", err)
	}
	defer f.Close()
	var stages []stage
	var pending string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && pending == "") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{base: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
			}
			continue
		}
		stages[len(stages)-1].steps = append(stages[len(stages)-1].steps, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read Dockerfile: %v", err)
	}
	return stages
}

// copyArgs splits a COPY's arguments into its --from, sources and
// destination.
func copyArgs(args string) (from string, srcs []string, dst string) {
	f := strings.Fields(args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		if v, ok := strings.CutPrefix(f[0], "--from="); ok {
			from = v
		}
		f = f[1:]
	}
	if len(f) < 2 {
		return from, nil, ""
	}
	return from, f[:len(f)-1], f[len(f)-1]
}

// workdir is a stage's last WORKDIR, following its bases within the file.
func workdir(stages []stage, s stage) string {
	dir := "/"
	for _, b := range stages {
		if b.name != "" && b.name == s.base {
			dir = workdir(stages, b)
		}
	}
	for _, in := range s.steps {
		if in.cmd == "WORKDIR" {
			dir = path.Join(dir, in.args)
		}
	}
	return dir
}

func stageNamed(t *testing.T, stages []stage, name string) stage {
	t.Helper()
	for _, s := range stages {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("Dockerfile has no stage %q", name)
	return stage{}
}

// workspaceModules are the folders go.work uses.
func workspaceModules(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "go.work"))
	if err != nil {
		t.Fatalf("read go.work: %v", err)
	}
	var dirs []string
	inUse := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "use (":
			inUse = true
		case inUse && line == ")":
			inUse = false
		case inUse && line != "":
			dirs = append(dirs, path.Clean(line))
		case strings.HasPrefix(line, "use "):
			dirs = append(dirs, path.Clean(strings.TrimSpace(strings.TrimPrefix(line, "use "))))
		}
	}
	if len(dirs) == 0 {
		t.Fatal("go.work uses no module")
	}
	return dirs
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(repoRoot, rel))
	return err == nil
}

// TestDockerfileBuildsTheFrontendOnce checks that npm runs in one stage
// only, and that the web's build takes the frontend from where Vite writes
// it.
func TestDockerfileBuildsTheFrontendOnce(t *testing.T) {
	stages := readDockerfile(t)
	for _, s := range stages {
		for _, in := range s.steps {
			if in.cmd == "RUN" && strings.Contains(in.args, "npm ") && s.name != "frontend" {
				t.Errorf("stage %q runs npm (%s); the frontend is built in its own stage only", s.name, in.args)
			}
		}
	}
	fe := stageNamed(t, stages, "frontend")
	if !slices.ContainsFunc(fe.steps, func(in instruction) bool { return in.cmd == "RUN" && strings.Contains(in.args, "npm run build") }) {
		t.Error("the frontend stage does not run npm run build")
	}
	vite, err := os.ReadFile(filepath.Join(repoRoot, "frontend", "vite.config.ts"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`outDir:\s*'([^']+)'`).FindSubmatch(vite)
	if m == nil {
		t.Fatal("frontend/vite.config.ts names no outDir")
	}
	built := path.Join(workdir(stages, fe), string(m[1]))
	copies := 0
	for _, s := range stages {
		for _, in := range s.steps {
			from, srcs, dst := copyArgs(in.args)
			if in.cmd != "COPY" || from != "frontend" {
				continue
			}
			copies++
			if len(srcs) != 1 || path.Clean(srcs[0]) != built {
				t.Errorf("stage %q copies %v from the frontend, which Vite builds to %s", s.name, srcs, built)
			}
			if got := path.Join(workdir(stages, s), dst); got != built {
				t.Errorf("stage %q puts the frontend in %s, want %s (the embed's folder)", s.name, got, built)
			}
		}
	}
	if copies != 1 {
		t.Errorf("%d stages copy the frontend's build, want 1", copies)
	}
}

// TestDockerfileDownloadsModulesFirst checks the module-download layer:
// go.work, go.work.sum and every workspace module's go.mod and go.sum are
// copied, and nothing else, before `go mod download`; the sources come
// after it.
func TestDockerfileDownloadsModulesFirst(t *testing.T) {
	stages := readDockerfile(t)
	dlAt := -1
	for i, s := range stages {
		if slices.ContainsFunc(s.steps, func(in instruction) bool { return in.cmd == "RUN" && strings.Contains(in.args, "go mod download") }) {
			dlAt = i
		}
	}
	if dlAt < 0 {
		t.Fatal("no stage runs go mod download")
	}
	dl := stages[dlAt]
	// The download stage and the stages it starts from, first to last.
	lineage := []stage{dl}
	for base := dl.base; ; {
		i := slices.IndexFunc(stages, func(s stage) bool { return s.name != "" && s.name == base })
		if i < 0 {
			break
		}
		lineage = append([]stage{stages[i]}, lineage...)
		base = stages[i].base
	}
	var copied []string
lineage:
	for _, s := range lineage {
		for _, in := range s.steps {
			if in.cmd == "RUN" && strings.Contains(in.args, "go mod download") {
				break lineage
			}
			from, srcs, dst := copyArgs(in.args)
			if in.cmd != "COPY" || from != "" {
				continue
			}
			for _, src := range srcs {
				switch path.Base(src) {
				case "go.mod", "go.sum", "go.work", "go.work.sum":
				default:
					t.Errorf("stage %q copies %s before go mod download: the download layer would change with every source edit", s.name, src)
				}
				if d := path.Clean(dst); path.Dir(src) != d {
					t.Errorf("stage %q copies %s to %s, not to its own folder", s.name, src, dst)
				}
				copied = append(copied, path.Clean(src))
			}
		}
	}
	want := []string{"go.work", "go.work.sum"}
	for _, dir := range workspaceModules(t) {
		for _, f := range []string{"go.mod", "go.sum"} {
			if p := path.Join(dir, f); exists(p) {
				want = append(want, p)
			}
		}
	}
	for _, w := range want {
		if !slices.Contains(copied, w) {
			t.Errorf("stage %q does not copy %s before go mod download", dl.name, w)
		}
	}
	// The stage that builds the services starts from the downloaded
	// modules.
	build := stageNamed(t, stages, "build")
	if build.base != dl.name {
		t.Errorf("the build stage starts from %q, not from the module download stage %q", build.base, dl.name)
	}
	for _, b := range binaries {
		pkg := "./services/" + b + "/cmd/" + b
		if !slices.ContainsFunc(build.steps, func(in instruction) bool { return in.cmd == "RUN" && strings.Contains(in.args, pkg) }) {
			t.Errorf("the build stage does not build %s", pkg)
		}
	}
}

// TestDockerfileImage checks the final image: the chart's non-root user,
// the service's binary, and the health check the compose file runs, built
// from a file that needs nothing but the standard library.
func TestDockerfileImage(t *testing.T) {
	stages := readDockerfile(t)
	final := stages[len(stages)-1]
	r := renderRelease(t, "lapor", readValueSet(t, "single"))
	uid := fmt.Sprint(r.values["podSecurityContext"].(map[string]any)["runAsUser"])
	var user string
	healthcheck, app := false, false
	for _, in := range final.steps {
		switch in.cmd {
		case "USER":
			user = in.args
		case "COPY":
			_, srcs, dst := copyArgs(in.args)
			healthcheck = healthcheck || dst == "/healthcheck"
			app = app || (dst == "/app" && len(srcs) == 1 && strings.Contains(srcs[0], "${SERVICE}"))
		case "ENTRYPOINT":
			if in.args != `["/app"]` {
				t.Errorf("ENTRYPOINT %s, want [\"/app\"]", in.args)
			}
		}
	}
	if strings.Split(user, ":")[0] != uid {
		t.Errorf("the image runs as USER %q, want the chart's runAsUser %s, by number", user, uid)
	}
	if !app || !healthcheck {
		t.Errorf("the final stage copies /app from the SERVICE's build %v and /healthcheck %v; want both", app, healthcheck)
	}

	// The health check is built from one file, alone.
	hc := stageNamed(t, stages, "healthcheck")
	for _, in := range hc.steps {
		if _, srcs, _ := copyArgs(in.args); in.cmd == "COPY" {
			for _, src := range srcs {
				fset := token.NewFileSet()
				f, err := parser.ParseFile(fset, filepath.Join(repoRoot, src), nil, parser.ImportsOnly)
				if err != nil {
					t.Fatalf("health check source %s: %v", src, err)
				}
				for _, imp := range f.Imports {
					p, _ := strconv.Unquote(imp.Path.Value)
					if first, _, _ := strings.Cut(p, "/"); strings.Contains(first, ".") {
						t.Errorf("%s imports %s: the Dockerfile builds it alone, with the standard library only", src, p)
					}
				}
			}
		}
	}

	// Every image the chart and compose run is one the build makes.
	for name, s := range readCompose(t) {
		if s.Build != nil && !slices.Contains(binaries, s.Build.Args["SERVICE"]) {
			t.Errorf("compose service %s builds SERVICE=%q, which the Dockerfile does not build", name, s.Build.Args["SERVICE"])
		}
	}
	for _, w := range r.workloads() {
		for _, c := range w.pod.Spec.Containers {
			if img := strings.Fields(command(c))[0]; !slices.Contains(binaries, img) {
				t.Errorf("%s %s runs image %s, which the Dockerfile does not build", w.kind, w.name, c.Image)
			}
		}
	}
}

// TestDockerignore checks that the build context leaves out local state
// and what the build makes itself, and keeps every file the Dockerfile
// copies from it.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatalf("open .dockerignore: %v", err)
	}
	patterns, err := ignorefile.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	ignored := func(p string) bool {
		m, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatalf("match %s: %v", p, err)
		}
		return m
	}
	for _, p := range []string{
		".git/HEAD", ".run/redis/appendonly.aof", "bin/web", "node_modules/x/package.json",
		"frontend/node_modules/vite/package.json", "frontend/screenshots/home-desktop.png",
		"services/web/internal/ui/dist/app/index.html", "services/web/web.test",
	} {
		if !ignored(p) {
			t.Errorf(".dockerignore sends %s", p)
		}
	}

	// What the Dockerfile copies from the context: each file it names,
	// and every file git tracks under each folder it names, but those of
	// modules outside go.work, which no image builds.
	var sources []string
	for _, s := range readDockerfile(t) {
		for _, in := range s.steps {
			if from, srcs, _ := copyArgs(in.args); in.cmd == "COPY" && from == "" {
				sources = append(sources, srcs...)
			}
		}
	}
	uses := workspaceModules(t)
	for _, src := range sources {
		src = path.Clean(src)
		info, err := os.Stat(filepath.Join(repoRoot, src))
		if err != nil {
			t.Errorf("the Dockerfile copies %s, which does not exist", src)
			continue
		}
		if !info.IsDir() {
			if ignored(src) {
				t.Errorf(".dockerignore leaves out %s, which the Dockerfile copies", src)
			}
			continue
		}
		out, err := exec.Command("git", "-C", repoRoot, "ls-files", "--", src).Output()
		if err != nil {
			t.Skipf("git ls-files %s: %v (not a git checkout?): the folders the Dockerfile copies are not checked", src, err)
		}
		for _, file := range strings.Fields(string(out)) {
			if ignored(file) && !outsideWorkspace(file, uses) {
				t.Errorf(".dockerignore leaves out %s, which the build needs (under %s)", file, src)
			}
		}
	}
}

// outsideWorkspace says whether file belongs to a module go.work does not
// use (services/deploy).
func outsideWorkspace(file string, uses []string) bool {
	for dir := path.Dir(file); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if exists(path.Join(dir, "go.mod")) {
			return !slices.Contains(uses, dir)
		}
	}
	return false
}
