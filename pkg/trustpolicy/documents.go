package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"sort"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Document is one trust policy found in an input, with the name a user
// would recognise it by: "policy" for a bare document, the role name for
// `aws iam get-role` output, or the resource address for terraform.
type Document struct {
	Name   string
	Policy *Policy
	// Where the document sits in the input, so findings can name a line
	// that is right or none at all. Offset is the byte offset of the
	// policy's JSON object, or of the JSON string holding it when Encoded;
	// -1 when unknown. A JSON string never spans lines, so everything in an
	// Encoded document is on Offset's line.
	Offset  int
	Encoded bool
	// StatementOffsets are the byte offsets of each statement (in order)
	// and End the offset just past the policy; set only when the policy is
	// JSON in the input itself (not Encoded).
	StatementOffsets []int
	End              int
}

// present records whether a top-level key is there (and not null) without
// copying its value, which in a terraform plan can be most of the input:
// encoding/json hands UnmarshalJSON a slice of the input.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = string(b) != "null"
	return nil
}

// Input is everything found in one input: the trust policies that can be
// read, and the roles whose policy a terraform plan leaves unknown until
// apply.
type Input struct {
	Documents []Document
	Unknown   []UnknownPolicy
}

// ParseDocuments reads every trust policy in data, which may be a bare
// policy document, `aws iam get-role` (or list-roles) output, or
// `terraform show -json` output for a plan or a state. It fails when no
// policy is known, naming any role whose policy is unknown until apply.
func ParseDocuments(data []byte) ([]Document, error) {
	in, err := ParseInput(data)
	if err != nil {
		return nil, err
	}
	if len(in.Documents) == 0 {
		return nil, noKnownPolicy(in.Unknown)
	}
	return in.Documents, nil
}

// ParseInput reads data as ParseDocuments does, but a terraform plan whose
// roles' policies are all unknown until apply is no error: they come back
// in Unknown, so a first plan can be checked for what is known.
func ParseInput(data []byte) (Input, error) {
	if len(data) > MaxInputBytes {
		return Input{}, fmt.Errorf("the input is %d bytes, more than the %d allowed", len(data), MaxInputBytes)
	}
	base := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) { // editors on Windows add a BOM
		data, base = data[3:], 3
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("found " + jsonKind(v))
		}
		return Input{}, fmt.Errorf("not a JSON object: %w", err)
	}
	// Keys are matched exactly, as IAM and terraform spell them.
	var top map[string]present
	if err := json.Unmarshal(data, &top); err != nil {
		return Input{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var docs []Document
	var unknown []UnknownPolicy
	var err error
	switch {
	case bool(top["Statement"]):
		var p *Policy
		if p, err = parsePolicyJSON(data, "policy"); err == nil {
			docs = []Document{locateInline(Document{Name: "policy", Policy: p}, data, 0)}
		}
	case bool(top["Role"]):
		raw, off := member(data, "Role")
		var d Document
		if d, err = parseRole(raw, "Role"); err == nil {
			docs = []Document{locateRole(d, raw, off)}
		}
	case bool(top["Roles"]):
		docs, err = parseRoles(data)
	case bool(top["values"] || top["planned_values"] || top["prior_state"] || top["format_version"]):
		docs, unknown, err = parseTerraform(data)
	default:
		err = errors.New("unrecognised JSON; want a policy document (with \"Statement\"), `aws iam get-role --output json` output (with \"Role\"), or `terraform show -json` output (with \"values\" or \"planned_values\")")
	}
	if err != nil {
		return Input{}, err
	}
	for i := range docs {
		d := &docs[i]
		if d.Offset >= 0 {
			d.Offset += base
			d.End += base
			for j := range d.StatementOffsets {
				d.StatementOffsets[j] += base
			}
		}
	}
	for i := range unknown {
		if unknown[i].Offset >= 0 {
			unknown[i].Offset += base
		}
	}
	return Input{Documents: docs, Unknown: unknown}, nil
}

func parseRoles(data []byte) ([]Document, error) {
	raw, off := member(data, "Roles")
	elems, offs, err := elements(raw)
	if err != nil {
		return nil, fmt.Errorf("`aws iam list-roles` output: Roles is not a list: %w", err)
	}
	var docs []Document
	for i, r := range elems {
		d, err := parseRole(r, fmt.Sprintf("Roles[%d]", i))
		if err != nil {
			return nil, err
		}
		docs = append(docs, locateRole(d, r, off+offs[i]))
	}
	if len(docs) == 0 {
		return nil, errors.New("`aws iam list-roles` output: the Roles list is empty")
	}
	return docs, nil
}

// locateRole places a role's policy: inline JSON gets statement offsets;
// the API's URL-encoded string is one line.
func locateRole(d Document, role []byte, roleOff int) Document {
	raw, off := member(role, "AssumeRolePolicyDocument")
	if raw == nil {
		d.Offset = -1
		return d
	}
	if raw[0] == '"' {
		d.Offset, d.End, d.Encoded = roleOff+off, roleOff+off+len(raw), true
		return d
	}
	return locateInline(d, raw, roleOff+off)
}

// locateInline sets the offsets of a policy written as JSON at off.
func locateInline(d Document, policy []byte, off int) Document {
	d.Offset, d.End = off+leadingSpace(policy), off+len(policy)
	raw, soff := member(policy, "Statement")
	if raw == nil {
		return d
	}
	if raw[0] == '{' {
		d.StatementOffsets = []int{off + soff}
		return d
	}
	if _, offs, err := elements(raw); err == nil {
		for _, o := range offs {
			d.StatementOffsets = append(d.StatementOffsets, off+soff+o)
		}
	}
	return d
}

func leadingSpace(b []byte) int { return len(b) - len(bytes.TrimLeft(b, " \t\r\n")) }

// member returns the value of key in the JSON object obj, with the value's
// byte offset in obj; nil if absent. obj must be valid JSON.
func member(obj []byte, key string) ([]byte, int) {
	d := json.NewDecoder(bytes.NewReader(obj))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, 0
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, 0
		}
		var raw json.RawMessage
		start := int(d.InputOffset())
		if err := d.Decode(&raw); err != nil {
			return nil, 0
		}
		if t == key {
			start += bytes.Index(obj[start:], raw)
			return obj[start : start+len(raw)], start
		}
	}
	return nil, 0
}

