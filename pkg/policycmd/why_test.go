package policycmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every bad example in issue 10's "Why" must make lint exit non-zero with
// its defaults, so that a pull-request gate stops it.
func TestLintFailsEveryBadExample(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	const fed = `"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}`
	stmt := func(action, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + fed + `,"Action":"` + action + `","Condition":` + cond + `}]}`
	}
	pinned := `"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:my-org@1/app@2:ref:refs/heads/main"`
	tests := []struct {
		name, policy, rule string
	}{
		{"an org-wide subject", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{"`+k+`aud":"sts.amazonaws.com"},"StringLike":{"`+k+`sub":"repo:my-org/*"}}`), "error OIDC003"},
		{"a subject for every repository anywhere", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{"`+k+`aud":"sts.amazonaws.com"},"StringLike":{"`+k+`sub":"repo:*"}}`), "error OIDC002"},
		{"Action sts:AssumeRole only", stmt("sts:AssumeRole", `{"StringEquals":{`+pinned+`}}`), "error OIDC015"},
		{"a repository_owner condition", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{`+pinned+`,"`+k+`repository_owner":"my-org"}}`), "error OIDC016"},
		{"a ref_type condition", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{`+pinned+`,"`+k+`ref_type":"branch"}}`), "error OIDC016"},
		{"an event_name condition", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{`+pinned+`,"`+k+`event_name":"push"}}`), "error OIDC016"},
		{"a head_ref condition", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{`+pinned+`,"`+k+`head_ref":"feature"}}`), "error OIDC016"},
		{"a runner_environment condition", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{`+pinned+`,"`+k+`runner_environment":"github-hosted"}}`), "error OIDC016"},
		{"a repository_visibility condition", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{`+pinned+`,"`+k+`repository_visibility":"private"}}`), "error OIDC016"},
		{"a Deny guard with StringNotEquals on a keyless claim", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{` + pinned + `}}},` +
			`{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringNotEquals":{"` + k + `repository_owner":"my-org"}}}]}`, "error OIDC016"},
		{"explain's old fix, every context of a repository", stmt("sts:AssumeRoleWithWebIdentity", `{"StringEquals":{"`+k+`aud":"sts.amazonaws.com"},"StringLike":{"`+k+`sub":"repo:my-org@1/app@2:*"}}`), "warning OIDC004"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.policy, "lint", "-")
			if code != ExitFindings || !strings.Contains(out, tt.rule+" -:") {
				t.Errorf("exit %d, want 1 with %q\n%s%s", code, tt.rule, out, errOut)
			}
		})
	}

	t.Run("a missing file", func(t *testing.T) {
		for _, format := range []string{"text", "json", "sarif"} {
			code, out, _ := run(t, "", "lint", "--format", format, "testdata/nope.json")
			if code == ExitOK || strings.Contains(out, "no findings in 1 file") {
				t.Errorf("--format %s: exit %d\n%s", format, code, out)
			}
		}
	})
	t.Run("a terraform plan over 1 MiB", func(t *testing.T) {
		path := writePlan(t, 3000, 512)
		if st, _ := os.Stat(path); st.Size() < 1800_000 {
			t.Fatalf("the plan is only %d bytes", st.Size())
		}
		code, out, errOut := run(t, "", "lint", path)
		if code != ExitFindings || !strings.Contains(out, `error OIDC003 `+path+`:1 "aws_iam_role.deploy" statement #1`) || strings.Contains(out, "lambda") {
			t.Errorf("exit %d, want 1 and OIDC003 on line 1 (terraform prints one line)\n%s%s", code, out, errOut)
		}
	})
}

