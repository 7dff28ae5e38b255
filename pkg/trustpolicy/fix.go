package trustpolicy

import (
	"fmt"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Fixes that explain prints under a failing condition. A fix names the
// token's exact value rather than a pattern: a broader pattern such as
// "repo:OWNER/REPO:*" is what lint warns about (OIDC003/OIDC004), and one
// tool must not recommend what another flags.

func nullFix(effect, fix string) string {
	if effect != "Allow" {
		return ""
	}
	return fix
}

func (ev *evaluator) missingFix(c *compiledCond, claim string) string {
	if fix, ok := ev.neverSetFix(c, claim); ok {
		return fix
	}
	if claim == "" {
		if strings.EqualFold(c.Key, "sts:RoleSessionName") {
			return "give the role-session-name the action uses (explain --session-name NAME) to check this condition"
		}
		return fmt.Sprintf("this key is absent for a web-identity request; use %sIfExists or remove the condition", c.base)
	}
	switch strings.ToLower(claim) {
	case "environment":
		return "the job has no environment; add `environment: NAME` to the job, or condition on sub instead"
	case "sub", "aud":
		return fmt.Sprintf("every GitHub token has %s; check the key is spelled %s", display.Quote(claim), display.Quote(ev.host+":"+claim))
	}
	return fmt.Sprintf("the token has no %s claim; condition on a claim it has (e.g. sub), or use %sIfExists if the claim is optional", display.Quote(claim), c.base)
}

// nullMissingFix is missingFix for "Null": "false" on an absent key. Null
// takes no IfExists, and a key IAM never sets cannot be produced by the job.
func (ev *evaluator) nullMissingFix(c *compiledCond, claim, label string) string {
	if fix, ok := ev.neverSetFix(c, claim); ok {
		return fix
	}
	switch {
	case strings.EqualFold(c.Key, "sts:RoleSessionName"):
		return ev.missingFix(c, claim)
	case claim == "":
		return "this key is absent for a web-identity request, so Null false never passes; remove the condition"
	case strings.EqualFold(claim, "environment"):
		return ev.missingFix(c, claim)
	}
	return fmt.Sprintf("the job must produce a %s claim, or drop this condition", label)
}

// neverSetFix is the fix for a key no GitHub job can make IAM set: one
// named for another issuer, a request key GitHub never sends, or a claim
// IAM makes no key of. ok is false for any other key.
func (ev *evaluator) neverSetFix(c *compiledCond, claim string) (string, bool) {
	prefix, rest, hasColon := cutLast(c.Key, ":")
	switch {
	case hasColon && looksLikeIssuer(prefix) && !strings.EqualFold(prefix, ev.host):
		return fmt.Sprintf("rename the key to %s to match the token's issuer (and check Principal.Federated names the same provider)", display.Quote(ev.host+":"+rest)), true
	case claim == "":
		if _, absent := requestKeyAbsence(c.Key); absent {
			if sessionTagKey(strings.ToLower(c.Key)) {
				return fmt.Sprintf("GitHub sends no session tags, so %s is never present in AssumeRoleWithWebIdentity from GitHub, whatever the job does; remove the condition", display.Quote(c.Key)), true
			}
			return fmt.Sprintf("AssumeRoleWithWebIdentity from GitHub never carries %s, whatever the job does; remove the condition", display.Quote(c.Key)), true
		}
	case !claimIsKey(ev.host, claim):
		return ev.keylessFix(claim), true
	}
	return "", false
}

// keylessFix says what to use instead of a claim IAM makes no key of.
func (ev *evaluator) keylessFix(claim string) string {
	sub := display.Quote(ev.host + ":sub")
	switch strings.ToLower(claim) {
	case "event_name":
		return fmt.Sprintf("the event shows only in the subject: condition on %s (a pull_request job's sub ends in \":pull_request\")", sub)
	case "head_ref", "base_ref":
		return fmt.Sprintf("a pull request's branches are not condition keys; condition on %s (\"repo:OWNER/REPO:pull_request\")", sub)
	case "ref_type":
		return fmt.Sprintf("condition on %s instead (tags are \"refs/tags/NAME\", branches \"refs/heads/NAME\")", display.Quote(ev.host+":ref"))
	}
	n := nearestKey(ev.host, claim)
	if n == "" {
		return "no condition key carries this claim; remove the condition (in an Allow it is never true)"
	}
	_, nclaim, _ := cutLast(n, ":")
	if v, _, ok := findKey(ev.req.Claims, nclaim); ok && nclaim != "sub" {
		if vals := claimStrings(v); len(vals) == 1 {
			return fmt.Sprintf("use the key %s instead (this token's value: %s)", display.Quote(n), display.Quote(vals[0]))
		}
	}
	return fmt.Sprintf("use the key %s instead", display.Quote(n))
}

// valueFix suggests the nearest change that lets v through; pvs are the
// condition's values with policy variables substituted.
func (ev *evaluator) valueFix(c *compiledCond, pvs []policyValue, claim, v string) string {
	name := claim
	if name == "" {
		name = c.Key
	}
	if c.spec.negated {
		return fmt.Sprintf("the token's %s is %s, which this condition excludes; remove it from the values if this token should pass", name, display.Quote(v))
	}
	var notes []string
	literalVars := false
	for i, pv := range c.Values {
		switch {
		case c.hasVariables(i) && strings.Contains(pv, "${*}"):
			notes = append(notes, fmt.Sprintf("in %s, ${*} stands for a literal \"*\", not a wildcard; write a bare * to match any characters", display.Quote(pv)))
		case c.hasVariables(i) && strings.Contains(pv, "${?}"):
			notes = append(notes, fmt.Sprintf("in %s, ${?} stands for a literal \"?\", not a wildcard; write a bare ? to match one character", display.Quote(pv)))
		case !literalVars && varsAreLiteral(c, i):
			literalVars = true
			in := fmt.Sprintf("in Version %s", display.Quote(c.version))
			if c.version == "" {
				in = "without a Version element"
			}
			notes = append(notes, fmt.Sprintf("policy variables are literal text %s, so %s is compared as written; set \"Version\": %s to substitute them", in, display.Quote(pv), display.Quote(variablesVersion)))
		default:
			continue
		}
		break
	}
	if c.spec.family == famString || c.spec.family == famStringIgnoreCase {
		for i, pv := range c.Values {
			if !c.hasVariables(i) && strings.ContainsAny(pv, "*?") {
				notes = append(notes, fmt.Sprintf("%s matches %s literally, so the star or question mark is not a wildcard (only StringLike has wildcards)", c.base, display.Quote(pv)))
				break
			}
		}
	}
	if c.spec.family == famString {
		for _, pv := range c.Values {
			if strings.EqualFold(pv, v) {
				return fmt.Sprintf("the values differ only in case (token %s, policy %s) and StringEquals is case-sensitive; fix the case", display.Quote(v), display.Quote(pv))
			}
		}
	}
	if c.spec.family == famStringLike {
		for i, pv := range c.Values {
			if !c.hasVariables(i) && !varsAreLiteral(c, i) && (strings.ContainsAny(pv, "^$[]()+\\") || strings.Contains(pv, ".*")) {
				notes = append(notes, fmt.Sprintf("StringLike knows only * and ?, so %s is not a regular expression", display.Quote(pv)))
				break
			}
		}
	}
	switch claim {
	case "sub":
		notes = append(notes, subjectFix(c, pvs, v)...)
	case "aud":
		if strings.HasPrefix(v, "https://github.com/") {
			notes = append(notes, fmt.Sprintf("the token carries GitHub's default audience %s; request the audience %s (the action's audience input), or add %s", display.Quote(v), display.Quote(c.Values[0]), display.Quote(v)))
			return strings.Join(notes, "; ")
		}
	}
	return strings.Join(append(notes, fmt.Sprintf("the token's %s is %s; add it to the values", name, display.Quote(v))), "; ")
}

// suggest returns the conditions that would let this token through in
// place of the failing one: the exact value under StringEquals and, for a
// GitHub subject named by repository name, the repository_id that keeps it
// from passing to a later repository of the same name.
func (ev *evaluator) suggest(c *compiledCond, claim, v string) []Condition {
	switch c.spec.family {
	case famString, famStringIgnoreCase, famStringLike:
	default:
		return nil
	}
	if claim == "aud" && strings.HasPrefix(v, "https://github.com/") {
		return nil // the fix is to request the policy's audience
	}
	out := []Condition{{Operator: "StringEquals", Key: c.Key, Values: []string{v}}}
	if claim == "sub" && classifyIssuer(ev.host) == issuerGitHub && !strings.Contains(v, "@") {
		if id, _, ok := findKey(ev.req.Claims, "repository_id"); ok {
			if ids := claimStrings(id); len(ids) == 1 {
				out = append(out, Condition{Operator: "StringEquals", Key: ev.host + ":repository_id", Values: ids})
			}
		}
	}
	return out
}

// varsAreLiteral reports whether value i holds what would be a policy
// variable, were the policy's Version 2012-10-17.
func varsAreLiteral(c *compiledCond, i int) bool {
	return !c.hasVariables(i) && c.version != variablesVersion &&
		valueVariables(variablesVersion, c.spec.family, c.Values[i:i+1]) != nil
}
