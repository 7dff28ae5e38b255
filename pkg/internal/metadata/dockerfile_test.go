package metadata

import (
	"regexp"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// instructions joins continuation lines and drops comments, giving one
// Dockerfile instruction per entry.
func instructions(dockerfile string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(dockerfile, "\n") {
		t := strings.TrimSpace(l)
		if cur.Len() == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, `\`) {
			cur.WriteString(strings.TrimSpace(strings.TrimSuffix(t, `\`)) + " ")
			continue
		}
		cur.WriteString(t)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

var (
	pinnedBuilder = regexp.MustCompile(`^FROM (--platform=\S+ )?golang:(\d+\.\d+)(\.\d+)?(-[a-z0-9.]+)?@sha256:[0-9a-f]{64} AS \w+$`)
	goDirective   = regexp.MustCompile(`(?m)^go (\d+\.\d+)`)
)

// TestDockerfileBuildsWhatTheTestsTest keeps the Dockerfile and
// sandbox.BuildFlags (what every binary test builds with) the same, so that
// the static-binary and CA tests here speak for the shipped image.
func TestDockerfileBuildsWhatTheTestsTest(t *testing.T) {
	ins := instructions(string(readRepoFile(t, "Dockerfile")))
	var froms, builds []string
	var entrypoint string
	for _, in := range ins {
		switch word := strings.ToUpper(strings.Fields(in)[0]); word {
		case "FROM":
			froms = append(froms, in)
		case "RUN":
			if strings.Contains(in, "go build") {
				builds = append(builds, in)
			}
		case "ENTRYPOINT":
			entrypoint = in
		case "USER":
			t.Errorf("Dockerfile has %q: GitHub runs container actions as root so they can write the runner's files; remove it", in)
		}
	}
	if len(froms) < 2 {
		t.Fatalf("Dockerfile has %d FROM lines, want a builder and a final stage", len(froms))
	}
	m := pinnedBuilder.FindStringSubmatch(froms[0])
	if m == nil {
		t.Errorf("builder %q is not golang:VERSION@sha256:DIGEST AS name; pin it by digest", froms[0])
	} else if mod := goDirective.FindStringSubmatch(string(readRepoFile(t, "go.mod"))); mod == nil || mod[1] != m[2] {
		t.Errorf("builder image is Go %s but go.mod says %v; the image sets GOTOOLCHAIN=local, so they must agree", m[2], mod)
	}
	if last := froms[len(froms)-1]; last != "FROM scratch" {
		t.Errorf("final stage is %q, want FROM scratch", last)
	}
	if entrypoint != `ENTRYPOINT ["/oidc-aws"]` {
		t.Errorf(`entrypoint is %q, want exec form ENTRYPOINT ["/oidc-aws"] (no shell exists on scratch)`, entrypoint)
	}

	want := dockerfileBuildCommand()
	if len(builds) != 1 {
		t.Fatalf("Dockerfile has %d RUN lines with go build, want 1", len(builds))
	}
	if !strings.Contains(builds[0], want) || !strings.Contains(builds[0], "CGO_ENABLED=0") {
		t.Errorf("Dockerfile builds with\n  %s\nwant CGO_ENABLED=0 and\n  %s\n(sandbox.BuildFlags, which the tests build with; change both together)", builds[0], want)
	}
}

// dockerfileBuildCommand is sandbox.BuildFlags as a shell command, with the
// version the Dockerfile takes from its VERSION build argument.
func dockerfileBuildCommand() string {
	parts := []string{"go"}
	for _, f := range sandbox.BuildFlags {
		f = strings.ReplaceAll(f, "main.version=test", "main.version=${VERSION}")
		if strings.Contains(f, " ") {
			f = `"` + f + `"`
		}
		parts = append(parts, f)
	}
	return strings.Join(parts, " ")
}

func TestInstructionsJoinsContinuationsAndDropsComments(t *testing.T) {
	got := instructions("# c\nFROM a AS b\n\nRUN x \\\n    y \\\n && z\n# d\nENTRYPOINT [\"/e\"]\n")
	want := []string{"FROM a AS b", "RUN x y && z", `ENTRYPOINT ["/e"]`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("instructions = %q, want %q", got, want)
	}
}
