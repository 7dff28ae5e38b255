package policycmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// auditNow is the clock of the audit tests: the fixtures' RoleLastUsed
// dates are read against it.
var auditNow = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

// runAuditAt runs audit as Run does, output made inert, at a fixed time.
func runAuditAt(t testing.TB, now time.Time, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runAt(append([]string{"audit"}, args...), strings.NewReader(stdin), &out, &errb, func() time.Time { return now })
	return code, out.String(), errb.String()
}

// The fixtures are written by hand from the IAM API reference, in the
// CLI's shape: full Policies entries (PolicyName, PolicyId, versions),
// a permissions boundary, and RoleLastUsed recent, over 90 days old, and
// empty (never used), none of which moto produces.
func TestAuditGolden(t *testing.T) {
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"audit.txt", []string{"testdata/audit/account.json", "testdata/audit/account-filter-role.json", "testdata/audit/provider-github.json", "testdata/audit/provider-gitlab.json"}},
		{"audit.json", []string{"--format", "json", "testdata/audit/account.json", "testdata/audit/account-filter-role.json", "testdata/audit/provider-github.json"}},
		{"audit.sarif", []string{"--format", "sarif", "testdata/audit/account.json"}},
		{"audit.md", []string{"--format", "markdown", "testdata/audit/account.json", "testdata/audit/provider-github.json"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			code, out, errOut := runAuditAt(t, auditNow, "", c.args...)
			if code != ExitFindings || errOut != "" {
				t.Errorf("exit %d, stderr %q; want 1 and nothing", code, errOut)
			}
			golden(t, c.golden, out)
		})
	}
}

