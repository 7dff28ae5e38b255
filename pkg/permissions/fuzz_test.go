package permissions

import (
	"os"
	"strings"
	"testing"
)

// FuzzReaders: whatever an account-details file or a terraform plan holds,
// reading it and grading every role it yields does not panic, and a role
// with a policy the input lacks is never summarised without saying so.
func FuzzReaders(f *testing.F) {
	plan, err := os.ReadFile("testdata/plan.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plan)
	f.Add([]byte(`{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::1:role/r","AssumeRolePolicyDocument":{},"RolePolicyList":[{"PolicyName":"p","PolicyDocument":"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22NotAction%22%3A%22s3%3A%2A%22%2C%22NotResource%22%3A%22x%22%7D%7D"}],"AttachedManagedPolicies":[{"PolicyName":"m","PolicyArn":"arn:aws:iam::1:policy/m"}],"PermissionsBoundary":{"PermissionsBoundaryArn":"arn:aws:iam::aws:policy/PowerUserAccess"},"RoleLastUsed":{"LastUsedDate":"2026-01-01T00:00:00Z"}}],"Policies":[{"Arn":"arn:aws:iam::1:policy/m","DefaultVersionId":"v1","PolicyVersionList":[{"Document":{"Statement":[{"Effect":"Allow","Action":"iam:Pass*","Resource":["*"],"Condition":{}}]},"VersionId":"v1"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var roles []Role
		if acct, err := ReadAccount(data); err == nil {
			for _, r := range acct.Roles {
				roles = append(roles, r.Role)
			}
		}
		if tf, err := Terraform(data); err == nil {
			for _, r := range tf {
				roles = append(roles, r)
			}
		}
		for _, r := range roles {
			a := Assess(r)
			s := a.Summary()
			if len(a.Unknown) > 0 && !strings.Contains(s, "unknown") {
				t.Fatalf("summary %q hides unknown policies %q", s, a.Unknown)
			}
			if a.Level >= High && a.Strongest() == "" {
				t.Fatalf("level %v with no grant named", a.Level)
			}
		}
	})
}