// elements splits a JSON list into its elements with their offsets.
func elements(list []byte) ([][]byte, []int, error) {
	d := json.NewDecoder(bytes.NewReader(list))
	if t, err := d.Token(); err != nil || t != json.Delim('[') {
		return nil, nil, errors.New("want a list")
	}
	var out [][]byte
	var offs []int
	for d.More() {
		var raw json.RawMessage
		start := int(d.InputOffset())
		if err := d.Decode(&raw); err != nil {
			return nil, nil, err
		}
		start += bytes.Index(list[start:], raw)
		out = append(out, list[start:start+len(raw)])
		offs = append(offs, start)
	}
	return out, offs, nil
}

func parseRole(raw json.RawMessage, path string) (Document, error) {
	var role struct {
		RoleName                 string
		Arn                      string
		AssumeRolePolicyDocument json.RawMessage
	}
	if err := json.Unmarshal(raw, &role); err != nil {
		return Document{}, fmt.Errorf("invalid `aws iam get-role` output at %s: %w", path, err)
	}
	name := role.RoleName
	if name == "" {
		name = role.Arn
	}
	if name == "" {
		name = path
	}
	if len(role.AssumeRolePolicyDocument) == 0 || string(role.AssumeRolePolicyDocument) == "null" {
		return Document{}, fmt.Errorf("invalid `aws iam get-role` output: role %s has no AssumeRolePolicyDocument", display.Quote(name))
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
				return Document{}, fmt.Errorf("invalid role %s: AssumeRolePolicyDocument is neither JSON nor URL-encoded JSON: %w", display.Quote(name), err)
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
		Address string `json:"address"`
		Mode    string `json:"mode"`
		Type    string `json:"type"`
		// Only the one attribute: a plan's other values can be most of a
		// 100 MB input, and decoding them would cost many times that.
		Values struct {
			AssumeRolePolicy any `json:"assume_role_policy"`
		} `json:"values"`
	} `json:"resources"`
	ChildModules []tfModule `json:"child_modules"`
}

