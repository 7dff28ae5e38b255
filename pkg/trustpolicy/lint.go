package trustpolicy

import (
	"fmt"
	"strings"
)

// Finding is one lint result. ID is stable across releases so it can be
// suppressed or tracked (SARIF ruleId).
type Finding struct {
	ID       string
	Severity string // "error", "warning" or "info"
	Document string // set by LintDocuments
	// Statement labels the statement ("#1 \"GitHub\""); "" for the policy.
	Statement string
	Index     int // 0-based statement index; -1 for the policy as a whole
	Message   string
	Fix       string
	// Evidence is the policy text the finding is about (a value, key or
	// Sid), for tools that locate findings in the source file.
	Evidence string
}

// Rule describes a lint rule for documentation and SARIF.
type Rule struct {
	ID       string
	Severity string // default severity; a finding may be milder
	Summary  string
	Help     string
}

// Rules lists every lint rule in ID order.
func Rules() []Rule {
	return []Rule{
		{"OIDC000", "error", "Policy does not compile", "IAM would reject this policy (unknown operator, bad Effect, missing Action or Principal). Fix the statement named in the message."},
		{"OIDC001", "error", "GitHub trust without a subject condition", "Without a condition on sub (or job_workflow_ref), every GitHub Actions workflow of every repository can assume the role. Add StringEquals on \"token.actions.githubusercontent.com:sub\"."},
		{"OIDC002", "error", "Subject admits any repository", "A sub pattern such as \"*\" or \"repo:*\" matches workflows in every repository on GitHub, including an attacker's. Name the owner and repository."},
		{"OIDC003", "warning", "Subject admits any repository of an owner", "A pattern such as \"repo:org/*\" lets any repository of the owner assume the role; anyone able to create or push to one of them can. Name the repositories."},
		{"OIDC004", "warning", "Subject admits any ref or context of a repository", "A pattern such as \"repo:org/repo:*\" matches every branch, tag, environment and pull request, so anyone who can push a branch can assume the role. Name the branch, tag or environment."},
		{"OIDC005", "error", "Wildcard under StringEquals", "StringEquals compares literally, so \"*\" and \"?\" only match those characters; the condition almost certainly never matches a real token. Use StringLike."},
		{"OIDC006", "warning", "ForAllValues: in an Allow", "ForAllValues: is true when the key is absent from the request, so the condition does not require it. Use ForAnyValue:, or add a Null false condition on the key."},
		{"OIDC007", "warning", "No audience condition", "Without a condition on aud the role accepts every audience registered on the provider. Add StringEquals \"HOST:aud\": \"sts.amazonaws.com\"."},
		{"OIDC008", "warning", "Wildcard audience", "An aud pattern of \"*\" checks nothing. Name the audience, usually \"sts.amazonaws.com\"."},
		{"OIDC009", "error", "Condition key for a different issuer", "A condition key's issuer prefix does not name the provider in Principal.Federated, so IAM never sets it: positive conditions always fail, negated ones always pass. Use the provider's host/path as the prefix."},
		{"OIDC010", "info", "Subject names a repository by name only", "Repository and owner names can be renamed or transferred and later reused by someone else. Use the immutable subject form \"repo:OWNER@OWNER_ID/REPO@REPO_ID:...\", or add a condition on repository_id."},
		{"OIDC011", "error", "Resource in a trust policy", "IAM rejects Resource and NotResource in role trust policies (MalformedPolicyDocument). Remove them."},
		{"OIDC012", "warning", "Wildcard principal", "Principal \"*\" trusts every AWS principal and identity provider; only the conditions stand between the role and the world. Name the OIDC provider in Principal.Federated."},
		{"OIDC013", "warning", "Regular expression in StringLike", "StringLike knows only \"*\" and \"?\"; characters such as \".*\", \"^\", \"[\" are matched literally. Rewrite the pattern with * and ?."},
		{"OIDC014", "info", "Broad action", "The statement allows more STS actions than sts:AssumeRoleWithWebIdentity. List only the actions the workflow needs (add sts:TagSession only if you pass session tags)."},
	}
}

