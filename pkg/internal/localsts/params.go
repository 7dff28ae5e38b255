package localsts

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxParams bounds how many distinct parameters one request may carry; real
// STS calls use about a dozen, PolicyArns and Tags included.
const maxParams = 200

// parseParams reads Query-protocol parameters from the query string and,
// for POST, the form-encoded body (whose values win). Both must be strictly
// well-formed: a client that sends broken escapes is broken.
func parseParams(method, contentType string, body []byte, rawQuery string) (map[string][]string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("failed to parse the query string: %v", err)
	}
	out := map[string][]string(q)
	if method == http.MethodPost && len(body) > 0 {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, fmt.Errorf("failed to read the request body: Content-Type %q is not application/x-www-form-urlencoded", contentType)
		}
		bp, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("failed to parse the form-encoded body: %v", err)
		}
		for k, v := range bp {
			out[k] = v
		}
	}
	if len(out) > maxParams {
		return nil, fmt.Errorf("failed to parse the request: %d parameters, more than the %d allowed", len(out), maxParams)
	}
	for k, v := range out {
		if !utf8.ValidString(k) {
			return nil, errors.New("failed to parse the request: a parameter name is not valid UTF-8")
		}
		for _, s := range v {
			if !utf8.ValidString(s) {
				return nil, fmt.Errorf("failed to parse the request: parameter %q is not valid UTF-8", k)
			}
		}
	}
	return out, nil
}

var (
	accountRe     = regexp.MustCompile(`^\d{12}$`)
	roleARNRe     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):role/((?:[\x21-\x7e]+/)*)([\w+=,.@-]{1,64})$`)
	sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRe  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// roleARN is a parsed IAM role ARN.
type roleARN struct {
	ARN       string
	Partition string
	Account   string
	Path      string // "/" or "/a/b/"
	Name      string
}

func parseRoleARN(s string) (roleARN, error) {
	m := roleARNRe.FindStringSubmatch(s)
	if m == nil {
		return roleARN{}, fmt.Errorf("role ARN %q is not of the form arn:aws:iam::123456789012:role/NAME", s)
	}
	return roleARN{ARN: s, Partition: m[1], Account: m[2], Path: "/" + m[3], Name: m[4]}, nil
}

// validation accumulates constraint violations worded the way AWS's request
// validation words them, so clients that pattern-match messages see the same.
type validation []string

func (v *validation) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

func (v validation) err() *stsError {
	if len(v) == 0 {
		return nil
	}
	noun := "error"
	if len(v) > 1 {
		noun = "errors"
	}
	return errValidation(fmt.Sprintf("%d validation %s detected: %s", len(v), noun, strings.Join(v, "; ")))
}

// quoteValue shows a parameter value in a message; secret-bearing fields pass
// secret=true and are not echoed.
func quoteValue(val string, secret bool) string {
	if secret {
		return "Value"
	}
	return "Value '" + val + "'"
}

// str checks a string parameter's presence, length and pattern.
func (c *call) str(v *validation, param, field string, required bool, minLen, maxLen int, re *regexp.Regexp, rePattern string, secret bool) string {
	if !c.has(param) {
		if required {
			v.add("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
		}
		return ""
	}
	val := c.param(param)
	n := utf8.RuneCountInString(val)
	switch {
	case n < minLen:
		v.add("%s at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", quoteValue(val, secret), field, minLen)
	case maxLen > 0 && n > maxLen:
		v.add("%s at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", quoteValue(val, secret), field, maxLen)
	case re != nil && !re.MatchString(val):
		v.add("%s at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", quoteValue(val, secret), field, rePattern)
	}
	return val
}

// duration validates DurationSeconds and returns it (3600 when absent).
func (c *call) duration(v *validation) int {
	if !c.has("DurationSeconds") {
		return 3600
	}
	raw := c.param("DurationSeconds")
	d, err := strconv.Atoi(raw)
	if err != nil {
		v.add("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be an integer", raw)
		return 0
	}
	if d < 900 {
		v.add("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", d)
	} else if d > 43200 {
		v.add("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200", d)
	}
	return d
}

// sessionPolicy validates Policy and PolicyArns (shared by both actions).
func (c *call) sessionPolicy(v *validation) (policy string, arns []string) {
	policy = c.str(v, "Policy", "policy", false, 1, 2048, nil, "", false)
	arns = policyArns(c.params)
	if len(arns) > 10 {
		v.add("Value '[%s]' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10", strings.Join(arns, ", "))
	}
	for i, a := range arns {
		if n := len(a); n < 20 || n > 2048 {
			v.add("Value '%s' at 'policyArns.%d.member.arn' failed to satisfy constraint: Member must have length between 20 and 2048", a, i+1)
		}
	}
	return policy, arns
}

// STS's constraints on session tags.
const (
	maxSessionTags = 50
	tagKeyPattern  = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValPattern  = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
)

// tagText reports whether s matches tagValPattern. Not a regexp: Unicode
// classes would cost a regexp compile in every process that starts the
// stand-in, and the load tests start hundreds.
func tagText(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.Is(unicode.Z, r) && !unicode.IsNumber(r) && !strings.ContainsRune("_.:/=+-@", r)
	})
}

// sessionTags validates Tags and TransitiveTagKeys (AssumeRole only) the
// way request validation does; the rules that need the whole set are
// checked by checkSessionTags.
func (c *call) sessionTags(v *validation) ([]Tag, []string) {
	tags, transitive := sessionTags(c.params)
	if len(tags) > maxSessionTags {
		v.add("Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionTags)
	}
	for i, t := range tags {
		switch n := utf8.RuneCountInString(t.Key); {
		case n < 1 || n > 128:
			v.add("Value '%s' at 'tags.%d.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key, i+1)
		case !tagText(t.Key):
			v.add("Value '%s' at 'tags.%d.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", t.Key, i+1, tagKeyPattern)
		}
		switch {
		case utf8.RuneCountInString(t.Value) > 256:
			v.add("Value '%s' at 'tags.%d.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", t.Value, i+1)
		case !tagText(t.Value):
			v.add("Value '%s' at 'tags.%d.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", t.Value, i+1, tagValPattern)
		}
	}
	if len(transitive) > maxSessionTags {
		v.add("Value at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to %d", maxSessionTags)
	}
	return tags, transitive
}
