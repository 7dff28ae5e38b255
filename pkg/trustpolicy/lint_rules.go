package trustpolicy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// lintRules is the one table of lint rules: ID, default severity, summary,
// help and the function that checks it, in ID order.
var lintRules = []lintRule{
	{Rule{"OIDC000", SeverityError, "Policy does not compile", "IAM would reject this policy (unknown operator, bad Effect, missing Action or Principal). Fix the statement named in the message.", ""}, lintCompiles, nil, nil},
	{Rule{"OIDC001", SeverityError, "GitHub trust without a subject condition", "Without a condition on sub (or job_workflow_ref), every GitHub Actions workflow of every repository can assume the role. Add StringEquals on \"token.actions.githubusercontent.com:sub\".", docMustCondition}, nil, lintNoSubject, nil},
	{Rule{"OIDC002", SeverityError, "Subject admits any repository", "A sub pattern such as \"*\" or \"repo:*\" matches workflows in every repository on GitHub, including an attacker's. Name the owner and repository.", ""}, nil, lintAnyRepository, nil},
	{Rule{"OIDC003", SeverityError, "Subject admits any repository of an owner", "A pattern such as \"repo:org/*\" lets any repository of the owner assume the role; anyone able to create or push to one of them can. Name the repositories.", docColonEncoded}, nil, lintOwnerWide, nil},
	{Rule{"OIDC004", SeverityWarning, "Subject admits any ref or context of a repository", "A pattern such as \"repo:org/repo:*\" matches every branch, tag, environment and pull request, so anyone who can push a branch can assume the role. Name the branch, tag or environment.", ""}, nil, lintAnyContext, nil},
	{Rule{"OIDC005", SeverityError, "Wildcard under StringEquals", "StringEquals compares literally, so \"*\" and \"?\" only match those characters; the condition almost certainly never matches a real token. Use StringLike.", ""}, nil, lintWildcardUnderEquals, nil},
	{Rule{"OIDC006", SeverityWarning, "ForAllValues: in an Allow", "ForAllValues: is true when the key is absent from the request, so the condition does not require it. Use ForAnyValue:, or add a Null false condition on the key.", ""}, nil, lintForAllValues, nil},
	{Rule{"OIDC007", SeverityWarning, "No audience condition", "Without a condition on aud the role accepts every audience registered on the provider. Add StringEquals \"HOST:aud\": \"sts.amazonaws.com\".", ""}, nil, lintNoAudience, nil},
	{Rule{"OIDC008", SeverityWarning, "Wildcard audience", "An aud pattern of \"*\" checks nothing. Name the audience, usually \"sts.amazonaws.com\".", ""}, nil, lintWildcardAudience, nil},
	{Rule{"OIDC009", SeverityError, "Condition key for a different issuer", "A condition key's issuer prefix does not name the provider in Principal.Federated, so IAM never sets it: positive conditions always fail, negated ones always pass. Use the provider's host/path as the prefix.", ""}, nil, lintOtherIssuerKey, nil},
	{Rule{"OIDC010", SeverityInfo, "Subject names a repository by name only", "Repository and owner names can be renamed or transferred and later reused by someone else. Use the immutable subject form \"repo:OWNER@OWNER_ID/REPO@REPO_ID:...\", or add a condition on repository_id.", ""}, nil, lintNameOnlySubject, nil},
	{Rule{"OIDC011", SeverityError, "Resource in a trust policy", "IAM rejects Resource and NotResource in role trust policies (MalformedPolicyDocument). Remove them.", ""}, nil, lintResource, nil},
	{Rule{"OIDC012", SeverityWarning, "Wildcard principal", "Principal \"*\" trusts every AWS principal and identity provider; only the conditions stand between the role and the world. Name the OIDC provider in Principal.Federated.", ""}, nil, lintWildcardPrincipal, nil},
	{Rule{"OIDC013", SeverityWarning, "Regular expression in StringLike", "StringLike knows only \"*\" and \"?\"; characters such as \".*\", \"^\", \"[\" are matched literally. Rewrite the pattern with * and ?.", ""}, nil, lintRegexInLike, nil},
	{Rule{"OIDC014", SeverityInfo, "Broad action", "The statement allows more STS actions than sts:AssumeRoleWithWebIdentity. List only the actions the workflow needs (add sts:TagSession only if you pass session tags).", ""}, nil, lintBroadAction, nil},
	{Rule{"OIDC015", SeverityError, "No statement admits a web-identity token", "The policy is meant for OIDC (it names a Federated principal, the web-identity action or an issuer's condition keys), but no Allow statement lets a Federated principal call sts:AssumeRoleWithWebIdentity (for example, Action is only sts:AssumeRole), so STS refuses every GitHub token. Allow \"sts:AssumeRoleWithWebIdentity\" for the OIDC provider.", ""}, lintNoWebIdentity, nil, nil},
	{Rule{"OIDC016", SeverityError, "Condition key IAM does not provide", "IAM turns only documented claims into condition keys (aud, sub, amr, azp for every provider; for GitHub's issuers also actor, actor_id, enterprise_id, environment, job_workflow_ref, ref, repository, repository_id, repository_owner_id, workflow). On any other key a positive operator is always false and a negated one always true, so an Allow never admits anyone, or a Deny locks everyone out. Use the key the message names, or a sub pattern.", ""}, nil, lintAbsentKey, nil},
	{Rule{"OIDC017", SeverityError, "Subject any owner can produce",
		"A custom sub (e.g. \"environment:production\" or \"job_workflow_ref:...\") or a job_workflow_ref condition that pins no repository, owner or enterprise: each token's owner chooses its own subject template (include_claim_keys), and any repository allowed to call a reusable workflow gets its job_workflow_ref, so a stranger's repository can produce the value. Pin repository_id or repository_owner_id, or require the default form \"repo:OWNER/REPO:...\"; changing your own template protects nothing.",
		docCustomTemplate}, nil, lintAnyOwner, nil},
	{Rule{"OIDC018", SeverityError, "Immutable subject with wildcard IDs",
		"A pattern such as \"repo:OWNER@*/REPO@*:...\" throws away the IDs that make the immutable form immutable: it matches on names alone, so a new owner or repository that takes a name after a rename, transfer or deletion matches. Write the IDs.",
		docRecycled}, nil, lintDiscardedIDs, nil},
	{Rule{"OIDC019", SeverityError, "Subject admits any repository of an enterprise",
		"An enterprise_id condition, or enterprise or enterprise_id in a custom sub, with nothing narrower: every repository in every organisation of the enterprise can assume the role. Pin the repository.",
		docEnterpriseID}, nil, lintEnterpriseWide, nil},
	{Rule{"OIDC020", SeverityInfo, "Trust policy unknown until apply",
		"A terraform plan creates or changes the role with assume_role_policy known only after apply, typically because the policy names an OIDC provider the same plan creates. Lint cannot check it in this plan. Build the provider ARN from data.aws_caller_identity and the issuer URL, so the policy is known at plan time.",
		""}, nil, nil, lintUnknownPolicy},
}

