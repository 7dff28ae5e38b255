package trustpolicy

import (
	"bytes"
	"strings"
	"testing"
)

func TestExplainText(t *testing.T) {
	tests := []struct {
		name, policy, claims string
		allowed              bool
	}{
		{"explain_good_main", "good.json", "immutable_main.json", true},
		{"explain_pull_request_denied", "main-only.json", "pull_request.json", false},
		{"explain_environment_denied", "main-only.json", "environment.json", false},
		{"explain_stringequals_wildcard", "stringequals-wildcard.json", "main.json", false},
		{"explain_explicit_deny", "deny-pull-requests.json", "pull_request.json", false},
		{"explain_wrong_issuer_key", "wrong-issuer-key.json", "main.json", false},
		{"explain_keyless_claim", "keyless-claim.json", "main.json", false},
		{"explain_deny_keyless_claim", "deny-keyless-claim.json", "main.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, string(readFile(t, "testdata/examples/"+tt.policy)))
			claims := readClaims(t, "testdata/claims/"+tt.claims)
			res := c.Check(Request{Issuer: claims["iss"].(string), Claims: claims})
			if res.Allowed != tt.allowed {
				t.Errorf("Allowed = %v, want %v", res.Allowed, tt.allowed)
			}
			var b bytes.Buffer
			if err := res.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".txt", b.Bytes())
		})
	}
}

// Values from the policy and the token end up in CI logs, where a line
// starting with "::" is a workflow command. Hostile values must stay on
// their own quoted line.
func TestWriteTextCannotInjectLines(t *testing.T) {
	evil := "x\n::add-mask::secret\r::set-output name=a::b\u2028::error::y"
	doc := `{"Statement":[{"Sid":` + jsonString(evil) + `,"Effect":"Allow","Principal":{"Federated":` + jsonString(evil) + `},
		"Action":` + jsonString(evil) + `,"Condition":{"StringEquals":{` + jsonString(evil) + `:` + jsonString(evil) + `,
		"token.actions.githubusercontent.com:sub":` + jsonString(evil) + `}}}]}`
	c := mustCompile(t, doc)
	res := c.Check(Request{Issuer: ghIssuer + "/" + evil, Claims: map[string]any{"sub": evil}, Action: evil})
	var b bytes.Buffer
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	assertSafeLines(t, b.String())
}

func assertSafeLines(t *testing.T, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\r\u2028\u2029\u0085") {
		t.Errorf("output contains a raw line separator:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
			t.Errorf("line starts a workflow command: %q", line)
		}
	}
}
