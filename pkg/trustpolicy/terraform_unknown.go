package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// UnknownPolicy is a role whose trust policy a terraform plan leaves
// unknown until apply: on the first plan of a configuration that creates
// the OIDC provider and the role together, the provider's ARN, and with it
// the whole assume_role_policy, is known only once the provider exists.
type UnknownPolicy struct {
	Name string // the role's resource address
	// Why says what makes the policy unknown, e.g. `it depends on
	// "aws_iam_openid_connect_provider.github.arn", which this plan
	// creates`; names from the input are quoted.
	Why string
	// Offset is the byte offset of the role's address in resource_changes,
	// or -1 when unknown.
	Offset int
}

// noKnownPolicy is the error for terraform JSON with no policy to check,
// naming the roles whose policy is unknown until apply.
func noKnownPolicy(unknown []UnknownPolicy) error {
	if len(unknown) == 0 {
		return errors.New("terraform JSON: no aws_iam_role resource with a known assume_role_policy; run `terraform show -json` on a plan or state that manages the role")
	}
	var b strings.Builder
	b.WriteString("terraform JSON: no aws_iam_role resource with a known assume_role_policy: ")
	for i, u := range unknown {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s is unknown until apply (%s)", display.Quote(u.Name), u.Why)
	}
	b.WriteString("; build the provider ARN from data.aws_caller_identity and the issuer URL so the policy is known at plan time, or use the plan of a later run")
	return errors.New(b.String())
}

// tfChange is one entry of a plan's resource_changes, with only what is
// needed to tell an unknown policy and its cause.
type tfChange struct {
	Address       string `json:"address"`
	ModuleAddress string `json:"module_address"`
	Mode          string `json:"mode"`
	Type          string `json:"type"`
	Change        struct {
		Actions []string `json:"actions"`
		// after_unknown holds true for each attribute known only after
		// apply; known attributes are left out.
		AfterUnknown map[string]json.RawMessage `json:"after_unknown"`
	} `json:"change"`
}

// tfConfig is a plan's configuration: each resource's expressions, with
// the references terraform records for them.
type tfConfig struct {
	RootModule tfConfigModule `json:"root_module"`
}

type tfConfigModule struct {
	Resources []struct {
		Address     string          `json:"address"`
		Expressions json.RawMessage `json:"expressions"`
	} `json:"resources"`
	ModuleCalls map[string]struct {
		Module tfConfigModule `json:"module"`
	} `json:"module_calls"`
}

// unknownPolicies lists the aws_iam_role resources that the plan creates or
// changes with assume_role_policy unknown until apply and that have no
// known policy (known holds the addresses that do).
func unknownPolicies(data []byte, changes []tfChange, cfg *tfConfig, known map[string]bool) []UnknownPolicy {
	var out []UnknownPolicy
	for i := range changes {
		rc := &changes[i]
		if rc.Type != "aws_iam_role" || rc.Mode != "managed" || rc.Address == "" || known[rc.Address] {
			continue
		}
		if string(bytes.TrimSpace(rc.Change.AfterUnknown["assume_role_policy"])) != "true" {
			continue
		}
		out = append(out, UnknownPolicy{Name: rc.Address, Why: whyUnknown(rc, changes, cfg), Offset: locateChange(data, rc.Address)})
	}
	return out
}

// whyUnknown follows the role's assume_role_policy expression through the
// configuration to the values known only after apply.
func whyUnknown(rc *tfChange, changes []tfChange, cfg *tfConfig) string {
	const fallback = "terraform marks assume_role_policy as known only after apply"
	if cfg == nil {
		return fallback
	}
	mod, prefix, ok := configModule(&cfg.RootModule, rc.ModuleAddress)
	if !ok {
		return fallback
	}
	expr, ok := mod.expressions(stripIndex(strings.TrimPrefix(rc.Address, prefix)))
	if !ok {
		return fallback
	}
	var e map[string]json.RawMessage
	if json.Unmarshal(expr, &e) != nil || e["assume_role_policy"] == nil {
		return fallback
	}
	t := tracer{mod: mod, prefix: prefix, changes: changes, seen: map[string]bool{}}
	t.follow(e["assume_role_policy"], 0)
	switch {
	case len(t.causes) > 0:
		why := "it depends on " + strings.Join(t.causes, " and ")
		if len(t.via) > 0 {
			why += ", through " + strings.Join(t.via, ", ")
		}
		return why
	case len(t.via) > 0:
		return "it is built from " + strings.Join(t.via, ", ") + ", known only after apply"
	}
	return fallback
}

