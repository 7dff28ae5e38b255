package trustpolicy

import (
	"fmt"
	"strings"
)

// Policy variables in condition values. IAM User Guide, "IAM policy
// elements: Variables and tags": "You can use a policy variable for
// Condition values in any condition that involves the string operators or
// the ARN operators", and only in Version 2012-10-17: "If you don't include
// the Version element ..., variables like ${aws:username} are treated as
// literal strings in the policy."

// variablesVersion is the policy-language version that has variables.
const variablesVersion = "2012-10-17"

// valuePart is one piece of a condition value: literal text, one of the
// special characters ${*} ${?} ${$}, or a variable with an optional default.
type valuePart struct {
	text    string // literal text, or the special character
	special bool   // text came from ${*}, ${?} or ${$}: never a wildcard
	key     string // variable's key; "" for text
	def     string
	hasDef  bool
}

// parseValue splits a condition value into parts. Text that only looks
// like a variable (no closing brace, an empty name, a broken default) stays
// literal, as IAM leaves what it cannot read as a variable.
func parseValue(v string) []valuePart {
	var parts []valuePart
	lit := func(s string) {
		if s == "" {
			return
		}
		if n := len(parts); n > 0 && parts[n-1].key == "" && !parts[n-1].special {
			parts[n-1].text += s
			return
		}
		parts = append(parts, valuePart{text: s})
	}
	for v != "" {
		i := strings.Index(v, "${")
		if i < 0 {
			lit(v)
			break
		}
		lit(v[:i])
		part, n, ok := parseVariable(v[i:])
		if !ok {
			lit("$")
			v = v[i+1:]
			continue
		}
		parts = append(parts, part)
		v = v[i+n:]
	}
	return parts
}

// parseVariable reads "${...}" at the start of s and returns the part and
// its length. IAM User Guide: "To add a default value to a variable,
// surround the default value with single quotes (' '), and separate the
// variable text and the default value with a comma and space (, )." Within
// the quotes, ” stands for one quote; spaces around the name and the
// quoted default are ignored; key names ignore case.
func parseVariable(s string) (valuePart, int, bool) {
	body := s[2:]
	switch {
	case strings.HasPrefix(body, "*}"), strings.HasPrefix(body, "?}"), strings.HasPrefix(body, "$}"):
		return valuePart{text: body[:1], special: true}, 4, true
	}
	comma := strings.IndexAny(body, ",}")
	if comma < 0 {
		return valuePart{}, 0, false
	}
	key := strings.TrimSpace(body[:comma])
	if key == "" || strings.ContainsAny(key, "${'") {
		return valuePart{}, 0, false
	}
	if body[comma] == '}' {
		return valuePart{key: key}, 2 + comma + 1, true
	}
	// ", 'default'}"
	rest := body[comma+1:]
	j := len(rest) - len(strings.TrimLeft(rest, " "))
	if j >= len(rest) || rest[j] != '\'' {
		return valuePart{}, 0, false
	}
	var def strings.Builder
	k := j + 1
	for {
		if k >= len(rest) {
			return valuePart{}, 0, false
		}
		if rest[k] == '\'' {
			if k+1 < len(rest) && rest[k+1] == '\'' {
				def.WriteByte('\'')
				k += 2
				continue
			}
			break
		}
		def.WriteByte(rest[k])
		k++
	}
	k++ // closing quote
	for k < len(rest) && rest[k] == ' ' {
		k++
	}
	if k >= len(rest) || rest[k] != '}' {
		return valuePart{}, 0, false
	}
	return valuePart{key: key, def: def.String(), hasDef: true}, 2 + comma + 1 + k + 1, true
}

// hasVariable reports whether parts hold anything but plain text.
func hasVariable(parts []valuePart) bool {
	for _, p := range parts {
		if p.key != "" || p.special {
			return true
		}
	}
	return false
}

// pattern is a condition value after substitution. lit marks the bytes
// that are literal even if they are * or ?: those from ${*} and ${?} and
// those substituted from the request, which must not widen a match.
type pattern struct {
	s   string
	lit []bool
}

// resolve substitutes the request's values. ok is false when a variable's
// key is absent (or has several values) and has no default: IAM then has no
// value to compare, so this policy value matches nothing. note explains the
// substitution for the report.
func (ev *evaluator) resolve(parts []valuePart) (p pattern, ok bool, note string) {
	var b strings.Builder
	var lit []bool
	add := func(s string, literal bool) {
		b.WriteString(s)
		for range len(s) {
			lit = append(lit, literal)
		}
	}
	for _, part := range parts {
		switch {
		case part.key == "":
			add(part.text, part.special)
		default:
			vals, _, why := ev.lookup(part.key)
			switch {
			case len(vals) == 1:
				add(vals[0], true)
			case part.hasDef:
				add(part.def, true)
			case len(vals) > 1:
				return pattern{}, false, fmt.Sprintf("variable ${%s} has %d values, and a variable takes one", part.key, len(vals))
			default:
				return pattern{}, false, fmt.Sprintf("variable ${%s} has no value: %s", part.key, why)
			}
		}
	}
	return pattern{s: b.String(), lit: lit}, true, ""
}
