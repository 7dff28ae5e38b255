// Package trustpolicy parses IAM role trust policies and evaluates them
// against GitHub Actions OIDC token claims the way IAM does for
// sts:AssumeRoleWithWebIdentity, explaining every verdict; it also lints
// trust policies for common OIDC mistakes and generates tight ones.
package trustpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Policy is one IAM policy document. Field order and the order of
// statements, condition operators and keys follow the source document, so
// reports and re-marshalled JSON read like what the user wrote.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one element of a policy's Statement list.
type Statement struct {
	Sid          string
	Effect       string
	Principal    *Principal
	NotPrincipal *Principal
	// nil means the element is absent; a non-nil empty slice means it was
	// present but empty, which Compile rejects.
	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition
}

// Principal is a Principal or NotPrincipal element. Wildcard is the bare
// string "*".
type Principal struct {
	Wildcard      bool
	AWS           []string
	Federated     []string
	Service       []string
	CanonicalUser []string
}

// Condition is one operator/key pair of a Condition block. Values keeps the
// policy's values in their string form: IAM compares booleans and numbers as
// strings, so `true` and "true" are the same value.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// statementLabel names a statement for humans: its 1-based position and its
// Sid, quoted, when it has one.
func statementLabel(index int, sid string) string {
	if sid != "" {
		return fmt.Sprintf("#%d %s", index+1, display.Quote(sid))
	}
	return fmt.Sprintf("#%d", index+1)
}

// pathKey shows a key taken from the input in an error's path: bare when
// that is unambiguous (every known element and operator), quoted
// otherwise, as lint shows file names, so a key cannot break the line.
func pathKey(k string) string {
	if q := display.Quote(k); k != "" && q[1:len(q)-1] == k && !strings.ContainsAny(k, " .[]()\"") {
		return k
	}
	return display.Quote(k)
}

// MaxInputBytes bounds the inputs we agree to parse. Trust policies are
// limited by IAM to 2,048 characters (4,096 with a quota increase), but a
// `terraform show -json` plan holds every resource's values: a plan with
// one role among thousands of S3 objects reaches megabytes, and large
// estates reach hundreds. Parsing keeps only the roles' policies, so the
// cost is about the input held once plus each resource's address and type
// while decoding: many small resources cost more than few large ones (see
// policycmd's BenchmarkLintTerraformPlan and CONTRIBUTING's figures).
const MaxInputBytes = 256 << 20

