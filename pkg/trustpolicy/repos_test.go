package trustpolicy

import (
	"slices"
	"testing"
)

func TestRepositories(t *testing.T) {
	const prov = `"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"`
	stmt := func(cond string) string {
		return `{"Effect":"Allow",` + prov + `,"Condition":{` + cond + `}}`
	}
	tests := []struct {
		name  string
		stmts string
		repos []string
		many  bool
	}{
		{"one branch of one repository", stmt(`"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme/app:ref:refs/heads/main"}`), []string{"acme/app"}, false},
		{"two contexts of one repository, names compared as GitHub does", stmt(`"StringEquals":{"token.actions.githubusercontent.com:sub":["repo:acme/app:ref:refs/heads/main","repo:Acme/App:environment:prod"]}`), []string{"acme/app"}, false},
		{"two repositories", stmt(`"StringEquals":{"token.actions.githubusercontent.com:sub":["repo:acme/api:ref:refs/heads/main","repo:acme/web:ref:refs/heads/main"]}`), []string{"acme/api", "acme/web"}, false},
		{"the immutable form names the repository once", stmt(`"StringEquals":{"token.actions.githubusercontent.com:sub":["repo:acme@1/app@2:ref:refs/heads/main","repo:acme/app:ref:refs/heads/dev"]}`), []string{"acme/app"}, false},
		{"two statements", stmt(`"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme/api:ref:refs/heads/main"}`) + "," + stmt(`"StringEquals":{"token.actions.githubusercontent.com:repository":"acme/web"}`), []string{"acme/api", "acme/web"}, false},
		{"a repository ID alone", stmt(`"StringEquals":{"token.actions.githubusercontent.com:repository_id":"42"}`), []string{"repository_id 42"}, false},
		{"an owner-wide pattern", stmt(`"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}`), nil, true},
		{"no subject condition", stmt(`"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}`), nil, true},
		{"a Deny names nobody", `{"Effect":"Deny",` + prov + `,"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[` + tt.stmts + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			repos, many := Repositories(p)
			if !slices.Equal(repos, tt.repos) || many != tt.many {
				t.Errorf("got %q, many %v; want %q, %v", repos, many, tt.repos, tt.many)
			}
		})
	}
}
