package trustpolicy

import (
	"encoding/json"
	"strings"
	"testing"
)

// One voice: the conditions explain suggests for a failing condition,
// written together into a statement that also pins aud, must not draw a
// lint warning or error.
func TestSuggestedConditionsLintClean(t *testing.T) {
	cases := []struct{ policy, claims string }{
		{"main-only.json", "pull_request.json"},
		{"main-only.json", "environment.json"},
		{"stringequals-wildcard.json", "main.json"},
		{"org-wide.json", "main.json"},
		{"keyless-claim.json", "main.json"},
		{"good.json", "pull_request.json"},
	}
	n := 0
	for _, tc := range cases {
		c := mustCompile(t, string(readFile(t, "testdata/examples/"+tc.policy)))
		claims := readClaims(t, "testdata/claims/"+tc.claims)
		res := c.Check(Request{Issuer: claims["iss"].(string), Claims: claims})
		for _, s := range res.Statements {
			for _, cr := range s.Conditions {
				// The text fix must not offer a pattern lint warns about
				// either (OIDC004: "repo:OWNER/REPO:*").
				if strings.Contains(cr.Fix, "StringLike with") || strings.Contains(cr.Fix, "broader") {
					t.Errorf("%s with %s: fix offers a pattern lint flags: %s", tc.policy, tc.claims, cr.Fix)
				}
				if len(cr.Suggested) == 0 {
					continue
				}
				n++
				cond := map[string]map[string]any{"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
				for _, sc := range cr.Suggested {
					if cond[sc.Operator] == nil {
						cond[sc.Operator] = map[string]any{}
					}
					cond[sc.Operator][sc.Key] = sc.Values
				}
				b, _ := json.Marshal(cond)
				p, err := Parse([]byte(stmt(string(b))))
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range Lint(p) {
					if f.Severity == "error" || f.Severity == "warning" {
						t.Errorf("%s with %s: suggested %s draws %s %s: %s", tc.policy, tc.claims, b, f.Severity, f.ID, f.Message)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no suggestions to check")
	}
}
