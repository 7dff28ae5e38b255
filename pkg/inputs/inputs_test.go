package inputs

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/sessiontags"
)

// runnerEnv is a map-backed getenv. Keys are written exactly as the runner
// sets them (INPUT_ROLE-TO-ASSUME, hyphens kept), not derived with EnvName,
// so a wrong EnvName cannot make these tests agree with it.
type runnerEnv map[string]string

func (e runnerEnv) getenv(k string) string { return e[k] }

func baseEnv() runnerEnv {
	return runnerEnv{
		"INPUT_ROLE-TO-ASSUME": "arn:aws:iam::123456789012:role/deploy",
		"INPUT_AWS-REGION":     "us-east-1",
		"GITHUB_WORKSPACE":     "/home/runner/work/repo/repo",
	}
}

// with returns baseEnv with some inputs set, by input name.
func with(kv ...string) runnerEnv {
	e := baseEnv()
	for i := 0; i+1 < len(kv); i += 2 {
		e["INPUT_"+strings.ToUpper(kv[i])] = kv[i+1]
	}
	return e
}

func mustLoad(t *testing.T, e runnerEnv) *Inputs {
	t.Helper()
	in, err := Load(e.getenv)
	if err != nil {
		t.Fatalf("Load failed: %v", err)
	}
	return in
}

// problemsOf returns the invalid inputs Load reported.
func problemsOf(t *testing.T, err error) []*invalidInput {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded, want an input error")
	}
	var e *invalidInputs
	if !errors.As(err, &e) {
		t.Fatalf("error %T (%v) is not an *invalidInputs", err, err)
	}
	return e.Problems
}

// wantOneProblem checks that Load failed on exactly one input, named in the
// message, with a reason containing want.
func wantOneProblem(t *testing.T, e runnerEnv, input, want string) {
	t.Helper()
	_, err := Load(e.getenv)
	ps := problemsOf(t, err)
	if len(ps) != 1 {
		t.Fatalf("got %d problems (%v), want exactly one for %q", len(ps), err, input)
	}
	if ps[0].Input != input {
		t.Errorf("problem is about %q, want %q", ps[0].Input, input)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `input "`+input+`": `) {
		t.Errorf("error %q does not start by naming input %q", msg, input)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not contain %q", msg, want)
	}
}

