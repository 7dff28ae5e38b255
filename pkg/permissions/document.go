package permissions

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// statement is the part of an identity policy statement that decides what
// it grants.
type statement struct {
	Effect                string
	Action, NotAction     list
	Resource, NotResource list
	Condition             json.RawMessage
	hasNotAction          bool
	hasNotResource        bool
}

// list is a policy element that may be one string or a list of them.
type list []string

func (s *list) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = list{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*s = many
	return nil
}

// maxDocumentBytes bounds one policy document: IAM's largest (a managed
// policy) is 6,144 characters, so anything far past that is not a policy.
const maxDocumentBytes = 1 << 20

// parseDocument reads an identity policy: a JSON object, a JSON string
// holding one, or the IAM API's URL-encoded form of either.
func parseDocument(raw []byte) ([]statement, error) {
	if len(raw) > maxDocumentBytes {
		return nil, errors.New("policy document too large")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, "{") {
			dec, err := url.QueryUnescape(s)
			if err != nil {
				return nil, err
			}
			s = dec
		}
		raw = []byte(s)
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var list []json.RawMessage
	if st := bytes.TrimSpace(doc.Statement); len(st) > 0 && st[0] == '{' {
		list = []json.RawMessage{st}
	} else if err := json.Unmarshal(doc.Statement, &list); err != nil {
		return nil, errors.New("the Statement element is neither an object nor a list")
	}
	out := make([]statement, 0, len(list))
	for _, r := range list {
		var s statement
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, err
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(r, &keys); err != nil {
			return nil, err
		}
		_, s.hasNotAction = keys["NotAction"]
		_, s.hasNotResource = keys["NotResource"]
		out = append(out, s)
	}
	return out, nil
}

// conditional reports whether the statement has a Condition, which may
// narrow its grant in ways this package does not weigh.
func (s *statement) conditional() bool {
	c := bytes.TrimSpace(s.Condition)
	return len(c) > 0 && !bytes.Equal(c, []byte("null")) && !bytes.Equal(c, []byte("{}"))
}

// allows reports whether the statement's Action (or NotAction) covers the
// action.
func (s *statement) allows(action string) bool {
	if s.hasNotAction {
		return !anyGlob(s.NotAction, action, true)
	}
	return anyGlob(s.Action, action, true)
}

// everyResource reports whether the statement applies to every resource:
// Resource "*", or a NotResource, which excludes only what it lists.
func (s *statement) everyResource() bool {
	if s.hasNotResource {
		return true
	}
	for _, r := range s.Resource {
		if strings.Trim(r, "*") == "" {
			return true
		}
	}
	return false
}

// coversRole reports whether the statement's resources include the role
// itself. When the role's ARN is not known yet, a pattern is tried
// against the role's name in the pattern's own partition and account.
func (s *statement) coversRole(role Role) bool {
	if s.everyResource() {
		return true
	}
	for _, r := range s.Resource {
		target := role.ARN
		if target == "" {
			f := strings.SplitN(r, ":", 6)
			if len(f) < 6 || role.Name == "" {
				continue
			}
			target = strings.Join(f[:5], ":") + ":role/" + role.Name
		}
		if glob(r, target, false) {
			return true
		}
	}
	return false
}

// everyAction reports whether an Action element is all actions.
func (s *statement) everyAction() bool {
	if s.hasNotAction {
		return false
	}
	for _, a := range s.Action {
		if strings.Trim(a, "*") == "" || a == "*:*" {
			return true
		}
	}
	return false
}

// everyIAMAction reports whether the Action element covers all of IAM:
// "iam:*" and patterns such as "iam*" or "i*".
func (s *statement) everyIAMAction() bool {
	if s.hasNotAction {
		return false
	}
	for _, a := range s.Action {
		a = strings.ToLower(a)
		pre, ok := strings.CutSuffix(a, "*")
		if ok && !strings.ContainsAny(pre, "*?") && strings.HasPrefix("iam:", pre) {
			return true
		}
	}
	return false
}

func anyGlob(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if glob(p, s, fold) {
			return true
		}
	}
	return false
}

// glob matches IAM's wildcards. Actions match without regard to case,
// ARNs with.
func glob(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	return trustpolicy.Like(pattern, s)
}