// lintCompiles reports what IAM would reject outright.
func lintCompiles(r *reporter, p *Policy) {
	if _, err := p.Compile(); err != nil {
		r.report(err.Error(), "fix the statement named above; IAM rejects the policy as written", "")
	}
}

// lintNoWebIdentity: STS checks the role's trust policy for an Allow of
// sts:AssumeRoleWithWebIdentity to the token's provider; without one,
// every call is denied.
func lintNoWebIdentity(r *reporter, p *Policy) {
	if p == nil || !meantForWebIdentity(p) {
		return
	}
	for i := range p.Statements {
		if admitsWebIdentity(&p.Statements[i]) {
			return
		}
	}
	r.report("no Allow statement lets a Federated (OIDC) principal call sts:AssumeRoleWithWebIdentity, so STS refuses every GitHub token for this role",
		"add a statement with \"Effect\": \"Allow\", \"Principal\": {\"Federated\": \"arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com\"} and \"Action\": \"sts:AssumeRoleWithWebIdentity\"", "")
}

// meantForWebIdentity reports whether p has anything to do with OIDC: a
// Federated principal, the web-identity action, or a condition key named
// after an issuer. A terraform plan holds every role's policy, and an EC2
// or Lambda role's is no broken OIDC policy.
func meantForWebIdentity(p *Policy) bool {
	for i := range p.Statements {
		s := &p.Statements[i]
		for _, pr := range []*Principal{s.Principal, s.NotPrincipal} {
			if pr != nil && len(pr.Federated) > 0 {
				return true
			}
		}
		for _, a := range append(append([]string(nil), s.Action...), s.NotAction...) {
			if strings.Contains(strings.ToLower(a), "withwebidentity") {
				return true
			}
		}
		for _, c := range s.Conditions {
			if pre, _, ok := cutLast(c.Key, ":"); ok && looksLikeIssuer(pre) {
				return true
			}
		}
	}
	return false
}

// admitsWebIdentity reports whether s could allow a web-identity call at
// all: an Allow whose principal can be an OIDC provider and whose actions
// include sts:AssumeRoleWithWebIdentity.
func admitsWebIdentity(s *Statement) bool {
	if s.Effect != "Allow" || s.Principal == nil {
		return false
	}
	p := s.Principal
	if !p.Wildcard && len(p.Federated) == 0 && !slices.Contains(p.AWS, "*") {
		return false
	}
	matches := func(a string) bool { return globFold(a, DefaultAction) }
	if s.NotAction != nil {
		return !slices.ContainsFunc(s.NotAction, matches)
	}
	return slices.ContainsFunc(s.Action, matches)
}

