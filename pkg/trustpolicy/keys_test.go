package trustpolicy

import (
	"strings"
	"testing"
)

// AWS documentation the cases below follow, quoted once and named in each case.
const (
	docWIFKeys  = `IAM User Guide, "Available keys for AWS web identity federation": "Define condition keys using the name of the OIDC provider followed by the claim (:aud, :azp, :amr, sub)."`
	docSTSKeys  = `Service Authorization Reference, AWS STS, AssumeRoleWithWebIdentity condition keys: token.actions.githubusercontent.com:actor, :actor_id, :enterprise_id, :environment, :job_workflow_ref, :ref, :repository, :repository_id, :repository_owner_id, :workflow (GitHub's issuers only).`
	docMissing  = `IAM User Guide, condition operators: "If the key that you specify in a policy condition is not present in the request context, the values do not match and the condition is false. If the policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition is true."`
	docIfExists = `IAM User Guide, ...IfExists: "If the key is not present, evaluate the condition element as true." ... "If you are using an "Effect": "Deny" element with a negated condition operator like StringNotEqualsIfExists, the request is still denied even if the tag is missing."`
	docNull     = `IAM User Guide, Null: "use either true (the key doesn't exist — it is null) or false (the key exists and its value is not null)."`
	docKeyCase  = `IAM User Guide, Condition: "Condition key names are not case-sensitive. ... Case-sensitivity of condition key values depends on the condition operator that you use."`
	docSession  = `IAM User Guide, sts:RoleSessionName: "Use this key to compare the session name that a principal specifies when assuming a role with the value that is specified in the policy."`
	docSourceID = `IAM User Guide, sts:SourceIdentity: "This key is present in the request when the principal provides a source identity while assuming a role"; a GitHub token carries none.`
	docTags     = `IAM User Guide, aws:RequestTag / aws:TagKeys: set from the tags passed in the request; AssumeRoleWithWebIdentity takes session tags only from the token's https://aws.amazon.com/tags claim, which GitHub never sends.`
)

func TestConditionKeyProvided(t *testing.T) {
	const gh = "https://token.actions.githubusercontent.com"
	tests := []struct {
		doc, issuer, key string
		ok               bool
		nearest          string
	}{
		{docWIFKeys, gh, "token.actions.githubusercontent.com:aud", true, ""},
		{docWIFKeys, gh, "token.actions.githubusercontent.com:sub", true, ""},
		{docWIFKeys, gh, "token.actions.githubusercontent.com:amr", true, ""},
		{docWIFKeys, gh, "token.actions.githubusercontent.com:azp", true, ""},
		{docWIFKeys, "https://ghes.example.com/_services/token", "ghes.example.com/_services/token:sub", true, ""},
		{docWIFKeys, "https://ghes.example.com/_services/token", "ghes.example.com/_services/token:repository", false, "ghes.example.com/_services/token:sub"},
		{docWIFKeys, "https://ghes.example.com/_services/token", "ghes.example.com/_services/token:repository_owner_id", false, "ghes.example.com/_services/token:sub"},
		{docWIFKeys, "https://oidc.example.org", "oidc.example.org:email", false, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:repository_owner_id", true, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:job_workflow_ref", true, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:enterprise_id", true, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:workflow", true, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:repository_owner", false, "token.actions.githubusercontent.com:repository_owner_id"},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:ref_type", false, "token.actions.githubusercontent.com:ref"},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:event_name", false, "token.actions.githubusercontent.com:sub"},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:head_ref", false, "token.actions.githubusercontent.com:sub"},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:runner_environment", false, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:repository_visibility", false, ""},
		{docSTSKeys, gh, "token.actions.githubusercontent.com:workflow_ref", false, "token.actions.githubusercontent.com:job_workflow_ref"},
		{docSTSKeys, "https://token.actions.githubusercontent.com/octo-ent", "token.actions.githubusercontent.com/octo-ent:repository", true, ""},
		{docSTSKeys, "https://token.actions.octocorp.ghe.com", "token.actions.octocorp.ghe.com:environment", true, ""},
		{docSTSKeys, "token.actions.octocorp.ghe.com", "token.actions.octocorp.ghe.com:repository_owner", false, "token.actions.octocorp.ghe.com:repository_owner_id"},
		{docKeyCase, "https://token.actions.githubusercontent.com/octo-ent", "Token.Actions.GitHubUserContent.com/Octo-Ent:AUD", true, ""},
		{docKeyCase, gh, "TOKEN.actions.githubusercontent.com:Repository_ID", true, ""},
		{docWIFKeys, gh, "ghes.example.com/_services/token:sub", false, "token.actions.githubusercontent.com:sub"},
		{docSession, gh, "sts:RoleSessionName", true, ""},
		{docSession, gh, "STS:rolesessionname", true, ""},
		{docSourceID, gh, "sts:SourceIdentity", false, ""},
		{docTags, gh, "aws:RequestTag/team", false, ""},
		{docTags, gh, "aws:TagKeys", false, ""},
		{docMissing, gh, "aws:SourceIp", true, ""}, // not judged: a global key the request may carry
		{docSTSKeys, "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "token.actions.githubusercontent.com:ref_type", false, "token.actions.githubusercontent.com:ref"},
		{docSTSKeys, "token.actions.githubusercontent.com", "token.actions.githubusercontent.com:actor", true, ""},
		{docWIFKeys, "", "token.actions.githubusercontent.com:sub", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ok, nearest := ConditionKeyProvided(tt.issuer, tt.key)
			if ok != tt.ok || nearest != tt.nearest {
				t.Errorf("ConditionKeyProvided(%q, %q) = (%v, %q), want (%v, %q)\nper %s", tt.issuer, tt.key, ok, nearest, tt.ok, tt.nearest, tt.doc)
			}
		})
	}
}

