// Package sessiontags builds the session tags that role chaining sends with
// AssumeRole: who and what ran the job, read from the runner's GITHUB_*
// variables, plus the user's custom-tags, kept within STS's limits.
//
// The keys and the sources match aws-actions/configure-aws-credentials, so
// that permission policies written against aws:PrincipalTag/Repository and
// the like keep working after a switch. AssumeRoleWithWebIdentity takes no
// tags: there the session's tags can only come from the token.
package sessiontags

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tag is one session tag.
type Tag struct {
	Key   string
	Value string
}

// source is a tag this package sets from a runner variable.
type source struct {
	Key string
	Env string
	// Droppable tags are convenience metadata: when STS answers
	// PackedPolicyTooLarge, the request is made once more without them.
	Droppable bool
}

// sources lists the tags set from the runner's variables, in the order they
// are sent. A variable that is unset or empty sends no tag.
var sources = []source{
	{Key: "Repository", Env: "GITHUB_REPOSITORY"},
	{Key: "Workflow", Env: "GITHUB_WORKFLOW"},
	{Key: "Action", Env: "GITHUB_ACTION"},
	{Key: "Actor", Env: "GITHUB_ACTOR"},
	{Key: "Commit", Env: "GITHUB_SHA"},
	{Key: "Branch", Env: "GITHUB_REF"},
	{Key: "EventName", Env: "GITHUB_EVENT_NAME", Droppable: true},
	{Key: "BaseRef", Env: "GITHUB_BASE_REF", Droppable: true},
	{Key: "HeadRef", Env: "GITHUB_HEAD_REF", Droppable: true},
	{Key: "RunId", Env: "GITHUB_RUN_ID", Droppable: true},
	{Key: "Job", Env: "GITHUB_JOB", Droppable: true},
	{Key: "TriggeringActor", Env: "GITHUB_TRIGGERING_ACTOR", Droppable: true},
}

// fixed is the tag sent whatever the environment, marking sessions made by
// a GitHub Actions job.
var fixed = Tag{Key: "GitHub", Value: "Actions"}

// STS's limits on session tags.
const (
	maxTags       = 50
	maxKeyChars   = 128
	maxValueChars = 256
	replacement   = '_'
)

// allowed reports whether STS allows r in tag keys and values: Unicode
// letters, separators and numbers, and _ . : / = + - @. (A function, not a
// regexp: a regexp of Unicode classes is slow to compile, at every start.)
func allowed(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

func allAllowed(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !allowed(r) })
}

// reserved reports whether key is set by this package, compared the way
// STS compares tag keys: ignoring case.
func reserved(key string) bool {
	return slices.ContainsFunc(ReservedKeys(), func(k string) bool { return strings.EqualFold(k, key) })
}

// sanitize makes a runner value a valid tag value: characters STS refuses
// become "_", and the value is cut to maxValueChars characters. Workflow
// names and refs may hold characters such as '#', '(' or '*'.
func sanitize(v string) string {
	v = strings.Map(func(r rune) rune {
		if !allowed(r) {
			return replacement
		}
		return r
	}, strings.ToValidUTF8(v, string(replacement)))
	if utf8.RuneCountInString(v) > maxValueChars {
		v = string([]rune(v)[:maxValueChars])
	}
	return v
}

// ParseCustom parses the custom-tags input: a JSON object whose values are
// strings, numbers or booleans. The tags come back sorted by key, so that
// the request does not depend on the object's order. Errors say which key
// is wrong and why, and never quote more than a short prefix of a value.
func ParseCustom(s string) ([]Tag, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return nil, errors.New(`is not a JSON object; want e.g. {"Team": "payments", "CostCenter": 1234}`)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tags := make([]Tag, 0, len(keys))
	seen := map[string]string{}
	for _, k := range keys {
		var v string
		switch x := obj[k].(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("key %s: the value must be a string, number or boolean", short(k))
		}
		if err := check(k, v); err != nil {
			return nil, err
		}
		if reserved(k) {
			return nil, fmt.Errorf("key %s is set by this action itself; choose another key", short(k))
		}
		if prev, dup := seen[strings.ToLower(k)]; dup {
			return nil, fmt.Errorf("keys %s and %s differ only in case; STS compares tag keys ignoring case", short(prev), short(k))
		}
		seen[strings.ToLower(k)] = k
		tags = append(tags, Tag{Key: k, Value: v})
	}
	if n := len(tags) + 1 + len(sources); n > maxTags {
		return nil, fmt.Errorf("has %d tags; with the %d this action sets that could reach %d, and STS allows %d", len(tags), 1+len(sources), n, maxTags)
	}
	return tags, nil
}

