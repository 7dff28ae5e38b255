package trustpolicy

import (
	"reflect"
	"strings"
	"testing"
)

const (
	docVarsWhere   = `IAM User Guide, policy variables: "You can use a policy variable for Condition values in any condition that involves the string operators or the ARN operators ... You can't use a policy variable with other operators, such as Numeric, Date, Boolean, Binary, IP Address, or Null operators."`
	docVarsVersion = `IAM User Guide, policy variables: "Variables were introduced in version 2012-10-17 ... If you don't include the Version element and set it to an appropriate version date, variables like ${aws:username} are treated as literal strings in the policy."`
	docVarsSpecial = `IAM User Guide, policy variables, special characters: "${*} - use where you need an * (asterisk) character. ${?} - use where you need a ? (question mark) character. ${$} - use where you need a $ (dollar sign) character."`
	docVarsDefault = `IAM User Guide, policy variables, default values: "To add a default value to a variable, surround the default value with single quotes (' '), and separate the variable text and the default value with a comma and space (, )."`
	docVarsMissing = `IAM User Guide, principal key values: "not present means that the value is not in the current request information, and any attempt to match it fails".`
	docVarsKeyCase = `IAM User Guide, policy variables: "Key names are case-insensitive. For example, aws:CurrentTime is equivalent to AWS:currenttime."`
)

