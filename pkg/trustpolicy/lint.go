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
	// Doc quotes the one sentence of GitHub's documentation the rule rests
	// on, with its page; "" for rules that rest on IAM's behaviour alone.
	Doc string
}

// lintRule is a Rule with the check that reports it. A check looks at the
// whole policy (policy), at one statement at a time (statement), or at a
// role whose policy is unknown until apply (unknown); each rule has
// exactly one.
type lintRule struct {
	Rule
	policy    func(r *reporter, p *Policy)
	statement func(r *reporter, s *stmtFacts)
	unknown   func(r *reporter, u *UnknownPolicy)
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

// LintUnknown reports a role whose trust policy is unknown until apply, so
// the gap shows in lint's output rather than passing in silence.
func LintUnknown(u *UnknownPolicy) []Finding {
	var out []Finding
	for i := range lintRules {
		if lr := &lintRules[i]; lr.unknown != nil {
			lr.unknown(&reporter{rule: &lr.Rule, out: &out, index: -1}, u)
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
