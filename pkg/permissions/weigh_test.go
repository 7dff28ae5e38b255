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
	parse := func(sub string) *trustpolicy.Policy {
		p, err := trustpolicy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"` + sub + `"}}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	anyOwner, oneRepo := parse("environment:production"), parse("repo:acme/app:ref:refs/heads/main")
	tests := []struct {
		name     string
		p        *trustpolicy.Policy
		findings []trustpolicy.Finding
		a        Assessment
		sev      string // "" for no OIDC101
	}{
		{"a custom subject any owner can produce, admin", anyOwner, nil, admin, "error"},
		{"a custom subject any owner can produce, high", anyOwner, nil, high, "warning"},
		{"a custom subject any owner can produce, limited", anyOwner, nil, limited, ""},
		{"one repository", oneRepo, nil, admin, ""},
		// A trust finding that admits many repositories counts, whatever
		// Repositories makes of the subject.
		{"one repository and a finding that says many", oneRepo, []trustpolicy.Finding{{ID: "OIDC003"}}, admin, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := Shared(tt.p, tt.findings, tt.a)
			if ok != (tt.sev != "") || ok && (f.ID != "OIDC101" || string(f.Severity) != tt.sev) {
				t.Errorf("got %+v, %v; want severity %q", f, ok, tt.sev)
			}
		})
	}
}