func TestEnvNameKeepsHyphensAsTheRunnerDoes(t *testing.T) {
	cases := map[string]string{
		"role-to-assume":           "INPUT_ROLE-TO-ASSUME",
		"aws-region":               "INPUT_AWS-REGION",
		"action-timeout-s":         "INPUT_ACTION-TIMEOUT-S",
		"managed-session-policies": "INPUT_MANAGED-SESSION-POLICIES",
		"with space":               "INPUT_WITH_SPACE",
	}
	for in, want := range cases {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpecsAreConsistent(t *testing.T) {
	names := []string{RoleToAssume, AWSRegion, Audience, RoleSessionName, RoleDurationSeconds,
		InlineSessionPolicy, ManagedSessionPolicies, RoleChaining, RoleExternalID, WebIdentityTokenFile,
		STSEndpoint, HTTPProxy, NoProxy, OutputEnvCredentials, OutputCredentials, MaskAWSAccountID,
		UnsetCurrentCreds, AllowedAccountIDs, RetryMaxAttempts, DisableRetry, ActionTimeoutS, DebugClaims, TrustPolicy,
		RoleSkipSessionTagging, TransitiveTagKeys, CustomTags, AWSProfile, OverwriteAWSProfile, RefreshCredentials}
	if len(Specs) != len(names) {
		t.Errorf("Specs has %d inputs, the package names %d", len(Specs), len(names))
	}
	seen := map[string]bool{}
	for _, s := range Specs {
		if seen[s.Name] {
			t.Errorf("input %q is listed twice in Specs", s.Name)
		}
		seen[s.Name] = true
		if strings.TrimSpace(s.Description) == "" {
			t.Errorf("input %q has no description", s.Name)
		}
		if s.Required && s.Default != "" {
			t.Errorf("input %q is required yet has default %q", s.Name, s.Default)
		}
	}
	for _, n := range names {
		if _, ok := lookup(n); !ok {
			t.Errorf("input %q is not in Specs", n)
		}
	}
	if _, ok := lookup("no-such-input"); ok {
		t.Error("Lookup found an input that does not exist")
	}
	for _, o := range Outputs {
		if o.Name == "" || o.Description == "" {
			t.Errorf("output %+v lacks a name or description", o)
		}
	}
}

func TestDefaultsMatchSpecs(t *testing.T) {
	unset := mustLoad(t, baseEnv())

	// The runner passes an unset input with a default as that default; Load
	// must read both the same way.
	explicit := baseEnv()
	for _, s := range Specs {
		if s.Default != "" {
			explicit["INPUT_"+strings.ToUpper(s.Name)] = s.Default
		}
	}
	if got := mustLoad(t, explicit); !reflect.DeepEqual(got, unset) {
		t.Errorf("inputs set to their defaults load as\n%+v\nunset inputs as\n%+v", got, unset)
	}

	spec := func(name string) string {
		s, ok := lookup(name)
		if !ok {
			t.Fatalf("no spec for %q", name)
		}
		return s.Default
	}
	checks := []struct {
		input string
		got   string
	}{
		{Audience, unset.Audience},
		{RoleSessionName, unset.SessionName},
		{RoleDurationSeconds, itoa(int(unset.Duration / time.Second))},
		{RetryMaxAttempts, itoa(unset.MaxAttempts)},
		{RoleChaining, boolText(unset.RoleChaining)},
		{OverwriteAWSProfile, boolText(unset.OverwriteProfile)},
		{RefreshCredentials, boolText(unset.RefreshCredentials)},
		{OutputCredentials, boolText(unset.OutputCredentials)},
		{MaskAWSAccountID, boolText(unset.MaskAccountID)},
		{UnsetCurrentCreds, boolText(unset.UnsetCurrentCreds)},
		{DebugClaims, boolText(unset.DebugClaims)},
		{DisableRetry, boolText(unset.MaxAttempts == 1)},
		{RoleSkipSessionTagging, boolText(unset.SkipSessionTagging)},
	}
	for _, c := range checks {
		if want := spec(c.input); c.got != want {
			t.Errorf("unset %s loads as %q, Specs says the default is %q", c.input, c.got, want)
		}
	}
	if unset.Timeout != 0 || unset.InlineSessionPolicy != "" || unset.ManagedSessionPolicies != nil ||
		unset.AllowedAccountIDs != nil || unset.TokenFile != "" || unset.TrustPolicyFile != "" ||
		unset.ExternalID != "" || unset.STSEndpoint != "" || unset.HTTPProxy != "" || unset.NoProxy != "" ||
		unset.CustomTags != nil || unset.TransitiveTagKeys != nil || unset.Warnings != nil || unset.Profile != "" ||
		!unset.OutputEnvCredentials {
		t.Errorf("inputs without a default are not empty: %+v", unset)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestBooleansFollowYAML12CoreSchema(t *testing.T) {
	for _, v := range []string{"true", "True", "TRUE", " true ", "true\n"} {
		t.Run("accepts "+v+" as true", func(t *testing.T) {
			if in := mustLoad(t, with(OutputCredentials, v)); !in.OutputCredentials {
				t.Errorf("output-credentials: %q loaded as false", v)
			}
		})
	}
	for _, v := range []string{"false", "False", "FALSE", ""} {
		t.Run("accepts "+v+" as false", func(t *testing.T) {
			if in := mustLoad(t, with(OutputEnvCredentials, v, OutputCredentials, v)); in.OutputCredentials {
				t.Errorf("output-credentials: %q loaded as true", v)
			}
		})
	}
	for _, v := range []string{"yes", "no", "on", "off", "1", "0", "tRue", "fAlse", "t", "y", "truee"} {
		t.Run("rejects "+v, func(t *testing.T) {
			wantOneProblem(t, with(MaskAWSAccountID, v), MaskAWSAccountID, `"`+v+`" is not a boolean; want true or false`)
		})
	}
	t.Run("every boolean input rejects yes", func(t *testing.T) {
		for _, name := range []string{RoleChaining, OutputEnvCredentials, OutputCredentials, MaskAWSAccountID, UnsetCurrentCreds, DisableRetry, DebugClaims} {
			wantOneProblem(t, with(name, "yes"), name, "is not a boolean")
		}
	})
}

func TestRoleToAssume(t *testing.T) {
	accepted := []struct {
		name, arn string
		want      Role
	}{
		{"an aws partition role", "arn:aws:iam::123456789012:role/deploy",
			Role{Partition: "aws", Account: "123456789012", Path: "/", Name: "deploy"}},
		{"an aws-cn partition role", "arn:aws-cn:iam::123456789012:role/deploy",
			Role{Partition: "aws-cn", Account: "123456789012", Path: "/", Name: "deploy"}},
		{"an aws-us-gov partition role", "arn:aws-us-gov:iam::123456789012:role/deploy",
			Role{Partition: "aws-us-gov", Account: "123456789012", Path: "/", Name: "deploy"}},
		{"a role with a path", "arn:aws:iam::123456789012:role/service-role/ci/deploy",
			Role{Partition: "aws", Account: "123456789012", Path: "/service-role/ci/", Name: "deploy"}},
		{"a role name with every allowed symbol", "arn:aws:iam::123456789012:role/a+b=c,d.e@f_g-h",
			Role{Partition: "aws", Account: "123456789012", Path: "/", Name: "a+b=c,d.e@f_g-h"}},
		{"a MinIO role without account", "arn:minio:iam:::role/my-role",
			Role{Partition: "minio", Path: "/", Name: "my-role"}},
		{"a role with surrounding white space", "  arn:aws:iam::123456789012:role/deploy\n",
			Role{Partition: "aws", Account: "123456789012", Path: "/", Name: "deploy"}},
	}
	for _, tc := range accepted {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			in := mustLoad(t, with(RoleToAssume, tc.arn))
			want := tc.want
			want.ARN = strings.TrimSpace(tc.arn)
			if in.Role != want {
				t.Errorf("Role = %+v, want %+v", in.Role, want)
			}
		})
	}
	rejected := []struct{ name, arn string }{
		{"a bare role name", "deploy"},
		{"an account ID of 11 digits", "arn:aws:iam::12345678901:role/deploy"},
		{"a user ARN", "arn:aws:iam::123456789012:user/deploy"},
		{"an assumed-role session ARN", "arn:aws:sts::123456789012:assumed-role/deploy/session"},
		{"an empty role name", "arn:aws:iam::123456789012:role/"},
		{"a space in the name", "arn:aws:iam::123456789012:role/my role"},
		{"an upper-case partition", "arn:AWS:iam::123456789012:role/deploy"},
		{"a region in an IAM ARN", "arn:aws:iam:us-east-1:123456789012:role/deploy"},
		{"a line break inside", "arn:aws:iam::123456789012:role/deploy\nX=1"},
		{"a role name with a colon", "arn:aws:iam::123456789012:role/de:ploy"},
		{"a non-ASCII letter", "arn:aws:iam::123456789012:role/déploy"},
	}
	for _, tc := range rejected {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			wantOneProblem(t, with(RoleToAssume, tc.arn), RoleToAssume, "is not a role ARN")
		})
	}
	t.Run("requires a role unless debug-claims is true", func(t *testing.T) {
		e := baseEnv()
		delete(e, "INPUT_ROLE-TO-ASSUME")
		wantOneProblem(t, e, RoleToAssume, "is required")
		e["INPUT_DEBUG-CLAIMS"] = "true"
		in := mustLoad(t, e)
		if !in.Role.IsZero() || !in.DebugClaims {
			t.Errorf("debug-claims without a role loaded as %+v", in)
		}
	})
}

