package diagnose

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// pushToMain are the claims of a push to main on github.com with GitHub's
// default subject and the usual audience: nothing to explain.
func pushToMain() map[string]any {
	return map[string]any{
		"iss":              defaultIssuer,
		"sub":              "repo:octo-org/octo-repo:ref:refs/heads/main",
		"aud":              defaultAudience,
		"exp":              float64(time.Date(2025, 6, 1, 12, 5, 0, 0, time.UTC).Unix()),
		"repository":       "octo-org/octo-repo",
		"repository_owner": "octo-org",
		"repository_id":    "2000002",
		"ref":              "refs/heads/main",
		"event_name":       "push",
	}
}

func claimsWith(t *testing.T, change func(m map[string]any)) *claims.Claims {
	t.Helper()
	m := pushToMain()
	if change != nil {
		change(m)
	}
	c, err := claims.FromMap(m)
	if err != nil {
		t.Fatalf("FromMap: %v", err)
	}
	return c
}

func set(kv ...any) func(map[string]any) {
	return func(m map[string]any) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
				continue
			}
			m[kv[i].(string)] = kv[i+1]
		}
	}
}

func causes(fs []Finding) []cause {
	var out []cause
	for _, f := range fs {
		out = append(out, f.cause)
	}
	return out
}

func TestExplain(t *testing.T) {
	cases := []struct {
		name    string
		change  func(map[string]any)
		code    string
		message string
		want    []cause
		text    string // a phrase the first finding must hold
	}{
		{name: "a push to a branch with default settings explains nothing",
			code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{name: "a tag push explains nothing",
			change: set("sub", "repo:octo-org/octo-repo:ref:refs/tags/v1.2.3")},
		{name: "a pull_request subject is explained",
			change: set("sub", "repo:octo-org/octo-repo:pull_request", "event_name", "pull_request"),
			want:   []cause{causePullRequest}, text: `"repo:octo-org/octo-repo:pull_request"`},
		{name: "an environment subject is explained",
			change: set("sub", "repo:octo-org/octo-repo:environment:production", "environment", "production"),
			want:   []cause{causeEnvironment}, text: `environment "production"`},
		{name: "an environment claim with a branch subject is not an environment finding",
			change: set("environment", "production")},
		{name: "an immutable subject is explained",
			change: set("sub", "repo:octo@123/app@456:ref:refs/heads/main", "repository", "octo/app", "repository_owner", "octo"),
			want:   []cause{causeImmutableSubject}, text: "repo:octo/app:"},
		{name: "an immutable pull-request subject gives both findings",
			change: set("sub", "repo:octo@123/app@456:pull_request", "repository", "octo/app", "repository_owner", "octo"),
			want:   []cause{causeImmutableSubject, causePullRequest}},
		{name: "a custom subject template is explained",
			change: set("sub", "repository_owner_id:123:repository_id:456:ref:refs/heads/main"),
			want:   []cause{causeCustomSubject}, text: `"repository_owner_id:123:repository_id:456:ref:refs/heads/main"`},
		{name: "a custom template starting with repo: is explained",
			change: set("sub", "repo:octo-org/octo-repo:job_workflow_ref:octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"),
			want:   []cause{causeCustomSubject}},
		{name: "a non-default audience is explained",
			change: set("aud", "https://github.com/octo-org"),
			want:   []cause{causeAudience}, text: `"https://github.com/octo-org"`},
		{name: "an audience list holding the default audience is fine",
			change: set("aud", []any{"https://github.com/octo-org", defaultAudience})},
		{name: "an STS message about the audience is explained even with the default audience",
			message: "Incorrect token audience",
			want:    []cause{causeAudience}, text: `"token.actions.githubusercontent.com:aud"`},
		{name: "an enterprise custom issuer is explained",
			change: set("iss", "https://token.actions.githubusercontent.com/acme"),
			want:   []cause{causeIssuer}, text: `enterprise's custom issuer "https://token.actions.githubusercontent.com/acme"`},
		{name: "a GHES issuer is explained",
			change: set("iss", "https://ghes.example.com/_services/token"),
			want:   []cause{causeIssuer}, text: "GitHub Enterprise Server"},
		{name: "some other issuer is explained",
			change: set("iss", "https://issuer.example.com"),
			want:   []cause{causeIssuer}, text: `"issuer.example.com:"`},
		{name: "a missing OIDC provider is explained",
			code: "InvalidIdentityToken", message: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com",
			want: []cause{causeMissingProvider}, text: `client ID "sts.amazonaws.com"`},
		{name: "an ExpiredTokenException is explained",
			code: "ExpiredTokenException", message: "Token expired: current date/time 1717243600 must be before the expiration date/time 1717243500",
			want: []cause{causeExpired}, text: "2025-06-01T12:05:00Z"},
		{name: "an expired-token message is explained whatever the code",
			code: "InvalidIdentityToken", message: "The web identity token expired",
			want: []cause{causeExpired}},
		{name: "several causes come most likely first",
			change:  set("iss", "https://token.actions.githubusercontent.com/acme", "aud", "custom", "sub", "repo:octo-org/octo-repo:pull_request"),
			code:    "InvalidIdentityToken",
			message: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com/acme",
			want:    []cause{causeMissingProvider, causeAudience, causeIssuer, causePullRequest}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Explain(Input{Claims: claimsWith(t, tc.change), Code: tc.code, Message: tc.message})
			if got := causes(fs); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("causes = %q, want %q\n%v", got, tc.want, fs)
			}
			if tc.text != "" && !strings.Contains(fs[0].Text, tc.text) {
				t.Errorf("finding %q does not mention %s", fs[0].Text, tc.text)
			}
			for _, f := range fs {
				if strings.TrimSpace(f.Text) == "" || strings.ContainsAny(f.Text, "\r\n") {
					t.Errorf("finding %s has text %q, want one non-empty line", f.cause, f.Text)
				}
			}
		})
	}
}

