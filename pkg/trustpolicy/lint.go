package trustpolicy

import (
	"slices"
	"strings"
)

// Finding is one lint result. ID is stable across releases so it can be
// suppressed or tracked (SARIF ruleId).
type Finding struct {
	ID       string
	Severity Severity
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
	Severity Severity // default severity; a finding may differ, as its message says
	Summary  string
	Help     string
}

// lintRule is a Rule with the check that reports it. A check looks at the
// whole policy (policy) or at one statement at a time (statement); each
// rule has exactly one.
type lintRule struct {
	Rule
	policy    func(r *reporter, p *Policy)
	statement func(r *reporter, s *stmtFacts)
}

// Rules lists every lint rule in ID order.
func Rules() []Rule {
	out := make([]Rule, len(lintRules))
	for i, r := range lintRules {
		out[i] = r.Rule
	}
	return out
}

// Lint checks a trust policy for OIDC mistakes. Policy-wide findings come
// first, then statements in order; within each, findings follow the rule
// table's order.
func Lint(p *Policy) []Finding {
	var out []Finding
	for i := range lintRules {
		if lr := &lintRules[i]; lr.policy != nil {
			lr.policy(&reporter{rule: &lr.Rule, out: &out, index: -1}, p)
		}
	}
	if p == nil {
		return out
	}
	for i := range p.Statements {
		facts := statementFacts(i, &p.Statements[i])
		facts.version = p.Version
		for j := range lintRules {
			if lr := &lintRules[j]; lr.statement != nil {
				lr.statement(&reporter{rule: &lr.Rule, out: &out, index: i, label: facts.label, sid: facts.s.Sid}, facts)
			}
		}
	}
	return out
}

// reporter adds findings for one rule at one place in the policy.
type reporter struct {
	rule  *Rule
	out   *[]Finding
	index int
	label string
	sid   string
}

// report adds a finding at the rule's default severity.
func (r *reporter) report(msg, fix, evidence string) { r.reportAs(r.rule.Severity, msg, fix, evidence) }

// reportAs adds a finding at a severity the situation decides.
func (r *reporter) reportAs(sev Severity, msg, fix, evidence string) {
	if evidence == "" {
		evidence = r.sid
	}
	*r.out = append(*r.out, Finding{ID: r.rule.ID, Severity: sev, Statement: r.label, Index: r.index, Message: msg, Fix: fix, Evidence: evidence})
}

// stmtFacts is what the statement rules share about one statement, worked
// out once.
type stmtFacts struct {
	s     *Statement
	label string
	allow bool
	// providers are the OIDC provider host/paths in Principal.Federated.
	providers         []string
	wildcardPrincipal bool
	conds             []lintCond
	// github is true when the statement trusts a GitHub issuer, by its
	// provider or, without one, by its condition keys.
	github bool
	// version is the policy's Version: "${...}" is a variable only in
	// 2012-10-17.
	version string
}

type lintCond struct {
	Condition
	cc     compiledCond
	claim  string // claim name (lower case) when the key has an issuer prefix
	prefix string // issuer host/path part of the key
}

// restricts reports whether c is a positive string condition on an
// issuer's claim in an Allow, the only kind that narrows who gets in.
func (f *stmtFacts) restricts(c *lintCond) bool {
	return f.allow && c.prefix != "" && !c.cc.spec.negated && c.cc.spec.family <= famStringLike
}

func statementFacts(i int, s *Statement) *stmtFacts {
	f := &stmtFacts{s: s, label: statementLabel(i, s.Sid), allow: s.Effect == "Allow"}
	if s.Principal != nil {
		f.wildcardPrincipal = s.Principal.Wildcard
		for _, a := range s.Principal.AWS {
			f.wildcardPrincipal = f.wildcardPrincipal || a == "*"
		}
		for _, p := range s.Principal.Federated {
			if a, ok := parseProviderARN(p); ok {
				f.providers = append(f.providers, a.hostPath)
			}
		}
	}
	for _, c := range s.Conditions {
		cc, err := parseOperator(c.Operator)
		if err != nil {
			continue // reported as OIDC000
		}
		lc := lintCond{Condition: c, cc: cc}
		if pre, claim, ok := cutLast(c.Key, ":"); ok && looksLikeIssuer(pre) {
			lc.prefix, lc.claim = pre, strings.ToLower(claim)
		}
		f.conds = append(f.conds, lc)
	}
	for _, h := range f.providers {
		f.github = f.github || isGitHubIssuer(h)
	}
	if len(f.providers) == 0 {
		for _, c := range f.conds {
			f.github = f.github || (c.prefix != "" && isGitHubIssuer(c.prefix))
		}
	}
	return f
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
// enterprise slug), GHE.com's token.actions.SUBDOMAIN.ghe.com and GitHub
// Enterprise Server's /_services/token path.
func isGitHubIssuer(hostPath string) bool {
	h := strings.ToLower(hostPath)
	host, _, _ := strings.Cut(h, "/")
	return host == "token.actions.githubusercontent.com" ||
		strings.HasPrefix(host, "token.actions.") && strings.HasSuffix(host, ".ghe.com") ||
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
		if c.cc.spec.family == famNull && strings.EqualFold(c.Key, key) && slices.Contains(c.Values, "false") {
			return true
		}
	}
	return false
}