func TestRoleSessionName(t *testing.T) {
	accepted := []string{"ab", strings.Repeat("x", 64), "GitHub_Actions-123", "a+b=c,d.e@f", "run.42@octo-org"}
	for _, v := range accepted {
		t.Run("accepts "+v, func(t *testing.T) {
			if in := mustLoad(t, with(RoleSessionName, v)); in.SessionName != v {
				t.Errorf("SessionName = %q, want %q", in.SessionName, v)
			}
		})
	}
	rejected := []struct{ name, v string }{
		{"one character", "a"},
		{"65 characters", strings.Repeat("x", 65)},
		{"a space", "my session"},
		{"a slash", "octo/repo"},
		{"a colon", "run:42"},
		{"a non-ASCII letter", "sessión"},
		{"a line break", "ab\ncd"},
	}
	for _, tc := range rejected {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			wantOneProblem(t, with(RoleSessionName, tc.v), RoleSessionName, "is not a valid session name; want 2-64 characters")
		})
	}
}

func TestRoleDurationSeconds(t *testing.T) {
	accepted := map[string]time.Duration{"900": 15 * time.Minute, "43200": 12 * time.Hour, "3600": time.Hour, " 7200 ": 2 * time.Hour}
	for v, want := range accepted {
		t.Run("accepts "+v, func(t *testing.T) {
			if in := mustLoad(t, with(RoleDurationSeconds, v)); in.Duration != want {
				t.Errorf("Duration = %v, want %v", in.Duration, want)
			}
		})
	}
	for _, v := range []string{"899", "43201", "0", "-3600", "1h", "3600.0", "3600s", "1e3", "99999999999999999999"} {
		t.Run("rejects "+v, func(t *testing.T) {
			wantOneProblem(t, with(RoleDurationSeconds, v), RoleDurationSeconds, "is not a whole number from 900 to 43200")
		})
	}
}

// policyOfLength builds a valid policy whose compact form is exactly n
// characters long.
func policyOfLength(t *testing.T, n int) string {
	t.Helper()
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::`
	tail := `"}]}`
	pad := n - len(head) - len(tail)
	if pad < 1 {
		t.Fatalf("cannot build a policy of %d characters", n)
	}
	return head + strings.Repeat("b", pad) + tail
}

func TestInlineSessionPolicy(t *testing.T) {
	t.Run("accepts a pretty-printed policy and sends it compacted", func(t *testing.T) {
		pretty := `{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/a b" }
  ]
}`
		in := mustLoad(t, with(InlineSessionPolicy, pretty))
		want := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/a b"}]}`
		if in.InlineSessionPolicy != want {
			t.Errorf("InlineSessionPolicy = %q, want %q", in.InlineSessionPolicy, want)
		}
	})
	t.Run("accepts exactly 2048 characters after compaction", func(t *testing.T) {
		p := policyOfLength(t, maxInlinePolicyChars)
		in := mustLoad(t, with(InlineSessionPolicy, p))
		if len(in.InlineSessionPolicy) != maxInlinePolicyChars {
			t.Errorf("policy of %d characters loaded as %d", maxInlinePolicyChars, len(in.InlineSessionPolicy))
		}
	})
	t.Run("measures the compact form, not the indented one", func(t *testing.T) {
		p := strings.Replace(policyOfLength(t, maxInlinePolicyChars), ",", ",\n"+strings.Repeat(" ", 200), -1)
		if len(p) <= maxInlinePolicyChars {
			t.Fatal("test policy is not longer than the limit before compaction")
		}
		mustLoad(t, with(InlineSessionPolicy, p))
	})
	t.Run("rejects 2049 characters after compaction", func(t *testing.T) {
		wantOneProblem(t, with(InlineSessionPolicy, policyOfLength(t, maxInlinePolicyChars+1)), InlineSessionPolicy, "is 2049 characters after removing white space; STS allows 2048")
	})
	rejected := []struct{ name, v, want string }{
		{"text that is not JSON", "allow everything", "is not a JSON object"},
		{"a JSON list", `[{"Effect":"Allow"}]`, "is not a JSON object"},
		{"a JSON string", `"policy"`, "is not a JSON object"},
		{"JSON null", `null`, "is not a JSON object"},
		{"an unterminated object", `{"Statement":[`, "is not a JSON object"},
		{"two objects", `{"Statement":[]} {"Statement":[]}`, "is not a JSON object"},
		{"an object followed by a stray brace", `{"Statement":[]} }`, "is not valid JSON"},
		{"an object without Statement", `{"Version":"2012-10-17"}`, `has no "Statement"`},
	}
	for _, tc := range rejected {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			wantOneProblem(t, with(InlineSessionPolicy, tc.v), InlineSessionPolicy, tc.want)
		})
	}
}