func TestMissingProviderIsNamedInTheRolesPartition(t *testing.T) {
	for _, partition := range []string{"aws", "aws-us-gov", "aws-cn"} {
		t.Run(partition, func(t *testing.T) {
			fs := Explain(Input{Claims: claimsWith(t, nil), Code: "InvalidIdentityToken",
				Message: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com",
				Account: "123456789012", Partition: partition})
			want := "arn:" + partition + ":iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
			if len(fs) == 0 || !strings.Contains(fs[0].Text, want) {
				t.Errorf("findings %v do not name %s", fs, want)
			}
		})
	}
}

func TestExplainWithoutClaimsFindsNothing(t *testing.T) {
	if fs := Explain(Input{Message: "No OpenIDConnect provider found"}); fs != nil {
		t.Errorf("Explain without claims = %v, want nil", fs)
	}
}

func TestFindingsKeepHostileClaimsOnOneLine(t *testing.T) {
	c := claimsWith(t, set(
		"sub", "repo:ev\nil@1/r@2:pull_request\n::add-mask::x",
		"repository", "ev\nil/r\r::error::x",
		"repository_owner", "ev\nil\u2028",
		"environment", "prod\n::warning::x",
		"iss", "https://evil.example.com/\n::error::",
		"aud", "a\nb",
	))
	fs := Explain(Input{Claims: c, Code: "ExpiredTokenException", Message: "audience expired No OpenIDConnect provider found"})
	if len(fs) < 4 {
		t.Fatalf("only %d findings: %v", len(fs), fs)
	}
	for _, f := range fs {
		if strings.ContainsAny(f.Text, "\r\n\u2028") {
			t.Errorf("finding %s text %q holds a raw line break", f.cause, f.Text)
		}
	}
}

