package policycmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Lint's line numbers must be right or absent, never wrong: a code-scanning
// annotation on the wrong line sends the reviewer to the wrong statement.
func TestLintLinesAreRightOrAbsent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const fed = `"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},`
	// No Sids, and the offending value written with a JSON escape, so it
	// cannot be found as text: the finding belongs to statement 2's line.
	escaped := write("escaped.json", `{
  "Statement": [
    {
      "Effect": "Allow",
      `+fed+`
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:o@1/r@2:ref:refs/heads/main"}}
    },
    {
      "Effect": "Allow",
      `+fed+`
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:o@1/r@2:ref:refs/heads/\u002a"}}
    }
  ]
}
`)
	// The same value in two statements: each finding points into its own.
	repeated := write("repeated.json", `{
  "Statement": [
    {
      "Effect": "Allow",
      `+fed+`
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:o@1/r@2:*"}}
    },
    {
      "Effect": "Allow",
      `+fed+`
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:o@1/r@2:*"}}
    }
  ]
}
`)
	// A policy-wide finding points at the policy.
	assumeRole := write("assume-role.json", "\n\n{\"Statement\": {\"Effect\": \"Allow\", "+fed+" \"Action\": \"sts:AssumeRole\", \"Condition\": {\"StringEquals\": {\"token.actions.githubusercontent.com:aud\": \"sts.amazonaws.com\", \"token.actions.githubusercontent.com:sub\": \"repo:o@1/r@2:ref:refs/heads/main\"}}}}\n")
	tests := []struct {
		name string
		file string
		want []int // the line of each finding, in order; 0 = none
	}{
		// The URL-encoded document is one JSON string on line 8.
		{"url-encoded get-role output", "../trustpolicy/testdata/inputs/get-role-encoded.json", []int{8}},
		{"get-role output with the document inline", "../trustpolicy/testdata/inputs/get-role.json", []int{21}},
		{"an escaped value falls back to its statement", escaped, []int{9}},
		{"a repeated value is found in its own statement", repeated, []int{8, 15}},
		{"a policy-wide finding is on the policy's first line", assumeRole, []int{3}},
		{"terraform plan: each role's policy string", "testdata/terraform-plan.json", []int{16, 61, 79, 117}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out, errOut := run(t, "", "lint", "--format", "json", tt.file)
			var got struct{ Findings []jsonFinding }
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v\n%s%s", err, out, errOut)
			}
			var lines []int
			for _, f := range got.Findings {
				lines = append(lines, f.Line)
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("lines %v, want %v\n%s", lines, tt.want, out)
			}
			for i := range lines {
				if lines[i] != tt.want[i] {
					t.Errorf("finding %d (%s) on line %d, want %d", i, got.Findings[i].ID, lines[i], tt.want[i])
				}
			}
		})
	}
}

// FuzzLintLines: whatever the input, every finding's line is absent (0)
// or one of the input's lines.
func FuzzLintLines(f *testing.F) {
	for _, name := range []string{"testdata/org-wide.json", "testdata/terraform-plan.json", "../trustpolicy/testdata/inputs/get-role-encoded.json", "../trustpolicy/testdata/inputs/get-role.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\n\n{\"Statement\":\n[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out, errOut bytes.Buffer
		code := Run([]string{"lint", "--format", "json", "-"}, bytes.NewReader(data), &out, &errOut)
		if code == ExitUsage {
			return
		}
		var got struct{ Findings []jsonFinding }
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v\n%s", err, out.Bytes())
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, f := range got.Findings {
			if f.Line < 0 || f.Line > lines {
				t.Fatalf("finding %s on line %d of a %d-line input", f.ID, f.Line, lines)
			}
		}
	})
}
