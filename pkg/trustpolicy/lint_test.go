package trustpolicy

import (
	"fmt"
	"strings"
	"testing"
)

func lintIDs(fs []Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID+"/"+f.Severity)
	}
	return strings.Join(ids, " ")
}

func TestLintExamples(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"good.json", ""},
		{"main-only.json", "OIDC010/info"},
		{"stringequals-wildcard.json", "OIDC005/error OIDC010/info"},
		{"org-wide.json", "OIDC003/warning"},
		{"no-subject.json", "OIDC001/error"},
		{"wrong-issuer-key.json", "OIDC009/error OIDC009/error OIDC010/info"},
		{"deny-pull-requests.json", "OIDC004/warning OIDC010/info"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := Parse(readFile(t, "testdata/examples/"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := lintIDs(Lint(p)); got != tt.want {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLintRules(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	aud := `"StringEquals":{"` + k + `aud":"sts.amazonaws.com"}`
	tests := []struct {
		name string
		cond string
		want string
	}{
		{"a star subject admits any repository", `{` + aud + `,"StringLike":{"` + k + `sub":"*"}}`, "OIDC002/error"},
		{"repo star admits any repository", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:*"}}`, "OIDC002/error"},
		{"a wildcard in the owner admits any repository", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org*"}}`, "OIDC002/error"},
		{"an owner wildcard admits the owner's repositories", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/*"}}`, "OIDC003/warning"},
		{"an immutable owner wildcard is owner-wide too", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1000001/*"}}`, "OIDC003/warning"},
		{"a repository-name prefix is owner-wide", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/octo-*:ref:refs/heads/main"}}`, "OIDC003/warning OIDC010/info"},
		{"a context wildcard admits every ref", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/octo-repo:*"}}`, "OIDC004/warning OIDC010/info"},
		{"an immutable context wildcard admits every ref without the name-only note", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:*"}}`, "OIDC004/warning"},
		{"a ref condition narrows a context wildcard", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:*"},"StringEqualsIgnoreCase":{"` + k + `ref":"refs/heads/main"}}`, ""},
		{"branch patterns are fine", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/release/*"}}`, ""},
		{"the broadest value decides", `{` + aud + `,"StringLike":{"` + k + `sub":["repo:octo-org@1/octo-repo@2:ref:refs/heads/main","repo:*"]}}`, "OIDC002/error"},
		{"the narrowest condition decides", `{"StringLike":{"` + k + `sub":"*"},"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `job_workflow_ref":"octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"}}`, ""},
		{"a repository_owner condition alone is owner-wide", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `repository_owner":"octo-org"}}`, "OIDC003/warning"},
		{"a negated subject condition does not restrict", `{` + aud + `,"StringNotEquals":{"` + k + `sub":"repo:evil/repo:ref:refs/heads/main"}}`, "OIDC001/error"},
		{"a star under StringEquals is an error", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/*"}}`, "OIDC005/error"},
		{"ForAllValues in an Allow is a warning", `{` + aud + `,"ForAllValues:StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"}}`, "OIDC006/warning"},
		{"ForAllValues with Null false is fine", `{` + aud + `,"ForAllValues:StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"},"Null":{"` + k + `sub":"false"}}`, ""},
		{"no aud condition is a warning", `{"StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"}}`, "OIDC007/warning"},
		{"a wildcard aud is a warning", `{"StringLike":{"` + k + `aud":"*"},"StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"}}`, "OIDC008/warning"},
		{"a regular expression in StringLike is a warning", `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/(main|dev)"}}`, "OIDC013/warning"},
		{"a name-only subject is an info", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`, "OIDC010/info"},
		{"a repository_id condition answers the name-only note", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/main","` + k + `repository_id":"2000002"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(stmt(tt.cond)))
			if err != nil {
				t.Fatal(err)
			}
			fs := Lint(p)
			if got := lintIDs(fs); got != tt.want {
				t.Errorf("findings = %q, want %q\n%s", got, tt.want, fmt.Sprint(fs))
			}
			for _, f := range fs {
				if f.Message == "" || f.Fix == "" || f.Statement != "#1" {
					t.Errorf("finding %s lacks message, fix or statement: %+v", f.ID, f)
				}
			}
		})
	}
}

func TestLintStatementShapes(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"a wildcard principal without conditions is an error", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}]}`, "OIDC012/error"},
		{"Resource in a trust policy is an error", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`, "OIDC011/error"},
		{"sts star is a broad action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:*"}]}`, "OIDC014/info"},
		{"a policy that does not compile", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqual":{"a:b":"c"}}}]}`, "OIDC000/error OIDC012/warning OIDC014/info"},
		{"a Deny statement is not held to Allow rules", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*"}}}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := lintIDs(Lint(p)); got != tt.want {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRulesAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.Summary == "" || r.Help == "" {
			t.Errorf("rule %+v is duplicated or undocumented", r)
		}
		seen[r.ID] = true
		switch r.Severity {
		case "error", "warning", "info":
		default:
			t.Errorf("rule %s has severity %q", r.ID, r.Severity)
		}
	}
}