// subject-scope levels, from broadest to narrowest.
const (
	scopeAnyRepo = iota
	scopeOwner
	scopeRepo
	scopeExact
)

// subjectScope works out how far the statement's identity conditions let
// in: conditions AND together, so the narrowest restricting condition
// decides; within one condition values OR, so its broadest value decides.
// ok is false when no condition restricts the repository at all. A
// condition on a key IAM does not provide restricts nothing: it is never
// true (neverMatches) or always true (IfExists, negated), whatever the
// token says.
func (f *stmtFacts) subjectScope() (scope int, evidence, claim string, ok bool) {
	scope = -1
	contextRestricted := false
	for i := range f.conds {
		c := &f.conds[i]
		if !f.restricts(c) || !f.provided(c) {
			continue
		}
		vals, like := scopeValues(f.version, c.Values, c.cc.spec.family == famStringLike)
		switch c.claim {
		case "ref", "environment", "workflow_ref", "event_name", "job_workflow_sha", "workflow_sha":
			if !anyWildcardOnly(vals, like) {
				contextRestricted = true
			}
		}
		lvl, i, isID := claimScope(c.claim, vals, like)
		if !isID {
			continue
		}
		ev := c.Values[i]
		ok = true
		if lvl > scope {
			scope, evidence, claim = lvl, ev, c.claim
		}
	}
	if scope == scopeRepo && contextRestricted {
		scope = scopeExact
	}
	return scope, evidence, claim, ok
}

// claimScope grades the values of a positive condition on a claim that
// identifies a repository. ok is false for claims that do not. The result
// is the broadest value's level, since values OR together.
func claimScope(claim string, vals []string, like bool) (level, evidence int, ok bool) {
	var grade func(string) int
	switch claim {
	case "sub":
		grade = func(v string) int { return subjectLevel(v, like) }
	case "job_workflow_ref":
		grade = func(v string) int { return pathScope(v, like, scopeExact) }
	case "repository":
		grade = func(v string) int { return pathScope(v, like, scopeRepo) }
	case "repository_id":
		grade = func(v string) int { return literalScope(v, like, scopeRepo) }
	case "repository_owner", "repository_owner_id":
		grade = func(v string) int { return literalScope(v, like, scopeOwner) }
	default:
		return 0, 0, false
	}
	level = scopeExact + 1
	for i, v := range vals {
		if g := grade(v); g < level {
			level, evidence = g, i
		}
	}
	return level, evidence, true
}

// scopeValues rewrites values for grading when policy variables are in
// play (Version 2012-10-17): a variable takes the token's own value, so it
// narrows nothing and counts as "*", under StringEquals too; ${*} and ${?}
// are literal characters, as are * and ? under StringEquals. The result is
// graded as StringLike.
func scopeValues(version string, vals []string, like bool) ([]string, bool) {
	if version != variablesVersion {
		return vals, like
	}
	out := make([]string, len(vals))
	vars := false
	for i, v := range vals {
		var b strings.Builder
		for _, p := range parseValue(v) {
			switch {
			case p.key != "":
				vars = true
				b.WriteByte('*')
			case p.special:
				vars = true
				b.WriteByte('x')
			case like:
				b.WriteString(p.text)
			default:
				b.WriteString(strings.NewReplacer("*", "x", "?", "x").Replace(p.text))
			}
		}
		out[i] = b.String()
	}
	if !vars {
		return vals, like
	}
	return out, true
}

// wildAt is the index of the first wildcard, or -1. Under StringEquals the
// characters are literal, so nothing is a wildcard.
func wildAt(v string, like bool) int {
	if !like {
		return -1
	}
	return strings.IndexAny(v, "*?")
}

// subjectLevel grades a sub value such as "repo:org/repo:ref:refs/heads/main"
// or the immutable "repo:org@1/repo@2:...". Subjects in a custom format
// (set through GitHub's OIDC subject customisation) are graded only for a
// leading wildcard.
func subjectLevel(v string, like bool) int {
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