// configModule finds the configuration of the module at address
// ("module.ci" or "module.ci[0].module.x"; "" for the root) and the prefix
// its resources' plan addresses carry.
func configModule(root *tfConfigModule, address string) (*tfConfigModule, string, bool) {
	m := root
	if address == "" {
		return m, "", true
	}
	parts := strings.Split(address, ".")
	if len(parts)%2 != 0 || len(parts) > 2*maxModuleDepth {
		return nil, "", false
	}
	for i := 0; i < len(parts); i += 2 {
		call, ok := m.ModuleCalls[stripIndex(parts[i+1])]
		if parts[i] != "module" || !ok {
			return nil, "", false
		}
		m = &call.Module
	}
	return m, address + ".", true
}

func (m *tfConfigModule) expressions(address string) (json.RawMessage, bool) {
	for _, r := range m.Resources {
		if r.Address == address {
			return r.Expressions, true
		}
	}
	return nil, false
}

// stripIndex turns "aws_iam_role.this[0]" or "ci[\"a\"]" into the
// configuration's unindexed name.
func stripIndex(s string) string {
	if i := strings.IndexByte(s, '['); i >= 0 {
		return s[:i]
	}
	return s
}

// tracer walks references from an expression to resources whose values are
// known only after apply.
type tracer struct {
	mod     *tfConfigModule
	prefix  string
	changes []tfChange
	seen    map[string]bool
	via     []string // data sources the value passes through
	causes  []string // "TYPE.NAME.ATTR, which this plan creates"
}

// maxTraceDepth bounds how far references are followed; hostile input
// could make them cycle, and real chains are a step or two.
const maxTraceDepth = 8

func (t *tracer) follow(expr json.RawMessage, depth int) {
	if depth > maxTraceDepth {
		return
	}
	for _, ref := range references(expr) {
		parts := strings.Split(ref, ".")
		switch {
		case parts[0] == "data" && len(parts) >= 3:
			addr := strings.Join(parts[:3], ".")
			if t.seen[addr] {
				continue
			}
			t.seen[addr] = true
			t.via = append(t.via, display.Quote(addr))
			if e, ok := t.mod.expressions(addr); ok {
				t.follow(e, depth+1)
			}
		case len(parts) >= 2 && !slices.Contains([]string{"var", "local", "module", "each", "count", "path", "terraform", "self"}, parts[0]):
			addr := parts[0] + "." + parts[1]
			attr := ""
			if len(parts) > 2 {
				attr = parts[2]
			}
			if t.seen[ref] || attr == "" && t.seen[addr] {
				continue
			}
			t.seen[ref], t.seen[addr] = true, true
			if c := t.change(addr); c != nil {
				switch {
				case slices.Contains(c.Change.Actions, "create"):
					t.causes = append(t.causes, display.Quote(strings.TrimSuffix(addr+"."+attr, "."))+", which this plan creates")
				case attr != "" && string(bytes.TrimSpace(c.Change.AfterUnknown[attr])) == "true":
					t.causes = append(t.causes, display.Quote(addr+"."+attr)+", known only after apply")
				}
			}
		}
	}
}

// change finds the plan's change for a resource of this module, any index.
func (t *tracer) change(addr string) *tfChange {
	full := t.prefix + addr
	for i := range t.changes {
		if a := t.changes[i].Address; a == full || strings.HasPrefix(a, full+"[") {
			return &t.changes[i]
		}
	}
	return nil
}

// references collects every "references" list in a configuration
// expression, most specific first, so "x.y.arn" is seen before "x.y".
func references(expr json.RawMessage) []string {
	var out []string
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 64 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			if refs, ok := x["references"].([]any); ok {
				for _, r := range refs {
					if s, ok := r.(string); ok && !slices.Contains(out, s) {
						out = append(out, s)
					}
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k], depth+1)
			}
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		}
	}
	var v any
	if json.Unmarshal(expr, &v) == nil {
		walk(v, 0)
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.Count(out[i], ".") > strings.Count(out[j], ".") })
	return out
}

// locateChange finds the role's address in resource_changes, or -1.
func locateChange(data []byte, addr string) int {
	for at := range addressValues(data, "resource_changes", addr) {
		return at
	}
	return -1
}

// lintUnknownPolicy: rule OIDC020.
func lintUnknownPolicy(r *reporter, u *UnknownPolicy) {
	r.report(fmt.Sprintf("the role's trust policy is unknown until apply: %s; nothing in it is checked in this plan", u.Why),
		"build the provider ARN from the account ID and the issuer URL (\"arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com\") so the policy is known at plan time", u.Name)
}