func TestManagedSessionPolicies(t *testing.T) {
	accepted := []struct {
		name, v string
		want    []string
	}{
		{"a newline list", "arn:aws:iam::aws:policy/ReadOnlyAccess\narn:aws:iam::123456789012:policy/team/Deploy",
			[]string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/team/Deploy"}},
		{"a comma list", "arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws-cn:iam::123456789012:policy/Deploy",
			[]string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws-cn:iam::123456789012:policy/Deploy"}},
		{"a YAML block with blank lines and CRLF", "\r\n  arn:aws-us-gov:iam::123456789012:policy/A\r\n\r\n  arn:aws:iam::aws:policy/B,\r\n",
			[]string{"arn:aws-us-gov:iam::123456789012:policy/A", "arn:aws:iam::aws:policy/B"}},
	}
	for _, tc := range accepted {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			in := mustLoad(t, with(ManagedSessionPolicies, tc.v))
			if !reflect.DeepEqual(in.ManagedSessionPolicies, tc.want) {
				t.Errorf("ManagedSessionPolicies = %q, want %q", in.ManagedSessionPolicies, tc.want)
			}
		})
	}
	list := func(n int) string {
		var arns []string
		for i := 0; i < n; i++ {
			arns = append(arns, "arn:aws:iam::123456789012:policy/P"+itoa(i))
		}
		return strings.Join(arns, "\n")
	}
	t.Run("accepts ten policies", func(t *testing.T) {
		if in := mustLoad(t, with(ManagedSessionPolicies, list(10))); len(in.ManagedSessionPolicies) != 10 {
			t.Errorf("loaded %d policies, want 10", len(in.ManagedSessionPolicies))
		}
	})
	t.Run("rejects eleven policies", func(t *testing.T) {
		wantOneProblem(t, with(ManagedSessionPolicies, list(11)), ManagedSessionPolicies, "lists 11 policies; STS allows at most 10")
	})
	for _, v := range []string{"ReadOnlyAccess", "arn:aws:iam::123456789012:role/deploy", "arn:aws:iam::amazon:policy/X", "arn:aws:iam::123456789012:policy/"} {
		t.Run("rejects "+v, func(t *testing.T) {
			wantOneProblem(t, with(ManagedSessionPolicies, v), ManagedSessionPolicies, `"`+v+`" is not a managed policy ARN`)
		})
	}
}

func TestRoleExternalIDNeedsRoleChaining(t *testing.T) {
	t.Run("is refused without role-chaining", func(t *testing.T) {
		wantOneProblem(t, with(RoleExternalID, "ext-id-123"), RoleExternalID, "is only sent with role-chaining: true")
	})
	t.Run("is accepted with role-chaining", func(t *testing.T) {
		in := mustLoad(t, with(RoleExternalID, "ext-id:123/abc", RoleChaining, "true"))
		if in.ExternalID != "ext-id:123/abc" || !in.RoleChaining {
			t.Errorf("loaded %+v", in)
		}
	})
	for _, v := range []string{"a", "has space", "semi;colon", strings.Repeat("x", 1225)} {
		t.Run("rejects the malformed external ID "+v[:1], func(t *testing.T) {
			wantOneProblem(t, with(RoleExternalID, v, RoleChaining, "true"), RoleExternalID, "is not a valid external ID")
		})
	}
	t.Run("role-chaining needs a role", func(t *testing.T) {
		e := with(RoleChaining, "true", DebugClaims, "true")
		delete(e, "INPUT_ROLE-TO-ASSUME")
		wantOneProblem(t, e, RoleChaining, "needs role-to-assume")
	})
	t.Run("role-chaining excludes web-identity-token-file", func(t *testing.T) {
		wantOneProblem(t, with(RoleChaining, "true", WebIdentityTokenFile, "token"), WebIdentityTokenFile, "cannot be combined with role-chaining")
	})
}

func TestAllowedAccountIDs(t *testing.T) {
	want := []string{"123456789012", "210987654321"}
	for _, tc := range []struct{ name, v string }{
		{"takes commas", " 123456789012, 210987654321 ,,"},
		{"takes one per line, as a YAML block scalar gives them", "123456789012\n210987654321\n"},
		{"takes lines and commas mixed, blank lines and CRLF", "123456789012,\r\n\r\n  210987654321\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := mustLoad(t, with(AllowedAccountIDs, tc.v))
			if !reflect.DeepEqual(in.AllowedAccountIDs, want) {
				t.Errorf("AllowedAccountIDs = %q, want %q", in.AllowedAccountIDs, want)
			}
		})
	}
	t.Run("a role in another account fails validation", func(t *testing.T) {
		wantOneProblem(t, with(AllowedAccountIDs, "111111111111\n222222222222"), RoleToAssume,
			`"arn:aws:iam::123456789012:role/deploy" is in account 123456789012, which is not in allowed-account-ids (111111111111, 222222222222)`)
	})
	t.Run("with mask-aws-account-id the failure names no account", func(t *testing.T) {
		_, err := Load(with(AllowedAccountIDs, "111111111111", MaskAWSAccountID, "true").getenv)
		ps := problemsOf(t, err)
		if len(ps) != 1 || ps[0].Input != RoleToAssume || !strings.Contains(ps[0].Reason, "not in allowed-account-ids") {
			t.Fatalf("problems %v", err)
		}
		if strings.Contains(err.Error(), "123456789012") || strings.Contains(err.Error(), "111111111111") {
			t.Errorf("%q names an account", err)
		}
	})
	t.Run("a role that names no account is left to the check after STS", func(t *testing.T) {
		in := mustLoad(t, with(RoleToAssume, "arn:minio:iam:::role/ci", AllowedAccountIDs, "111111111111"))
		if !reflect.DeepEqual(in.AllowedAccountIDs, []string{"111111111111"}) {
			t.Errorf("AllowedAccountIDs = %q", in.AllowedAccountIDs)
		}
	})
	for _, v := range []string{"12345678901", "1234567890123", "12345678901a", "arn:aws:iam::123456789012:root"} {
		t.Run("rejects "+v, func(t *testing.T) {
			wantOneProblem(t, with(AllowedAccountIDs, v), AllowedAccountIDs, `"`+v+`" is not an AWS account ID; want 12 digits`)
		})
	}
}

