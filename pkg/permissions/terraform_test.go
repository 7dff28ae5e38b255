package permissions

import (
	"os"
	"strings"
	"testing"
)

// testdata/plan.json is a plan written by hand in the shape `terraform show
// -json` writes, with every resource type that attaches policies to a role.
func TestTerraformFindsEveryAttachment(t *testing.T) {
	data, err := os.ReadFile("testdata/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	roles, err := Terraform(data)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr    string
		level   Level
		summary string
	}{
		// aws_iam_role_policy, and an aws_iam_policy whose ARN is unknown
		// until apply, tied to its attachment by the configuration.
		{"aws_iam_role.deploy", Admin, `admin-equivalent: "*" on "*" (everything), iam:PassRole on "*" (inline "pass")`},
		// managed_policy_arns, capped by permissions_boundary.
		{"aws_iam_role.app", Limited, "limited, capped by permissions boundary ReadOnlyAccess; without it high: PowerUserAccess"},
		// aws_iam_policy_attachment's roles list.
		{"aws_iam_role.ci", Admin, "admin-equivalent: AdministratorAccess"},
		// The two exclusive resources; the inline policy they name has no
		// aws_iam_role_policy in the plan.
		{"aws_iam_role.excl", Admin, `admin-equivalent: IAMFullAccess; unknown, not in the input: inline "not-in-this-plan"`},
		// inline_policy blocks, in a child module.
		{"module.ci.aws_iam_role.this[0]", Admin, `admin-equivalent: iam:PutRolePolicy on "arn:aws:iam::123456789012:role/mod" (inline "self")`},
	}
	if len(roles) != len(tests) {
		t.Errorf("found %d roles, want %d", len(roles), len(tests))
	}
	for _, tt := range tests {
		r, ok := roles[tt.addr]
		if !ok {
			t.Errorf("%s: not found", tt.addr)
			continue
		}
		a := Assess(r)
		if a.Level != tt.level || a.Summary() != tt.summary {
			t.Errorf("%s: %v %q, want %v %q", tt.addr, a.Level, a.Summary(), tt.level, tt.summary)
		}
	}
}

func TestTerraformUnknownAttachmentStaysUnknown(t *testing.T) {
	// The attachment's policy_arn is unknown and the configuration does not
	// say where it comes from: the policy is unknown, not absent.
	plan := `{"planned_values":{"root_module":{"resources":[
	  {"address":"aws_iam_role.r","mode":"managed","type":"aws_iam_role","values":{"name":"r"}},
	  {"address":"aws_iam_role_policy_attachment.a","mode":"managed","type":"aws_iam_role_policy_attachment","values":{"role":"r"}}]}}}`
	roles, err := Terraform([]byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	a := Assess(roles["aws_iam_role.r"])
	if len(a.Unknown) != 1 || !strings.Contains(a.Summary(), "unknown until apply") {
		t.Errorf("summary %q, unknown %q", a.Summary(), a.Unknown)
	}
}

func TestTerraformWithoutValues(t *testing.T) {
	roles, err := Terraform([]byte(`{"Version":"2012-10-17","Statement":[]}`))
	if err != nil || len(roles) != 0 {
		t.Errorf("roles %v, err %v; want none and no error", roles, err)
	}
}