func TestPolicyVariables(t *testing.T) {
	const k = "token.actions.githubusercontent.com:"
	doc := func(version, cond string) string {
		v := ""
		if version != "" {
			v = `"Version":"` + version + `",`
		}
		return `{` + v + `"Statement":[{"Effect":"Allow","Principal":{"Federated":"` + ghProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + cond + `}]}`
	}
	tests := []struct {
		name, doc, version, cond string
		claims                   map[string]any
		session                  string
		allowed                  bool
	}{
		{"a variable takes the key's value", docVarsWhere, "2012-10-17",
			`{"StringEquals":{"` + k + `sub":"repo:${` + k + `repository}:ref:refs/heads/main"}}`, nil, "", true},
		{"a variable in StringLike takes the key's value", docVarsWhere, "2012-10-17",
			`{"StringLike":{"` + k + `sub":"repo:${` + k + `repository}:ref:*"}}`, nil, "", true},
		{"a variable that resolves to another value does not match", docVarsWhere, "2012-10-17",
			`{"StringEquals":{"` + k + `sub":"repo:${` + k + `actor}/octo-repo:ref:refs/heads/main"}}`, nil, "", false},
		{"a variable may name a request key", docVarsWhere, "2012-10-17",
			`{"StringEquals":{"sts:RoleSessionName":"gh-${` + k + `actor_id}"}}`, map[string]any{"actor_id": "7"}, "gh-7", true},
		{"variable key names ignore case", docVarsKeyCase, "2012-10-17",
			`{"StringEquals":{"` + k + `sub":"repo:${TOKEN.actions.githubusercontent.com:REPOSITORY}:ref:refs/heads/main"}}`, nil, "", true},
		{"in Version 2008-10-17 a variable is literal text", docVarsVersion, "2008-10-17",
			`{"StringEquals":{"` + k + `sub":"repo:${` + k + `repository}:ref:refs/heads/main"}}`, nil, "", false},
		{"without a Version a variable is literal text", docVarsVersion, "",
			`{"StringEquals":{"` + k + `repository":"${x}"}}`, map[string]any{"repository": "${x}"}, "", true},
		{"in Version 2008-10-17 the literal text matches itself", docVarsVersion, "2008-10-17",
			`{"StringEquals":{"` + k + `repository":"${x}"}}`, map[string]any{"repository": "${x}"}, "", true},
		{"a variable naming a missing key matches nothing", docVarsMissing, "2012-10-17",
			`{"StringEquals":{"` + k + `sub":"repo:octo-org/octo-repo:environment:${` + k + `environment}"}}`, nil, "", false},
		{"a variable naming a claim IAM has no key for matches nothing", docVarsMissing, "2012-10-17",
			`{"StringEquals":{"` + k + `repository":"${` + k + `repository_owner}/octo-repo"}}`, nil, "", false},
		{"a default stands in for a missing key", docVarsDefault, "2012-10-17",
			`{"StringEquals":{"` + k + `sub":"repo:octo-org/octo-repo:ref:refs/heads/${` + k + `environment, 'main'}"}}`, nil, "", true},
		{"a default is not used when the key has a value", docVarsDefault, "2012-10-17",
			`{"StringEquals":{"` + k + `ref":"refs/heads/${` + k + `actor, 'main'}"}}`, nil, "", false},
		{"a default keeps its case", docVarsDefault, "2012-10-17",
			`{"StringEquals":{"` + k + `ref":"refs/heads/${` + k + `environment, 'MAIN'}"}}`, nil, "", false},
		{"a doubled quote in a default is one quote", docVarsDefault, "2012-10-17",
			`{"StringEquals":{"` + k + `actor":"${aws:username, 'o''cat'}"}}`, map[string]any{"actor": "o'cat"}, "", true},
		{"${*} is a literal star, not a wildcard", docVarsSpecial, "2012-10-17",
			`{"StringLike":{"` + k + `ref":"refs/heads/${*}"}}`, nil, "", false},
		{"${*} matches a literal star", docVarsSpecial, "2012-10-17",
			`{"StringLike":{"` + k + `ref":"refs/heads/${*}"}}`, map[string]any{"ref": "refs/heads/*"}, "", true},
		{"${?} is a literal question mark", docVarsSpecial, "2012-10-17",
			`{"StringLike":{"` + k + `ref":"refs/heads/mai${?}"}}`, nil, "", false},
		{"${$} is a literal dollar sign", docVarsSpecial, "2012-10-17",
			`{"StringEquals":{"` + k + `ref":"refs/heads/${$}{x}"}}`, map[string]any{"ref": "refs/heads/${x}"}, "", true},
		{"a value substituted into StringLike is not a pattern", docVarsSpecial, "2012-10-17",
			`{"StringLike":{"` + k + `ref":"${` + k + `actor}"}}`, map[string]any{"actor": "*"}, "", false},
		{"variables work in StringNotEquals", docVarsWhere, "2012-10-17",
			`{"StringNotEquals":{"` + k + `repository":"${` + k + `actor}/octo-repo"}}`, nil, "", true},
		{"variables work in the ARN operators", docVarsWhere, "2012-10-17",
			`{"ArnLike":{"aws:SourceArn":"arn:aws:iam::${` + k + `repository_id}:role/*"}}`, nil, "", true},
		{"a wildcard in an ARN value stays within one component", docVarsWhere, "2012-10-17",
			`{"ArnLike":{"aws:SourceArn":"arn:aws:iam::${` + k + `repository_id}:*"}}`, nil, "", true},
		{"a substituted value is literal in an ARN too", docVarsSpecial, "2012-10-17",
			`{"ArnLike":{"aws:SourceArn":"arn:aws:iam::${` + k + `actor}:role/x"}}`, map[string]any{"actor": "*"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, doc(tt.version, tt.cond))
			ctx := map[string]any{"aws:SourceArn": "arn:aws:iam::2000002:role/deploy"}
			res := c.Check(Request{Issuer: ghIssuer, Claims: withClaims(tt.claims), SessionName: tt.session, Context: ctx})
			if res.Allowed != tt.allowed {
				var b strings.Builder
				_ = res.WriteText(&b)
				t.Errorf("Allowed = %v, want %v, per %s\n%s", res.Allowed, tt.allowed, tt.doc, b.String())
			}
		})
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want []valuePart
	}{
		{"plain", []valuePart{{text: "plain"}}},
		{"a${b}c", []valuePart{{text: "a"}, {key: "b"}, {text: "c"}}},
		{"${ b , 'd e' }", []valuePart{{key: "b", def: "d e", hasDef: true}}},
		{"${b, 'it''s'}", []valuePart{{key: "b", def: "it's", hasDef: true}}},
		{"${b, 'x}y'}", []valuePart{{key: "b", def: "x}y", hasDef: true}}},
		{"${*}${?}${$}", []valuePart{{text: "*", special: true}, {text: "?", special: true}, {text: "$", special: true}}},
		{"${unclosed", []valuePart{{text: "${unclosed"}}},
		{"${}", []valuePart{{text: "${}"}}},
		{"${b, nodefault}", []valuePart{{text: "${b, nodefault}"}}},
		{"${b, 'open}", []valuePart{{text: "${b, 'open}"}}},
		{"$${b}", []valuePart{{text: "$"}, {key: "b"}}},
	}
	for _, tt := range tests {
		if got := parseValue(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseValue(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// FuzzParseValue: the variable parser never panics, and the literal text it
// keeps plus the variables it finds account for the whole input.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"repo:${a:b}:*", "${a, 'd''e'}", "${*}${?}${$}", "${", "${a,", "${a, 'x", "$$${x}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := parseValue(s)
		n := 0
		for _, p := range parts {
			switch {
			case p.key != "":
				if strings.TrimSpace(p.key) != p.key || p.key == "" {
					t.Fatalf("key %q not trimmed", p.key)
				}
				n += len("${}") + len(p.key)
			case p.special:
				n += 4
			default:
				if p.text == "" {
					t.Fatal("empty text part")
				}
				n += len(p.text)
			}
		}
		if n > len(s) {
			t.Fatalf("parts of %q account for %d bytes, more than the input", s, n)
		}
		if !hasVariable(parts) && (len(parts) > 1 || (len(parts) == 1 && parts[0].text != s)) {
			t.Fatalf("text without variables changed: %q -> %#v", s, parts)
		}
	})
}
