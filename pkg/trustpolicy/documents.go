package trustpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Document is one trust policy found in an input, with the name a user
// would recognise it by: "policy" for a bare document, the role name for
// `aws iam get-role` output, or the resource address for terraform.
type Document struct {
	Name   string
	Policy *Policy
}

// ParseDocuments reads every trust policy in data, which may be a bare
// policy document, `aws iam get-role` (or list-roles) output, or
// `terraform show -json` output for a plan or a state.
func ParseDocuments(data []byte) ([]Document, error) {
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("failed to parse policy input: it is %d bytes, more than the %d allowed; pass a single policy, role or plan", len(data), MaxInputBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // editors on Windows add a BOM
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("failed to parse policy input: not a JSON object: %w", err)
	}
	switch {
	case top["Statement"] != nil:
		p, err := parsePolicyJSON(data, "policy")
		if err != nil {
			return nil, err
		}
		return []Document{{Name: "policy", Policy: p}}, nil
	case top["Role"] != nil:
		d, err := parseRole(top["Role"], "Role")
		if err != nil {
			return nil, err
		}
		return []Document{d}, nil
	case top["Roles"] != nil:
		var roles []json.RawMessage
		if err := json.Unmarshal(top["Roles"], &roles); err != nil {
			return nil, fmt.Errorf("failed to parse `aws iam list-roles` output: Roles is not a list: %w", err)
		}
		var docs []Document
		for i, r := range roles {
			d, err := parseRole(r, fmt.Sprintf("Roles[%d]", i))
			if err != nil {
				return nil, err
			}
			docs = append(docs, d)
		}
		if len(docs) == 0 {
			return nil, fmt.Errorf("failed to parse `aws iam list-roles` output: the Roles list is empty")
		}
		return docs, nil
	case top["values"] != nil || top["planned_values"] != nil || top["prior_state"] != nil || top["format_version"] != nil:
		return parseTerraform(top)
	}
	return nil, fmt.Errorf("failed to parse policy input: unrecognised JSON; want a policy document (with \"Statement\"), `aws iam get-role --output json` output (with \"Role\"), or `terraform show -json` output (with \"values\" or \"planned_values\")")
}

func parseRole(raw json.RawMessage, path string) (Document, error) {
	var role struct {
		RoleName                 string
		Arn                      string
		AssumeRolePolicyDocument json.RawMessage
	}
	if err := json.Unmarshal(raw, &role); err != nil {
		return Document{}, fmt.Errorf("failed to parse `aws iam get-role` output at %s: %w", path, err)
	}
	name := role.RoleName
	if name == "" {
		name = role.Arn
	}
	if name == "" {
		name = path
	}
	if len(role.AssumeRolePolicyDocument) == 0 || string(role.AssumeRolePolicyDocument) == "null" {
		return Document{}, fmt.Errorf("failed to parse `aws iam get-role` output: role %s has no AssumeRolePolicyDocument", quote(name))
	}
	body := []byte(role.AssumeRolePolicyDocument)
	var s string
	if json.Unmarshal(body, &s) == nil {
		// The IAM API returns the document URL-encoded; the CLI decodes it,
		// but other tools pass the raw API string through.
		body = []byte(s)
		if t := strings.TrimSpace(s); !strings.HasPrefix(t, "{") {
			dec, err := url.QueryUnescape(t)
			if err != nil {
				return Document{}, fmt.Errorf("failed to parse role %s: AssumeRolePolicyDocument is neither JSON nor URL-encoded JSON: %w", quote(name), err)
			}
			body = []byte(dec)
		}
	}
	p, err := parsePolicyJSON(body, name)
	if err != nil {
		return Document{}, err
	}
	return Document{Name: name, Policy: p}, nil
}

type tfModule struct {
	Address   string `json:"address"`
	Resources []struct {
		Address string         `json:"address"`
		Mode    string         `json:"mode"`
		Type    string         `json:"type"`
		Values  map[string]any `json:"values"`
	} `json:"resources"`
	ChildModules []tfModule `json:"child_modules"`
}

type tfValues struct {
	RootModule *tfModule `json:"root_module"`
}

func parseTerraform(top map[string]json.RawMessage) ([]Document, error) {
	type source struct {
		raw    json.RawMessage
		suffix string
	}
	var sources []source
	if top["planned_values"] != nil {
		sources = append(sources, source{top["planned_values"], ""})
	}
	if top["prior_state"] != nil {
		var prior struct {
			Values json.RawMessage `json:"values"`
		}
		if err := json.Unmarshal(top["prior_state"], &prior); err != nil {
			return nil, fmt.Errorf("failed to parse terraform plan: prior_state: %w", err)
		}
		if prior.Values != nil {
			sources = append(sources, source{prior.Values, " (prior state)"})
		}
	}
	if top["values"] != nil {
		sources = append(sources, source{top["values"], ""})
	}

	var docs []Document
	seen := map[string]bool{}
	for _, src := range sources {
		var v tfValues
		if err := json.Unmarshal(src.raw, &v); err != nil {
			return nil, fmt.Errorf("failed to parse terraform JSON: %w", err)
		}
		if v.RootModule == nil {
			continue
		}
		found := map[string]string{}
		walkTerraform(v.RootModule, found, 0)
		addrs := make([]string, 0, len(found))
		for a := range found {
			addrs = append(addrs, a)
		}
		sort.Strings(addrs)
		for _, addr := range addrs {
			// A plan's planned_values win; prior_state only fills in roles
			// whose new policy is unknown until apply.
			if seen[addr] {
				continue
			}
			seen[addr] = true
			p, err := parsePolicyJSON([]byte(found[addr]), addr+src.suffix)
			if err != nil {
				return nil, err
			}
			docs = append(docs, Document{Name: addr + src.suffix, Policy: p})
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("failed to parse terraform JSON: no aws_iam_role resource with a known assume_role_policy; run `terraform show -json` on a plan or state that manages the role")
	}
	return docs, nil
}

// maxModuleDepth stops hostile input from recursing without bound; real
// module trees are a handful of levels deep.
const maxModuleDepth = 64

func walkTerraform(m *tfModule, found map[string]string, depth int) {
	if depth > maxModuleDepth {
		return
	}
	for _, r := range m.Resources {
		if r.Type != "aws_iam_role" || (r.Mode != "" && r.Mode != "managed") {
			continue
		}
		if s, ok := r.Values["assume_role_policy"].(string); ok && strings.TrimSpace(s) != "" && r.Address != "" {
			found[r.Address] = s
		}
	}
	for i := range m.ChildModules {
		walkTerraform(&m.ChildModules[i], found, depth+1)
	}
}
