package metadata

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// .ci/cross-build builds the CLI release.yml publishes for each platform.
// These tests keep its flags those of the image's binary, its targets the
// published ones, and the Windows build the policy CLI only.

const modulePath = "github.com/org/oidc-aws-action"

// releaseTargets are the platforms the README offers a binary for.
var releaseTargets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

func TestCrossBuildBuildsWhatTheDockerfileBuilds(t *testing.T) {
	script := string(readRepoFile(t, ".ci/cross-build"))
	var builds []string
	for _, in := range instructions(script) {
		if strings.Contains(in, "go build") {
			builds = append(builds, in)
		}
	}
	if len(builds) != 1 {
		t.Fatalf(".ci/cross-build has %d go build commands, want 1: %q", len(builds), builds)
	}
	if want := dockerfileBuildCommand(); !strings.Contains(builds[0], want) || !strings.Contains(builds[0], "CGO_ENABLED=0") {
		t.Errorf(".ci/cross-build builds with\n  %s\nwant CGO_ENABLED=0 and\n  %s\n(the Dockerfile's flags and sandbox.BuildFlags; change all three together)", builds[0], want)
	}
	m := regexp.MustCompile(`(?m)^targets="([^"]*)"$`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal(`.ci/cross-build has no targets="…" line`)
	}
	if got := strings.Fields(m[1]); !slices.Equal(got, releaseTargets) {
		t.Errorf(".ci/cross-build builds %v, want %v", got, releaseTargets)
	}
}

// Each place that builds or checks the binaries goes through the script,
// so none can drift to other flags or targets.
func TestCrossBuildRunsInCIAndTheRelease(t *testing.T) {
	for _, f := range []string{".ci/run", ".github/workflows/ci.yml", ".github/workflows/release.yml"} {
		if !strings.Contains(string(readRepoFile(t, f)), ".ci/cross-build ") {
			t.Errorf("%s does not run .ci/cross-build", f)
		}
	}
	release := string(readRepoFile(t, ".github/workflows/release.yml"))
	for _, want := range []string{"sha256sum", "cosign sign-blob", "cosign verify-blob", "SHA256SUMS.sigstore.json"} {
		if !strings.Contains(release, want) {
			t.Errorf("release.yml has no %q: the binaries must be published with a signed SHA256SUMS", want)
		}
	}
	create := regexp.MustCompile(`(?m)^\s*gh release create .*$`).FindString(release)
	for _, asset := range []string{"dist/oidc-aws-*", "dist/SHA256SUMS", "dist/SHA256SUMS.sigstore.json"} {
		if !strings.Contains(create, asset) {
			t.Errorf("release.yml's `gh release create` does not attach %s:\n%s", asset, create)
		}
	}
}

// modulePackages lists the module's packages that pkgs import, directly or
// not, when built for goos/amd64, from `go list -deps`: it reads build
// constraints without compiling anything.
func modulePackages(t *testing.T, goos string, pkgs ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("GOOS=%s go list -deps %v: %v\n%s", goos, pkgs, err, stderr)
	}
	var mine []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, modulePath+"/") {
			mine = append(mine, strings.TrimPrefix(p, modulePath+"/"))
		}
	}
	return mine
}

// unixOnly are the packages that decide what is safe from Unix file
// owners, O_NOFOLLOW and flock, and so are left out of the Windows build.
var unixOnly = []string{"pkg/action", "pkg/credprocess", "pkg/awsprofile", "pkg/jobdir", "pkg/jobfiles"}

func TestWindowsBuildIsThePolicyCLIOnly(t *testing.T) {
	deps := modulePackages(t, "windows", "./cmd/oidc-aws")
	for _, p := range unixOnly {
		if slices.Contains(deps, p) {
			t.Errorf("the Windows build imports %s; it must be the policy CLI only (cmd/oidc-aws/platform_windows.go)", p)
		}
	}
	// Nothing beyond what policy and the output neutraliser need: a new
	// import in main that Windows cannot build shows here, not at release.
	allowed := modulePackages(t, "windows", "./pkg/policycmd", "./pkg/workflow")
	for _, p := range deps {
		if p != "cmd/oidc-aws" && !slices.Contains(allowed, p) {
			t.Errorf("the Windows build imports %s, which `oidc-aws policy` does not need", p)
		}
	}
	if !slices.Contains(deps, "pkg/policycmd") {
		t.Errorf("the Windows build does not import pkg/policycmd: %v", deps)
	}
}

// macOS runners run credential-process, so darwin gets the whole program.
func TestDarwinBuildIsTheWholeProgram(t *testing.T) {
	deps := modulePackages(t, "darwin", "./cmd/oidc-aws")
	for _, p := range append([]string{"pkg/policycmd"}, unixOnly...) {
		if !slices.Contains(deps, p) {
			t.Errorf("the darwin build does not import %s", p)
		}
	}
}