func check(k, v string) error {
	switch {
	case k == "" || utf8.RuneCountInString(k) > maxKeyChars:
		return fmt.Errorf("key %s must be 1-%d characters", short(k), maxKeyChars)
	case !allAllowed(k):
		return fmt.Errorf("key %s has a character STS does not allow; use letters, digits, spaces and _.:/=+-@", short(k))
	case utf8.RuneCountInString(v) > maxValueChars:
		return fmt.Errorf("key %s: the value is longer than %d characters", short(k), maxValueChars)
	case !allAllowed(v):
		return fmt.Errorf("key %s: the value has a character STS does not allow; use letters, digits, spaces and _.:/=+-@", short(k))
	}
	return nil
}

// short quotes s for an error, cut so that one input cannot flood the log.
func short(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

// Set is the tags of one AssumeRole request.
type Set struct {
	Tags []Tag
	// Transitive is the subset of keys to pass on to further role chaining.
	Transitive []string
}

// Build collects the tags: fixed, then sources present in the environment,
// then custom. transitive keys that name no tag in the set are left out, as
// configure-aws-credentials does, because whether e.g. BaseRef is present
// depends on the event.
func Build(getenv func(string) string, custom []Tag, transitive []string) Set {
	s := Set{Tags: []Tag{fixed}}
	for _, src := range sources {
		if v := getenv(src.Env); v != "" {
			s.Tags = append(s.Tags, Tag{Key: src.Key, Value: sanitize(v)})
		}
	}
	s.Tags = append(s.Tags, custom...)
	for _, k := range transitive {
		// Sent with the tag's own spelling, so that it matches a key of Tags
		// exactly.
		if i := slices.IndexFunc(s.Tags, func(t Tag) bool { return strings.EqualFold(t.Key, k) }); i >= 0 && !slices.Contains(s.Transitive, s.Tags[i].Key) {
			s.Transitive = append(s.Transitive, s.Tags[i].Key)
		}
	}
	return s
}

// WithoutDroppable returns the set without the Droppable sources' tags, and
// whether there were any to drop.
func (s Set) WithoutDroppable() (Set, bool) {
	droppable := func(key string) bool {
		return slices.ContainsFunc(sources, func(src source) bool { return src.Droppable && src.Key == key })
	}
	out := Set{}
	for _, t := range s.Tags {
		if !droppable(t.Key) {
			out.Tags = append(out.Tags, t)
		}
	}
	for _, k := range s.Transitive {
		if !droppable(k) {
			out.Transitive = append(out.Transitive, k)
		}
	}
	return out, len(out.Tags) < len(s.Tags)
}

// Keys lists the keys of the set, for the log: values are not secret, but
// they are long and the keys say enough.
func (s Set) Keys() []string {
	keys := make([]string, len(s.Tags))
	for i, t := range s.Tags {
		keys[i] = t.Key
	}
	return keys
}

// ValidTransitiveKey reports whether key could name a tag of a Set built
// with custom: one of the sources, fixed, or a custom key.
func ValidTransitiveKey(key string, custom []Tag) bool {
	return reserved(key) || slices.ContainsFunc(custom, func(t Tag) bool { return strings.EqualFold(t.Key, key) })
}

// ReservedKeys lists the keys this package sets, for messages.
func ReservedKeys() []string {
	keys := []string{fixed.Key}
	for _, s := range sources {
		keys = append(keys, s.Key)
	}
	return keys
}

// ParseSet reads back a Set in its JSON form (as json.Marshal writes it),
// checking each tag as ParseCustom does, and that no key repeats (ignoring
// case) and every transitive key names a tag. The credential_process helper
// gets the set a step built this way, so that later refreshes send exactly
// the tags the step sent.
func ParseSet(s string) (Set, error) {
	var set Set
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil || dec.More() {
		return Set{}, errors.New(`is not a JSON session-tag set; want {"Tags":[{"Key":"K","Value":"V"}],"Transitive":["K"]}`)
	}
	if len(set.Tags) > maxTags {
		return Set{}, fmt.Errorf("has %d tags; STS allows %d", len(set.Tags), maxTags)
	}
	seen := map[string]bool{}
	for _, t := range set.Tags {
		if err := check(t.Key, t.Value); err != nil {
			return Set{}, err
		}
		if seen[strings.ToLower(t.Key)] {
			return Set{}, fmt.Errorf("key %s appears twice; STS compares tag keys ignoring case", short(t.Key))
		}
		seen[strings.ToLower(t.Key)] = true
	}
	for _, k := range set.Transitive {
		if !slices.ContainsFunc(set.Tags, func(t Tag) bool { return t.Key == k }) {
			return Set{}, fmt.Errorf("transitive key %s names no tag of the set", short(k))
		}
	}
	return set, nil
}