// TestListInputsTakeTheSameForms: every list input goes through one parser,
// so a form one accepts, all accept.
func TestListInputsTakeTheSameForms(t *testing.T) {
	lists := []struct {
		input string
		items [2]string
		got   func(*Inputs) []string
		extra []string
	}{
		{ManagedSessionPolicies, [2]string{"arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"}, func(in *Inputs) []string { return in.ManagedSessionPolicies }, nil},
		{AllowedAccountIDs, [2]string{"123456789012", "210987654321"}, func(in *Inputs) []string { return in.AllowedAccountIDs }, nil},
		{TransitiveTagKeys, [2]string{"Repository", "Actor"}, func(in *Inputs) []string { return in.TransitiveTagKeys }, []string{RoleChaining, "true"}},
	}
	forms := map[string]string{
		"commas":            "%s,%s",
		"commas and spaces": " %s , %s ,",
		"lines":             "%s\n%s\n",
		"CRLF lines":        "%s\r\n%s\r\n",
		"blank lines":       "\n%s\n\n%s\n\n",
		"lines and commas":  "%s,\n%s",
	}
	for _, l := range lists {
		for name, form := range forms {
			t.Run(l.input+" takes "+name, func(t *testing.T) {
				in := mustLoad(t, with(append([]string{l.input, fmt.Sprintf(form, l.items[0], l.items[1])}, l.extra...)...))
				if got := l.got(in); !reflect.DeepEqual(got, l.items[:]) {
					t.Errorf("%s = %q, want %q", l.input, got, l.items)
				}
			})
		}
	}
}

func TestRetryInputs(t *testing.T) {
	cases := []struct {
		name         string
		max, disable string
		want         int
	}{
		{"the default is 12 attempts", "", "", 12},
		{"one attempt is allowed", "1", "", 1},
		{"a hundred attempts are allowed", "100", "", 100},
		{"disable-retry makes one attempt", "", "true", 1},
		{"disable-retry wins over retry-max-attempts", "50", "true", 1},
		{"disable-retry false keeps retry-max-attempts", "7", "false", 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if in := mustLoad(t, with(RetryMaxAttempts, tc.max, DisableRetry, tc.disable)); in.MaxAttempts != tc.want {
				t.Errorf("MaxAttempts = %d, want %d", in.MaxAttempts, tc.want)
			}
		})
	}
	for _, v := range []string{"0", "101", "-1", "ten", "2.5"} {
		t.Run("retry-max-attempts rejects "+v, func(t *testing.T) {
			wantOneProblem(t, with(RetryMaxAttempts, v), RetryMaxAttempts, "is not a whole number from 1 to 100")
		})
	}
}

func TestActionTimeout(t *testing.T) {
	if in := mustLoad(t, baseEnv()); in.Timeout != 0 {
		t.Errorf("unset action-timeout-s gives Timeout %v, want none", in.Timeout)
	}
	if in := mustLoad(t, with(ActionTimeoutS, "600")); in.Timeout != 10*time.Minute {
		t.Errorf("action-timeout-s 600 gives Timeout %v", in.Timeout)
	}
	if in := mustLoad(t, with(ActionTimeoutS, "1")); in.Timeout != time.Second {
		t.Errorf("action-timeout-s 1 gives Timeout %v", in.Timeout)
	}
	for _, v := range []string{"0", "-5", "3601", "10m", "1.5"} {
		t.Run("rejects "+v, func(t *testing.T) {
			wantOneProblem(t, with(ActionTimeoutS, v), ActionTimeoutS, "is not a whole number from 1 to 3600")
		})
	}
}

func TestRegionAndAudience(t *testing.T) {
	for _, v := range []string{"us-east-1", "cn-north-1", "us-gov-west-1", "eu-central-2"} {
		t.Run("accepts region "+v, func(t *testing.T) {
			if in := mustLoad(t, with(AWSRegion, v)); in.Region != v {
				t.Errorf("Region = %q", in.Region)
			}
		})
	}
	t.Run("requires a region", func(t *testing.T) {
		e := baseEnv()
		delete(e, "INPUT_AWS-REGION")
		wantOneProblem(t, e, AWSRegion, "is required")
	})
	for _, v := range []string{"US-EAST-1", "us east 1", "us_east_1", strings.Repeat("a", 65)} {
		t.Run("rejects region "+v[:4], func(t *testing.T) {
			wantOneProblem(t, with(AWSRegion, v), AWSRegion, "is not a region name")
		})
	}
	for _, v := range []string{"sts.amazonaws.com", "https://github.com/octo-org", "sts.amazonaws.com.cn", strings.Repeat("a", 256)} {
		t.Run("accepts audience "+v[:4], func(t *testing.T) {
			if in := mustLoad(t, with(Audience, v)); in.Audience != v {
				t.Errorf("Audience = %q", in.Audience)
			}
		})
	}
	for _, v := range []string{"sts amazonaws com", strings.Repeat("a", 257), "aud\x7f", "aud\tx", "audïence"} {
		t.Run("rejects audience "+v[:3], func(t *testing.T) {
			wantOneProblem(t, with(Audience, v), Audience, "is not a valid audience")
		})
	}
}

