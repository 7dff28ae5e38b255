package trustpolicy

import (
	"fmt"
	"strings"
	"testing"
)

func lintIDs(fs []Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID+"/"+string(f.Severity))
	}
	return strings.Join(ids, " ")
}

func TestLintExamples(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"good.json", ""},
		{"main-only.json", "OIDC010/info"},
		{"stringequals-wildcard.json", "OIDC005/error OIDC010/info"},
		{"org-wide.json", "OIDC003/error"},
		{"no-subject.json", "OIDC001/error"},
		{"wrong-issuer-key.json", "OIDC009/error OIDC009/error"},
		{"deny-pull-requests.json", "OIDC004/warning OIDC010/info"},
		{"keyless-claim.json", "OIDC016/error"},
		{"deny-keyless-claim.json", "OIDC010/info OIDC016/error"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := Parse(readFile(t, "testdata/examples/"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := lintIDs(Lint(p)); got != tt.want {
				t.Errorf("findings = %q, want %q", got, tt.want)
			}
		})
	}
}

// Each case cites the documentation sentence (or the fact) that makes the
// policy wrong, so a reviewer can check the rule against its source.
func TestLintRules(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	aud := `"StringEquals":{"` + k + `aud":"sts.amazonaws.com"}`
	const like = `IAM User Guide, condition operators: StringLike is "Case-sensitive matching. The values can include multi-character match wildcards (*) and single-character match wildcards (?) anywhere in the string."`
	const keyDoc = `Service Authorization Reference, AWS STS, condition keys of AssumeRoleWithWebIdentity: for GitHub's issuers IAM provides aud, sub, amr, azp, actor, actor_id, enterprise_id, environment, job_workflow_ref, ref, repository, repository_id, repository_owner_id and workflow; any other claim is no key, and a positive operator on a missing key is false.`
	const subs = `GitHub, OIDC reference: the subject of a push to a branch is "repo:ORG-NAME/REPO-NAME:ref:refs/heads/BRANCH-NAME"; anyone who can create a repository or push a branch in the matched space gets a matching token.`
	tests := []struct {
		name string
		why  string
		cond string
		want string
	}{
		{"a star subject admits any repository", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"*"}}`, "OIDC002/error"},
		{"repo star admits any repository", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:*"}}`, "OIDC002/error"},
		{"a wildcard in the owner admits any repository", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org*"}}`, "OIDC002/error"},
		{"an owner wildcard admits the owner's repositories", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/*"}}`, "OIDC003/error"},
		{"an immutable owner wildcard is owner-wide too", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1000001/*"}}`, "OIDC003/error"},
		{"a repository-name prefix is owner-wide", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/octo-*:ref:refs/heads/main"}}`, "OIDC003/error OIDC010/info"},
		{"a context wildcard admits every ref", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/octo-repo:*"}}`, "OIDC004/warning OIDC010/info"},
		{"an immutable context wildcard admits every ref without the name-only note", subs, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:*"}}`, "OIDC004/warning"},
		{"a ref condition narrows a context wildcard", `IAM User Guide, condition logic: "If you specify multiple condition operators, or multiple keys attached to a single condition operator, the conditions are evaluated using a logical AND."`, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:*"},"StringEqualsIgnoreCase":{"` + k + `ref":"refs/heads/main"}}`, ""},
		{"branch patterns are fine", like, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/release/*"}}`, ""},
		{"the broadest value decides", `IAM User Guide, condition logic: "If a single condition key has multiple values, the condition is evaluated using a logical OR."`, `{` + aud + `,"StringLike":{"` + k + `sub":["repo:octo-org@1/octo-repo@2:ref:refs/heads/main","repo:*"]}}`, "OIDC002/error"},
		{"the narrowest condition decides", `IAM User Guide, condition logic: keys under one operator "are evaluated using a logical AND".`, `{"StringLike":{"` + k + `sub":"*"},"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `repository_id":"2000002","` + k + `job_workflow_ref":"octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"}}`, ""},
		{"a repository_owner_id condition alone is owner-wide", `Service Authorization Reference, AWS STS: token.actions.githubusercontent.com:repository_owner_id is a condition key of AssumeRoleWithWebIdentity; it names an owner, not a repository.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `repository_owner_id":"1000001"}}`, "OIDC003/error"},
		{"a negated subject condition does not restrict", `IAM User Guide: a negated operator such as StringNotEquals matches every value but the ones listed, so it excludes one subject and admits all others.`, `{` + aud + `,"StringNotEquals":{"` + k + `sub":"repo:evil/repo:ref:refs/heads/main"}}`, "OIDC001/error"},
		{"a star under StringEquals is an error", `IAM User Guide, condition operators: StringEquals is "Exact matching, case sensitive".`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/*"}}`, "OIDC005/error"},
		{"ForAllValues in an Allow is a warning", `IAM User Guide, set operators: "The ForAllValues set operator also returns true if there are no context keys in the request."`, `{` + aud + `,"ForAllValues:StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"}}`, "OIDC006/warning"},
		{"ForAllValues with Null false is fine", `IAM User Guide, set operators: a Null condition with a false value checks "that the context key exists and its value is not null".`, `{` + aud + `,"ForAllValues:StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"},"Null":{"` + k + `sub":"false"}}`, ""},
		{"no aud condition is a warning", `IAM User Guide, OIDC federation: IAM checks the token's aud only against the provider's client ID list, which every role trusting the provider shares.`, `{"StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"}}`, "OIDC007/warning"},
		{"a wildcard aud is a warning", like, `{"StringLike":{"` + k + `aud":"*"},"StringEquals":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"}}`, "OIDC008/warning"},
		{"a policy variable in StringLike is no regular expression", `IAM User Guide, policy variables: in Version 2012-10-17 "${...}" in a string condition's value is a variable, replaced by the request's value.`, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:environment:${` + k + `environment}"}}`, ""},
		{"a subject variable for the repository admits every repository", `IAM User Guide, policy variables: a variable is replaced by the request's value, so ${...:repository} in sub matches the token's own repository, whichever it is.`, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:${` + k + `repository}:ref:refs/heads/main"}}`, "OIDC002/error OIDC010/info"},
		{"a subject variable under StringEquals admits every repository too", `IAM User Guide, policy variables: variables work in "any condition that involves the string operators", StringEquals included.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:${` + k + `repository}:ref:refs/heads/main"}}`, "OIDC002/error OIDC010/info"},
		{"a literal star from ${*} under StringEquals is meant", `IAM User Guide, policy variables: "${*}" stands for a literal "*".`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/${*}"}}`, ""},
		{"a regular expression in StringLike is a warning", like, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/(main|dev)"}}`, "OIDC013/warning"},
		{"a name-only subject is an info", `GitHub, OIDC reference: repository and owner names can change hands; repository_id and repository_owner_id cannot.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`, "OIDC010/info"},
		{"a repository_id condition answers the name-only note", `Service Authorization Reference, AWS STS: token.actions.githubusercontent.com:repository_id is a condition key of AssumeRoleWithWebIdentity.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/main","` + k + `repository_id":"2000002"}}`, ""},
		{"a claim IAM does not provide makes an Allow never match", keyDoc, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main","` + k + `repository_owner":"octo-org"}}`, "OIDC016/error"},
		{"each keyless claim of the issue is caught", keyDoc, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main","` + k + `ref_type":"branch","` + k + `event_name":"push","` + k + `head_ref":"x","` + k + `runner_environment":"github-hosted","` + k + `repository_visibility":"private"}}`, "OIDC016/error OIDC016/error OIDC016/error OIDC016/error OIDC016/error"},
		{"a keyless claim alone does not read as owner-wide", keyDoc, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `repository_owner":"octo-org"}}`, "OIDC016/error"},
		{"a negated operator on a keyless claim restricts nothing", keyDoc + ` A negated operator on a missing key is true.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"},"StringNotEquals":{"` + k + `event_name":"pull_request"}}`, "OIDC016/warning"},
		{"IfExists on a keyless claim restricts nothing", keyDoc + ` "...IfExists" is true when the key is absent.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main"},"StringEqualsIfExists":{"` + k + `ref_type":"branch"}}`, "OIDC016/warning"},
		{"key names ignore case, issuer path included", `IAM User Guide, condition element: "Condition key names are not case-sensitive."`, `{"StringEquals":{"TOKEN.actions.githubusercontent.com:AUD":"sts.amazonaws.com","Token.Actions.GitHubUserContent.com:Repository_ID":"2000002","token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/main"}}`, ""},
		{"IfExists on a keyless owner claim is no subject condition", keyDoc + ` "...IfExists" is true when the key is absent, so the condition admits every repository anywhere.`, `{"StringEqualsIfExists":{"` + k + `repository_owner":"my-org"}}`, "OIDC001/error OIDC007/warning OIDC016/warning"},
		{"a negated keyless claim beside an owner-wide subject leaves it owner-wide", keyDoc + ` A negated operator on a missing key is true.`, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org/*"},"StringNotEqualsIfExists":{"` + k + `repository_owner":"evil"}}`, "OIDC003/error OIDC016/warning"},
		{"a keyless context claim does not narrow a context wildcard", keyDoc + ` "...IfExists" is true when the key is absent, so every ref and event still gets in.`, `{` + aud + `,"StringLike":{"` + k + `sub":"repo:octo-org@1/octo-repo@2:*"},"StringEqualsIfExists":{"` + k + `event_name":"push"}}`, "OIDC004/warning OIDC016/warning"},
		{"session tags are never in a GitHub token", `IAM User Guide, passing session tags with AssumeRoleWithWebIdentity: tags come only from the token's https://aws.amazon.com/tags claim, which GitHub does not send.`, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `sub":"repo:octo-org@1/octo-repo@2:ref:refs/heads/main","aws:RequestTag/team":"ops"}}`, "OIDC016/error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(stmt(tt.cond)))
			if err != nil {
				t.Fatal(err)
			}
			fs := Lint(p)
			if got := lintIDs(fs); got != tt.want {
				t.Errorf("findings = %q, want %q\nbecause %s\n%s", got, tt.want, tt.why, fmt.Sprint(fs))
			}
			for _, f := range fs {
				if f.Message == "" || f.Fix == "" || f.Statement != "#1" {
					t.Errorf("finding %s lacks message, fix or statement: %+v", f.ID, f)
				}
			}
		})
	}
}

// The subject forms GitHub builds (default, immutable, custom) and who can
// produce each. Each case names the documentation sentence it rests on.
func TestLintSubjectForms(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	aud := `"StringEquals":{"` + k + `aud":"sts.amazonaws.com"}`
	eq := func(kv ...string) string {
		var b strings.Builder
		b.WriteString(`{"StringEquals":{"` + k + `aud":"sts.amazonaws.com"`)
		for i := 0; i+1 < len(kv); i += 2 {
			b.WriteString(`,"` + k + kv[i] + `":"` + kv[i+1] + `"`)
		}
		return b.String() + `}}`
	}
	like := func(sub string) string { return `{` + aud + `,"StringLike":{"` + k + `sub":"` + sub + `"}}` }
	const jwr = "octo-org/shared/.github/workflows/deploy.yml@refs/heads/main"
	tests := []struct {
		name, why, cond, want string
	}{
		{"a custom environment subject admits any owner", docCustomTemplate, eq("sub", "environment:production"), "OIDC017/error"},
		{"a custom ref subject admits any owner", docCustomTemplate, eq("sub", "ref:refs/heads/main"), "OIDC017/error"},
		{"a custom pull_request subject admits any owner", docCustomTemplate, eq("sub", "pull_request"), "OIDC017/error"},
		{"job_workflow_ref inside sub admits any caller", docCustomTemplate, eq("sub", "job_workflow_ref:"+jwr), "OIDC017/error"},
		{"job_workflow_ref alone admits any caller", docCustomTemplate, eq("job_workflow_ref", jwr), "OIDC017/error"},
		{"an owner pin after a wildcard pins nothing", docColonEncoded, like("environment:prod*:repository_owner_id:1000001"), "OIDC017/error"},
		{"a custom pattern open to any owner", docCustomTemplate, like("environment:prod*"), "OIDC017/error"},
		{"an owner pin with a wildcard value pins nothing", docColonEncoded, like("environment:production:repository_owner:*"), "OIDC017/error"},
		{"a leading wildcard in a custom subject admits any repository", docColonEncoded, like("*:repository_owner_id:1000001"), "OIDC002/error"},
		{"a repo pair behind a literal context is org-wide", docColonEncoded, like("ref:refs/heads/main:repo:octo-org/*"), "OIDC003/error"},
		{"GitHub's owner example is org-wide, not open", docColonEncoded, eq("sub", "environment:production%3Aeastus:repository_owner:octo-org"), "OIDC003/error"},
		{"job_workflow_ref with an owner ID condition is org-wide", docCustomTemplate, eq("job_workflow_ref", jwr, "repository_owner_id", "1000001"), "OIDC003/error"},
		{"wildcard IDs in the immutable form are their own finding", docRecycled, like("repo:octo-org@*/octo-repo@*:ref:refs/heads/main"), "OIDC018/error"},
		{"a wildcard owner ID alone is its own finding", docRecycled, like("repo:octo-org@*/octo-repo@2000002:ref:refs/heads/main"), "OIDC018/error"},
		{"an owner ID wildcard with nothing after it is owner-wide, not open", docRecycled, like("repo:octo-org@*"), "OIDC003/error OIDC018/error"},
		{"a repository ID wildcard at the end admits every context of the name", docRecycled, like("repo:octo-org@1000001/octo-repo@*"), "OIDC004/warning OIDC018/error"},
		{"an enterprise_id condition alone is enterprise-wide", docEnterpriseID, eq("enterprise_id", "123"), "OIDC019/error"},
		{"an enterprise pair in sub is enterprise-wide", docEnterpriseID, eq("sub", "enterprise:octo-ent:environment:production"), "OIDC019/error"},
		{"a repository_id subject alone admits every context", docCustomTemplate, eq("sub", "repository_id:2000002"), "OIDC004/warning"},
		// Tight look-alikes.
		{"a custom subject pinned by IDs is clean", docCustomTemplate, eq("sub", "repository_owner_id:1000001:repository_id:2000002:environment:production"), ""},
		{"a custom environment subject with a repository_id condition is clean", docCustomTemplate, eq("sub", "environment:production", "repository_id", "2000002"), ""},
		{"job_workflow_ref with a repository_id condition is clean", docCustomTemplate, eq("job_workflow_ref", jwr, "repository_id", "2000002"), ""},
		{"an immutable repo pair behind a literal context is clean", docColonEncoded, eq("sub", "ref:refs/heads/main:repo:octo-org@1000001/octo-repo@2000002"), ""},
		{"the immutable form with its IDs is clean", docRecycled, like("repo:octo-org@1000001/octo-repo@2000002:ref:refs/heads/release/*"), ""},
		{"wildcard IDs with a repository_id condition are pinned", docRecycled, `{"StringEquals":{"` + k + `aud":"sts.amazonaws.com","` + k + `repository_id":"2000002"},"StringLike":{"` + k + `sub":"repo:octo-org@*/octo-repo@*:ref:refs/heads/main"}}`, ""},
		{"an enterprise with a repository_id is clean", docEnterpriseID, eq("enterprise_id", "123", "repository_id", "2000002", "ref", "refs/heads/main"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(stmt(tt.cond)))
			if err != nil {
				t.Fatal(err)
			}
			fs := Lint(p)
			if got := lintIDs(fs); got != tt.want {
				t.Errorf("findings = %q, want %q\nbecause %s\n%s", got, tt.want, tt.why, fmt.Sprint(fs))
			}
		})
	}
}