// ParseError says where in the input a policy could not be understood.
type ParseError struct {
	Document string // document name, "" for a bare policy
	Path     string // e.g. Statement[1].Condition.StringEquals
	Reason   string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("invalid policy")
	if e.Document != "" && e.Document != "policy" {
		b.WriteString(" " + display.Quote(e.Document))
	}
	if e.Path != "" {
		b.WriteString(" at " + e.Path)
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// Parse reads exactly one policy from any supported input form.
func Parse(data []byte) (*Policy, error) {
	docs, err := ParseDocuments(data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		names := make([]string, len(docs))
		for i, d := range docs {
			names[i] = display.Quote(d.Name)
		}
		return nil, fmt.Errorf("invalid policy: the input holds %d policies (%s), not exactly one", len(docs), strings.Join(names, ", "))
	}
	return docs[0].Policy, nil
}

// parsePolicyJSON reads a bare policy document.
func parsePolicyJSON(data []byte, docName string) (*Policy, error) {
	fail := func(path, format string, args ...any) error {
		if path != "" {
			path = pathKey(path)
		}
		return &ParseError{Document: docName, Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	fields, err := objectFields(data)
	if err != nil {
		return nil, fail("", "%v", err)
	}
	p := &Policy{}
	sawStatement := false
	for _, f := range fields {
		switch f.key {
		case "Version":
			if err := json.Unmarshal(f.val, &p.Version); err != nil {
				return nil, fail("Version", "want a string such as \"2012-10-17\"")
			}
		case "Id":
			if err := json.Unmarshal(f.val, &p.ID); err != nil {
				return nil, fail("Id", "want a string")
			}
		case "Statement":
			sawStatement = true
			raws, err := objectOrList(f.val)
			if err != nil {
				return nil, fail("Statement", "want an object or a list of objects: %v", err)
			}
			for i, raw := range raws {
				st, err := parseStatement(raw, fmt.Sprintf("Statement[%d]", i), docName)
				if err != nil {
					return nil, err
				}
				p.Statements = append(p.Statements, *st)
			}
		default:
			return nil, fail(f.key, "unknown policy element %s%s (IAM knows Version, Id, Statement)", display.Quote(f.key), didYouMean(f.key, "Version", "Id", "Statement"))
		}
	}
	if !sawStatement {
		return nil, fail("", "no \"Statement\" element; a trust policy needs at least one statement")
	}
	return p, nil
}

func parseStatement(data []byte, path, docName string) (*Statement, error) {
	fail := func(sub, format string, args ...any) error {
		pp := path
		if sub != "" {
			pp += "." + pathKey(sub)
		}
		return &ParseError{Document: docName, Path: pp, Reason: fmt.Sprintf(format, args...)}
	}
	fields, err := objectFields(data)
	if err != nil {
		return nil, fail("", "%v", err)
	}
	st := &Statement{}
	// Sid first, so later errors can name the statement by it.
	for _, f := range fields {
		if f.key == "Sid" {
			if err := json.Unmarshal(f.val, &st.Sid); err != nil {
				return nil, fail("Sid", "want a string")
			}
			path = fmt.Sprintf("%s (Sid %s)", path, display.Quote(st.Sid))
		}
	}
	for _, f := range fields {
		var err error
		switch f.key {
		case "Sid":
		case "Effect":
			if err := json.Unmarshal(f.val, &st.Effect); err != nil {
				return nil, fail("Effect", "want the string \"Allow\" or \"Deny\"")
			}
		case "Principal", "NotPrincipal":
			var pr *Principal
			pr, err = parsePrincipal(f.val)
			if err != nil {
				return nil, fail(f.key, "%v", err)
			}
			if f.key == "Principal" {
				st.Principal = pr
			} else {
				st.NotPrincipal = pr
			}
		case "Action":
			st.Action, err = stringList(f.val)
		case "NotAction":
			st.NotAction, err = stringList(f.val)
		case "Resource":
			st.Resource, err = stringList(f.val)
		case "NotResource":
			st.NotResource, err = stringList(f.val)
		case "Condition":
			st.Conditions, err = parseConditions(f.val)
		default:
			return nil, fail(f.key, "unknown statement element %s%s", display.Quote(f.key),
				didYouMean(f.key, "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"))
		}
		if err != nil {
			return nil, fail(f.key, "%v", err)
		}
	}
	return st, nil
}

func parsePrincipal(data []byte) (*Principal, error) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		if s != "*" {
			return nil, fmt.Errorf("string principal %s: only \"*\" may be a bare string; use {\"Federated\": ...}", display.Quote(s))
		}
		return &Principal{Wildcard: true}, nil
	}
	fields, err := objectFields(data)
	if err != nil {
		return nil, fmt.Errorf("want \"*\" or an object such as {\"Federated\": ARN}: %v", err)
	}
	p := &Principal{}
	for _, f := range fields {
		vals, err := stringList(f.val)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", pathKey(f.key), err)
		}
		switch f.key {
		case "AWS":
			p.AWS = append(p.AWS, vals...)
		case "Federated":
			p.Federated = append(p.Federated, vals...)
		case "Service":
			p.Service = append(p.Service, vals...)
		case "CanonicalUser":
			p.CanonicalUser = append(p.CanonicalUser, vals...)
		default:
			return nil, fmt.Errorf("unknown principal type %s%s", display.Quote(f.key), didYouMean(f.key, "AWS", "Federated", "Service", "CanonicalUser"))
		}
	}
	return p, nil
}

func parseConditions(data []byte) ([]Condition, error) {
	ops, err := objectFields(data)
	if err != nil {
		return nil, fmt.Errorf("want an object of operators: %v", err)
	}
	var out []Condition
	for _, op := range ops {
		keys, err := objectFields(op.val)
		if err != nil {
			return nil, fmt.Errorf("%s: want an object of condition keys: %v", display.Quote(op.key), err)
		}
		for _, k := range keys {
			vals, err := conditionValues(k.val)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %v", pathKey(op.key), display.Quote(k.key), err)
			}
			out = append(out, Condition{Operator: op.key, Key: k.key, Values: vals})
		}
	}
	return out, nil
}

// conditionValues accepts a scalar or a list of scalars. Numbers keep their
// literal text so that an account ID written as a number is not reformatted.
func conditionValues(data []byte) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	scalar := func(x any) (string, error) {
		switch t := x.(type) {
		case string:
			return t, nil
		case bool:
			if t {
				return "true", nil
			}
			return "false", nil
		case json.Number:
			return t.String(), nil
		case nil:
			return "", errors.New("null is not a condition value")
		default:
			return "", fmt.Errorf("want a string, boolean or number, not %s", jsonKind(x))
		}
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, x := range list {
			s, err := scalar(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func stringList(data []byte) ([]string, error) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil || list == nil {
		return nil, errors.New("want a string or a list of strings")
	}
	return list, nil
}

type field struct {
	key string
	val json.RawMessage
}

// objectFields decodes a JSON object keeping its key order, which
// encoding/json's maps lose, and rejects duplicate keys, which it would
// silently resolve to the last one while IAM rejects the document.
func objectFields(data []byte) ([]field, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, fmt.Errorf("want a JSON object, found %s", tokenKind(tok))
	}
	var out []field
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %v", err)
		}
		key := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("invalid JSON after key %s: %v", display.Quote(key), err)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %s", display.Quote(key))
		}
		seen[key] = true
		out = append(out, field{key, raw})
	}
	if _, err := d.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the closing brace")
	}
	return out, nil
}

// objectOrList reads the Statement element, which IAM accepts as a single
// object or a list of objects.
func objectOrList(data []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return []json.RawMessage{trimmed}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(trimmed, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errors.New("the list is empty")
	}
	return list, nil
}

func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return "a " + string(t)
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// didYouMean suggests the canonical spelling when a name differs only in
// case, the commonest cause of "unknown element" errors.
func didYouMean(got string, known ...string) string {
	for _, k := range known {
		if strings.EqualFold(got, k) {
			return fmt.Sprintf("; did you mean %s? (names are case-sensitive)", display.Quote(k))
		}
	}
	return ""
}
