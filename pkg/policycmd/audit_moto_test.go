package policycmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/internal/motoiam"
)

// mototrust is a GitHub trust policy for moto's account with the given
// sub condition.
func mototrust(op string, subs ...string) string {
	sub, _ := json.Marshal(subs)
	cond := `"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}`
	if op == "StringEquals" {
		cond = `"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":` + string(sub) + `}`
	} else {
		cond += `,"` + op + `":{"token.actions.githubusercontent.com:sub":` + string(sub) + `}`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + motoiam.Account +
		`:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{` + cond + `}}]}`
}

// TestAuditMotoAccount builds an account in moto with the AWS CLI v2 and
// audits what `aws iam get-account-authorization-details` prints for it,
// whole and with --filter Role.
func TestAuditMotoAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	m := motoiam.Start(t)
	m.AWS(t, "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com",
		"--client-id-list", "sts.amazonaws.com", "https://github.com/acme", "--thumbprint-list", "6938fd4d98bab03faadb97b34396831e3780aea1")
	role := func(name, trust string, extra ...string) {
		m.AWS(t, append([]string{"iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust}, extra...)...)
	}
	attach := func(name, arn string) {
		m.AWS(t, "iam", "attach-role-policy", "--role-name", name, "--policy-arn", arn)
	}
	const aws = "arn:aws:iam::aws:policy/"
	acct := "arn:aws:iam::" + motoiam.Account

	// Every repository of acme, with AdministratorAccess.
	role("gha-org-admin", mototrust("StringLike", "repo:acme/*"))
	attach("gha-org-admin", aws+"AdministratorAccess")
	// One branch of one repository, with a customer-managed S3 policy and
	// a PowerUserAccess boundary.
	role("gha-app", mototrust("StringEquals", "repo:acme/app:ref:refs/heads/main"), "--permissions-boundary", aws+"PowerUserAccess")
	m.AWS(t, "iam", "create-policy", "--policy-name", "app-artifacts", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-artifacts/*"}]}`)
	attach("gha-app", acct+":policy/app-artifacts")
	// Any branch of one repository, with an inline policy that may rewrite
	// the role's own permissions.
	role("gha-legacy", mototrust("StringLike", "repo:acme/legacy:*"))
	m.AWS(t, "iam", "put-role-policy", "--role-name", "gha-legacy", "--policy-name", "self-service", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"`+acct+`:role/gha-legacy"}]}`)
	// Two repositories share PowerUserAccess.
	role("gha-shared", mototrust("StringEquals", "repo:acme/api:environment:production", "repo:acme/web:environment:production"))
	attach("gha-shared", aws+"PowerUserAccess")
	// AdministratorAccess capped by an S3-only boundary.
	m.AWS(t, "iam", "create-policy", "--policy-name", "s3-only", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	role("gha-capped", mototrust("StringLike", "repo:acme/tools:*"), "--permissions-boundary", acct+":policy/s3-only")
	attach("gha-capped", aws+"AdministratorAccess")
	// No aud condition: it accepts every client ID of the provider,
	// including the one no role asks for (moto has no
	// add-client-id-to-open-id-connect-provider, so the provider is created
	// with it).
	role("gha-no-aud", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+acct+`:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme@1001/docs@2002:ref:refs/heads/main"}}}]}`)
	attach("gha-no-aud", aws+"ReadOnlyAccess")
	// A provider no role trusts.
	m.AWS(t, "iam", "create-open-id-connect-provider", "--url", "https://gitlab.com", "--client-id-list", "https://gitlab.com",
		"--thumbprint-list", "b3dd7606d2b5a8b4a13771dbecc9ee1cecafa38a")
	// Not GitHub's: audit leaves it out.
	role("ec2-web", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	attach("ec2-web", aws+"AdministratorAccess")

	dir := t.TempDir()
	full := filepath.Join(dir, "account.json")
	roles := filepath.Join(dir, "account-filter-role.json")
	if err := os.WriteFile(full, m.AWS(t, "iam", "get-account-authorization-details"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(roles, m.AWS(t, "iam", "get-account-authorization-details", "--filter", "Role"), 0o600); err != nil {
		t.Fatal(err)
	}

	var providers []string
	for _, host := range []string{"token.actions.githubusercontent.com", "gitlab.com"} {
		p := filepath.Join(dir, "provider-"+host+".json")
		out := m.AWS(t, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", acct+":oidc-provider/"+host)
		if err := os.WriteFile(p, out, 0o600); err != nil {
			t.Fatal(err)
		}
		providers = append(providers, p)
	}

	code, out, errOut := runAuditAt(t, auditNow, "", append([]string{full, roles}, providers...)...)
	if code != ExitFindings || errOut != "" {
		t.Errorf("exit %d, stderr %q; want 1 and nothing", code, errOut)
	}
	golden(t, "audit_moto.txt", strings.ReplaceAll(out, dir+string(filepath.Separator), ""))
}
