package trustpolicy

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// condition evaluates one operator/key pair the way IAM does. IAM User
// Guide, condition operators: "If the key that you specify in a policy
// condition is not present in the request context, the values do not match
// and the condition is false. If the policy condition requires that the key
// is not matched, such as StringNotLike or ArnNotLike, and the right key is
// not present, the condition is true. This logic applies to all condition
// operators except ...IfExists and Null check."
func (ev *evaluator) condition(c *compiledCond, effect string) ConditionResult {
	cr := ConditionResult{Operator: c.Operator, Key: c.Key, Values: c.Values}
	seen, claim, missingWhy := ev.lookup(c.Key)
	cr.Seen = seen
	label := display.Quote(c.Key)
	if claim != "" {
		label = claim
	}
	switch {
	case c.spec.family == famNull:
		ev.nullCondition(&cr, c, effect, label, claim, missingWhy)
	case seen == nil:
		ev.missingCondition(&cr, c, effect, claim, missingWhy)
	default:
		ev.valuesCondition(&cr, c, effect, label, claim)
	}
	return cr
}

// nullCondition: "Use a Null condition operator to check if a condition key
// is absent at the time of authorization ... true (the key doesn't exist —
// it is null) or false (the key exists and its value is not null)."
func (ev *evaluator) nullCondition(cr *ConditionResult, c *compiledCond, effect, label, claim, missingWhy string) {
	wantAbsent, wantPresent := slices.Contains(c.Values, "true"), slices.Contains(c.Values, "false")
	seen := cr.Seen
	switch {
	case seen == nil && wantAbsent:
		cr.Passed, cr.Reason = true, "Null true: "+missingWhy
	case seen == nil:
		cr.Reason = "Null false requires the key, but " + missingWhy
		cr.Fix = nullFix(effect, ev.nullMissingFix(c, claim, label))
	case wantPresent:
		cr.Passed, cr.Reason = true, fmt.Sprintf("Null false: the token has %s %s", label, display.QuoteList(seen))
	default:
		cr.Reason = fmt.Sprintf("Null true requires the key to be absent, but the token has %s %s", label, display.QuoteList(seen))
		cr.Fix = nullFix(effect, "use Null false, or drop this condition")
	}
}

// missingCondition judges an operator on a key IAM does not set.
func (ev *evaluator) missingCondition(cr *ConditionResult, c *compiledCond, effect, claim, missingWhy string) {
	switch {
	case c.ifExists:
		// "If the key is not present, evaluate the condition element as true."
		cr.Passed, cr.Reason = true, missingWhy+"; IfExists passes when the key is absent"
	case c.set == setAllValues:
		// "It also returns true if there are no keys in the request."
		cr.Passed, cr.Reason = true, missingWhy+"; ForAllValues: is true for an absent key (nothing to check)"
	case c.set == setAnyValue:
		// "For no matching key or a null dataset, the condition returns false."
		cr.Reason = missingWhy + "; ForAnyValue: is false for an absent key"
	case c.spec.negated:
		cr.Passed, cr.Reason = true, missingWhy+"; a negated operator passes when the key is absent"
	default:
		cr.Reason = missingWhy + "; a missing key fails this operator"
	}
	switch {
	case !cr.Passed && effect == "Allow":
		cr.Fix = ev.missingFix(c, claim)
	case cr.Passed && effect == "Deny" && claim != "" && !claimIsKey(ev.host, claim):
		cr.Fix = "this part of the Deny holds for every token, because IAM never sets the key; " + ev.keylessFix(claim)
	}
}

// policyValue is one of the condition's values after variable substitution.
type policyValue struct {
	raw  string
	pat  pattern
	ok   bool   // false: a variable had no value, so this value matches nothing
	note string // why not ok
}

func (pv policyValue) String() string {
	if pv.pat.s == pv.raw {
		return display.Quote(pv.raw)
	}
	return fmt.Sprintf("%s (= %s)", display.Quote(pv.raw), display.Quote(pv.pat.s))
}

// policyValues substitutes policy variables into the condition's values.
func (ev *evaluator) policyValues(c *compiledCond) []policyValue {
	out := make([]policyValue, len(c.Values))
	for i, v := range c.Values {
		out[i] = policyValue{raw: v, pat: pattern{s: v}, ok: true}
		if c.hasVariables(i) {
			out[i].pat, out[i].ok, out[i].note = ev.resolve(c.parts[i])
		}
	}
	return out
}

