package inputs

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

func FuzzLoad(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/deploy", "GitHubActions", "us-east-1", "3600", "", "true")
	f.Add("arn:minio:iam:::role/x", "ab", "eu-west-1", "900", `{"Statement":[]}`, "False")
	f.Add("arn:aws:iam::123456789012:role/x\n::set-env name=A::B", "a\nb", "us-east-1\r", "9e9", "null", "yes")
	f.Add("", "", "", "", "[", "")
	f.Add("arn:aws-us-gov:iam::123456789012:role/a/b/c", "x@y.z", "us-gov-west-1", "43200", "{\"Statement\":[{}]} }", "TRUE")
	f.Add("arn:aws:iam::123456789012:role/\u2028", "ab\u0085", "\x00", "+900", "{\"Statement\":\"\u2028\"}", "tRue")
	f.Fuzz(func(t *testing.T, role, session, region, duration, policy, boolean string) {
		env := runnerEnv{
			"INPUT_ROLE-TO-ASSUME":           role,
			"INPUT_ROLE-SESSION-NAME":        session,
			"INPUT_AWS-REGION":               region,
			"INPUT_ROLE-DURATION-SECONDS":    duration,
			"INPUT_INLINE-SESSION-POLICY":    policy,
			"INPUT_OUTPUT-CREDENTIALS":       boolean,
			"INPUT_MANAGED-SESSION-POLICIES": role,
			"INPUT_ALLOWED-ACCOUNT-IDS":      duration,
		}
		in, err := Load(env.getenv)
		if err != nil {
			if in != nil {
				t.Fatalf("Load returned inputs with error %v", err)
			}
			if e := (*invalidInputs)(nil); !errors.As(err, &e) {
				t.Fatalf("error %T is not an input error", err)
			}
			// Every line of the message is ours: the first, or a list item.
			for i, line := range strings.Split(err.Error(), "\n") {
				if i > 0 && !strings.HasPrefix(line, "  - input \"") {
					t.Fatalf("error line %q is not a problem line; a value broke out", line)
				}
				if strings.ContainsFunc(line, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }) {
					t.Fatalf("error line %q holds a control character", line)
				}
				if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
					t.Fatalf("error line %q could start a workflow command", line)
				}
			}
			return
		}
		for name, v := range map[string]string{"role ARN": in.Role.ARN, "session name": in.SessionName, "region": in.Region, "policy": in.InlineSessionPolicy} {
			if strings.ContainsFunc(v, unicode.IsControl) || strings.ContainsAny(v, "\u2028\u2029") {
				t.Fatalf("accepted %s %q holds a control character", name, v)
			}
		}
		if !countedRoleARN.MatchString(in.Role.ARN) || !countedSession.MatchString(in.SessionName) {
			t.Fatalf("accepted role %q / session %q that do not match their patterns", in.Role.ARN, in.SessionName)
		}
		if rr := in.Role; "arn:"+rr.Partition+":iam::"+rr.Account+":role"+rr.Path+rr.Name != rr.ARN || strings.Contains(rr.Name, "/") {
			t.Fatalf("role %q parsed into parts %+v that do not make it up", rr.ARN, rr)
		}
		if d := in.Duration.Seconds(); d < 900 || d > 43200 {
			t.Fatalf("accepted duration %v", in.Duration)
		}
		if len(in.InlineSessionPolicy) > maxInlinePolicyChars {
			t.Fatalf("accepted a policy of %d characters", len(in.InlineSessionPolicy))
		}
		if len(in.ManagedSessionPolicies) > maxManagedPolicies {
			t.Fatalf("accepted %d managed policies", len(in.ManagedSessionPolicies))
		}
	})
}

// The patterns as first written, with counted repetitions: too costly to
// compile at every start, but the plainest statement of what is allowed.
// The fast checks must agree with them.
var (
	countedRoleARN   = regexp.MustCompile(`^arn:[a-z][a-z0-9-]{0,62}:iam::(\d{12})?:role/[\w+=,.@/-]{1,512}$`)
	countedPolicyARN = regexp.MustCompile(`^arn:[a-z][a-z0-9-]{0,62}:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,512}$`)
	countedRegion    = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	countedSession   = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	countedAudience  = regexp.MustCompile(`^[\x21-\x7e]{1,256}$`)
)

func agreeWithCounted(t *testing.T, s string) {
	t.Helper()
	checks := []struct {
		name    string
		fast    func(string) bool
		counted *regexp.Regexp
	}{
		{"role ARN", validRoleARN, countedRoleARN},
		{"policy ARN", validPolicyARN, countedPolicyARN},
		{"region", validRegion, countedRegion},
		{"session name", validSession, countedSession},
		{"audience", validAudience, countedAudience},
	}
	for _, c := range checks {
		if got, want := c.fast(s), c.counted.MatchString(s); got != want {
			t.Errorf("%s check of %.80q = %v, the counted pattern says %v", c.name, s, got, want)
		}
	}
}

func TestFastChecksAgreeWithCountedPatterns(t *testing.T) {
	name := func(n int) string { return strings.Repeat("r", n) }
	part := func(n int) string { return "a" + strings.Repeat("b", n-1) }
	for _, s := range []string{
		"", "a", "ab", "us-east-1", strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("x", 256), strings.Repeat("x", 257),
		"arn:aws:iam::123456789012:role/" + name(512), "arn:aws:iam::123456789012:role/" + name(513),
		"arn:" + part(63) + ":iam:::role/x", "arn:" + part(64) + ":iam:::role/x", "arn:minio:iam:::role/x",
		"arn:aws:iam::aws:policy/" + name(512), "arn:aws:iam::aws:policy/" + name(513), "arn:aws:iam::12345678901:role/x",
		"arn:aws:iam::123456789012:role/a/b/c", "arn:Aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:role/",
	} {
		agreeWithCounted(t, s)
	}
}

func FuzzFastChecksAgreeWithCountedPatterns(f *testing.F) {
	for _, s := range []string{"arn:aws:iam::123456789012:role/deploy", "arn:aws:iam::aws:policy/ReadOnlyAccess", "us-east-1", "GitHubActions", "sts.amazonaws.com"} {
		f.Add(s)
	}
	f.Fuzz(agreeWithCounted)
}
