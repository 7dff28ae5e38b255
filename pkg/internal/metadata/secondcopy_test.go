package metadata

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// secondCopies lists the packages of deps that the standard library already
// links its own copy of: Go vendors a few golang.org/x packages as
// vendor/golang.org/x/..., and a module dependency on the same package puts
// a second copy of its code and tables in the binary.
func secondCopies(deps []string) []string {
	var dup []string
	for _, p := range deps {
		if !strings.HasPrefix(p, "vendor/") && slices.Contains(deps, "vendor/"+p) {
			dup = append(dup, p)
		}
	}
	return dup
}

func TestShippedBinaryLinksNoSecondCopyOfStdPackages(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "github.com/org/oidc-aws-action/cmd/oidc-aws")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/oidc-aws: %v\n%s", err, stderr.String())
	}
	deps := strings.Fields(string(out))
	if !slices.ContainsFunc(deps, func(p string) bool { return strings.HasPrefix(p, "vendor/") }) {
		t.Fatalf("go list -deps names no vendored standard-library package; the check below would prove nothing:\n%s", out)
	}
	for _, p := range secondCopies(deps) {
		t.Errorf("cmd/oidc-aws links %s beside the standard library's vendor/%s; use what the standard library exports, or write the small part needed (as pkg/stsexchange/proxy.go does for httpproxy)", p, p)
	}
}

func TestSecondCopiesAreFound(t *testing.T) {
	deps := []string{
		"net/http",
		"vendor/golang.org/x/net/idna",
		"vendor/golang.org/x/text/unicode/norm",
		"golang.org/x/net/idna",
		"golang.org/x/net/http/httpproxy",
		"golang.org/x/crypto/x509roots/fallback",
	}
	got := secondCopies(deps)
	if want := []string{"golang.org/x/net/idna"}; !slices.Equal(got, want) {
		t.Errorf("secondCopies = %q, want %q", got, want)
	}
}