func TestCondition(t *testing.T) {
	cases := []struct {
		name, golden string
		change       func(map[string]any)
	}{
		{"a branch push on github.com", "condition_default.golden", nil},
		{"an enterprise custom issuer and an environment", "condition_enterprise.golden",
			set("iss", "https://token.actions.githubusercontent.com/acme", "sub", "repo:acme/app:environment:production", "environment", "production")},
		{"a token without audience asks for the default one", "condition_no_audience.golden",
			set("aud", nil, "sub", `repo:o/r:ref:refs/heads/feature/"quoted"&<tag>`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := claimsWith(t, tc.change)
			got := Condition(c)
			golden := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("failed to read %s (run go test -update to create it): %v", golden, err)
			}
			if got+"\n" != string(want) {
				t.Errorf("Condition differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}

			// The block pastes inside a Statement: valid JSON once wrapped in braces.
			var doc struct {
				Condition map[string]map[string]string
			}
			if err := json.Unmarshal([]byte("{"+got+"}"), &doc); err != nil {
				t.Fatalf("{ + Condition + } is not JSON: %v\n%s", err, got)
			}
			host := c.IssuerHost()
			eq := doc.Condition["StringEquals"]
			if len(doc.Condition) != 1 || len(eq) != 3 || eq[host+":repository_id"] != c.String("repository_id") {
				t.Errorf("condition = %v, want exactly StringEquals on aud, sub and repository_id", doc.Condition)
			}
			if eq[host+":sub"] != c.Subject {
				t.Errorf("%s:sub = %q, want %q", host, eq[host+":sub"], c.Subject)
			}
			wantAud := defaultAudience
			if len(c.Audience) > 0 {
				wantAud = c.Audience[0]
			}
			if eq[host+":aud"] != wantAud {
				t.Errorf("%s:aud = %q, want %q", host, eq[host+":aud"], wantAud)
			}
			if strings.HasPrefix(got, " ") || strings.HasSuffix(got, "\n") {
				t.Errorf("Condition %q is not trimmed", got)
			}
		})
	}
}

func TestProviderARN(t *testing.T) {
	cases := []struct {
		name, iss, partition, account, want string
	}{
		{"uses the issuer host and the account", defaultIssuer, "aws", "123456789012", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
		{"defaults the partition to aws", defaultIssuer, "", "123456789012", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
		{"shows a placeholder for an unknown account", defaultIssuer, "aws-cn", "", "arn:aws-cn:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com"},
		{"keeps an enterprise slug", "https://token.actions.githubusercontent.com/acme", "aws-us-gov", "123456789012", "arn:aws-us-gov:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/acme"},
		{"keeps the GHES path", "https://ghes.example.com/_services/token", "aws", "123456789012", "arn:aws:iam::123456789012:oidc-provider/ghes.example.com/_services/token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := claimsWith(t, set("iss", tc.iss))
			if got := ProviderARN(c, tc.partition, tc.account); got != tc.want {
				t.Errorf("ProviderARN = %q, want %q", got, tc.want)
			}
		})
	}
}

// One voice: the Condition the action prints after a refusal, pasted into a
// trust policy with the provider ARN it names, admits the job (as explain
// judges it) and draws no lint finding at any severity.
func TestConditionLintsClean(t *testing.T) {
	cases := []struct {
		name   string
		change func(map[string]any)
	}{
		{"a branch push", nil},
		{"a pull request", set("sub", "repo:octo-org/octo-repo:pull_request", "event_name", "pull_request")},
		{"an environment on an enterprise issuer", set("iss", "https://token.actions.githubusercontent.com/acme", "sub", "repo:acme/app:environment:production", "environment", "production", "repository", "acme/app")},
		{"a GHE.com issuer", set("iss", "https://token.actions.octo.ghe.com")},
		{"the immutable subject form", set("sub", "repo:octo-org@1000001/octo-repo@2000002:ref:refs/heads/main")},
		{"a custom subject template", set("sub", "repo:octo-org/octo-repo:environment:prod:ref:refs/heads/main")},
		{"another audience", set("aud", "my-audience")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := claimsWith(t, tc.change)
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":` + strconvQuote(ProviderARN(c, "aws", "123456789012")) +
				`},"Action":"sts:AssumeRoleWithWebIdentity",` + Condition(c) + `}]}`
			p, err := trustpolicy.Parse([]byte(doc))
			if err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			for _, f := range trustpolicy.Lint(p) {
				t.Errorf("lint: %s %s: %s\n%s", f.Severity, f.ID, f.Message, doc)
			}
			compiled, err := p.Compile()
			if err != nil {
				t.Fatal(err)
			}
			if res := compiled.Check(trustpolicy.Request{Issuer: c.Issuer, Claims: c.Raw}); !res.Allowed {
				t.Errorf("explain: %s\n%s", res.Decision, doc)
			}
		})
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// repository_id goes in only where IAM provides the key and the token has
// the claim: on a GHES issuer the key does not exist, and a condition on it
// would never be true (lint's OIDC016).
func TestConditionRepositoryIDOnlyWhereAKey(t *testing.T) {
	cases := []struct {
		name   string
		change func(map[string]any)
	}{
		{"a GHES issuer", set("iss", "https://ghes.example.com/_services/token")},
		{"a token without repository_id", set("repository_id", nil)},
		{"a repository_id that is not a number", set("repository_id", "12\n34")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := claimsWith(t, tc.change)
			got := Condition(c)
			if strings.Contains(got, "repository_id") {
				t.Errorf("Condition names repository_id:\n%s", got)
			}
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":` + strconvQuote(ProviderARN(c, "aws", "123456789012")) +
				`},"Action":"sts:AssumeRoleWithWebIdentity",` + got + `}]}`
			p, err := trustpolicy.Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range trustpolicy.Lint(p) {
				if f.Severity != "info" {
					t.Errorf("lint: %s %s: %s", f.Severity, f.ID, f.Message)
				}
			}
		})
	}
}

// A token that already carries the default audience must not be told to
// request it: the advice would change nothing.
func TestAudienceAdviceNeverSuggestsWhatTheTokenHas(t *testing.T) {
	for _, c := range []struct {
		name string
		aud  any
		want bool
	}{
		{"the default audience", defaultAudience, false},
		{"another audience", "https://github.com/octo-org", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := Explain(Input{Claims: claimsWith(t, set("aud", c.aud)), Code: "InvalidIdentityToken", Message: "Incorrect token audience"})
			var text string
			for _, f := range fs {
				if f.cause == causeAudience {
					text = f.Text
				}
			}
			if text == "" {
				t.Fatalf("no audience finding in %v", fs)
			}
			if got := strings.Contains(text, "with the `audience` input"); got != c.want {
				t.Errorf("suggests the audience input = %v, want %v: %s", got, c.want, text)
			}
		})
	}
}
