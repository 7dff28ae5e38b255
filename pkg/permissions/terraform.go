package permissions

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tfResource is one resource of `terraform show -json` output. Values are
// decoded only for the IAM types read here.
type tfResource struct {
	Address string          `json:"address"`
	Mode    string          `json:"mode"`
	Type    string          `json:"type"`
	Values  json.RawMessage `json:"values"`
}

type tfModule struct {
	Resources    []tfResource `json:"resources"`
	ChildModules []tfModule   `json:"child_modules"`
}

// tfConfigModule is the configuration section, which a plan has: its
// references name the resource behind a value that is unknown until apply
// (a new policy's ARN).
type tfConfigModule struct {
	Resources []struct {
		Address     string `json:"address"`
		Expressions map[string]struct {
			References []string `json:"references"`
		} `json:"expressions"`
	} `json:"resources"`
}

// tfValues are the attributes read from the IAM resources.
type tfValues struct {
	Name                string   `json:"name"`
	ARN                 string   `json:"arn"`
	Role                string   `json:"role"`
	RoleName            string   `json:"role_name"`
	Roles               []string `json:"roles"`
	Policy              string   `json:"policy"`
	PolicyARN           string   `json:"policy_arn"`
	PolicyARNs          []string `json:"policy_arns"`
	PolicyNames         []string `json:"policy_names"`
	ManagedPolicyARNs   []string `json:"managed_policy_arns"`
	PermissionsBoundary string   `json:"permissions_boundary"`
	InlinePolicy        []struct {
		Name   string `json:"name"`
		Policy string `json:"policy"`
	} `json:"inline_policy"`
}

var tfTypes = map[string]bool{
	"aws_iam_role": true, "aws_iam_role_policy": true, "aws_iam_role_policy_attachment": true,
	"aws_iam_policy": true, "aws_iam_policy_attachment": true,
	"aws_iam_role_policy_attachments_exclusive": true, "aws_iam_role_policies_exclusive": true,
}