// Each "Why" case of issue 10 (engine part): a claim IAM does not turn
// into a key, in an Allow and in a Deny with a negated operator.
func TestClaimsThatAreNotKeysAreAbsentToIAM(t *testing.T) {
	allowWith := func(op, claim, value string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEqualsIgnoreCase":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"},"` + op + `":{"token.actions.githubusercontent.com:` + claim + `":"` + value + `"}}}]}`
	}
	denyWith := func(op, claim, value string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity",
			"Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}},
			{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{"` + op + `":{"token.actions.githubusercontent.com:` + claim + `":"` + value + `"}}}]}`
	}
	claims := withClaims(map[string]any{
		"head_ref": "feature", "repository_visibility": "private",
	})
	tests := []struct {
		name, doc, policy string
		allowed           bool
	}{
		{"Allow on repository_owner denies", docMissing, allowWith("StringEquals", "repository_owner", "octo-org"), false},
		{"Allow on ref_type denies", docMissing, allowWith("StringEquals", "ref_type", "branch"), false},
		{"Allow on event_name denies", docMissing, allowWith("StringEquals", "event_name", "push"), false},
		{"Allow on head_ref denies", docMissing, allowWith("StringLike", "head_ref", "*"), false},
		{"Allow on runner_environment denies", docMissing, allowWith("StringEquals", "runner_environment", "github-hosted"), false},
		{"Allow on repository_visibility denies", docMissing, allowWith("StringEquals", "repository_visibility", "private"), false},
		{"Allow with StringNotEquals on a keyless claim passes that condition", docMissing, allowWith("StringNotEquals", "repository_owner", "octo-org"), true},
		{"Allow with IfExists on a keyless claim passes that condition", docIfExists, allowWith("StringEqualsIfExists", "repository_owner", "someone-else"), true},
		{"Allow with Null true on a keyless claim passes", docNull, allowWith("Null", "repository_owner", "true"), true},
		{"Allow with Null false on a keyless claim denies", docNull, allowWith("Null", "repository_owner", "false"), false},
		{"Allow on repository_owner_id, a key, allows", docSTSKeys, allowWith("StringEquals", "repository_owner_id", "1000001"), true},
		{"Deny StringNotEquals on repository_owner denies everyone", docMissing, denyWith("StringNotEquals", "repository_owner", "octo-org"), false},
		{"Deny StringNotLike on event_name denies everyone", docMissing, denyWith("StringNotLike", "event_name", "push"), false},
		{"Deny StringNotEqualsIfExists on a keyless claim still denies", docIfExists, denyWith("StringNotEqualsIfExists", "repository_owner", "octo-org"), false},
		{"Deny StringEquals on event_name never applies", docMissing, denyWith("StringEquals", "event_name", "push"), true},
		{"Deny StringNotEquals on repository_owner_id, a key, lets the owner in", docMissing, denyWith("StringNotEquals", "repository_owner_id", "1000001"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.policy)
			res := c.Check(Request{Issuer: ghIssuer, Claims: claims})
			if res.Allowed != tt.allowed {
				var b strings.Builder
				_ = res.WriteText(&b)
				t.Errorf("Allowed = %v, want %v, per %s\n%s", res.Allowed, tt.allowed, tt.doc, b.String())
			}
		})
	}
}

