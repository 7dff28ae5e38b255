package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// debug-claims gives the claims as JSON that `oidc-aws policy explain
// --claims FILE` accepts as is: the claims-json step output, and the same
// JSON in the log group, so a user can copy either into a file.
func TestDebugClaimsJSONFeedsExplain(t *testing.T) {
	r := runAction(t, sandbox.Options{Claims: map[string]any{"environment": "production"}}, map[string]string{"role-to-assume": "", "debug-claims": "true"})
	r.wantExit(t, 0)
	r.secretsNeverVisible(t)
	out := r.res.Outputs["claims-json"]
	if out == "" || strings.ContainsAny(out, "\r\n") {
		t.Fatalf("claims-json output = %q, want one line of JSON; outputs %v", out, r.res.Outputs)
	}
	var fromOutput map[string]any
	if err := json.Unmarshal([]byte(out), &fromOutput); err != nil {
		t.Fatalf("claims-json is not JSON: %v\n%s", err, out)
	}
	if fromOutput["sub"] != "repo:octo-org/octo-repo:environment:production" {
		t.Errorf("claims-json sub = %v", fromOutput["sub"])
	}

	// The log's JSON block, as a user would copy it from the log group.
	log := r.log.Text()
	start := strings.Index(log, "(also the claims-json output):\n")
	if start < 0 {
		t.Fatalf("the log has no JSON block:\n%s", log)
	}
	block := log[start+len("(also the claims-json output):\n"):]
	if end := strings.Index(block, "\n  }\n"); end >= 0 {
		block = block[:end+len("\n  }\n")]
	}
	var fromLog map[string]any
	if err := json.Unmarshal([]byte(block), &fromLog); err != nil {
		t.Fatalf("the log's JSON block is not JSON: %v\n%s", err, block)
	}
	if !reflect.DeepEqual(fromLog, fromOutput) {
		t.Errorf("log block and output differ:\n%v\n%v", fromLog, fromOutput)
	}

	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("claims.json", out)
	write("log-claims.json", block)
	host := strings.TrimPrefix(fromOutput["iss"].(string), "https://")
	write("trust.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+host+`"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{
		"`+host+`:aud":"sts.amazonaws.com","`+host+`:sub":"repo:octo-org/octo-repo:environment:production"}}}]}`)
	for _, file := range []string{"claims.json", "log-claims.json"} {
		stdout, stderr := cli(t, dir, "policy", "explain", "--policy", "trust.json", "--claims", file)
		if !strings.Contains(string(stdout), "decision: allowed") {
			t.Errorf("explain --claims %s did not allow:\n%s%s", file, stdout, stderr)
		}
	}
}