func ruleSeverity(id string) string {
	for _, r := range Rules() {
		if r.ID == id {
			return r.Severity
		}
	}
	return "error"
}

// LintDocuments lints each document, naming it in every finding.
func LintDocuments(docs []Document) []Finding {
	var out []Finding
	for _, d := range docs {
		for _, f := range Lint(d.Policy) {
			f.Document = d.Name
			out = append(out, f)
		}
	}
	return out
}

// HasErrors reports whether any finding is error-level.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == "error" {
			return true
		}
	}
	return false
}

// Lint checks a trust policy for OIDC mistakes. Findings come in statement
// order, and within a statement in rule order.
func Lint(p *Policy) []Finding {
	var out []Finding
	if _, err := p.Compile(); err != nil {
		out = append(out, Finding{ID: "OIDC000", Severity: "error", Index: -1, Message: err.Error(), Fix: "fix the statement named above; IAM rejects the policy as written"})
	}
	if p == nil {
		return out
	}
	for i := range p.Statements {
		out = append(out, lintStatement(i, &p.Statements[i])...)
	}
	return out
}

// subject-scope levels, from broadest to narrowest.
const (
	scopeAnyRepo = iota
	scopeOwner
	scopeRepo
	scopeExact
)

type lintCond struct {
	Condition
	cc     compiledCond
	claim  string // claim name when the key has an issuer prefix
	prefix string // issuer host/path part of the key
}