// lintNoSubject: without an identity condition any workflow anywhere gets in.
func lintNoSubject(r *reporter, f *stmtFacts) {
	if !f.allow || !f.github || f.neverMatches() {
		return
	}
	if f.subjectScope().ok {
		return
	}
	r.report("no condition on sub or job_workflow_ref: any GitHub Actions workflow, in any repository, can assume this role",
		fmt.Sprintf("add StringEquals %s: \"repo:OWNER/REPO:ref:refs/heads/main\" (or run `oidc-aws policy generate`)", display.Quote(hostFor(f.providers)+":sub")), "")
}

func lintAnyRepository(r *reporter, f *stmtFacts) {
	if f.neverMatches() {
		return
	}
	if id := f.subjectScope(); id.ok && id.level == scopeAnyRepo {
		r.report(fmt.Sprintf("%s pattern %s admits every repository on GitHub: any workflow anywhere, including an attacker's, can assume this role", id.claim, display.Quote(id.evidence)),
			"name the repository, e.g. StringEquals \"repo:OWNER/REPO:ref:refs/heads/main\"", id.evidence)
	}
}

func lintOwnerWide(r *reporter, f *stmtFacts) {
	if f.neverMatches() {
		return
	}
	if id := f.subjectScope(); id.ok && id.level == scopeOwner {
		r.report(fmt.Sprintf("%s value %s admits every repository of one owner: anyone who can create or push to any of its repositories can assume this role", id.claim, display.Quote(id.evidence)),
			"list the repositories that need the role, e.g. \"repo:OWNER/REPO:ref:refs/heads/main\"", id.evidence)
	}
}

func lintAnyContext(r *reporter, f *stmtFacts) {
	if f.neverMatches() {
		return
	}
	if id := f.subjectScope(); id.ok && id.level == scopeRepo {
		r.report(fmt.Sprintf("%s value %s admits every branch, tag, environment and pull request of the repository: anyone who can push a branch can assume this role", id.claim, display.Quote(id.evidence)),
			"name the context, e.g. \"repo:OWNER/REPO:ref:refs/heads/main\" or \"repo:OWNER/REPO:environment:production\"", id.evidence)
	}
}

// lintWildcardUnderEquals: StringEquals has no wildcards, so "*" is a
// literal star; in a positive Allow condition nothing real matches.
func lintWildcardUnderEquals(r *reporter, f *stmtFacts) {
	for _, c := range f.conds {
		fam := c.cc.spec.family
		if fam != famString && fam != famStringIgnoreCase {
			continue
		}
		for _, v := range c.Values {
			if !strings.ContainsAny(literalText(f.version, v), "*?") {
				continue
			}
			sev := SeverityWarning
			msg := fmt.Sprintf("%s matches %s literally (\"*\" and \"?\" are not wildcards here)", c.Operator, display.Quote(v))
			if f.allow && !c.cc.spec.negated {
				sev = SeverityError
				msg += ", so no real token matches and this statement probably never applies"
			}
			r.reportAs(sev, msg, fmt.Sprintf("use %s instead of %s", strings.Replace(c.Operator, c.cc.base, likeFor(c.cc.spec.negated), 1), c.Operator), v)
			break
		}
	}
}

func lintForAllValues(r *reporter, f *stmtFacts) {
	for _, c := range f.conds {
		if f.allow && c.cc.set == setAllValues && !c.cc.spec.negated && !hasNullFalse(f.conds, c.Key) {
			r.report(fmt.Sprintf("%s on %s is true when the token has no such claim, so it does not require it", c.Operator, display.Quote(c.Key)),
				fmt.Sprintf("use %s, or add \"Null\": {%s: \"false\"}", strings.Replace(c.Operator, "ForAllValues:", "ForAnyValue:", 1), display.Quote(c.Key)), c.Key)
		}
	}
}

func lintNoAudience(r *reporter, f *stmtFacts) {
	if !f.allow || !f.github || f.neverMatches() {
		return
	}
	for i := range f.conds {
		if f.restricts(&f.conds[i]) && f.conds[i].claim == "aud" {
			return
		}
	}
	r.report("no condition on aud: IAM only checks the audience against the provider's client ID list, shared by every role that trusts it",
		fmt.Sprintf("add StringEquals %s: \"sts.amazonaws.com\"", display.Quote(hostFor(f.providers)+":aud")), "")
}

func lintWildcardAudience(r *reporter, f *stmtFacts) {
	if !f.allow || !f.github {
		return
	}
	for _, c := range f.conds {
		if c.claim != "aud" || c.cc.spec.family != famStringLike || c.cc.spec.negated {
			continue
		}
		for _, v := range c.Values {
			if strings.Trim(v, "*?") == "" {
				r.report(fmt.Sprintf("aud pattern %s accepts every audience", display.Quote(v)), "use StringEquals with the audience the workflow requests, usually \"sts.amazonaws.com\"", v)
				break
			}
		}
	}
}

