package permissions

import (
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

var (
	admin   = Assess(Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}})
	high    = Assess(Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/PowerUserAccess"}}})
	limited = Assess(Role{Managed: []Policy{{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}})
)

func TestWeigh(t *testing.T) {
	tests := []struct {
		name    string
		f       trustpolicy.Finding
		a       Assessment
		sev     string
		message string // suffix; "" for the message unchanged
	}{
		{"an owner-wide subject on an admin role", trustpolicy.Finding{ID: "OIDC003", Severity: "error", Evidence: "repo:acme/*"}, admin, "error", "; the role is admin-equivalent, so any repository of acme can get AdministratorAccess"},
		{"any context on a high role is raised to error", trustpolicy.Finding{ID: "OIDC004", Severity: "warning", Evidence: "repo:acme/app:*"}, high, "error", "; the role's permissions are high, so any branch, tag or pull request of acme/app can get PowerUserAccess"},
		{"a name-only subject is raised to warning", trustpolicy.Finding{ID: "OIDC010", Severity: "info", Evidence: "repo:acme/app:ref:refs/heads/main"}, admin, "warning", "so whoever takes over the name acme/app can get AdministratorAccess"},
		{"any owner on GitHub", trustpolicy.Finding{ID: "OIDC017", Severity: "error", Evidence: "environment:production"}, admin, "error", "so any repository on GitHub can get AdministratorAccess"},
		{"a limited role changes nothing", trustpolicy.Finding{ID: "OIDC004", Severity: "warning", Evidence: "repo:acme/app:*"}, limited, "warning", ""},
		{"a policy that admits nobody is not made worse", trustpolicy.Finding{ID: "OIDC005", Severity: "error"}, admin, "error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Weigh([]trustpolicy.Finding{tt.f}, tt.a)[0]
			if string(got.Severity) != tt.sev {
				t.Errorf("severity %s, want %s", got.Severity, tt.sev)
			}
			if tt.message == "" && got.Message != tt.f.Message || !strings.HasSuffix(got.Message, tt.message) {
				t.Errorf("message %q, want it to end %q", got.Message, tt.message)
			}
		})
	}
}

func TestShared(t *testing.T) {
	one, err := trustpolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"environment:production"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	// The subject names no repository, so only the trust finding tells
	// that any owner's can assume the role.
	if _, ok := Shared(one, nil, admin); ok {
		t.Error("shared with no finding saying so")
	}
	f, ok := Shared(one, []trustpolicy.Finding{{ID: "OIDC017"}}, admin)
	if !ok || f.ID != "OIDC101" || string(f.Severity) != "error" {
		t.Errorf("got %+v, %v", f, ok)
	}
	if f, ok := Shared(one, []trustpolicy.Finding{{ID: "OIDC017"}}, high); !ok || string(f.Severity) != "warning" {
		t.Errorf("high: got %+v, %v", f, ok)
	}
	if _, ok := Shared(one, []trustpolicy.Finding{{ID: "OIDC017"}}, limited); ok {
		t.Error("a limited role is reported as broad")
	}
}