func lintStatement(i int, s *Statement) []Finding {
	label := statementLabel(i, s.Sid)
	var out []Finding
	add := func(id, sev, msg, fix, evidence string) {
		if sev == "" {
			sev = ruleSeverity(id)
		}
		if evidence == "" {
			evidence = s.Sid
		}
		out = append(out, Finding{ID: id, Severity: sev, Statement: label, Index: i, Message: msg, Fix: fix, Evidence: evidence})
	}
	allow := s.Effect == "Allow"

	var providers []string // OIDC provider host/paths trusted
	var wildcardPrincipal bool
	if s.Principal != nil {
		wildcardPrincipal = s.Principal.Wildcard
		for _, a := range s.Principal.AWS {
			wildcardPrincipal = wildcardPrincipal || a == "*"
		}
		for _, f := range s.Principal.Federated {
			if a, ok := parseProviderARN(f); ok {
				providers = append(providers, a.hostPath)
			}
		}
	}

	var conds []lintCond
	for _, c := range s.Conditions {
		cc, err := parseOperator(c.Operator)
		if err != nil {
			continue // reported as OIDC000
		}
		lc := lintCond{Condition: c, cc: cc}
		if pre, claim, ok := cutLast(c.Key, ":"); ok && (strings.Contains(pre, ".") || strings.Contains(pre, "/")) {
			lc.prefix, lc.claim = pre, strings.ToLower(claim)
		}
		conds = append(conds, lc)
	}

	github := false
	for _, h := range providers {
		github = github || isGitHubIssuer(h)
	}
	if len(providers) == 0 {
		for _, c := range conds {
			github = github || (c.prefix != "" && isGitHubIssuer(c.prefix))
		}
	}

	if s.Resource != nil || s.NotResource != nil {
		add("OIDC011", "", "the statement has Resource or NotResource, which IAM rejects in a role trust policy", "remove Resource/NotResource; the role itself is the resource", "Resource")
	}
	if allow && wildcardPrincipal {
		sev := "warning"
		if len(s.Conditions) == 0 {
			sev = "error"
		}
		add("OIDC012", sev, "Principal \"*\" trusts every caller; only the conditions restrict who can assume the role", "set Principal to {\"Federated\": \"arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com\"}", "*")
	}
	if allow && (s.NotAction != nil || anyBroadAction(s.Action)) {
		add("OIDC014", "", "the statement allows more STS actions than sts:AssumeRoleWithWebIdentity", "set Action to \"sts:AssumeRoleWithWebIdentity\" (plus \"sts:TagSession\" only if you pass session tags)", "")
	}

	// Subject scope: conditions AND together, so the narrowest restricting
	// condition decides; within one condition values OR, so its broadest
	// value decides.
	scope, scopeEvidence, scopeClaim, restricted := -1, "", "", false
	contextRestricted := false
	hasAud := false
	for _, c := range conds {
		if !allow || c.prefix == "" || c.cc.spec.negated || c.cc.spec.family > famStringLike {
			continue
		}
		like := c.cc.spec.family == famStringLike
		switch c.claim {
		case "ref", "environment", "workflow_ref", "event_name", "job_workflow_sha", "workflow_sha":
			if !anyWildcardOnly(c.Values, like) {
				contextRestricted = true
			}
		case "aud":
			hasAud = true
		}
		lvl, ev, ok := claimScope(c.claim, c.Values, like)
		if !ok {
			continue
		}
		restricted = true
		if lvl > scope {
			scope, scopeEvidence, scopeClaim = lvl, ev, c.claim
		}
	}
	if allow && github && !restricted {
		host := hostFor(providers)
		add("OIDC001", "", "no condition on sub or job_workflow_ref: any GitHub Actions workflow, in any repository, can assume this role",
			fmt.Sprintf("add StringEquals %s: \"repo:OWNER/REPO:ref:refs/heads/main\" (or run `oidc-aws policy generate`)", quote(host+":sub")), s.Sid)
	}
	if allow && restricted {
		if scope == scopeRepo && contextRestricted {
			scope = scopeExact
		}
		switch scope {
		case scopeAnyRepo:
			add("OIDC002", "", fmt.Sprintf("%s pattern %s admits every repository on GitHub: any workflow anywhere, including an attacker's, can assume this role", scopeClaim, quote(scopeEvidence)),
				"name the repository, e.g. StringEquals \"repo:OWNER/REPO:ref:refs/heads/main\"", scopeEvidence)
		case scopeOwner:
			add("OIDC003", "", fmt.Sprintf("%s value %s admits every repository of one owner: anyone who can create or push to any of its repositories can assume this role", scopeClaim, quote(scopeEvidence)),
				"list the repositories that need the role, e.g. \"repo:OWNER/REPO:ref:refs/heads/main\"", scopeEvidence)
		case scopeRepo:
			add("OIDC004", "", fmt.Sprintf("%s value %s admits every branch, tag, environment and pull request of the repository: anyone who can push a branch can assume this role", scopeClaim, quote(scopeEvidence)),
				"name the context, e.g. \"repo:OWNER/REPO:ref:refs/heads/main\" or \"repo:OWNER/REPO:environment:production\"", scopeEvidence)
		}
	}

	for _, c := range conds {
		fam := c.cc.spec.family
		if fam == famString || fam == famStringIgnoreCase {
			for _, v := range c.Values {
				if strings.ContainsAny(v, "*?") {
					sev := "warning"
					msg := fmt.Sprintf("%s matches %s literally (\"*\" and \"?\" are not wildcards here)", c.Operator, quote(v))
					if allow && !c.cc.spec.negated {
						sev = "error"
						msg += ", so no real token matches and this statement probably never applies"
					}
					add("OIDC005", sev, msg, fmt.Sprintf("use %s instead of %s", strings.Replace(c.Operator, c.cc.base, likeFor(c.cc.spec.negated), 1), c.Operator), v)
					break
				}
			}
		}
		if fam == famStringLike {
			for _, v := range c.Values {
				if strings.ContainsAny(v, "^$[]()+\\") || strings.Contains(v, ".*") {
					add("OIDC013", "", fmt.Sprintf("StringLike pattern %s looks like a regular expression, but only * and ? are special", quote(v)), "rewrite the pattern with * (any characters) and ? (one character)", v)
					break
				}
			}
		}
		if allow && c.cc.set == setAllValues && !c.cc.spec.negated && !hasNullFalse(conds, c.Key) {
			add("OIDC006", "", fmt.Sprintf("%s on %s is true when the token has no such claim, so it does not require it", c.Operator, quote(c.Key)),
				fmt.Sprintf("use %s, or add \"Null\": {%s: \"false\"}", strings.Replace(c.Operator, "ForAllValues:", "ForAnyValue:", 1), quote(c.Key)), c.Key)
		}
		if allow && github && c.claim == "aud" && fam == famStringLike && !c.cc.spec.negated {
			for _, v := range c.Values {
				if strings.Trim(v, "*?") == "" {
					add("OIDC008", "", fmt.Sprintf("aud pattern %s accepts every audience", quote(v)), "use StringEquals with the audience the workflow requests, usually \"sts.amazonaws.com\"", v)
					break
				}
			}
		}
	}
	if allow && github && !hasAud {
		add("OIDC007", "", "no condition on aud: IAM only checks the audience against the provider's client ID list, shared by every role that trusts it",
			fmt.Sprintf("add StringEquals %s: \"sts.amazonaws.com\"", quote(hostFor(providers)+":aud")), s.Sid)
	}

	if len(providers) > 0 {
		for _, c := range conds {
			if c.prefix == "" {
				continue
			}
			match := false
			for _, h := range providers {
				match = match || sameIssuer(c.prefix, h)
			}
			if !match {
				claim := c.Key[len(c.prefix)+1:]
				outcome := "always fails"
				if c.cc.spec.negated || c.cc.ifExists || c.cc.set == setAllValues {
					outcome = "always passes"
				}
				add("OIDC009", "", fmt.Sprintf("condition key %s is for issuer %s, but Principal.Federated trusts %s; IAM never sets the key, so the condition %s",
					quote(c.Key), quote(c.prefix), quoteList(providers), outcome),
					fmt.Sprintf("rename the key to %s, or point Principal.Federated at the provider for %s", quote(providers[0]+":"+claim), quote(c.prefix)), c.Key)
			}
		}
	}

	if allow && github {
		hasID := false
		for _, c := range conds {
			if !c.cc.spec.negated && (c.claim == "repository_id" || c.claim == "repository_owner_id") {
				hasID = true
			}
		}
		if !hasID {
			for _, c := range conds {
				if c.claim != "sub" || c.cc.spec.negated || c.cc.spec.family > famStringLike {
					continue
				}
				if v, ok := firstNameOnlySubject(c.Values); ok {
					add("OIDC010", "", fmt.Sprintf("sub %s names the repository by name; after a rename or transfer, a new repository with the old name would get the same subject", quote(v)),
						fmt.Sprintf("use the immutable form \"repo:OWNER@OWNER_ID/REPO@REPO_ID:...\", or add StringEquals %s", quote(c.prefix+":repository_id")), v)
					break
				}
			}
		}
	}
	return out
}