func TestURLInputs(t *testing.T) {
	accepted := []struct{ input, v string }{
		{STSEndpoint, "https://sts.us-east-1.amazonaws.com"},
		{STSEndpoint, "http://127.0.0.1:9000"},
		{HTTPProxy, "http://proxy.internal:3128"},
		{HTTPProxy, "http://user:pass@proxy.internal:3128"},
	}
	for _, tc := range accepted {
		t.Run(tc.input+" accepts "+tc.v, func(t *testing.T) {
			mustLoad(t, with(tc.input, tc.v))
		})
	}
	rejected := []struct{ name, input, v, want string }{
		{"an STS endpoint without scheme", STSEndpoint, "sts.amazonaws.com", "is not an http(s) URL"},
		{"an ftp STS endpoint", STSEndpoint, "ftp://sts.amazonaws.com", "is not an http(s) URL"},
		{"an STS endpoint without host", STSEndpoint, "https://", "is not an http(s) URL"},
		{"an STS endpoint with credentials", STSEndpoint, "https://key:secret@sts.amazonaws.com", "must not contain credentials"},
		{"a socks proxy", HTTPProxy, "socks5://proxy:1080", "is not an http(s) URL"},
	}
	for _, tc := range rejected {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			wantOneProblem(t, with(tc.input, tc.v), tc.input, tc.want)
		})
	}
	t.Run("a rejected proxy URL never shows its password", func(t *testing.T) {
		for _, v := range []string{"socks5://user:hunter2-secret@proxy:1080", "http://user:hunter2-secret@proxy:bad port", "http://user:hunter2-secret@"} {
			_, err := Load(with(HTTPProxy, v).getenv)
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Input != HTTPProxy {
				t.Fatalf("%q: got %v, want one http-proxy problem", v, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the proxy password", err)
			}
		}
	})
	t.Run("no-proxy must be one line", func(t *testing.T) {
		wantOneProblem(t, with(NoProxy, "localhost\n.internal"), NoProxy, "must be one line")
		if in := mustLoad(t, with(NoProxy, "localhost,.internal")); in.NoProxy != "localhost,.internal" {
			t.Errorf("NoProxy = %q", in.NoProxy)
		}
	})
}

func TestPathsResolveFromWorkspace(t *testing.T) {
	ws := filepath.FromSlash("/home/runner/work/repo/repo")
	cases := []struct {
		name, input, v, want string
	}{
		{"a relative token file is under the workspace", WebIdentityTokenFile, "ci/token.jwt", filepath.Join(ws, "ci", "token.jwt")},
		{"a relative trust policy is under the workspace", TrustPolicy, "iam/trust.json", filepath.Join(ws, "iam", "trust.json")},
		{"dot-dot is cleaned", TrustPolicy, "../other/trust.json", filepath.FromSlash("/home/runner/work/repo/other/trust.json")},
		{"an absolute path is kept", WebIdentityTokenFile, "/var/run/secrets/token", filepath.FromSlash("/var/run/secrets/token")},
		{"an absolute path is cleaned", TrustPolicy, "/etc//iam/./trust.json", filepath.FromSlash("/etc/iam/trust.json")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := with(tc.input, tc.v)
			e["GITHUB_WORKSPACE"] = ws
			in := mustLoad(t, e)
			got := in.TokenFile
			if tc.input == TrustPolicy {
				got = in.TrustPolicyFile
			}
			if got != tc.want {
				t.Errorf("%s %q resolved to %q, want %q", tc.input, tc.v, got, tc.want)
			}
		})
	}
	t.Run("without a workspace a relative path is from the working directory", func(t *testing.T) {
		e := with(WebIdentityTokenFile, "token.jwt")
		delete(e, "GITHUB_WORKSPACE")
		in := mustLoad(t, e)
		got, _ := filepath.Abs(in.TokenFile)
		want, _ := filepath.Abs("token.jwt")
		if got != want {
			t.Errorf("TokenFile = %q, want it to name %q", in.TokenFile, want)
		}
	})
	for _, v := range []string{"a\nb", "a\x00b", "a\rb"} {
		t.Run("rejects a path with a control character", func(t *testing.T) {
			wantOneProblem(t, with(TrustPolicy, v), TrustPolicy, "must be a single-line file path")
		})
	}
}

