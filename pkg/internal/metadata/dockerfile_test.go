package metadata

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/runnerns"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
)

// instructions gives one Dockerfile instruction per entry.
var instructions = runnerns.DockerfileInstructions

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

// imageFiles lays out the image as the Dockerfile in repo builds it around a
// stand-in binary, and returns its root and the stand-in's bytes.
func imageFiles(t *testing.T, repo string) (string, []byte) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oidc-aws")
	want := []byte("the binary\n")
	if err := os.WriteFile(bin, want, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := runnerns.Image(repo, bin, dst); err != nil {
		t.Fatal(err)
	}
	return dst, want
}

// regularFiles lists the regular files under root.
func regularFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	return out
}

// The image holds the binary once, at action.yml's entrypoint (the
// Dockerfile's ENTRYPOINT too), and the post entrypoint the binary knows
// (jobfiles.PostEntrypoint) as a link to it.
func TestTheImageHasBothEntrypointsAndOneBinary(t *testing.T) {
	repo, err := runnerns.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	entry, err := runnerns.ActionEntrypoints(repo)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Main != "/oidc-aws" {
		t.Errorf("runs.entrypoint is %q, want /oidc-aws, the Dockerfile's ENTRYPOINT: ARC's v0.8 container hooks refuse an action without one", entry.Main)
	}
	if entry.Post != jobfiles.PostEntrypoint {
		t.Errorf("runs.post-entrypoint is %q, but the binary knows its post step as %s", entry.Post, jobfiles.PostEntrypoint)
	}
	root, want := imageFiles(t, repo)
	main := filepath.Join(root, entry.Main)
	if st, err := os.Lstat(main); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("%s in the image: %v, %v; want the binary", entry.Main, st, err)
	}
	if b, _ := os.ReadFile(main); !bytes.Equal(b, want) {
		t.Errorf("%s in the image is not the built binary", entry.Main)
	}
	post := filepath.Join(root, entry.Post)
	if st, err := os.Lstat(post); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("%s in the image: %v, %v; want a symlink to %s", entry.Post, st, err, entry.Main)
	}
	ms, _ := os.Stat(main)
	if ps, err := os.Stat(post); err != nil || !os.SameFile(ms, ps) {
		t.Errorf("%s in the image does not lead to %s: %v", entry.Post, entry.Main, err)
	}
	if files := regularFiles(t, root); len(files) != 1 {
		t.Errorf("the image holds %d regular files, want the one binary: %q", len(files), files)
	}
}

// BuildKit's COPY follows a symlink named as its source: copying the post
// entrypoint by name would ship a second copy of the binary. The layout
// rebuilt from the Dockerfile shows it, so the test above would fail.
func TestImageCopiesANamedLinkAsAFile(t *testing.T) {
	repo := t.TempDir()
	dockerfile := "FROM golang AS build\nRUN go build -o /out/oidc-aws ./cmd/oidc-aws\nRUN ln -s oidc-aws /out/oidc-aws-post\n" +
		"FROM scratch\nCOPY --from=build /out/oidc-aws /oidc-aws\nCOPY --from=build /out/oidc-aws-post /oidc-aws-post\n"
	if err := os.WriteFile(filepath.Join(repo, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	root, _ := imageFiles(t, repo)
	if files := regularFiles(t, root); len(files) != 2 {
		t.Errorf("regular files %q, want 2: the named link copied as a file", files)
	}
}