func likeFor(negated bool) string {
	if negated {
		return "StringNotLike"
	}
	return "StringLike"
}

func hostFor(providers []string) string {
	if len(providers) > 0 {
		return providers[0]
	}
	return "token.actions.githubusercontent.com"
}

// isGitHubIssuer recognises github.com's issuer (with or without an
// enterprise slug) and GitHub Enterprise Server's /_services/token path.
func isGitHubIssuer(hostPath string) bool {
	h := strings.ToLower(hostPath)
	return h == "token.actions.githubusercontent.com" || strings.HasPrefix(h, "token.actions.githubusercontent.com/") ||
		strings.HasSuffix(h, "/_services/token")
}

func anyBroadAction(actions []string) bool {
	for _, a := range actions {
		if a == "*" || strings.EqualFold(a, "sts:*") {
			return true
		}
	}
	return false
}

func anyWildcardOnly(vals []string, like bool) bool {
	if !like {
		return false
	}
	for _, v := range vals {
		if strings.Trim(v, "*?") == "" {
			return true
		}
	}
	return false
}

func hasNullFalse(conds []lintCond, key string) bool {
	for _, c := range conds {
		if c.cc.spec.family == famNull && strings.EqualFold(c.Key, key) {
			for _, v := range c.Values {
				if v == "false" {
					return true
				}
			}
		}
	}
	return false
}

