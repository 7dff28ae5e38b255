package sessiontags

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseSetReadsBackWhatMarshalWrites(t *testing.T) {
	env := map[string]string{"GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_REF": "refs/heads/main", "GITHUB_WORKFLOW": "Deploy (prod) #1"}
	want := Build(func(k string) string { return env[k] }, []Tag{{Key: "Team", Value: "payments"}}, []string{"repository", "Team"})
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSet(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseSet = %+v, want %+v", got, want)
	}
}

func TestParseSetRefusesWhatSTSWould(t *testing.T) {
	many := `{"Tags":[` + strings.Repeat(`{"Key":"k","Value":"v"},`, maxTags) + `{"Key":"k","Value":"v"}]}`
	cases := map[string]string{
		"not JSON":                "Team=payments",
		"unknown field":           `{"Tags":[],"Extra":1}`,
		"two documents":           `{"Tags":[]} {}`,
		"bad character in value":  `{"Tags":[{"Key":"Team","Value":"a;b"}]}`,
		"empty key":               `{"Tags":[{"Key":"","Value":"v"}]}`,
		"key repeated in case":    `{"Tags":[{"Key":"Team","Value":"a"},{"Key":"team","Value":"b"}]}`,
		"transitive names no tag": `{"Tags":[{"Key":"Team","Value":"a"}],"Transitive":["Owner"]}`,
		"too many tags":           many,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSet(in); err == nil {
				t.Errorf("ParseSet(%.60q) accepted it", in)
			}
		})
	}
}

func FuzzParseSet(f *testing.F) {
	f.Add(`{"Tags":[{"Key":"GitHub","Value":"Actions"}],"Transitive":["GitHub"]}`)
	f.Add(`{"Tags":null}`)
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseSet(s)
		if err != nil {
			return
		}
		// What it accepts must survive a round trip unchanged.
		b, err := json.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseSet(string(b))
		if err != nil || !reflect.DeepEqual(again, set) {
			t.Fatalf("round trip of %q: %v, %+v != %+v", s, err, again, set)
		}
	})
}