func TestAuditExitCodes(t *testing.T) {
	getRole := writeFile(t, "role.json", `{"Role":{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r","AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[]}}}`)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"findings at warning fail by default", []string{"testdata/audit/account.json"}, 1, "error OIDC003", ""},
		{"--fail-on none reports but passes", []string{"--fail-on", "none", "testdata/audit/account.json"}, 0, "error OIDC101", ""},
		{"--ignore drops a rule", []string{"--ignore", "OIDC102", "--fail-on", "info", "testdata/audit/account.json"}, 1, "6 roles trust an OIDC provider, of 7 in 1 file", ""},
		{"a provider in an account where no role trusts GitHub", []string{"--fail-on", "info", "testdata/audit/provider-gitlab.json", writeFile(t, "ec2.json", `{"RoleDetailList":[{"RoleName":"ec2","Arn":"arn:aws:iam::123456789012:role/ec2","AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}}]}`)}, 1, `info OIDC103: no audited role trusts the provider "gitlab.com"`, ""},
		{"a provider file alone cannot be placed", []string{"testdata/audit/provider-github.json"}, 2, "", "audit: testdata/audit/provider-github.json: an OIDC provider's file needs its account's `aws iam get-account-authorization-details` output"},
		{"an unknown --ignore", []string{"--ignore", "OIDC999", "testdata/audit/account.json"}, 2, "", `audit: invalid --ignore "OIDC999": no such rule; rules are OIDC000 to OIDC020 and OIDC101 to OIDC104`},
		{"get-role output names the right command", []string{getRole}, 2, "", "this is `aws iam get-role` output; audit reads the output of `aws iam get-account-authorization-details --output json`"},
		{"a terraform plan points at lint", []string{"testdata/terraform-plan.json"}, 2, "", "`terraform show -json` output (lint reads it)"},
		{"a file of no known kind", []string{"testdata/claims_main.json"}, 2, "", "audit: testdata/claims_main.json: audit reads the output of `aws iam get-account-authorization-details"},
		{"a missing file still reports the others", []string{"testdata/nope.json", "testdata/audit/account.json"}, 2, "1 file could not be audited", "audit: testdata/nope.json: no such file or directory"},
		{"no files", nil, 2, "", "audit: missing FILE"},
		{"a bad format", []string{"--format", "xml", "testdata/audit/account.json"}, 2, "", `audit: invalid --format "xml"`},
		{"help", []string{"--help"}, 0, "Usage: oidc-aws policy audit", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runAuditAt(t, auditNow, "", tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr with %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// account builds a one-role account-details file around a trust policy
// and the role's other fields.
func account(t *testing.T, roleFields string, policies string) string {
	t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:acme@1/app@2:ref:refs/heads/main"}}}]}`
	role := `{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r","AssumeRolePolicyDocument":` + trust
	if roleFields != "" {
		role += "," + roleFields
	}
	doc := `{"RoleDetailList":[` + role + `}]`
	if policies != "" {
		doc += `,"Policies":` + policies
	}
	return writeFile(t, "account.json", doc+"}")
}

func TestAuditRoleLastUsed(t *testing.T) {
	tests := []struct {
		name     string
		lastUsed string
		want     string // "" for no OIDC102
	}{
		{"never used", `"RoleLastUsed":{}`, "IAM records no use of this role"},
		{"used 91 days ago", `"RoleLastUsed":{"LastUsedDate":"2026-09-07T00:00:00+00:00","Region":"us-east-1"}`, "last used 2026-09-07, 91 days ago"},
		{"used exactly 90 days ago", `"RoleLastUsed":{"LastUsedDate":"2026-09-08T00:00:00+00:00","Region":"us-east-1"}`, ""},
		{"used yesterday", `"RoleLastUsed":{"LastUsedDate":"2026-12-06T00:00:00Z","Region":"us-east-1"}`, ""},
		{"no RoleLastUsed in the file says nothing", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := account(t, tt.lastUsed, "")
			_, out, errOut := runAuditAt(t, auditNow, "", "--fail-on", "none", f)
			got := strings.Contains(out, "info OIDC102")
			if got != (tt.want != "") || !strings.Contains(out, tt.want) || errOut != "" {
				t.Errorf("stdout:\n%s\nstderr: %s\nwant OIDC102 %q", out, errOut, tt.want)
			}
		})
	}
}

func TestAuditPermissionsUnknownNeverNone(t *testing.T) {
	managed := `"AttachedManagedPolicies":[{"PolicyName":"deploy","PolicyArn":"arn:aws:iam::123456789012:policy/deploy"}]`
	for _, c := range []struct{ name, policies string }{
		{"no Policies list (--filter Role)", ""},
		{"an empty Policies list", "[]"},
		{"a Policies list without that policy", `[{"PolicyName":"other","Arn":"arn:aws:iam::123456789012:policy/other","DefaultVersionId":"v1","PolicyVersionList":[{"Document":{"Statement":[]},"VersionId":"v1","IsDefaultVersion":true}]}]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, out, _ := runAuditAt(t, auditNow, "", "--format", "json", account(t, managed, c.policies))
			var rep struct {
				Roles []struct {
					Permissions struct {
						Level    string
						Complete bool
						Unknown  []string
					}
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Roles) != 1 {
				t.Fatalf("%v: %s", err, out)
			}
			p := rep.Roles[0].Permissions
			if p.Complete || len(p.Unknown) != 1 || p.Unknown[0] != "arn:aws:iam::123456789012:policy/deploy" {
				t.Errorf("permissions %+v; want incomplete, the policy unknown", p)
			}
		})
	}
}

// The IAM API returns policy documents URL-encoded; the CLI decodes them,
// other tools may not.
func TestAuditReadsURLEncodedDocuments(t *testing.T) {
	trust := `"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Ftoken.actions.githubusercontent.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%2C%22Condition%22%3A%7B%22StringLike%22%3A%7B%22token.actions.githubusercontent.com%3Asub%22%3A%22repo%3Aacme%2F%2A%22%7D%7D%7D%5D%7D"`
	inline := `"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"`
	f := writeFile(t, "a.json", `{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r","AssumeRolePolicyDocument":`+trust+`,"RolePolicyList":[{"PolicyName":"all","PolicyDocument":`+inline+`}]}]}`)
	_, out, errOut := runAuditAt(t, auditNow, "", f)
	if !strings.Contains(out, `any repository of acme can get "*" on "*"`) {
		t.Errorf("stdout:\n%s\nstderr: %s", out, errOut)
	}
}

func TestAuditSkipsRolesWithoutOIDC(t *testing.T) {
	f := writeFile(t, "a.json", `{"RoleDetailList":[{"RoleName":"ec2","Arn":"arn:aws:iam::123456789012:role/ec2","AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]},"RoleLastUsed":{}}],"Policies":[]}`)
	code, out, _ := runAuditAt(t, auditNow, "", f)
	if code != ExitOK || out != "0 error(s), 0 warning(s), 0 info; 0 roles trust an OIDC provider, of 1 in 1 file\n" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}

func TestAuditMarkdownIsInert(t *testing.T) {
	hostile := `a|b <img src=x onerror=alert(1)> [x](https://evil.example) ` + "`code`" + ` *em* www.evil.example`
	name, _ := json.Marshal(hostile)
	f := writeFile(t, "a.json", `{"RoleDetailList":[{"RoleName":`+string(name)+`,"Arn":"arn:aws:iam::123456789012:role/r","AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":`+string(name)+`}}}]},"RolePolicyList":[{"PolicyName":`+string(name)+`,"PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}]}]}`)
	_, out, errOut := runAuditAt(t, auditNow, "", "--format", "markdown", f)
	// Nothing renders inside a code span; a table cell ends only at a "|"
	// without a backslash, in a code span or not.
	if strings.Contains(strings.ReplaceAll(out, `\|`, ""), "a|b") {
		t.Errorf("a name splits a table cell:\n%s", out)
	}
	prose := regexp.MustCompile("`[^`]*`").ReplaceAllString(out, "")
	for _, bad := range []string{"<img", "](https", "www.evil", "*em*"} {
		// A backslash before the punctuation makes it literal.
		if regexp.MustCompile(`(^|[^\\])` + regexp.QuoteMeta(bad)).MatchString(prose) {
			t.Errorf("markdown output carries %q:\n%s\nstderr: %s", bad, out, errOut)
		}
	}
	if !strings.Contains(out, "admin-equivalent") {
		t.Errorf("no report:\n%s", out)
	}
}
