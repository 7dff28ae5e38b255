package trustpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// MarshalJSON writes the policy in IAM's element order (Version, Id,
// Statement; Sid, Effect, Principal, Action, Resource, Condition), with
// single values as bare strings the way the IAM console shows them.
func (p *Policy) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
	}
	if p.Version != "" {
		comma()
		writeKV(&b, "Version", jsonString(p.Version))
	}
	if p.ID != "" {
		comma()
		writeKV(&b, "Id", jsonString(p.ID))
	}
	comma()
	b.WriteString(`"Statement":[`)
	for i := range p.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		p.Statements[i].marshal(&b)
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// JSON renders the policy with two-space indentation and a final newline,
// without the HTML escaping encoding/json applies by default (so "&" and
// "<" in values stay readable).
func (p *Policy) JSON() ([]byte, error) {
	raw, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("cannot indent policy JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func (s *Statement) marshal(b *bytes.Buffer) {
	b.WriteByte('{')
	var parts []string
	if s.Sid != "" {
		parts = append(parts, kv("Sid", jsonString(s.Sid)))
	}
	if s.Effect != "" {
		parts = append(parts, kv("Effect", jsonString(s.Effect)))
	}
	if s.Principal != nil {
		parts = append(parts, kv("Principal", s.Principal.json()))
	}
	if s.NotPrincipal != nil {
		parts = append(parts, kv("NotPrincipal", s.NotPrincipal.json()))
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if f.vals != nil {
			parts = append(parts, kv(f.name, jsonList(f.vals)))
		}
	}
	if len(s.Conditions) > 0 {
		parts = append(parts, kv("Condition", conditionJSON(s.Conditions)))
	}
	b.WriteString(strings.Join(parts, ","))
	b.WriteByte('}')
}

func (p *Principal) json() string {
	if p.Wildcard {
		return `"*"`
	}
	var parts []string
	for _, f := range []struct {
		name string
		vals []string
	}{{"AWS", p.AWS}, {"Federated", p.Federated}, {"Service", p.Service}, {"CanonicalUser", p.CanonicalUser}} {
		if len(f.vals) > 0 {
			parts = append(parts, kv(f.name, jsonList(f.vals)))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// conditionJSON groups the flat condition list back into IAM's
// operator → key → values nesting, keeping first-appearance order.
func conditionJSON(conds []Condition) string {
	var ops []string
	byOp := map[string][]string{}
	for _, c := range conds {
		if _, ok := byOp[c.Operator]; !ok {
			ops = append(ops, c.Operator)
		}
		byOp[c.Operator] = append(byOp[c.Operator], kv(c.Key, jsonList(c.Values)))
	}
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = kv(op, "{"+strings.Join(byOp[op], ",")+"}")
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func jsonList(vals []string) string {
	if len(vals) == 1 {
		return jsonString(vals[0])
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = jsonString(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func kv(k, v string) string { return jsonString(k) + ":" + v }

func writeKV(b *bytes.Buffer, k, v string) { b.WriteString(kv(k, v)) }

// Terraform renders the policy as an aws_iam_policy_document data source,
// which reviewers read more easily than a jsonencode() blob and which
// terraform validates field by field. Use it as
// data.aws_iam_policy_document.github_actions_trust.json.
func (p *Policy) Terraform() string {
	var b strings.Builder
	b.WriteString("data \"aws_iam_policy_document\" \"github_actions_trust\" {\n")
	if p.Version != "" {
		fmt.Fprintf(&b, "  version = %s\n", hclString(p.Version))
	}
	if p.ID != "" {
		fmt.Fprintf(&b, "  policy_id = %s\n", hclString(p.ID))
	}
	for _, s := range p.Statements {
		b.WriteString("\n  statement {\n")
		// terraform fmt aligns the "=" of consecutive attributes.
		var attrs [][2]string
		if s.Sid != "" {
			attrs = append(attrs, [2]string{"sid", hclString(s.Sid)})
		}
		if s.Effect != "" {
			attrs = append(attrs, [2]string{"effect", hclString(s.Effect)})
		}
		for _, f := range []struct {
			name string
			vals []string
		}{{"actions", s.Action}, {"not_actions", s.NotAction}, {"resources", s.Resource}, {"not_resources", s.NotResource}} {
			if f.vals != nil {
				attrs = append(attrs, [2]string{f.name, hclList(f.vals)})
			}
		}
		width := 0
		for _, a := range attrs {
			width = max(width, len(a[0]))
		}
		for _, a := range attrs {
			fmt.Fprintf(&b, "    %-*s = %s\n", width, a[0], a[1])
		}
		writePrincipalsHCL(&b, "principals", s.Principal)
		writePrincipalsHCL(&b, "not_principals", s.NotPrincipal)
		for _, c := range s.Conditions {
			b.WriteString("\n    condition {\n")
			fmt.Fprintf(&b, "      test     = %s\n", hclString(c.Operator))
			fmt.Fprintf(&b, "      variable = %s\n", hclString(c.Key))
			fmt.Fprintf(&b, "      values   = %s\n", hclList(c.Values))
			b.WriteString("    }\n")
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func writePrincipalsHCL(b *strings.Builder, block string, p *Principal) {
	if p == nil {
		return
	}
	write := func(typ string, ids []string) {
		fmt.Fprintf(b, "\n    %s {\n", block)
		fmt.Fprintf(b, "      type        = %s\n", hclString(typ))
		fmt.Fprintf(b, "      identifiers = %s\n", hclList(ids))
		b.WriteString("    }\n")
	}
	if p.Wildcard {
		// The provider's documented spelling of "Principal": "*".
		write("*", []string{"*"})
		return
	}
	for _, f := range []struct {
		typ string
		ids []string
	}{{"AWS", p.AWS}, {"Federated", p.Federated}, {"Service", p.Service}, {"CanonicalUser", p.CanonicalUser}} {
		if len(f.ids) > 0 {
			write(f.typ, f.ids)
		}
	}
}

func hclList(vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = hclString(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// hclString quotes s as an HCL template literal. Beyond JSON-style escapes,
// HCL treats "${" and "%{" as template openers, so they are doubled to stay
// literal; an IAM policy variable such as ${aws:username} survives intact.
func hclString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
