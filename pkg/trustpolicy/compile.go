package trustpolicy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Compiled is a policy checked for the semantic errors IAM would reject
// (unknown operators, bad Effect, missing Action) and ready to evaluate.
type Compiled struct {
	policy     *Policy
	statements []compiledStatement
}

type compiledStatement struct {
	index        int
	sid          string
	effect       string
	principal    *Principal
	notPrincipal *Principal
	actions      []string
	notAction    bool
	conds        []compiledCond
}

type setPrefix int

const (
	setNone setPrefix = iota
	setAnyValue
	setAllValues
)

type opFamily int

const (
	famString opFamily = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

type cmpKind int

const (
	cmpEq cmpKind = iota
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

type opSpec struct {
	family  opFamily
	negated bool
	cmp     cmpKind
}

// operators lists IAM's condition operators without set prefixes or the
// IfExists suffix. Names are case-sensitive in IAM, as here.
var operators = map[string]opSpec{
	"StringEquals":              {famString, false, cmpEq},
	"StringNotEquals":           {famString, true, cmpEq},
	"StringEqualsIgnoreCase":    {famStringIgnoreCase, false, cmpEq},
	"StringNotEqualsIgnoreCase": {famStringIgnoreCase, true, cmpEq},
	"StringLike":                {famStringLike, false, cmpEq},
	"StringNotLike":             {famStringLike, true, cmpEq},
	"NumericEquals":             {famNumeric, false, cmpEq},
	"NumericNotEquals":          {famNumeric, true, cmpEq},
	"NumericLessThan":           {famNumeric, false, cmpLT},
	"NumericLessThanEquals":     {famNumeric, false, cmpLE},
	"NumericGreaterThan":        {famNumeric, false, cmpGT},
	"NumericGreaterThanEquals":  {famNumeric, false, cmpGE},
	"DateEquals":                {famDate, false, cmpEq},
	"DateNotEquals":             {famDate, true, cmpEq},
	"DateLessThan":              {famDate, false, cmpLT},
	"DateLessThanEquals":        {famDate, false, cmpLE},
	"DateGreaterThan":           {famDate, false, cmpGT},
	"DateGreaterThanEquals":     {famDate, false, cmpGE},
	"Bool":                      {famBool, false, cmpEq},
	"BinaryEquals":              {famBinary, false, cmpEq},
	"IpAddress":                 {famIP, false, cmpEq},
	"NotIpAddress":              {famIP, true, cmpEq},
	"ArnEquals":                 {famArn, false, cmpEq},
	"ArnLike":                   {famArn, false, cmpEq},
	"ArnNotEquals":              {famArn, true, cmpEq},
	"ArnNotLike":                {famArn, true, cmpEq},
	"Null":                      {famNull, false, cmpEq},
}

type compiledCond struct {
	Condition
	base     string // operator without prefix and suffix
	spec     opSpec
	set      setPrefix
	ifExists bool
	// parts holds each value's policy variables (nil for a value without
	// any); nil when the operator or the policy Version has none.
	parts [][]valuePart
	// version is the policy's Version, which decides whether "${...}" is a
	// variable or literal text.
	version string
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
func parseOperator(op string) (compiledCond, error) {
	c := compiledCond{}
	name := op
	switch {
	case strings.HasPrefix(name, "ForAnyValue:"):
		c.set, name = setAnyValue, strings.TrimPrefix(name, "ForAnyValue:")
	case strings.HasPrefix(name, "ForAllValues:"):
		c.set, name = setAllValues, strings.TrimPrefix(name, "ForAllValues:")
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok {
		c.ifExists, name = true, base
	}
	spec, ok := operators[name]
	if !ok {
		hint := ""
		for known := range operators {
			if strings.EqualFold(known, name) {
				hint = fmt.Sprintf("; did you mean %s? (operator names are case-sensitive)", display.Quote(known))
			}
		}
		if hint == "" && strings.Contains(name, ":") {
			hint = "; the only prefixes are \"ForAnyValue:\" and \"ForAllValues:\""
		}
		if hint == "" {
			hint = "; use e.g. StringEquals, StringLike, StringNotEquals, or Null"
		}
		return c, fmt.Errorf("unknown condition operator %s%s", display.Quote(op), hint)
	}
	if spec.family == famNull && (c.ifExists || c.set != setNone) {
		return c, fmt.Errorf("condition operator %s: Null takes neither a ForAnyValue:/ForAllValues: prefix nor the IfExists suffix", display.Quote(op))
	}
	c.base, c.spec = name, spec
	return c, nil
}

// Compile checks the policy for what IAM itself would reject and prepares
// it for Check. Errors name the statement by position and Sid.
func (p *Policy) Compile() (*Compiled, error) {
	if p == nil || len(p.Statements) == 0 {
		return nil, fmt.Errorf("the policy does not compile: it has no statements")
	}
	c := &Compiled{policy: p}
	for i := range p.Statements {
		s := &p.Statements[i]
		fail := func(format string, args ...any) error {
			return fmt.Errorf("the policy does not compile: statement %s: %s", statementLabel(i, s.Sid), fmt.Sprintf(format, args...))
		}
		cs := compiledStatement{index: i, sid: s.Sid, effect: s.Effect, principal: s.Principal, notPrincipal: s.NotPrincipal}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return nil, fail("Effect is %s; want \"Allow\" or \"Deny\" (case-sensitive)", display.Quote(s.Effect))
		}
		switch {
		case s.Principal == nil && s.NotPrincipal == nil:
			return nil, fail("no Principal; a trust policy statement must name who may assume the role, e.g. {\"Federated\": \"arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com\"}")
		case s.Principal != nil && s.NotPrincipal != nil:
			return nil, fail("has both Principal and NotPrincipal; keep one")
		}
		switch {
		case s.Action != nil && s.NotAction != nil:
			return nil, fail("has both Action and NotAction; keep one")
		case s.Action == nil && s.NotAction == nil:
			return nil, fail("no Action; add \"Action\": \"sts:AssumeRoleWithWebIdentity\"")
		case s.Action != nil:
			cs.actions = s.Action
		default:
			cs.actions, cs.notAction = s.NotAction, true
		}
		if len(cs.actions) == 0 {
			return nil, fail("the action list is empty; add \"sts:AssumeRoleWithWebIdentity\"")
		}
		for _, cond := range s.Conditions {
			cc, err := parseOperator(cond.Operator)
			if err != nil {
				return nil, fail("%v", err)
			}
			cc.Condition = cond
			if len(cond.Values) == 0 {
				return nil, fail("condition %s %s has no values", cond.Operator, display.Quote(cond.Key))
			}
			if cond.Key == "" {
				return nil, fail("condition %s has an empty key", cond.Operator)
			}
			for _, v := range cond.Values {
				if err := validateValue(cc.spec.family, v); err != nil {
					return nil, fail("condition %s %s: value %s: %v", cond.Operator, display.Quote(cond.Key), display.Quote(v), err)
				}
			}
			cc.parts = valueVariables(p.Version, cc.spec.family, cond.Values)
			cc.version = p.Version
			cs.conds = append(cs.conds, cc)
		}
		c.statements = append(c.statements, cs)
	}
	return c, nil
}

// hasVariables reports whether value i holds a policy variable.
func (c *compiledCond) hasVariables(i int) bool { return c.parts != nil && c.parts[i] != nil }

// valueVariables parses the policy variables of a condition's values where
// IAM substitutes them: string and ARN operators, Version 2012-10-17.
func valueVariables(version string, f opFamily, values []string) [][]valuePart {
	switch f {
	case famString, famStringIgnoreCase, famStringLike, famArn:
	default:
		return nil
	}
	if version != variablesVersion {
		return nil
	}
	var out [][]valuePart
	for i, v := range values {
		if parts := parseValue(v); hasVariable(parts) {
			if out == nil {
				out = make([][]valuePart, len(values))
			}
			out[i] = parts
		}
	}
	return out
}

// Policy returns the policy this was compiled from.
func (c *Compiled) Policy() *Policy { return c.policy }

func validateValue(f opFamily, v string) error {
	switch f {
	case famNumeric:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("not a number")
		}
	case famDate:
		if _, ok := parseDate(v); !ok {
			return fmt.Errorf("not a date (want ISO 8601 such as 2026-01-02T15:04:05Z, or epoch seconds)")
		}
	case famBool, famNull:
		if v != "true" && v != "false" {
			return fmt.Errorf("want true or false")
		}
	case famIP:
		if _, err := parseIPValue(v); err != nil {
			return fmt.Errorf("not an IP address or CIDR")
		}
	}
	return nil
}

func parseDate(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func parseIPValue(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		return netip.ParsePrefix(v)
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