// Terraform finds every managed aws_iam_role of a `terraform show -json`
// plan (planned values) or state, with the policies terraform attaches to
// it, keyed by resource address. A policy whose ARN or document is unknown
// until apply, and that no reference in the plan's configuration ties to
// an aws_iam_policy of the plan, is kept with a nil Document: unknown.
func Terraform(data []byte) (map[string]Role, error) {
	var top struct {
		PlannedValues *struct {
			RootModule *tfModule `json:"root_module"`
		} `json:"planned_values"`
		Values *struct {
			RootModule *tfModule `json:"root_module"`
		} `json:"values"`
		Configuration *struct {
			RootModule *tfConfigModule `json:"root_module"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("terraform JSON: %w", err)
	}
	var root *tfModule
	switch {
	case top.PlannedValues != nil && top.PlannedValues.RootModule != nil:
		root = top.PlannedValues.RootModule
	case top.Values != nil && top.Values.RootModule != nil:
		root = top.Values.RootModule
	default:
		return map[string]Role{}, nil
	}
	refs := map[string]map[string][]string{} // address → attribute → referenced resource addresses
	if top.Configuration != nil && top.Configuration.RootModule != nil {
		for _, r := range top.Configuration.RootModule.Resources {
			m := map[string][]string{}
			for attr, e := range r.Expressions {
				for _, ref := range e.References {
					m[attr] = append(m[attr], resourceOf(ref))
				}
			}
			refs[r.Address] = m
		}
	}
	type res struct {
		addr, typ string
		v         tfValues
	}
	var all []res
	var walk func(m *tfModule, depth int) error
	walk = func(m *tfModule, depth int) error {
		if depth > 64 {
			return nil
		}
		for _, r := range m.Resources {
			if !tfTypes[r.Type] || (r.Mode != "" && r.Mode != "managed") {
				continue
			}
			var v tfValues
			if len(r.Values) > 0 {
				if err := json.Unmarshal(r.Values, &v); err != nil {
					return fmt.Errorf("terraform JSON: %s: %w", r.Address, err)
				}
			}
			all = append(all, res{r.Address, r.Type, v})
		}
		for i := range m.ChildModules {
			if err := walk(&m.ChildModules[i], depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}

	roles := map[string]*Role{}
	byName := map[string]string{}   // role name → address
	policies := map[string]Policy{} // aws_iam_policy by ARN and by address
	inline := map[string]map[string]bool{}
	for _, r := range all {
		switch r.typ {
		case "aws_iam_role":
			role := &Role{Name: r.v.Name, ARN: r.v.ARN}
			roles[r.addr] = role
			inline[r.addr] = map[string]bool{}
			if r.v.Name != "" {
				byName[r.v.Name] = r.addr
			}
		case "aws_iam_policy":
			p := Policy{Name: r.v.Name, ARN: r.v.ARN}
			if r.v.Policy != "" {
				p.Document = []byte(jsonString(r.v.Policy))
			}
			if p.Name == "" {
				p.Name = r.addr
			}
			policies[r.addr] = p
			if p.ARN != "" {
				policies[p.ARN] = p
			}
		}
	}
	// roleOf finds the role an attachment names, by its value or, when
	// that is unknown until apply, by the configuration's reference.
	roleOf := func(addr, attr, val string) *Role {
		if a, ok := byName[val]; ok && val != "" {
			return roles[a]
		}
		for _, ref := range refs[addr][attr] {
			if role, ok := roles[ref]; ok {
				return role
			}
		}
		return nil
	}
	policyOf := func(addr, attr, arn string) Policy {
		if p, ok := policies[arn]; ok && arn != "" {
			return p
		}
		if arn == "" {
			for _, ref := range refs[addr][attr] {
				if p, ok := policies[ref]; ok {
					return p
				}
			}
			return Policy{Name: addr + "." + attr + " (unknown until apply)"}
		}
		return Policy{Name: nameOf(arn), ARN: arn}
	}
	attach := func(role *Role, p Policy) {
		for _, q := range role.Managed {
			if q.ARN == p.ARN && q.Name == p.Name {
				return
			}
		}
		role.Managed = append(role.Managed, p)
	}
	addInline := func(addr string, role *Role, name, doc string) {
		if inline[addr][name] {
			return
		}
		inline[addr][name] = true
		p := Policy{Name: name}
		if doc != "" {
			p.Document = []byte(jsonString(doc))
		}
		role.Inline = append(role.Inline, p)
	}
	addrOf := func(role *Role) string {
		for a, r := range roles {
			if r == role {
				return a
			}
		}
		return ""
	}
	for _, r := range all {
		switch r.typ {
		case "aws_iam_role":
			role := roles[r.addr]
			for _, ip := range r.v.InlinePolicy {
				if ip.Name != "" || ip.Policy != "" {
					addInline(r.addr, role, ip.Name, ip.Policy)
				}
			}
			for _, arn := range r.v.ManagedPolicyARNs {
				attach(role, policyOf(r.addr, "managed_policy_arns", arn))
			}
			if r.v.PermissionsBoundary != "" || len(refs[r.addr]["permissions_boundary"]) > 0 {
				p := policyOf(r.addr, "permissions_boundary", r.v.PermissionsBoundary)
				role.Boundary = &p
			}
		case "aws_iam_role_policy":
			if role := roleOf(r.addr, "role", r.v.Role); role != nil {
				addInline(addrOf(role), role, r.v.Name, r.v.Policy)
			}
		case "aws_iam_role_policy_attachment":
			if role := roleOf(r.addr, "role", r.v.Role); role != nil {
				attach(role, policyOf(r.addr, "policy_arn", r.v.PolicyARN))
			}
		case "aws_iam_policy_attachment":
			p := policyOf(r.addr, "policy_arn", r.v.PolicyARN)
			for _, name := range r.v.Roles {
				if role := roleOf(r.addr, "roles", name); role != nil {
					attach(role, p)
				}
			}
			if len(r.v.Roles) == 0 {
				for _, ref := range refs[r.addr]["roles"] {
					if role, ok := roles[ref]; ok {
						attach(role, p)
					}
				}
			}
		case "aws_iam_role_policy_attachments_exclusive":
			if role := roleOf(r.addr, "role_name", r.v.RoleName); role != nil {
				for _, arn := range r.v.PolicyARNs {
					attach(role, policyOf(r.addr, "policy_arns", arn))
				}
			}
		}
	}
	// Last, once every aws_iam_role_policy is in: an exclusive list names
	// the inline policies the role must have, and one with no
	// aws_iam_role_policy here is unknown.
	for _, r := range all {
		if r.typ != "aws_iam_role_policies_exclusive" {
			continue
		}
		if role := roleOf(r.addr, "role_name", r.v.RoleName); role != nil {
			a := addrOf(role)
			for _, name := range r.v.PolicyNames {
				addInline(a, role, name, "")
			}
		}
	}
	out := make(map[string]Role, len(roles))
	for a, r := range roles {
		out[a] = *r
	}
	return out, nil
}

// resourceOf turns a reference such as "aws_iam_policy.deploy.arn" or
// "module.x.aws_iam_role.r[0].name" into the resource's address.
func resourceOf(ref string) string {
	parts := strings.Split(ref, ".")
	n := 0
	for n < len(parts) && parts[n] == "module" {
		n += 2
	}
	if len(parts) >= n+2 {
		return strings.Join(parts[:n+2], ".")
	}
	return ref
}

// jsonString wraps a policy held as a string in a JSON string, the form
// parseDocument reads.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
