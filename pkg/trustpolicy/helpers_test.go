package trustpolicy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from current output")

const ghIssuer = "https://token.actions.githubusercontent.com"
const ghProvider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

// baseClaims is a push to main in octo-org/octo-repo, as GitHub issues it.
func baseClaims() map[string]any {
	return map[string]any{
		"iss":                 ghIssuer,
		"sub":                 "repo:octo-org/octo-repo:ref:refs/heads/main",
		"aud":                 "sts.amazonaws.com",
		"ref":                 "refs/heads/main",
		"ref_type":            "branch",
		"ref_protected":       "true",
		"repository":          "octo-org/octo-repo",
		"repository_owner":    "octo-org",
		"repository_id":       "2000002",
		"repository_owner_id": "1000001",
		"event_name":          "push",
		"actor":               "octocat",
		"workflow_ref":        "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		"job_workflow_ref":    "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
		"runner_environment":  "github-hosted",
	}
}

// withClaims copies baseClaims and applies changes; a nil value deletes.
func withClaims(changes map[string]any) map[string]any {
	c := baseClaims()
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func mustCompile(t testing.TB, doc string) *Compiled {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	c, err := p.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readClaims(t testing.TB, path string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, path), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (rerun with -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