func TestSeveralBadInputsAreReportedTogether(t *testing.T) {
	e := with(
		RoleToAssume, "deploy",
		RoleDurationSeconds, "60",
		OutputCredentials, "yes",
		AllowedAccountIDs, "42",
	)
	delete(e, "INPUT_AWS-REGION")
	_, err := Load(e.getenv)
	ps := problemsOf(t, err)
	var got []string
	for _, p := range ps {
		got = append(got, p.Input)
	}
	want := []string{RoleToAssume, AWSRegion, RoleDurationSeconds, AllowedAccountIDs, OutputCredentials}
	gotSet, wantSet := map[string]bool{}, map[string]bool{}
	for _, g := range got {
		gotSet[g] = true
	}
	for _, w := range want {
		wantSet[w] = true
	}
	if len(got) != len(want) || !reflect.DeepEqual(gotSet, wantSet) {
		t.Fatalf("problems are about %q, want %q", got, want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "5 inputs are invalid:\n") {
		t.Errorf("error %q does not start with the count", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, "\n  - input \""+w+"\": ") {
			t.Errorf("error %q has no line for %q", msg, w)
		}
	}
}

func TestHostileValuesAreEscapedInErrors(t *testing.T) {
	cases := []struct{ name, input, v string }{
		{"a newline and a workflow command in the role", RoleToAssume, "x\n::add-mask::nothing\n::set-env name=AWS_REGION::evil"},
		{"a carriage return in a boolean", OutputCredentials, "true\r::error::forged"},
		{"a line separator in the region", AWSRegion, "us-east-1\u2028::warning::forged"},
		{"an escape sequence in the duration", RoleDurationSeconds, "\x1b[31m3600"},
		{"a policy ARN list with a command", ManagedSessionPolicies, "arn:aws:iam::aws:policy/A\n::stop-commands::tok"},
		{"a NEL in the session name", RoleSessionName, "ab\u0085::group::x"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" stays on one line", func(t *testing.T) {
			_, err := Load(with(tc.input, tc.v).getenv)
			ps := problemsOf(t, err)
			if len(ps) == 0 || ps[0].Input != tc.input {
				t.Fatalf("got %v, want a problem with %q", err, tc.input)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n\x1b\u0085\u2028\u2029") {
				t.Errorf("error %q holds a raw line break or control character", msg)
			}
			if strings.HasPrefix(strings.TrimSpace(msg), "::") {
				t.Errorf("error %q could start a workflow command", msg)
			}
		})
	}
	t.Run("a long value is cut", func(t *testing.T) {
		_, err := Load(with(AWSRegion, strings.Repeat("X", 10000)).getenv)
		if err == nil {
			t.Fatal("Load accepted a 10000-character region")
		}
		if len(err.Error()) > 400 {
			t.Errorf("error is %d characters long; long values must be cut", len(err.Error()))
		}
		if !strings.Contains(err.Error(), "…") {
			t.Errorf("error %q does not show that the value was cut", err)
		}
	})
}

func TestErrorWithOneProblemIsThatProblem(t *testing.T) {
	e := &invalidInputs{Problems: []*invalidInput{{Input: AWSRegion, Reason: "is required"}}}
	if got, want := e.Error(), `input "aws-region": is required`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestSessionTagInputs(t *testing.T) {
	chaining := func(kv ...string) runnerEnv { return with(append([]string{"role-chaining", "true"}, kv...)...) }
	t.Run("custom-tags are parsed sorted by key, with numbers and booleans as text", func(t *testing.T) {
		in := mustLoad(t, chaining("custom-tags", `{"Team": "payments", "CostCenter": 1234, "Prod": true}`))
		want := []sessiontags.Tag{{Key: "CostCenter", Value: "1234"}, {Key: "Prod", Value: "true"}, {Key: "Team", Value: "payments"}}
		if !reflect.DeepEqual(in.CustomTags, want) {
			t.Errorf("custom tags %+v, want %+v", in.CustomTags, want)
		}
	})
	t.Run("transitive-tag-keys take lines and commas, and custom keys", func(t *testing.T) {
		in := mustLoad(t, chaining("custom-tags", `{"Team": "x"}`, "transitive-tag-keys", "Repository\n team, Actor\n"))
		if want := []string{"Repository", "team", "Actor"}; !reflect.DeepEqual(in.TransitiveTagKeys, want) {
			t.Errorf("transitive keys %q, want %q", in.TransitiveTagKeys, want)
		}
	})
	t.Run("role-skip-session-tagging is accepted without role-chaining", func(t *testing.T) {
		// configure-aws-credentials workflows often set it on OIDC steps,
		// where it has no effect either.
		if in := mustLoad(t, with("role-skip-session-tagging", "true")); !in.SkipSessionTagging {
			t.Error("role-skip-session-tagging: true did not load as true")
		}
	})
	rejects := []struct {
		name, input, want string
		env               runnerEnv
	}{
		{"custom-tags without role-chaining", CustomTags, "only sent with role-chaining: true", with("custom-tags", `{"Team": "x"}`)},
		{"transitive-tag-keys without role-chaining", TransitiveTagKeys, "only sent with role-chaining: true", with("transitive-tag-keys", "Repository")},
		{"custom-tags with role-skip-session-tagging", CustomTags, "role-skip-session-tagging", chaining("role-skip-session-tagging", "true", "custom-tags", `{"Team": "x"}`)},
		{"transitive-tag-keys with role-skip-session-tagging", TransitiveTagKeys, "role-skip-session-tagging", chaining("role-skip-session-tagging", "true", "transitive-tag-keys", "Repository")},
		{"custom-tags that are not an object", CustomTags, "not a JSON object", chaining("custom-tags", `["Team"]`)},
		{"custom-tags overriding a tag the action sets", CustomTags, `key "repository" is set by this action`, chaining("custom-tags", `{"repository": "other/repo"}`)},
		{"custom-tags with a nested value", CustomTags, "string, number or boolean", chaining("custom-tags", `{"Team": {"a": 1}}`)},
		{"custom-tags with a character STS refuses", CustomTags, "character STS does not allow", chaining("custom-tags", `{"Team": "a#b"}`)},
		{"transitive-tag-keys naming no tag", TransitiveTagKeys, `"Nope" is not a session tag`, chaining("transitive-tag-keys", "Nope")},
	}
	for _, tc := range rejects {
		t.Run("rejects "+tc.name, func(t *testing.T) { wantOneProblem(t, tc.env, tc.input, tc.want) })
	}
}

func TestConfigureAWSCredentialsOnlyInputs(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fatal := []struct{ input, value, want string }{
		{"aws-access-key-id", "AKIAIOSFODNN7EXAMPLE", "id-token: write"},
		{"aws-secret-access-key", secret, "id-token: write"},
		{"aws-session-token", secret, "role-chaining: true"},
		{"force-skip-oidc", "true", "role-chaining: true"},
		{"use-existing-credentials", "true", "`if:` condition"},
	}
	for _, tc := range fatal {
		t.Run("fails on "+tc.input, func(t *testing.T) {
			e := with(tc.input, tc.value)
			wantOneProblem(t, e, tc.input, tc.want)
			// Some are secrets: no value may appear in the message.
			_, err := Load(e.getenv)
			if tc.value != "true" && strings.Contains(err.Error(), tc.value) {
				t.Errorf("the error shows the input's value: %v", err)
			}
		})
	}
	t.Run("ignores boolean ones set to false", func(t *testing.T) {
		in := mustLoad(t, with("force-skip-oidc", "false", "use-existing-credentials", "False", "special-characters-workaround", "false"))
		if in.Warnings != nil {
			t.Errorf("warnings %q for inputs set to false", in.Warnings)
		}
	})
	t.Run("warns about special-characters-workaround and goes on", func(t *testing.T) {
		in := mustLoad(t, with("special-characters-workaround", "true"))
		if len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0], `input "special-characters-workaround": `) || !strings.Contains(in.Warnings[0], "ignored") {
			t.Errorf("warnings %q, want one that names the input and says it is ignored", in.Warnings)
		}
	})
	t.Run("none of them is an input of this action", func(t *testing.T) {
		for _, f := range foreigns {
			if _, ok := lookup(f.Name); ok {
				t.Errorf("%s is both an input and a foreign input", f.Name)
			}
		}
	})
}