// valuesCondition compares the token's values with the policy's.
func (ev *evaluator) valuesCondition(cr *ConditionResult, c *compiledCond, effect, label, claim string) {
	seen := cr.Seen
	pvs := ev.policyValues(c)
	// Per request value: does it satisfy the operator (negation included)?
	type hit struct {
		v  string
		pv policyValue
		ok bool
	}
	hits := make([]hit, len(seen))
	for i, v := range seen {
		pv, m := valueMatches(c.spec, pvs, v)
		hits[i] = hit{v, pv, m != c.spec.negated}
	}
	describe := func(h hit) string {
		switch {
		case !c.spec.negated && h.ok:
			return fmt.Sprintf("%s %s matches %s", label, display.Quote(h.v), h.pv)
		case !c.spec.negated:
			return fmt.Sprintf("%s %s matches none of %s", label, display.Quote(h.v), listValues(pvs))
		case h.ok:
			return fmt.Sprintf("%s %s matches none of the excluded %s", label, display.Quote(h.v), listValues(pvs))
		default:
			return fmt.Sprintf("%s %s is excluded by %s", label, display.Quote(h.v), h.pv)
		}
	}
	// Without a set prefix, a positive operator needs one matching value and
	// a negated one needs every value outside the excluded set.
	every := c.set == setAllValues || (c.set == setNone && c.spec.negated)
	cr.Passed = every
	decisive := hits[0]
	for _, h := range hits {
		if h.ok != every {
			cr.Passed, decisive = h.ok, h
			break
		}
	}
	cr.Reason = describe(decisive)
	switch {
	case c.set == setAnyValue && len(seen) > 1:
		cr.Reason = fmt.Sprintf("ForAnyValue: over %s: %s", display.QuoteList(seen), cr.Reason)
	case c.set == setAllValues && len(seen) > 1:
		cr.Reason = fmt.Sprintf("ForAllValues: over %s: %s", display.QuoteList(seen), cr.Reason)
	case c.set == setNone && len(seen) > 1:
		cr.Reason = fmt.Sprintf("%s has %d values %s and the operator has no ForAnyValue:/ForAllValues: prefix, so %s must hold for %s value: %s",
			label, len(seen), display.QuoteList(seen), c.base, map[bool]string{true: "every", false: "some"}[c.spec.negated], cr.Reason)
	}
	for _, pv := range pvs {
		if !pv.ok {
			cr.Reason += fmt.Sprintf("; policy value %s matches nothing: %s", display.Quote(pv.raw), pv.note)
		}
	}
	if !cr.Passed && effect == "Allow" {
		cr.Fix = ev.valueFix(c, pvs, claim, decisive.v)
		if !c.spec.negated {
			cr.Suggested = ev.suggest(c, claim, decisive.v)
		}
	}
}

// valueMatches applies the operator's positive form to one request value
// and returns the first policy value that matched.
func valueMatches(spec opSpec, pvs []policyValue, v string) (policyValue, bool) {
	for _, pv := range pvs {
		if pv.ok && baseMatch(spec, pv.pat, v) {
			return pv, true
		}
	}
	return policyValue{}, false
}

func baseMatch(spec opSpec, p pattern, v string) bool {
	pv := p.s
	switch spec.family {
	case famString, famBinary:
		return pv == v
	case famStringIgnoreCase:
		return strings.EqualFold(pv, v)
	case famStringLike:
		return globLit(pv, p.lit, v)
	case famBool:
		return strings.EqualFold(pv, v)
	case famNumeric:
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		return err1 == nil && err2 == nil && compare(spec.cmp, cmp3(a, b))
	case famDate:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(pv)
		return ok1 && ok2 && compare(spec.cmp, a.Compare(b))
	case famIP:
		pfx, err := parseIPValue(pv)
		a, err2 := netip.ParseAddr(v)
		return err == nil && err2 == nil && pfx.Contains(a)
	case famArn:
		return arnMatch(p, v)
	}
	return false
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(k cmpKind, c int) bool {
	switch k {
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	}
	return c == 0
}

// arnMatch compares ARNs component by component, so a wildcard never
// spans a colon (ArnLike's documented behaviour; ArnEquals is the same).
func arnMatch(p pattern, arn string) bool {
	ap := strings.SplitN(arn, ":", 6)
	if len(ap) != 6 {
		return false
	}
	start := 0
	for comp := range 6 {
		end := len(p.s)
		if comp < 5 {
			i := strings.IndexByte(p.s[start:], ':')
			if i < 0 {
				return false
			}
			end = start + i
		}
		var lit []bool
		if p.lit != nil {
			lit = p.lit[start:end]
		}
		if !globLit(p.s[start:end], lit, ap[comp]) {
			return false
		}
		start = end + 1
	}
	return true
}

func listValues(pvs []policyValue) string {
	parts := make([]string, len(pvs))
	for i, pv := range pvs {
		parts[i] = pv.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
