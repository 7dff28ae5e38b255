package trustpolicy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/display"
)

// stmt wraps a Condition block in an Allow statement trusting GitHub.
func stmt(condition string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":%s}]}`, ghProvider, condition)
}

func TestCheckConditionSemantics(t *testing.T) {
	const sub = "token.actions.githubusercontent.com:sub"
	const k = "token.actions.githubusercontent.com:"
	tests := []struct {
		name    string
		cond    string
		claims  map[string]any // changes to baseClaims
		context map[string]any
		allowed bool
	}{
		{"StringEquals passes on the exact subject", `{"StringEquals":{"` + sub + `":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`, nil, nil, true},
		{"StringEquals compares values case-sensitively", `{"StringEquals":{"` + sub + `":"repo:Octo-Org/octo-repo:ref:refs/heads/main"}}`, nil, nil, false},
		{"condition key names are case-insensitive", `{"StringEquals":{"Token.Actions.GitHubUserContent.com:SUB":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`, nil, nil, true},
		{"StringEquals treats star literally", `{"StringEquals":{"` + sub + `":"repo:octo-org/octo-repo:*"}}`, nil, nil, false},
		{"StringEqualsIgnoreCase ignores value case", `{"StringEqualsIgnoreCase":{"` + sub + `":"REPO:OCTO-ORG/OCTO-REPO:REF:REFS/HEADS/MAIN"}}`, nil, nil, true},
		{"StringNotEquals passes when the value differs", `{"StringNotEquals":{"` + k + `actor":"someone-else"}}`, nil, nil, true},
		{"StringNotEquals fails when the value is excluded", `{"StringNotEquals":{"` + k + `actor":["someone-else","octocat"]}}`, nil, nil, false},
		{"StringNotEquals passes when the key is missing", `{"StringNotEquals":{"` + k + `environment":"production"}}`, nil, nil, true},
		{"StringNotEqualsIgnoreCase fails on a case variant", `{"StringNotEqualsIgnoreCase":{"` + k + `actor":"OCTOCAT"}}`, nil, nil, false},
		{"StringLike star matches any run", `{"StringLike":{"` + sub + `":"repo:octo-org/octo-repo:*"}}`, nil, nil, true},
		{"StringLike star matches the empty run", `{"StringLike":{"` + k + `actor":"octocat*"}}`, nil, nil, true},
		{"StringLike question mark matches exactly one character", `{"StringLike":{"` + k + `actor":"octoca?"}}`, nil, nil, true},
		{"StringLike question mark does not match zero characters", `{"StringLike":{"` + k + `actor":"octocat?"}}`, nil, nil, false},
		{"StringLike treats regular-expression syntax literally", `{"StringLike":{"` + sub + `":"repo:octo-org/.*"}}`, nil, nil, false},
		{"StringNotLike fails when the pattern matches", `{"StringNotLike":{"` + sub + `":"*:pull_request"}}`, map[string]any{"sub": "repo:octo-org/octo-repo:pull_request"}, nil, false},
		{"StringNotLike passes when the key is missing", `{"StringNotLike":{"` + k + `environment":"prod*"}}`, nil, nil, true},
		{"several values for one key are OR", `{"StringEquals":{"` + sub + `":["repo:octo-org/octo-repo:environment:production","repo:octo-org/octo-repo:ref:refs/heads/main"]}}`, nil, nil, true},
		{"several keys are AND", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `actor":"someone-else"}}`, nil, nil, false},
		{"several operators are AND", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com"},"StringLike":{"` + sub + `":"repo:other/*"}}`, nil, nil, false},
		{"a missing key fails a positive operator", `{"StringEquals":{"` + k + `environment":"production"}}`, nil, nil, false},
		{"IfExists passes when the key is missing", `{"StringEqualsIfExists":{"` + k + `environment":"production"}}`, nil, nil, true},
		{"IfExists still checks a present key", `{"StringEqualsIfExists":{"` + k + `environment":"production"}}`, map[string]any{"environment": "staging"}, nil, false},
		{"Null true passes when the key is absent", `{"Null":{"` + k + `environment":"true"}}`, nil, nil, true},
		{"Null true fails when the key is present", `{"Null":{"` + k + `environment":true}}`, map[string]any{"environment": "production"}, nil, false},
		{"Null false passes when the key is present", `{"Null":{"` + k + `environment":"false"}}`, map[string]any{"environment": "production"}, nil, true},
		{"Null false fails when the key is absent", `{"Null":{"` + k + `environment":"false"}}`, nil, nil, false},
		{"ForAnyValue passes when one list value matches", `{"ForAnyValue:StringEquals":{"` + k + `aud":"sts.amazonaws.com"}}`, map[string]any{"aud": []any{"https://github.com/octo-org", "sts.amazonaws.com"}}, nil, true},
		{"ForAnyValue fails when no list value matches", `{"ForAnyValue:StringEquals":{"` + k + `aud":"sts.amazonaws.com"}}`, map[string]any{"aud": []any{"https://github.com/octo-org"}}, nil, false},
		{"ForAnyValue fails when the key is missing", `{"ForAnyValue:StringEquals":{"` + k + `amr":"mfa"}}`, nil, nil, false},
		{"ForAnyValue matches amr-style list claims", `{"ForAnyValue:StringLike":{"` + k + `amr":"authenticated"}}`, map[string]any{"amr": []any{"authenticated", "cognito-identity.amazonaws.com:login"}}, nil, true},
		{"ForAllValues passes when the key is missing", `{"ForAllValues:StringEquals":{"` + k + `amr":"mfa"}}`, nil, nil, true},
		{"ForAllValues fails when one value is outside the set", `{"ForAllValues:StringEquals":{"` + k + `aud":["sts.amazonaws.com"]}}`, map[string]any{"aud": []any{"sts.amazonaws.com", "other"}}, nil, false},
		{"ForAllValues passes when every value is in the set", `{"ForAllValues:StringEquals":{"` + k + `aud":["sts.amazonaws.com","other"]}}`, map[string]any{"aud": []any{"sts.amazonaws.com", "other"}}, nil, true},
		{"ForAnyValue with a negated operator passes when some value is not excluded", `{"ForAnyValue:StringNotEquals":{"` + k + `aud":"other"}}`, map[string]any{"aud": []any{"sts.amazonaws.com", "other"}}, nil, true},
		{"ForAllValues with a negated operator fails when some value is excluded", `{"ForAllValues:StringNotEquals":{"` + k + `aud":"other"}}`, map[string]any{"aud": []any{"sts.amazonaws.com", "other"}}, nil, false},
		{"an unprefixed operator on a list claim needs one matching value", `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com"}}`, map[string]any{"aud": []any{"x", "sts.amazonaws.com"}}, nil, true},
		{"an unprefixed negated operator on a list claim needs every value not excluded", `{"StringNotEquals":{"` + k + `aud":"x"}}`, map[string]any{"aud": []any{"x", "sts.amazonaws.com"}}, nil, false},
		{"a boolean condition value compares as its string form", `{"StringEquals":{"aws:MultiFactorAuthPresent":true}}`, nil, map[string]any{"aws:MultiFactorAuthPresent": "true"}, true},
		{"a boolean claim compares as its string form", `{"StringEquals":{"aws:MultiFactorAuthPresent":"true"}}`, nil, map[string]any{"aws:MultiFactorAuthPresent": true}, true},
		{"a number condition value compares as its string form", `{"StringEquals":{"` + k + `repository_id":2000002}}`, nil, nil, true},
		{"a number claim compares as its string form", `{"StringEquals":{"` + k + `actor_id":"42"}}`, map[string]any{"actor_id": float64(42)}, nil, true},
		{"claim names are found ignoring case", `{"StringEquals":{"` + k + `Repository":"octo-org/octo-repo"}}`, nil, nil, true},
		{"a key for another issuer is absent", `{"StringEquals":{"ghes.example.com/_services/token:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`, nil, nil, false},
		{"aws keys are absent unless supplied", `{"Bool":{"aws:SecureTransport":"true"}}`, nil, nil, false},
		{"aws keys come from the request context", `{"Bool":{"aws:SecureTransport":"true"}}`, nil, map[string]any{"aws:securetransport": true}, true},
		{"IpAddress checks a supplied source IP", `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, nil, map[string]any{"aws:SourceIp": "192.0.2.7"}, true},
		{"NotIpAddress passes when the key is missing", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, nil, nil, true},
		{"NumericLessThan compares numbers", `{"NumericLessThan":{"` + k + `actor_id":"3"}}`, map[string]any{"actor_id": "2"}, nil, true},
		{"NumericLessThan fails on a non-number", `{"NumericLessThan":{"` + k + `actor_id":"3"}}`, map[string]any{"actor_id": "two"}, nil, false},
		{"DateGreaterThan compares dates", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, nil, map[string]any{"aws:CurrentTime": "2026-06-01T00:00:00Z"}, true},
		{"ArnLike wildcards stay within one ARN component", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`, nil, map[string]any{"aws:SourceArn": "arn:aws:iam::123456789012:role/x"}, true},
		{"ArnLike star does not cross a colon", `{"ArnLike":{"aws:SourceArn":"arn:*:role/x"}}`, nil, map[string]any{"aws:SourceArn": "arn:aws:iam::123456789012:role/x"}, false},
		{"azp takes the place of aud when present", `{"StringEquals":{"` + k + `aud":"client-123"}}`, map[string]any{"azp": "client-123"}, nil, true},
		{"a null claim counts as absent", `{"Null":{"` + k + `environment":"true"}}`, map[string]any{"environment": []any{}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, stmt(tt.cond))
			res := c.Check(Request{Issuer: ghIssuer, Claims: withClaims(tt.claims), Context: tt.context})
			if res.Allowed != tt.allowed {
				var b strings.Builder
				_ = res.WriteText(&b)
				t.Errorf("Allowed = %v, want %v\n%s", res.Allowed, tt.allowed, b.String())
			}
		})
	}
}

func TestCheckStatementSemantics(t *testing.T) {
	allowMain := `{"Sid":"AllowMain","Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}}`
	doc := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	tests := []struct {
		name     string
		doc      string
		issuer   string
		action   string
		allowed  bool
		decision string
	}{
		{"a matching Allow allows", doc(allowMain), ghIssuer, "", true, "allowed"},
		{"explicit Deny wins over a matching Allow", doc(allowMain, `{"Sid":"DenyPush","Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringEquals":{"token.actions.githubusercontent.com:ref":"refs/heads/main"}}}`),
			ghIssuer, "", false, `denied: explicit deny in statement #2 "DenyPush"`},
		{"a Deny whose condition fails does not apply", doc(allowMain, `{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringEquals":{"token.actions.githubusercontent.com:ref":"refs/heads/other"}}}`),
			ghIssuer, "", true, "allowed"},
		{"no matching Allow is an implicit deny", doc(strings.Replace(allowMain, "heads/main", "heads/release", 1)), ghIssuer, "", false, "denied: no statement allows"},
		{"a provider for another issuer does not match", doc(allowMain), "https://ghes.example.com/_services/token", "", false, "denied: no statement allows"},
		{"an AWS principal does not match a web identity", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRoleWithWebIdentity"}`), ghIssuer, "", false, "denied: no statement allows"},
		{"a Service principal does not match a web identity", doc(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), ghIssuer, "", false, "denied: no statement allows"},
		{"Principal star matches a web identity", doc(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}`), ghIssuer, "", true, "allowed"},
		{"Principal AWS star matches a web identity", doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRoleWithWebIdentity"}`), ghIssuer, "", true, "allowed"},
		{"Federated as a list matches any listed provider", doc(`{"Effect":"Allow","Principal":{"Federated":["arn:aws:iam::1:oidc-provider/accounts.google.com","` + ghProvider + `"]},"Action":"sts:AssumeRoleWithWebIdentity"}`), ghIssuer, "", true, "allowed"},
		{"a GHES provider matches a GHES issuer", doc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/ghes.example.com/_services/token"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"ghes.example.com/_services/token:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}}`), "https://ghes.example.com/_services/token", "", true, "allowed"},
		{"an enterprise-slug provider matches its issuer", doc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/octo-ent"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"token.actions.githubusercontent.com/octo-ent:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}}`), "https://token.actions.githubusercontent.com/octo-ent", "", true, "allowed"},
		{"the enterprise-slug provider does not match the public issuer", doc(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/octo-ent"},"Action":"sts:AssumeRoleWithWebIdentity"}`), ghIssuer, "", false, "denied: no statement allows"},
		{"Action sts star matches", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:*"}`), ghIssuer, "", true, "allowed"},
		{"Action star matches", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":["*"]}`), ghIssuer, "", true, "allowed"},
		{"action names are case-insensitive", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"STS:assumerolewithwebidentity"}`), ghIssuer, "", true, "allowed"},
		{"sts:AssumeRole does not cover the web-identity call", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRole"}`), ghIssuer, "", false, "denied: no statement allows"},
		{"NotAction excluding the call does not match", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"NotAction":"sts:AssumeRoleWith*"}`), ghIssuer, "", false, "denied: no statement allows"},
		{"NotAction excluding other calls matches", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"NotAction":["sts:TagSession"]}`), ghIssuer, "", true, "allowed"},
		{"the requested action is checked", doc(`{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity"}`), ghIssuer, "sts:TagSession", false, "denied: no statement allows"},
		{"NotPrincipal excluding the provider does not match", doc(`{"Effect":"Allow","NotPrincipal":{"Federated":"` + ghProvider + `"},"Action":"*"}`), ghIssuer, "", false, "denied: no statement allows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.doc)
			res := c.Check(Request{Issuer: tt.issuer, Claims: baseClaims(), Action: tt.action})
			if res.Allowed != tt.allowed || res.Decision != tt.decision {
				var b strings.Builder
				_ = res.WriteText(&b)
				t.Errorf("got (%v, %q), want (%v, %q)\n%s", res.Allowed, res.Decision, tt.allowed, tt.decision, b.String())
			}
		})
	}
}

func TestCheckExplainsFailures(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	tests := []struct {
		name     string
		cond     string
		claims   map[string]any
		wantSeen []string
		fix      string // substring of the failing condition's Fix
	}{
		{"pull request subject names the event and a broader pattern",
			`{"StringEquals":{"` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`,
			map[string]any{"sub": "repo:octo-org/octo-repo:pull_request"}, []string{"repo:octo-org/octo-repo:pull_request"},
			`pull_request workflows get sub "...:pull_request", not the branch ref; the token's sub is "repo:octo-org/octo-repo:pull_request"; add it to the values`},
		{"environment subject explains that it replaces the ref",
			`{"StringEquals":{"` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`,
			map[string]any{"sub": "repo:octo-org/octo-repo:environment:production"}, []string{"repo:octo-org/octo-repo:environment:production"},
			`the job uses environment "production", so GitHub puts "environment:production" in sub`},
		{"a star under StringEquals suggests StringLike",
			`{"StringEquals":{"` + k + `sub":"repo:octo-org/octo-repo:*"}}`, nil, []string{"repo:octo-org/octo-repo:ref:refs/heads/main"},
			`StringEquals matches "repo:octo-org/octo-repo:*" literally, so the star or question mark is not a wildcard`},
		{"a case difference says StringEquals is case-sensitive",
			`{"StringEquals":{"` + k + `repository":"Octo-Org/Octo-Repo"}}`, nil, []string{"octo-org/octo-repo"},
			`StringEquals is case-sensitive; fix the case`},
		{"another repository is named as such",
			`{"StringEquals":{"` + k + `sub":"repo:octo-org/other:ref:refs/heads/main"}}`, nil, []string{"repo:octo-org/octo-repo:ref:refs/heads/main"},
			`the token comes from "octo-org/octo-repo", a repository the policy does not name`},
		{"a missing environment claim says to set one",
			`{"StringEquals":{"` + k + `environment":"production"}}`, nil, nil,
			"add `environment: NAME` to the job"},
		{"a key for another issuer suggests the right prefix",
			`{"StringEquals":{"ghes.example.com/_services/token:sub":"x"}}`, nil, nil,
			`rename the key to "token.actions.githubusercontent.com:sub"`},
		{"the default GitHub audience suggests requesting sts.amazonaws.com",
			`{"StringEquals":{"` + k + `aud":"sts.amazonaws.com"}}`, map[string]any{"aud": "https://github.com/octo-org"}, []string{"https://github.com/octo-org"},
			`request the audience "sts.amazonaws.com"`},
		{"an excluded value says so",
			`{"StringNotEquals":{"` + k + `actor":"octocat"}}`, nil, []string{"octocat"},
			`the token's actor is "octocat", which this condition excludes`},
		{"a regex in StringLike is called out",
			`{"StringLike":{"` + k + `sub":"^repo:octo-org/.*$"}}`, nil, []string{"repo:octo-org/octo-repo:ref:refs/heads/main"},
			`StringLike knows only * and ?, so "^repo:octo-org/.*$" is not a regular expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, stmt(tt.cond))
			res := c.Check(Request{Issuer: ghIssuer, Claims: withClaims(tt.claims)})
			if res.Allowed {
				t.Fatal("expected a denial")
			}
			cr := res.Statements[0].Conditions[0]
			if cr.Passed {
				t.Fatalf("condition passed: %s", cr.Reason)
			}
			if fmt.Sprint(cr.Seen) != fmt.Sprint(tt.wantSeen) || (tt.wantSeen == nil) != (cr.Seen == nil) {
				t.Errorf("Seen = %#v, want %#v", cr.Seen, tt.wantSeen)
			}
			if !strings.Contains(cr.Fix, tt.fix) {
				t.Errorf("Fix = %q\nwant it to contain %q", cr.Fix, tt.fix)
			}
			for _, v := range cr.Values {
				if !strings.Contains(cr.Reason, display.Quote(v)) && len(cr.Values) == 1 && cr.Seen != nil {
					t.Errorf("Reason %q does not quote the policy value %q", cr.Reason, v)
				}
			}
		})
	}
}

func TestCompileRejects(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"an unknown operator, naming the statement", `{"Statement":[{"Sid":"S1","Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqual":{"a:b":"c"}}}]}`, `statement #1 "S1": unknown condition operator "StringEqual"`},
		{"an operator in the wrong case", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"stringequals":{"a:b":"c"}}}]}`, `did you mean "StringEquals"?`},
		{"an unknown set prefix", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForSomeValues:StringEquals":{"a:b":"c"}}}]}`, `"ForAnyValue:" and "ForAllValues:"`},
		{"Null with IfExists", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NullIfExists":{"a:b":"true"}}}]}`, `Null takes neither`},
		{"a Null value other than true or false", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Null":{"a:b":"yes"}}}]}`, `want true or false`},
		{"a bad Effect", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"*"}]}`, `Effect is "allow"`},
		{"a missing Action", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, `no Action`},
		{"both Action and NotAction", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"x"}]}`, `both Action and NotAction`},
		{"a missing Principal", `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, `no Principal`},
		{"an empty value list", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"a:b":[]}}}]}`, `has no values`},
		{"a non-numeric NumericEquals value", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"NumericEquals":{"a:b":"x"}}}]}`, `not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Compile()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything:at/all", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"repo:o/r:ref:refs/heads/*", "repo:o/r:ref:refs/heads/feature/x", true},
		{"[abc]", "a", false},
		{"[abc]", "[abc]", true},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
