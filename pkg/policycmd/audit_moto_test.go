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
	const aws = "arn:aws:iam::aws:policy/"
	acct := "arn:aws:iam::" + motoiam.Account
	role := func(name, trust string, extra ...string) []string {
		return append([]string{"iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust}, extra...)
	}
	attach := func(name, arn string) []string {
		return []string{"iam", "attach-role-policy", "--role-name", name, "--policy-arn", arn}
	}
	m.Parallel(t, 4,
		// GitHub's provider, with a client ID no role asks for (moto has
		// no add-client-id-to-open-id-connect-provider, so it is created
		// with it), and a provider no role trusts.
		[][]string{{"iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com",
			"--client-id-list", "sts.amazonaws.com", "https://github.com/acme", "--thumbprint-list", "6938fd4d98bab03faadb97b34396831e3780aea1"}},
		[][]string{{"iam", "create-open-id-connect-provider", "--url", "https://gitlab.com", "--client-id-list", "https://gitlab.com",
			"--thumbprint-list", "b3dd7606d2b5a8b4a13771dbecc9ee1cecafa38a"}},
		// Every repository of acme, with AdministratorAccess.
		[][]string{role("gha-org-admin", mototrust("StringLike", "repo:acme/*")), attach("gha-org-admin", aws+"AdministratorAccess")},
		// One branch of one repository, with a customer-managed S3 policy
		// and a PowerUserAccess boundary.
		[][]string{
			role("gha-app", mototrust("StringEquals", "repo:acme/app:ref:refs/heads/main"), "--permissions-boundary", aws+"PowerUserAccess"),
			{"iam", "create-policy", "--policy-name", "app-artifacts", "--policy-document",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-artifacts/*"}]}`},
			attach("gha-app", acct+":policy/app-artifacts"),
		},
		// Any branch of one repository, with an inline policy that may
		// rewrite the role's own permissions.
		[][]string{
			role("gha-legacy", mototrust("StringLike", "repo:acme/legacy:*")),
			{"iam", "put-role-policy", "--role-name", "gha-legacy", "--policy-name", "self-service", "--policy-document",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"` + acct + `:role/gha-legacy"}]}`},
		},
		// Two repositories share PowerUserAccess.
		[][]string{role("gha-shared", mototrust("StringEquals", "repo:acme/api:environment:production", "repo:acme/web:environment:production")),
			attach("gha-shared", aws+"PowerUserAccess")},
		// AdministratorAccess capped by an S3-only boundary.
		[][]string{
			{"iam", "create-policy", "--policy-name", "s3-only", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
			role("gha-capped", mototrust("StringLike", "repo:acme/tools:*"), "--permissions-boundary", acct+":policy/s3-only"),
			attach("gha-capped", aws+"AdministratorAccess"),
		},
		// No aud condition: it accepts every client ID of the provider.
		[][]string{role("gha-no-aud", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+acct+`:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme@1001/docs@2002:ref:refs/heads/main"}}}]}`),
			attach("gha-no-aud", aws+"ReadOnlyAccess")},
		// Not GitHub's: audit leaves it out.
		[][]string{role("ec2-web", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
			attach("ec2-web", aws+"AdministratorAccess")},
	)

	// What a user would save: the account's details, whole and with
	// --filter Role, and each provider's.
	dir := t.TempDir()
	outputs := []struct {
		file string
		args []string
	}{
		{"account.json", []string{"iam", "get-account-authorization-details"}},
		{"account-filter-role.json", []string{"iam", "get-account-authorization-details", "--filter", "Role"}},
		{"provider-token.actions.githubusercontent.com.json", []string{"iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", acct + ":oidc-provider/token.actions.githubusercontent.com"}},
		{"provider-gitlab.com.json", []string{"iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", acct + ":oidc-provider/gitlab.com"}},
	}
	errs := make(chan error, len(outputs))
	var files []string
	for _, o := range outputs {
		path := filepath.Join(dir, o.file)
		files = append(files, path)
		go func() {
			out, err := m.Run(o.args...)
			if err == nil {
				err = os.WriteFile(path, out, 0o600)
			}
			errs <- err
		}()
	}
	for range outputs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	code, out, errOut := runAuditAt(t, auditNow, "", files...)
	if code != ExitFindings || errOut != "" {
		t.Errorf("exit %d, stderr %q; want 1 and nothing", code, errOut)
	}
	golden(t, "audit_moto.txt", strings.ReplaceAll(out, dir+string(filepath.Separator), ""))
}
