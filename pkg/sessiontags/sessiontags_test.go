package sessiontags

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeKeepsWhatSTSAllowsAndReplacesTheRest(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"leaves a ref alone", "refs/heads/main", "refs/heads/main"},
		{"keeps letters of any script and spaces", "Déploiement prod 本番", "Déploiement prod 本番"},
		{"replaces punctuation STS refuses", "CI (nightly) #3 *", "CI _nightly_ _3 _"},
		{"replaces line breaks", "a\nb\r", "a_b_"},
		{"replaces invalid UTF-8", "a\xffb", "a_b"},
		{"cuts to 256 characters", strings.Repeat("é", 300), strings.Repeat("é", 256)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := sanitize(tc.in); got != tc.want {
				t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseCustom(t *testing.T) {
	t.Run("sorts by key and writes numbers and booleans as JSON does", func(t *testing.T) {
		got, err := ParseCustom(`{"b": 1.50, "a": "x", "c": false, "d": ""}`)
		if err != nil {
			t.Fatal(err)
		}
		want := []Tag{{"a", "x"}, {"b", "1.50"}, {"c", "false"}, {"d", ""}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	rejects := []struct{ name, in, want string }{
		{"an array", `["a"]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"two objects", `{} {}`, "not a JSON object"},
		{"a null value", `{"a": null}`, "string, number or boolean"},
		{"an empty key", `{"": "x"}`, "1-128 characters"},
		{"a key too long", `{"` + strings.Repeat("k", 129) + `": "x"}`, "1-128 characters"},
		{"a value too long", `{"k": "` + strings.Repeat("v", 257) + `"}`, "longer than 256"},
		{"a key with a refused character", `{"a*b": "x"}`, "character STS does not allow"},
		{"a reserved key in another case", `{"COMMIT": "x"}`, "set by this action"},
		{"keys that differ only in case", `{"Team": "a", "team": "b"}`, "differ only in case"},
		{"more tags than STS allows with the action's own", bigObject(38), "STS allows 50"},
	}
	for _, tc := range rejects {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := ParseCustom(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseCustom(%.40q) error %v, want one containing %q", tc.in, err, tc.want)
			}
		})
	}
	t.Run("accepts as many as fit beside the action's own", func(t *testing.T) {
		if _, err := ParseCustom(bigObject(maxTags - 1 - len(sources))); err != nil {
			t.Error(err)
		}
	})
}

func bigObject(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `": "v"`)
	}
	b.WriteString("}")
	return b.String()
}

func TestBuild(t *testing.T) {
	env := map[string]string{
		"GITHUB_REPOSITORY": "octo/app",
		"GITHUB_WORKFLOW":   "Deploy (prod)",
		"GITHUB_SHA":        "0123456789abcdef",
		"GITHUB_REF":        "refs/heads/main",
		"GITHUB_RUN_ID":     "42",
		"GITHUB_BASE_REF":   "", // set but empty outside pull requests
	}
	custom := []Tag{{"Team", "payments"}}
	s := Build(func(k string) string { return env[k] }, custom, []string{"repository", "team", "BaseRef", "Team"})
	want := []Tag{{"GitHub", "Actions"}, {"Repository", "octo/app"}, {"Workflow", "Deploy _prod_"}, {"Commit", "0123456789abcdef"},
		{"Branch", "refs/heads/main"}, {"RunId", "42"}, {"Team", "payments"}}
	if !reflect.DeepEqual(s.Tags, want) {
		t.Errorf("tags\n%+v\nwant\n%+v", s.Tags, want)
	}
	// Transitive keys take the tag's own spelling, once each, and keys for
	// tags absent from this run are left out.
	if want := []string{"Repository", "Team"}; !reflect.DeepEqual(s.Transitive, want) {
		t.Errorf("transitive %q, want %q", s.Transitive, want)
	}

	fewer, dropped := s.WithoutDroppable()
	if !dropped {
		t.Fatal("RunId is droppable, but nothing was dropped")
	}
	if got := fewer.Keys(); !reflect.DeepEqual(got, []string{"GitHub", "Repository", "Workflow", "Commit", "Branch", "Team"}) {
		t.Errorf("after dropping: %q", got)
	}
	if _, again := fewer.WithoutDroppable(); again {
		t.Error("a second drop found more to drop")
	}
}

func TestReservedKeysAreAllSourcesAndFixed(t *testing.T) {
	keys := ReservedKeys()
	if len(keys) != 1+len(sources) {
		t.Fatalf("%d reserved keys, want %d", len(keys), 1+len(sources))
	}
	for _, k := range keys {
		if !reserved(strings.ToUpper(k)) {
			t.Errorf("reserved(%q) = false", strings.ToUpper(k))
		}
		if sanitize(k) != k {
			t.Errorf("reserved key %q is not a valid tag key", k)
		}
	}
	if reserved("Team") {
		t.Error("reserved(Team) = true")
	}
}

func FuzzParseCustom(f *testing.F) {
	for _, s := range []string{`{"Team": "payments", "n": 1}`, `{"a": true}`, `{}`, `[1]`, `{"Commit": "x"}`, `{"a":"\u00e9"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := ParseCustom(s)
		if err != nil {
			if n := len(err.Error()); n > 1000 {
				t.Errorf("error of %d bytes: a value leaks into it", n)
			}
			return
		}
		if len(tags)+1+len(sources) > maxTags {
			t.Errorf("%d tags accepted", len(tags))
		}
		seen := map[string]bool{}
		for i, tg := range tags {
			if i > 0 && tags[i-1].Key >= tg.Key {
				t.Errorf("keys not sorted: %q then %q", tags[i-1].Key, tg.Key)
			}
			if reserved(tg.Key) || seen[strings.ToLower(tg.Key)] {
				t.Errorf("key %q accepted twice or reserved", tg.Key)
			}
			seen[strings.ToLower(tg.Key)] = true
			if sanitize(tg.Key) != tg.Key || sanitize(tg.Value) != tg.Value || tg.Key == "" ||
				utf8.RuneCountInString(tg.Key) > maxKeyChars {
				t.Errorf("tag %q=%q is not one STS accepts", tg.Key, tg.Value)
			}
		}
	})
}