// claimScope grades the values of a positive condition on a claim that
// identifies a repository. ok is false for claims that do not. The result
// is the broadest value's level, since values OR together.
func claimScope(claim string, vals []string, like bool) (level int, evidence string, ok bool) {
	var grade func(string) int
	switch claim {
	case "sub":
		grade = func(v string) int { return subjectScope(v, like) }
	case "job_workflow_ref":
		grade = func(v string) int { return pathScope(v, like, scopeExact) }
	case "repository":
		grade = func(v string) int { return pathScope(v, like, scopeRepo) }
	case "repository_id":
		grade = func(v string) int { return literalScope(v, like, scopeRepo) }
	case "repository_owner", "repository_owner_id":
		grade = func(v string) int { return literalScope(v, like, scopeOwner) }
	default:
		return 0, "", false
	}
	level = scopeExact + 1
	for _, v := range vals {
		if g := grade(v); g < level {
			level, evidence = g, v
		}
	}
	return level, evidence, true
}

// wildAt is the index of the first wildcard, or -1. Under StringEquals the
// characters are literal, so nothing is a wildcard.
func wildAt(v string, like bool) int {
	if !like {
		return -1
	}
	return strings.IndexAny(v, "*?")
}

// subjectScope grades a sub value such as "repo:org/repo:ref:refs/heads/main"
// or the immutable "repo:org@1/repo@2:...". Subjects in a custom format
// (set through GitHub's OIDC subject customisation) are graded only for a
// leading wildcard.
func subjectScope(v string, like bool) int {
	w := wildAt(v, like)
	if w < 0 {
		return scopeExact
	}
	rest, ok := strings.CutPrefix(v, "repo:")
	if !ok {
		if w == 0 || w < len("repo:") && strings.HasPrefix("repo:", v[:w]) {
			return scopeAnyRepo
		}
		return scopeExact
	}
	w -= len("repo:")
	slash := strings.Index(rest, "/")
	if slash < 0 || w < slash {
		return scopeAnyRepo
	}
	colon := strings.Index(rest[slash:], ":")
	if colon < 0 || w < slash+colon {
		return scopeOwner
	}
	if w == slash+colon+1 {
		return scopeRepo
	}
	return scopeExact
}

// pathScope grades OWNER/REPO[/...] values: a wildcard in the owner admits
// any repository, one in the repository name any of the owner's.
func pathScope(v string, like bool, exact int) int {
	w := wildAt(v, like)
	if w < 0 {
		return exact
	}
	slash := strings.Index(v, "/")
	if slash < 0 || w < slash {
		return scopeAnyRepo
	}
	next := strings.IndexAny(v[slash+1:], "/@")
	if next < 0 || w < slash+1+next {
		return scopeOwner
	}
	return exact
}

func literalScope(v string, like bool, exact int) int {
	if wildAt(v, like) >= 0 {
		return scopeAnyRepo
	}
	return exact
}

// firstNameOnlySubject returns the first sub value that names its
// repository without the immutable @ID suffixes.
func firstNameOnlySubject(vals []string) (string, bool) {
	for _, v := range vals {
		repo, _, ok := splitSubject(v)
		if !ok {
			continue
		}
		owner, name, _ := strings.Cut(strings.TrimPrefix(repo, "repo:"), "/")
		if !strings.Contains(owner, "@") || !strings.Contains(name, "@") {
			return v, true
		}
	}
	return "", false
}
