package metadata

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// internalPrefix is the import path below which the stand-ins, the demo and
// the test harness live. None of it may reach the action's binary: the image
// handles credentials, and a fake STS or token signer has no place in it.
const internalPrefix = "github.com/org/oidc-aws-action/pkg/internal/"

// TestShippedBinaryLinksNoStandIn checks both what the build graph says and
// what the binary holds: Go keeps every linked function's package path in
// the pclntab, which -s -w does not strip, so a stand-in that slipped in
// would show up by name.
func TestShippedBinaryLinksNoStandIn(t *testing.T) {
	// Go itself refuses to build a main outside pkg/ that imports
	// pkg/internal; that refusal lands here as a failed go list.
	cmd := exec.Command("go", "list", "-deps", "github.com/org/oidc-aws-action/cmd/oidc-aws")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/oidc-aws: %v\n%s", err, stderr.String())
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, internalPrefix) {
			t.Errorf("cmd/oidc-aws depends on %s, which is a stand-in or test harness; the action must not import pkg/internal", pkg)
		}
	}
	if !strings.Contains(string(out), "github.com/org/oidc-aws-action/pkg/action") {
		t.Fatalf("go list -deps did not list pkg/action; the check above saw nothing:\n%s", out)
	}

	bin, err := os.ReadFile(shippedBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bin, []byte("github.com/org/oidc-aws-action/pkg/action.")) {
		t.Fatal("the binary names no function of pkg/action; the scan below would prove nothing")
	}
	if i := bytes.Index(bin, []byte(internalPrefix)); i >= 0 {
		end := min(len(bin), i+len(internalPrefix)+40)
		t.Errorf("the shipped binary contains %q: a stand-in was linked in", bin[i:end])
	}
}
