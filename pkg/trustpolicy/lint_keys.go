package trustpolicy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Rule OIDC016: a condition on a key IAM does not put in the request of a
// web-identity call. IAM turns only documented claims into condition keys
// (see ConditionKeyProvided); on any other key a positive operator is
// false and a negated one true, whatever the token says.

// absentKeys lists the statement's conditions on keys IAM does not provide
// for its issuer, with what each condition evaluates to. Keys named for
// another issuer are OIDC009's.
func (f *stmtFacts) absentKeys() []absentKey {
	issuers := f.issuers()
	if len(issuers) == 0 {
		return nil
	}
	issuer := issuers[0]
	var out []absentKey
	for _, c := range f.conds {
		// Key names are case-insensitive, issuer path included.
		if c.prefix != "" && !strings.EqualFold(c.prefix, issuer) {
			continue
		}
		if ok, nearest := ConditionKeyProvided(issuer, c.Key); !ok {
			out = append(out, absentKey{c: c, nearest: nearest, result: trueWhenAbsent(&c.cc)})
		}
	}
	return out
}

type absentKey struct {
	c       lintCond
	nearest string
	result  bool // what the condition evaluates to with the key absent
}

// trueWhenAbsent is IAM's verdict on a condition whose key is not in the
// request: IfExists and ForAllValues: pass, ForAnyValue: fails, a negated
// operator passes, Null passes only when it asks for absence.
func trueWhenAbsent(cc *compiledCond) bool {
	switch {
	case cc.spec.family == famNull:
		// As the evaluator reads Null (nullCondition): values are exactly
		// "true" or "false", or the policy does not compile.
		return slices.Contains(cc.Values, "true")
	case cc.ifExists, cc.set == setAllValues:
		return true
	case cc.set == setAnyValue:
		return false
	}
	return cc.spec.negated
}

// provided reports whether IAM puts c's key in the request for a token of
// the statement's issuer: any provider in Principal.Federated, or, without
// one, the issuer the key itself names. A condition on a key that is never
// there tests nothing about the token.
func (f *stmtFacts) provided(c *lintCond) bool {
	issuers := f.issuers()
	if len(issuers) == 0 {
		if c.prefix == "" {
			return true
		}
		issuers = []string{c.prefix}
	}
	for _, iss := range issuers {
		if ok, _ := ConditionKeyProvided(iss, c.Key); ok {
			return true
		}
	}
	return false
}

// issuers are the issuers whose tokens the statement is about: the
// providers in Principal.Federated or, without one, the first GitHub
// issuer its condition keys name. nil when neither says.
func (f *stmtFacts) issuers() []string {
	if len(f.providers) > 0 {
		return f.providers
	}
	if !f.github {
		return nil
	}
	for _, c := range f.conds {
		if c.prefix != "" && isGitHubIssuer(c.prefix) {
			return []string{c.prefix}
		}
	}
	return nil
}

// neverMatches reports whether some condition can never be true because
// IAM does not provide its key (for this issuer or, as OIDC009 reports, for
// any issuer the statement trusts), so the statement never applies.
func (f *stmtFacts) neverMatches() bool {
	for i := range f.conds {
		if c := &f.conds[i]; !f.provided(c) && !trueWhenAbsent(&c.cc) {
			return true
		}
	}
	return false
}

func lintAbsentKey(r *reporter, f *stmtFacts) {
	for _, a := range f.absentKeys() {
		fix := fmt.Sprintf("remove the condition on %s", display.Quote(a.c.Key))
		if a.nearest != "" {
			fix = fmt.Sprintf("condition on %s instead, which IAM provides", display.Quote(a.nearest))
		} else if a.c.claim != "" {
			fix += ", or express it as a sub pattern"
		}
		what := fmt.Sprintf("IAM has no condition key %s for this issuer, so %s never sees the token's value", display.Quote(a.c.Key), a.c.Operator)
		switch {
		case f.allow && !a.result:
			r.reportAs(SeverityError, what+" and is always false: this statement never lets anyone in", fix, a.c.Key)
		case f.allow:
			r.reportAs(SeverityWarning, what+" and always passes: it restricts nothing", fix, a.c.Key)
		case !a.result:
			r.reportAs(SeverityWarning, what+" and is always false: this Deny never applies", fix, a.c.Key)
		default:
			r.reportAs(SeverityError, what+" and always passes: this Deny applies to every request and locks everyone out", fix, a.c.Key)
		}
	}
}