type tfValues struct {
	RootModule *tfModule `json:"root_module"`
}

func parseTerraform(data []byte) ([]Document, []UnknownPolicy, error) {
	var top struct {
		PlannedValues *tfValues `json:"planned_values"`
		PriorState    *struct {
			Values *tfValues `json:"values"`
		} `json:"prior_state"`
		Values          *tfValues  `json:"values"`
		ResourceChanges []tfChange `json:"resource_changes"`
		Configuration   *tfConfig  `json:"configuration"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, nil, fmt.Errorf("terraform JSON: %w", err)
	}
	type source struct {
		v       *tfValues
		section string // the top-level key the values are under
		suffix  string
	}
	var sources []source
	if top.PlannedValues != nil {
		sources = append(sources, source{top.PlannedValues, "planned_values", ""})
	}
	if top.PriorState != nil && top.PriorState.Values != nil {
		sources = append(sources, source{top.PriorState.Values, "prior_state", " (prior state)"})
	}
	if top.Values != nil {
		sources = append(sources, source{top.Values, "values", ""})
	}

	var docs []Document
	seen := map[string]bool{}
	for _, src := range sources {
		if src.v.RootModule == nil {
			continue
		}
		found := map[string]string{}
		walkTerraform(src.v.RootModule, found, 0)
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
				return nil, nil, err
			}
			off := locateTerraform(data, src.section, addr, found[addr])
			docs = append(docs, Document{Name: addr + src.suffix, Policy: p, Offset: off, Encoded: true, End: off})
		}
	}
	unknown := unknownPolicies(data, top.ResourceChanges, top.Configuration, seen)
	if len(docs) == 0 && len(unknown) == 0 {
		return nil, nil, noKnownPolicy(nil)
	}
	return docs, unknown, nil
}

// locateTerraform finds the assume_role_policy string of the resource at
// addr, searching after the section's key, and returns its offset only if
// the string there is exactly policy; -1 otherwise, so a line is never
// guessed.
func locateTerraform(data []byte, section, addr, policy string) int {
	for at := range addressValues(data, section, addr) {
		from := at + len(display.JSON(addr))
		k := bytes.Index(data[from:], []byte(`"assume_role_policy"`))
		if k < 0 {
			return -1
		}
		v := from + k + len(`"assume_role_policy"`)
		v += leadingSpace(data[v:])
		if v >= len(data) || data[v] != ':' {
			continue
		}
		v++
		v += leadingSpace(data[v:])
		d := json.NewDecoder(bytes.NewReader(data[v:]))
		if t, err := d.Token(); err == nil && t == policy {
			return v
		}
	}
	return -1
}

// addressValues yields, after section's key in data, each offset at which
// addr stands as the value of an "address" key: the plan and state readers
// place a resource by it without decoding the document twice.
func addressValues(data []byte, section, addr string) iter.Seq[int] {
	return func(yield func(int) bool) {
		from := bytes.Index(data, []byte(display.JSON(section)))
		if from < 0 {
			return
		}
		addrText := []byte(display.JSON(addr))
		for {
			i := bytes.Index(data[from:], addrText)
			if i < 0 {
				return
			}
			at := from + i
			from = at + len(addrText)
			if afterKey(data[:at], "address") && !yield(at) {
				return
			}
		}
	}
}

// afterKey reports whether before ends with `"key":` (spaces allowed).
func afterKey(before []byte, key string) bool {
	b := bytes.TrimRight(before, " \t\r\n")
	b, ok := bytes.CutSuffix(b, []byte(":"))
	if !ok {
		return false
	}
	return bytes.HasSuffix(bytes.TrimRight(b, " \t\r\n"), []byte(display.JSON(key)))
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
		if s, ok := r.Values.AssumeRolePolicy.(string); ok && strings.TrimSpace(s) != "" && r.Address != "" {
			found[r.Address] = s
		}
	}
	for i := range m.ChildModules {
		walkTerraform(&m.ChildModules[i], found, depth+1)
	}
}