func TestRequestKeys(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	tests := []struct {
		name, doc, cond, session string
		context                  map[string]any
		allowed                  bool
	}{
		{"sts:RoleSessionName compares the session name", docSession, `{"StringEquals":{"sts:RoleSessionName":"deploy-42"}}`, "deploy-42", nil, true},
		{"sts:RoleSessionName rejects another session name", docSession, `{"StringLike":{"sts:RoleSessionName":"deploy-*"}}`, "build-1", nil, false},
		{"sts:RoleSessionName key names ignore case", docKeyCase, `{"StringEquals":{"STS:ROLESESSIONNAME":"deploy-42"}}`, "deploy-42", nil, true},
		{"an unknown session name leaves the key absent", docMissing, `{"StringEquals":{"sts:RoleSessionName":"deploy-42"}}`, "", nil, false},
		{"sts:SourceIdentity is absent", docSourceID, `{"StringEquals":{"sts:SourceIdentity":"octocat"}}`, "x-1", nil, false},
		{"sts:SourceIdentity stays absent even if a context names it", docSourceID, `{"StringEquals":{"sts:SourceIdentity":"octocat"}}`, "x-1", map[string]any{"sts:SourceIdentity": "octocat"}, false},
		{"aws:RequestTag is absent", docTags, `{"StringEquals":{"aws:RequestTag/team":"infra"}}`, "x-1", nil, false},
		{"aws:TagKeys under ForAllValues is true when absent", docTags, `{"ForAllValues:StringEquals":{"aws:TagKeys":"team"}}`, "x-1", nil, true},
		{"aws:TagKeys under ForAnyValue is false when absent", docTags, `{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}`, "x-1", nil, false},
		{"issuer path in a key ignores case", docKeyCase, `{"StringEquals":{"token.actions.githubusercontent.com/Octo-Ent:aud":"sts.amazonaws.com"}}`, "", nil, true},
		{"values keep their case under StringEquals", docKeyCase, `{"StringEquals":{"token.actions.githubusercontent.com/octo-ent:actor":"OctoCat"}}`, "", nil, false},
	}
	_ = k
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := ghIssuer
			provider := ghProvider
			if strings.Contains(tt.cond, "/octo-ent") || strings.Contains(tt.cond, "/Octo-Ent") {
				issuer, provider = ghIssuer+"/octo-ent", ghProvider+"/octo-ent"
			}
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + tt.cond + `}]}`
			c := mustCompile(t, doc)
			claims := baseClaims()
			claims["iss"] = issuer
			res := c.Check(Request{Issuer: issuer, Claims: claims, SessionName: tt.session, Context: tt.context})
			if res.Allowed != tt.allowed {
				var b strings.Builder
				_ = res.WriteText(&b)
				t.Errorf("Allowed = %v, want %v, per %s\n%s", res.Allowed, tt.allowed, tt.doc, b.String())
			}
		})
	}
}

// The class where an independent evaluator (MinIO, pkg/internal/iamdiff)
// disagrees with us: a set operator on a negated operator. AWS's own table
// decides it.
func TestSetOperatorOnNegatedOperator(t *testing.T) {
	const doc = `IAM User Guide, multivalued context key examples: "ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}: key1:legal -> No match; key1:hr, key1:personnel -> No match; key2:audit -> Match; no aws:TagKeys in the request context -> Match.`
	cond := `{"ForAllValues:StringNotLike":{"token.actions.githubusercontent.com:amr":"key1*"}}`
	tests := []struct {
		amr     any
		allowed bool
	}{
		{[]any{"key1:legal"}, false},
		{[]any{"key1:hr", "key1:personnel"}, false},
		{[]any{"key2:audit"}, true},
		{nil, true},
	}
	for _, tt := range tests {
		c := mustCompile(t, stmt(cond))
		claims := baseClaims()
		if tt.amr != nil {
			claims["amr"] = tt.amr
		}
		if got := c.Check(Request{Issuer: ghIssuer, Claims: claims}).Allowed; got != tt.allowed {
			t.Errorf("amr %v: Allowed = %v, want %v, per %s", tt.amr, got, tt.allowed, doc)
		}
	}
}