func TestAWSProfile(t *testing.T) {
	t.Run("output-env-credentials defaults to false with a profile, as in configure-aws-credentials", func(t *testing.T) {
		in := mustLoad(t, with("aws-profile", "prod"))
		if in.Profile != "prod" || in.OverwriteProfile || in.OutputEnvCredentials {
			t.Errorf("loaded %+v", in)
		}
		if in := mustLoad(t, with("aws-profile", "prod", "output-env-credentials", "true", "overwrite-aws-profile", "true")); !in.OutputEnvCredentials || !in.OverwriteProfile {
			t.Errorf("explicit true did not load: %+v", in)
		}
		if in := mustLoad(t, with("output-env-credentials", "false")); in.OutputEnvCredentials {
			t.Error("explicit false without a profile loaded as true")
		}
	})
	t.Run("default, the AWS default profile, and the whole allowed set load", func(t *testing.T) {
		for _, name := range []string{"default", "Default", "ci_deploy.eu-west-1+a@b=c,d"} {
			if in := mustLoad(t, with("aws-profile", name)); in.Profile != name {
				t.Errorf("%q loaded as %q", name, in.Profile)
			}
		}
	})
	for _, tc := range []struct {
		name, input, want string
		env               runnerEnv
	}{
		{"a name with a space", AWSProfile, "may hold only ASCII letters", with("aws-profile", "my prod")},
		{"a name with a bracket", AWSProfile, "may hold only ASCII letters", with("aws-profile", "prod]")},
		{"a name with a slash", AWSProfile, "may hold only ASCII letters", with("aws-profile", "../prod")},
		// aws-sdk-go-v2 ends a section line at ';' or '#': [profile dev;x]
		// would file the profile's keys under the section above it.
		{"a name with ';'", AWSProfile, "may hold only ASCII letters", with("aws-profile", "dev;x")},
		{"a name with '#'", AWSProfile, "may hold only ASCII letters", with("aws-profile", "dev#x")},
		// configparser's [DEFAULT] goes into every profile botocore reads.
		{"DEFAULT", AWSProfile, "must not be DEFAULT", with("aws-profile", "DEFAULT")},
		{"DEFAULT even with overwrite", AWSProfile, "must not be DEFAULT", with("aws-profile", "DEFAULT", "overwrite-aws-profile", "true")},
		{"DEFAULT for refresh", AWSProfile, "must not be DEFAULT", with("refresh-credentials", "true", "aws-profile", "DEFAULT")},
		{"overwrite without a profile", OverwriteAWSProfile, "only applies with aws-profile", with("overwrite-aws-profile", "true")},
		{"a profile without a role", AWSProfile, "needs role-to-assume", with("role-to-assume", "", "debug-claims", "true", "aws-profile", "p")},
		{"a non-boolean overwrite", OverwriteAWSProfile, "not a boolean", with("aws-profile", "p", "overwrite-aws-profile", "yes")},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) { wantOneProblem(t, tc.env, tc.input, tc.want) })
	}
}

func TestRefreshCredentials(t *testing.T) {
	t.Run("exports no keys by default, with or without a profile", func(t *testing.T) {
		in := mustLoad(t, with("refresh-credentials", "true"))
		if !in.RefreshCredentials || in.OutputEnvCredentials || in.Profile != "" {
			t.Errorf("loaded %+v", in)
		}
		if in := mustLoad(t, with("refresh-credentials", "true", "aws-profile", "hub", "overwrite-aws-profile", "true")); !in.RefreshCredentials || in.Profile != "hub" || !in.OverwriteProfile {
			t.Errorf("loaded %+v", in)
		}
		if in := mustLoad(t, with("refresh-credentials", "true", "overwrite-aws-profile", "true")); !in.OverwriteProfile {
			t.Error("overwrite-aws-profile refused for the default profile refresh writes")
		}
	})
	for _, tc := range []struct {
		name, input, want string
		env               runnerEnv
	}{
		{"keys in the environment too", OutputEnvCredentials, "would never be renewed", with("refresh-credentials", "true", "output-env-credentials", "true")},
		{"a token file, which cannot be renewed", RefreshCredentials, "web-identity-token-file", with("refresh-credentials", "true", "web-identity-token-file", "tok.jwt")},
		{"no role", RefreshCredentials, "needs role-to-assume", with("role-to-assume", "", "debug-claims", "true", "refresh-credentials", "true")},
		{"a non-boolean", RefreshCredentials, "not a boolean", with("refresh-credentials", "always")},
		{"a proxy password, which the profile would hold", HTTPProxy, "cannot carry a password", with("refresh-credentials", "true", "http-proxy", "http://user:pw@proxy.example:3128")},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) { wantOneProblem(t, tc.env, tc.input, tc.want) })
	}
}
