package trustpolicy

import (
	"bytes"
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

// A fix must not contradict the reason printed above it: each case names
// what the fix has to say and what it must not.
func TestFixAgreesWithReason(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	doc := func(version, cond string) string {
		return `{"Version":"` + version + `","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + cond + `}]}`
	}
	varSub := `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com"},"StringLike":{"` + k + `sub":"repo:${` + k + `repository}:ref:refs/heads/${*}*"}}`
	tests := []struct {
		name, why, doc, golden string
		want, notWant          []string
	}{
		{"a subject built from variables names the token's repository",
			`IAM User Guide, policy variables: "${*}" stands for a literal "*"; a variable is replaced by the request's value of its key.`,
			doc("2012-10-17", varSub), "explain_variable_subject",
			[]string{`${*} stands for a literal "*"`},
			[]string{"a repository the policy does not name", "not a regular expression"}},
		{"variables are literal text in 2008-10-17",
			`IAM User Guide, policy variables: "If you don't include the Version element ..., variables like ${aws:username} are treated as literal strings in the policy." Version 2008-10-17 has no variables either.`,
			doc("2008-10-17", varSub), "explain_variables_2008",
			[]string{`policy variables are literal text in Version "2008-10-17"`, `"Version": "2012-10-17"`},
			[]string{"not a regular expression", "a repository the policy does not name"}},
		{"variables are literal text without a Version",
			`IAM User Guide, policy variables: "If you don't include the Version element ..., variables ... are treated as literal strings."`,
			`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + varSub + `}]}`, "",
			[]string{`policy variables are literal text without a Version element`, `"Version": "2012-10-17"`},
			[]string{"not a regular expression"}},
		{"Null false on a request tag says GitHub never sends one",
			`IAM User Guide, session tags with AssumeRoleWithWebIdentity: tags come only from the token's https://aws.amazon.com/tags claim, which GitHub does not send.`,
			doc("2012-10-17", `{"StringEquals":{"`+k+`aud":"sts.amazonaws.com","`+k+`sub":"repo:octo-org/octo-repo:ref:refs/heads/main"},"Null":{"aws:RequestTag/team":"false"}}`), "explain_null_request_tag",
			[]string{"GitHub sends no session tags", "never present in AssumeRoleWithWebIdentity", "remove the condition"},
			[]string{"must produce", "claim"}},
		{"Null false on a keyless claim names the key to use",
			`Service Authorization Reference, AWS STS: repository_owner is no condition key of AssumeRoleWithWebIdentity; repository_owner_id is.`,
			doc("2012-10-17", `{"StringEquals":{"`+k+`aud":"sts.amazonaws.com","`+k+`sub":"repo:octo-org/octo-repo:ref:refs/heads/main"},"Null":{"`+k+`repository_owner":"false"}}`), "",
			[]string{`repository_owner_id`},
			[]string{"must produce"}},
		{"Null false on an unknown key suggests no IfExists",
			`IAM User Guide, condition operators: "You cannot use the Null condition operator with ...IfExists".`,
			doc("2012-10-17", `{"StringEquals":{"`+k+`aud":"sts.amazonaws.com","`+k+`sub":"repo:octo-org/octo-repo:ref:refs/heads/main"},"Null":{"aws:SourceVpc":"false"}}`), "",
			[]string{"remove the condition"},
			[]string{"IfExists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.doc)
			claims := readClaims(t, "testdata/claims/main.json")
			res := c.Check(Request{Issuer: claims["iss"].(string), Claims: claims})
			if res.Allowed {
				t.Fatal("expected a denial")
			}
			var fixes []string
			for _, cr := range res.Statements[0].Conditions {
				if !cr.Passed {
					fixes = append(fixes, cr.Fix)
				}
			}
			fix := strings.Join(fixes, "\n")
			for _, w := range tt.want {
				if !strings.Contains(fix, w) {
					t.Errorf("fix %q\nwant it to say %q\nbecause %s", fix, w, tt.why)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(fix, w) {
					t.Errorf("fix %q\nmust not say %q\nbecause %s", fix, w, tt.why)
				}
			}
			if tt.golden != "" {
				var b bytes.Buffer
				if err := res.WriteText(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, tt.golden+".txt", b.Bytes())
			}
		})
	}
}
