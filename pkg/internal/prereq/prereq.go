// Package prereq ends a test that needs something of the machine it runs
// on (root, util-linux's unshare, the AWS CLI v2) and finds it missing: a
// skip on a developer's machine, but a failure under CI. CI installs all
// of them, so a missing one there is a broken install, and a skip would
// turn the run green while proving nothing.
package prereq

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// underCI reports whether this is a CI run: CI=true, as GitHub Actions and
// most other CI systems set it.
func underCI() bool { return os.Getenv("CI") == "true" }

// Missing ends t because something it needs is missing, which args say:
// it skips, or under CI fails.
func Missing(t testing.TB, args ...any) {
	t.Helper()
	why := strings.TrimSuffix(fmt.Sprintln(args...), "\n") // spaced as t.Skip spaces them
	if underCI() {
		t.Fatal("CI=true, so a missing prerequisite fails: " + why)
		return
	}
	t.Skip(why)
}

// AWSCLIv2 returns the path of the AWS CLI v2 (Debian's awscli package,
// which CI installs), or ends t by Missing. An older CLI earlier in PATH
// is passed over.
func AWSCLIv2(t testing.TB) string {
	t.Helper()
	path := findAWSCLIv2()
	if path == "" {
		Missing(t, "no AWS CLI v2 in PATH, /usr/bin or /usr/local/bin (apt-get install awscli)")
	}
	return path
}

// findAWSCLIv2 looks once: `aws --version` alone takes a second.
var findAWSCLIv2 = sync.OnceValue(func() string {
	for _, p := range []string{"aws", "/usr/bin/aws", "/usr/local/bin/aws"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/2.") {
			return path
		}
	}
	return ""
})

// MotoServer returns the path of moto_server (pip's moto[server], which CI
// machines have preinstalled; PyPI may be out of reach there), or ends t
// by Missing.
func MotoServer(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		Missing(t, "no moto_server in PATH (pip install 'moto[server]')")
	}
	return path
}