// lintOtherIssuerKey: IAM names a provider's keys after the provider, so
// a key for another issuer is never set for this statement's tokens. Key
// names ignore case, issuer path included, as explain matches them.
func lintOtherIssuerKey(r *reporter, f *stmtFacts) {
	if len(f.providers) == 0 {
		return
	}
	for _, c := range f.conds {
		if c.prefix == "" {
			continue
		}
		if slices.ContainsFunc(f.providers, func(h string) bool { return strings.EqualFold(c.prefix, h) }) {
			continue
		}
		claim := c.Key[len(c.prefix)+1:]
		outcome := "always fails"
		if c.cc.spec.negated || c.cc.ifExists || c.cc.set == setAllValues {
			outcome = "always passes"
		}
		r.report(fmt.Sprintf("condition key %s is for issuer %s, but Principal.Federated trusts %s; IAM never sets the key, so the condition %s",
			display.Quote(c.Key), display.Quote(c.prefix), display.QuoteList(f.providers), outcome),
			fmt.Sprintf("rename the key to %s, or point Principal.Federated at the provider for %s", display.Quote(f.providers[0]+":"+claim), display.Quote(c.prefix)), c.Key)
	}
}

// lintNameOnlySubject: a name can be given up and taken by someone else;
// an ID cannot.
func lintNameOnlySubject(r *reporter, f *stmtFacts) {
	if !f.allow || !f.github || f.neverMatches() {
		return
	}
	for _, c := range f.conds {
		if !c.cc.spec.negated && (c.claim == "repository_id" || c.claim == "repository_owner_id") {
			return
		}
	}
	for _, c := range f.conds {
		if c.claim != "sub" || c.cc.spec.negated || c.cc.spec.family > famStringLike {
			continue
		}
		if v, ok := firstNameOnlySubject(c.Values); ok {
			fix := "use the immutable form \"repo:OWNER@OWNER_ID/REPO@REPO_ID:...\""
			if ok, _ := ConditionKeyProvided(c.prefix, c.prefix+":repository_id"); ok {
				fix += fmt.Sprintf(", or add StringEquals %s", display.Quote(c.prefix+":repository_id"))
			}
			r.report(fmt.Sprintf("sub %s names the repository by name; after a rename or transfer, a new repository with the old name would get the same subject", display.Quote(v)),
				fix+" (`oidc-aws policy generate --repository-id ID` writes it)", v)
			return
		}
	}
}

func lintResource(r *reporter, f *stmtFacts) {
	if f.s.Resource != nil || f.s.NotResource != nil {
		r.report("the statement has Resource or NotResource, which IAM rejects in a role trust policy", "remove Resource/NotResource; the role itself is the resource", "Resource")
	}
}

func lintWildcardPrincipal(r *reporter, f *stmtFacts) {
	if !f.allow || !f.wildcardPrincipal {
		return
	}
	sev := r.rule.Severity
	if len(f.s.Conditions) == 0 {
		sev = SeverityError
	}
	r.reportAs(sev, "Principal \"*\" trusts every caller; only the conditions restrict who can assume the role",
		"set Principal to {\"Federated\": \"arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com\"}", "*")
}

func lintRegexInLike(r *reporter, f *stmtFacts) {
	for _, c := range f.conds {
		if c.cc.spec.family != famStringLike {
			continue
		}
		for _, v := range c.Values {
			if lit := literalText(f.version, v); strings.ContainsAny(lit, "^$[]()+\\") || strings.Contains(lit, ".*") {
				r.report(fmt.Sprintf("StringLike pattern %s looks like a regular expression, but only * and ? are special", display.Quote(v)), "rewrite the pattern with * (any characters) and ? (one character)", v)
				break
			}
		}
	}
}

func lintBroadAction(r *reporter, f *stmtFacts) {
	if f.allow && (f.s.NotAction != nil || anyBroadAction(f.s.Action)) {
		r.report("the statement allows more STS actions than sts:AssumeRoleWithWebIdentity",
			"set Action to \"sts:AssumeRoleWithWebIdentity\" (plus \"sts:TagSession\" only if you pass session tags)", "")
	}
}

// literalText is v without its policy variables, which are no regular
// expression syntax; under any Version but 2012-10-17 they are literal
// text, so v is returned whole.
func literalText(version, v string) string {
	if version != variablesVersion {
		return v
	}
	var b strings.Builder
	for _, p := range parseValue(v) {
		if p.key == "" && !p.special {
			b.WriteString(p.text)
		}
	}
	return b.String()
}
