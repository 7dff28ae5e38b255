package trustpolicy

import (
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Terraform's JSON output format: planned_values leaves out values known
// only after apply, and resource_changes[].change.after_unknown holds true
// for each of them. A first plan that creates the OIDC provider and the
// role together has the role's assume_role_policy unknown.
func TestUnknownPolicies(t *testing.T) {
	role := func(addr, module string) string {
		return `{"address":"` + addr + `","module_address":"` + module + `","mode":"managed","type":"aws_iam_role","change":{"actions":["create"],"after":{"name":"x"},"after_unknown":{"arn":true,"assume_role_policy":true}}}`
	}
	const provider = `{"address":"aws_iam_openid_connect_provider.github","mode":"managed","type":"aws_iam_openid_connect_provider","change":{"actions":["create"],"after_unknown":{"arn":true}}}`
	tests := []struct {
		name, plan string
		want       []UnknownPolicy
	}{
		{"a policy built inline from the provider's ARN names it",
			`{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[` + provider + `,` + role("aws_iam_role.deploy", "") + `],
			"configuration":{"root_module":{"resources":[{"address":"aws_iam_role.deploy","expressions":{"assume_role_policy":{"references":["aws_iam_openid_connect_provider.github.arn","aws_iam_openid_connect_provider.github"]}}}]}}}`,
			[]UnknownPolicy{{Name: "aws_iam_role.deploy", Why: `it depends on "aws_iam_openid_connect_provider.github.arn", which this plan creates`}}},
		{"a role in a module with an index is found in the module's configuration",
			`{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[{"address":"module.ci.aws_iam_openid_connect_provider.github","module_address":"module.ci","mode":"managed","type":"aws_iam_openid_connect_provider","change":{"actions":["create"]}},` + role("module.ci.aws_iam_role.this[0]", "module.ci") + `],
			"configuration":{"root_module":{"module_calls":{"ci":{"module":{"resources":[{"address":"aws_iam_role.this","expressions":{"assume_role_policy":{"references":["data.aws_iam_policy_document.t.json","data.aws_iam_policy_document.t"]}}},
			{"address":"data.aws_iam_policy_document.t","expressions":{"statement":[{"principals":[{"identifiers":{"references":["aws_iam_openid_connect_provider.github.arn","aws_iam_openid_connect_provider.github"]}}]}]}}]}}}}}}`,
			[]UnknownPolicy{{Name: "module.ci.aws_iam_role.this[0]", Why: `it depends on "aws_iam_openid_connect_provider.github.arn", which this plan creates, through "data.aws_iam_policy_document.t"`}}},
		{"without a configuration the plan's own mark is the reason",
			`{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[` + role("aws_iam_role.deploy", "") + `]}`,
			[]UnknownPolicy{{Name: "aws_iam_role.deploy", Why: "terraform marks assume_role_policy as known only after apply"}}},
		{"a reference cycle ends",
			`{"format_version":"1.2","planned_values":{"root_module":{}},"resource_changes":[` + role("aws_iam_role.deploy", "") + `],
			"configuration":{"root_module":{"resources":[{"address":"aws_iam_role.deploy","expressions":{"assume_role_policy":{"references":["data.a.b.json"]}}},{"address":"data.a.b","expressions":{"x":{"references":["data.a.b.json"]}}}]}}}`,
			[]UnknownPolicy{{Name: "aws_iam_role.deploy", Why: `it is built from "data.a.b", known only after apply`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ParseInput([]byte(tt.plan))
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Documents) != 0 || len(in.Unknown) != len(tt.want) {
				t.Fatalf("got %d documents and unknown %+v, want %+v", len(in.Documents), in.Unknown, tt.want)
			}
			for i, u := range in.Unknown {
				if u.Name != tt.want[i].Name || u.Why != tt.want[i].Why || u.Offset <= 0 {
					t.Errorf("unknown[%d] = %+v, want %+v at a known offset", i, u, tt.want[i])
				}
			}
			// ParseDocuments still refuses a file with nothing to check, and
			// says which role and why.
			_, err = ParseDocuments([]byte(tt.plan))
			if err == nil || !strings.Contains(err.Error(), display.Quote(tt.want[0].Name)+" is unknown until apply ("+tt.want[0].Why+")") {
				t.Errorf("ParseDocuments error = %v, want it to name the role and why", err)
			}
			if fs := LintUnknown(&in.Unknown[0]); len(fs) != 1 || fs[0].ID != "OIDC020" || fs[0].Severity != SeverityInfo || !strings.Contains(fs[0].Message, tt.want[0].Why) {
				t.Errorf("LintUnknown = %+v, want one OIDC020 info finding with the reason", fs)
			}
		})
	}
}

// A role deleted by the plan, or whose policy is known, is no unknown one.
func TestUnknownPoliciesSkipsKnownAndDeleted(t *testing.T) {
	const plan = `{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_iam_role.known","mode":"managed","type":"aws_iam_role","values":{"assume_role_policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}}]}},
	"resource_changes":[{"address":"aws_iam_role.known","mode":"managed","type":"aws_iam_role","change":{"actions":["create"],"after_unknown":{"arn":true}}},
	{"address":"aws_iam_role.gone","mode":"managed","type":"aws_iam_role","change":{"actions":["delete"],"after_unknown":{}}}]}`
	in, err := ParseInput([]byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Documents) != 1 || len(in.Unknown) != 0 {
		t.Errorf("got %d documents, unknown %+v; want the known role only", len(in.Documents), in.Unknown)
	}
}