func TestLintStatementShapes(t *testing.T) {
	const fed = `"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}`
	const good = `"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"repo:o@1/r@2:ref:refs/heads/main"}}`
	tests := []struct {
		name, why, doc, want string
	}{
		{"a wildcard principal without conditions is an error", `IAM User Guide, Principal element: "*" in a trust policy means everyone; only conditions then narrow it.`,
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}]}`, "OIDC012/error"},
		{"Resource in a trust policy is an error", `IAM User Guide, Resource element: a role trust policy is a resource-based policy attached to the role, and IAM rejects Resource in it as MalformedPolicyDocument.`,
			`{"Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRoleWithWebIdentity","Resource":"*",` + good + `}]}`, "OIDC011/error"},
		{"sts star is a broad action", `IAM User Guide, Action element: "sts:*" matches every STS action, more than a GitHub job needs.`,
			`{"Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:*",` + good + `}]}`, "OIDC014/info"},
		{"a policy that does not compile", `IAM User Guide, condition operators: operator names are fixed; "StringEqual" is not one.`,
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEqual":{"a:b":"c"}}}]}`, "OIDC000/error OIDC012/warning OIDC014/info"},
		{"a Deny statement is not held to Allow rules, but alone admits nobody", `IAM User Guide, policy evaluation: "By default, all requests are implicitly denied"; a Deny never allows.`,
			`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*"}}}]}`, "OIDC015/error"},
		{"sts:AssumeRole only admits no web-identity token", `STS API reference, AssumeRoleWithWebIdentity: the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the identity provider; sts:AssumeRole is a different action.`,
			`{"Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:AssumeRole",` + good + `}]}`, "OIDC015/error"},
		{"a service principal admits no web-identity token", `IAM User Guide, Principal element: a Service principal is an AWS service, never an OIDC provider.`,
			`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, "OIDC015/error"},
		{"NotAction excluding the web-identity call admits no token", `IAM User Guide, NotAction: the statement matches every action except the ones listed.`,
			`{"Statement":[{"Effect":"Allow",` + fed + `,"NotAction":"sts:AssumeRoleWith*",` + good + `}]}`, "OIDC015/error OIDC014/info"},
		{"a role that is not for OIDC draws nothing", `IAM User Guide, roles for AWS services: an EC2 role's trust policy allows sts:AssumeRole to the ec2.amazonaws.com service principal; a terraform plan lints it alongside the OIDC roles.`,
			`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, ""},
		{"an action wildcard that covers the call is enough", `IAM User Guide, Action element: wildcards match action names, ignoring case.`,
			`{"Statement":[{"Effect":"Allow",` + fed + `,"Action":"sts:assumerolewith*",` + good + `}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := lintIDs(Lint(p)); got != tt.want {
				t.Errorf("findings = %q, want %q\nbecause %s", got, tt.want, tt.why)
			}
		})
	}
}

func TestRulesAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.Summary == "" || r.Help == "" {
			t.Errorf("rule %+v is duplicated or undocumented", r)
		}
		seen[r.ID] = true
		if r.Severity.Rank() == 0 {
			t.Errorf("rule %s has severity %q", r.ID, r.Severity)
		}
	}
}

// OIDC009 compares a condition key's issuer part with the provider in
// Principal.Federated as IAM compares key names: ignoring case, path
// included. Each case also asks explain, so lint cannot contradict it.
func TestLintOtherIssuerKey(t *testing.T) {
	const keyCase = `IAM User Guide, IAM JSON policy elements: Condition: "Condition key names are not case-sensitive." The issuer part is part of the key name.`
	const ent = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com/octo-ent"
	doc := func(provider, prefix, sub string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity",` +
			`"Condition":{"StringEquals":{"` + prefix + `:AUD":"sts.amazonaws.com","` + prefix + `:sub":"` + sub + `"}}}]}`
	}
	const sub = "repo:octo-org@1000001/octo-repo@2000002:ref:refs/heads/main"
	tests := []struct {
		name, why, doc, iss string
		want                string
		allowed             bool
	}{
		{"an enterprise issuer path in other case is the provider's", keyCase,
			doc(ent, "TOKEN.actions.githubusercontent.com/Octo-Ent", sub), "https://token.actions.githubusercontent.com/octo-ent", "", true},
		{"the host in other case is the provider's", keyCase,
			doc(ghProvider, "Token.Actions.GitHubUserContent.COM", sub), ghIssuer, "", true},
		{"another issuer's name-only subject draws no note: the statement never applies", `IAM User Guide, OIDC federation: condition keys are named after the provider; a positive operator on a key that is never set is false.`,
			doc(ent, "token.actions.githubusercontent.com", "repo:octo-org/octo-repo:ref:refs/heads/main"), "https://token.actions.githubusercontent.com/octo-ent", "OIDC009/error OIDC009/error", false},
		{"another enterprise's key is another issuer's", `IAM User Guide, OIDC federation: condition keys are named after the provider ("the name of the OIDC provider followed by the claim"); another provider's keys are never set.`,
			doc(ent, "token.actions.githubusercontent.com/other-ent", sub), "https://token.actions.githubusercontent.com/octo-ent", "OIDC009/error OIDC009/error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.doc)
			if got := lintIDs(Lint(c.Policy())); got != tt.want {
				t.Errorf("findings = %q, want %q\nbecause %s", got, tt.want, tt.why)
			}
			claims := withClaims(map[string]any{"iss": tt.iss, "sub": sub})
			if res := c.Check(Request{Issuer: tt.iss, Claims: claims}); res.Allowed != tt.allowed {
				t.Errorf("explain: %s, want allowed=%v", res.Decision, tt.allowed)
			}
		})
	}
}