// writePlan writes a `terraform show -json` plan, compact as terraform
// prints it, with one role whose trust policy is org-wide, a Lambda role,
// and n S3 objects of about size bytes of content each.
func writePlan(t testing.TB, n, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(path, plan(n, size), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func plan(n, size int) []byte {
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:my-org/*"}}}]}`
	type resource struct {
		Address string         `json:"address"`
		Mode    string         `json:"mode"`
		Type    string         `json:"type"`
		Name    string         `json:"name"`
		Values  map[string]any `json:"values"`
	}
	resources := []resource{{Address: "aws_iam_role.deploy", Mode: "managed", Type: "aws_iam_role", Name: "deploy",
		Values: map[string]any{"name": "deploy", "assume_role_policy": policy, "max_session_duration": 3600}},
		// A role that is not for OIDC, as real plans hold: it must draw
		// no finding.
		{Address: "aws_iam_role.lambda", Mode: "managed", Type: "aws_iam_role", Name: "lambda",
			Values: map[string]any{"name": "lambda", "assume_role_policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}}
	content := strings.Repeat("x", size)
	for i := range n {
		resources = append(resources, resource{Address: fmt.Sprintf("aws_s3_object.asset[%d]", i), Mode: "managed", Type: "aws_s3_object", Name: "asset",
			Values: map[string]any{"bucket": "assets", "key": fmt.Sprintf("static/%d.js", i), "content": content,
				"tags": map[string]string{"team": "web", "index": fmt.Sprint(i)}, "content_type": "application/javascript"}})
	}
	changes := make([]map[string]any, 0, len(resources))
	for _, r := range resources {
		changes = append(changes, map[string]any{"address": r.Address, "type": r.Type, "change": map[string]any{"actions": []string{"create"}, "after": r.Values}})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	_ = enc.Encode(map[string]any{
		"format_version":   "1.2",
		"planned_values":   map[string]any{"root_module": map[string]any{"resources": resources}},
		"resource_changes": changes,
	})
	return b.Bytes()
}

// BenchmarkLintTerraformPlan lints plans of 118 and 139 MiB from disk, as
// `oidc-aws policy lint plan.json` does: read, parse, lint, write. The two
// shapes differ in memory: few large resources cost about the file, many
// small ones the file and their decoding (README, "policy lint").
func BenchmarkLintTerraformPlan(b *testing.B) {
	for _, shape := range []struct {
		name          string
		objects, size int
	}{
		{"50k-objects-of-1KB", 50_000, 1000},
		{"300k-small-objects", 300_000, 1},
	} {
		b.Run(shape.name, func(b *testing.B) {
			path := writePlan(b, shape.objects, shape.size)
			st, _ := os.Stat(path)
			b.SetBytes(st.Size())
			b.ReportAllocs()
			for b.Loop() {
				var out, errOut bytes.Buffer
				if code := Run([]string{"lint", "--fail-on", "none", path}, nil, &out, &errOut); code != ExitOK {
					b.Fatalf("exit %d: %s", code, errOut.String())
				}
			}
		})
	}
}

// generate's output, JSON or through terraform's plan form, lints clean at
// every severity: no tool recommends what another flags.
func TestGenerateOutputLintsClean(t *testing.T) {
	for _, args := range [][]string{
		{"--repo", "octo-org/octo-repo", "--repository-id", "2000002", "--branch", "main", "--pull-request"},
		{"--repo", "octo-org/octo-repo", "--repository-id", "2000002", "--owner-id", "1000001", "--environment", "production", "--tag", "v*"},
		{"--repo", "octo-org@1000001/octo-repo@2000002", "--branch", "release/*"},
		{"--repo", "octo-org/octo-repo", "--repository-id", "2000002", "--owner-id", "1000001", "--branch", "main",
			"--issuer", "https://ghes.example.com/_services/token", "--provider-arn", "arn:aws:iam::123456789012:oidc-provider/ghes.example.com/_services/token"},
	} {
		if !strings.Contains(strings.Join(args, " "), "--provider-arn") {
			args = append(args, "--account", "123456789012")
		}
		code, policy, errOut := run(t, "", append([]string{"generate"}, args...)...)
		if code != ExitOK {
			t.Fatalf("generate %v: exit %d: %s", args, code, errOut)
		}
		code, out, errOut := run(t, policy, "lint", "--fail-on", "info", "-")
		if code != ExitOK || out != "no findings in 1 file\n" {
			t.Errorf("generate %v draws findings (exit %d):\n%s%s\n%s", args, code, out, errOut, policy)
		}
	}
}
