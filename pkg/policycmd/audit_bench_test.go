package policycmd

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"testing"
	"time"
)

var writeBenchAccount = flag.String("write-bench-account", "", "write the benchmark's 5,000-role account to this file, for timing the binary")

// benchAccount is get-account-authorization-details output for an account
// of n roles, in the CLI's shape: each role trusts GitHub for one
// repository (every tenth for an owner), has an inline policy, an AWS
// managed and a customer-managed policy, and a RoleLastUsed; Policies has
// n/10 customer policies of two versions each.
func benchAccount(n int) []byte {
	prov := "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	awsManaged := []string{"AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonS3ReadOnlyAccess"}
	type m = map[string]any
	var roles []m
	for i := range n {
		sub := fmt.Sprintf("repo:acme/app-%d:ref:refs/heads/main", i)
		op := "StringEquals"
		if i%10 == 0 {
			sub, op = "repo:acme/*", "StringLike"
		}
		cond := m{"StringEquals": m{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
		if op == "StringEquals" {
			cond["StringEquals"].(m)["token.actions.githubusercontent.com:sub"] = sub
		} else {
			cond[op] = m{"token.actions.githubusercontent.com:sub": sub}
		}
		last := m{}
		if i%3 != 0 {
			last = m{"LastUsedDate": fmt.Sprintf("2026-%02d-15T10:00:00+00:00", 1+i%11), "Region": "us-east-1"}
		}
		roles = append(roles, m{
			"Path": "/", "RoleName": fmt.Sprintf("gha-%d", i), "RoleId": fmt.Sprintf("AROA%016d", i),
			"Arn": fmt.Sprintf("arn:aws:iam::123456789012:role/gha-%d", i), "CreateDate": "2024-02-01T10:00:00+00:00",
			"AssumeRolePolicyDocument": m{"Version": "2012-10-17", "Statement": []m{{"Effect": "Allow", "Principal": m{"Federated": prov},
				"Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}}},
			"InstanceProfileList": []m{},
			"RolePolicyList": []m{{"PolicyName": "inline", "PolicyDocument": m{"Version": "2012-10-17",
				"Statement": []m{{"Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": "*"}}}}},
			"AttachedManagedPolicies": []m{
				{"PolicyName": awsManaged[i%len(awsManaged)], "PolicyArn": "arn:aws:iam::aws:policy/" + awsManaged[i%len(awsManaged)]},
				{"PolicyName": fmt.Sprintf("deploy-%d", i/10), "PolicyArn": fmt.Sprintf("arn:aws:iam::123456789012:policy/deploy-%d", i/10)},
			},
			"Tags": []m{}, "RoleLastUsed": last,
		})
	}
	var policies []m
	for i := range (n + 9) / 10 {
		doc := func(a string) m {
			return m{"Version": "2012-10-17", "Statement": []m{{"Effect": "Allow", "Action": a, "Resource": fmt.Sprintf("arn:aws:s3:::bucket-%d/*", i)}}}
		}
		policies = append(policies, m{"PolicyName": fmt.Sprintf("deploy-%d", i), "PolicyId": fmt.Sprintf("ANPA%016d", i),
			"Arn": fmt.Sprintf("arn:aws:iam::123456789012:policy/deploy-%d", i), "Path": "/", "DefaultVersionId": "v2",
			"AttachmentCount": 10, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
			"CreateDate": "2024-01-15T09:30:00+00:00", "UpdateDate": "2024-06-02T14:00:00+00:00",
			"PolicyVersionList": []m{
				{"Document": doc("s3:*"), "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": "2024-06-02T14:00:00+00:00"},
				{"Document": doc("s3:GetObject"), "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2024-01-15T09:30:00+00:00"},
			}})
	}
	out, err := json.MarshalIndent(m{"UserDetailList": []m{}, "GroupDetailList": []m{}, "RoleDetailList": roles, "Policies": policies}, "", "    ")
	if err != nil {
		panic(err)
	}
	return out
}

// TestWriteBenchAccount writes the benchmark's account when asked, so the
// built binary can be timed on it:
//
//	go test ./pkg/policycmd -run TestWriteBenchAccount -write-bench-account /tmp/account-5000.json
func TestWriteBenchAccount(t *testing.T) {
	if *writeBenchAccount == "" {
		t.Skip("no -write-bench-account")
	}
	if err := os.WriteFile(*writeBenchAccount, benchAccount(5000), 0o644); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkAudit5000Roles(b *testing.B) {
	path := writeFile(b, "account.json", string(benchAccount(5000)))
	b.ResetTimer()
	for b.Loop() {
		if code := runAudit([]string{"--fail-on", "none", path}, nil, io.Discard, io.Discard, func() time.Time { return auditNow }); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
