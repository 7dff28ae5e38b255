package trustpolicy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseDocumentsForms(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		names []string
	}{
		{"a bare policy is named policy", "testdata/examples/main-only.json", []string{"policy"}},
		{"get-role output is named by the role", "testdata/inputs/get-role.json", []string{"deploy"}},
		{"get-role output with a URL-encoded document", "testdata/inputs/get-role-encoded.json", []string{"deploy"}},
		{"a terraform state names roles by address", "testdata/inputs/terraform-state.json", []string{"aws_iam_role.deploy"}},
		{"a terraform plan walks child modules and falls back to prior state for unknown policies", "testdata/inputs/terraform-plan.json",
			[]string{"aws_iam_role.deploy", "module.ci.aws_iam_role.this[0]", "module.ci.module.inner.aws_iam_role.nested", "aws_iam_role.unknown_later (prior state)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := ParseDocuments(readFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range docs {
				names = append(names, d.Name)
				if len(d.Policy.Statements) == 0 {
					t.Errorf("%s: no statements", d.Name)
				}
			}
			if !reflect.DeepEqual(names, tt.names) {
				t.Errorf("names = %q, want %q", names, tt.names)
			}
		})
	}
}

func TestParsePlannedValuesWinOverPriorState(t *testing.T) {
	docs, err := ParseDocuments(readFile(t, "testdata/inputs/terraform-plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The plan changes aws_iam_role.deploy from org-wide (prior) to main-only.
	got := docs[0].Policy.Statements[0].Sid
	if docs[0].Name != "aws_iam_role.deploy" || got != "DeployFromMain" {
		t.Errorf("first document %q has Sid %q, want the planned DeployFromMain", docs[0].Name, got)
	}
}

func TestEncodedRoleMatchesDecodedRole(t *testing.T) {
	a, err := Parse(readFile(t, "testdata/inputs/get-role.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(readFile(t, "testdata/inputs/get-role-encoded.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("decoded and URL-encoded forms differ:\n%#v\n%#v", a, b)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"not JSON", "Statement:", "not a JSON object"},
		{"an unrecognised object", `{"foo":1}`, `want a policy document (with "Statement")`},
		{"a top-level key in the wrong case", `{"role":{"RoleName":"r"}}`, `unrecognised JSON; want a policy document (with "Statement")`},
		{"a statement element in the wrong case", `{"Statement":[{"effect":"Allow"}]}`, `at Statement[0].effect: unknown statement element "effect"; did you mean "Effect"?`},
		{"a bad shape names the statement by Sid", `{"Statement":[{"Sid":"A"},{"Sid":"B","Action":{"x":1}}]}`, `Statement[1] (Sid "B").Action: want a string or a list of strings`},
		{"a null condition value", `{"Statement":[{"Condition":{"StringEquals":{"k":null}}}]}`, `null is not a condition value`},
		{"an object condition value", `{"Statement":[{"Condition":{"StringEquals":{"k":{"a":1}}}}]}`, `want a string, boolean or number, not an object`},
		{"duplicate keys", `{"Statement":[{"Condition":{"StringEquals":{"k":"a","k":"b"}}}]}`, `duplicate key "k"`},
		{"a bare-string principal other than star", `{"Statement":[{"Principal":"arn:aws:iam::1:root"}]}`, `only "*" may be a bare string`},
		{"an unknown principal type", `{"Statement":[{"Principal":{"Federate":"x"}}]}`, `unknown principal type "Federate"`},
		{"an empty statement list", `{"Statement":[]}`, `the list is empty`},
		{"a role without a policy", `{"Role":{"RoleName":"r"}}`, `role "r" has no AssumeRolePolicyDocument`},
		{"terraform without roles", `{"format_version":"1.0","values":{"root_module":{"resources":[]}}}`, `no aws_iam_role resource`},
		{"a bad policy inside terraform names the address", `{"values":{"root_module":{"resources":[{"address":"aws_iam_role.x","type":"aws_iam_role","values":{"assume_role_policy":"{\"Statement\":[{\"Effect\":1}]}"}}]}}}`, `"aws_iam_role.x" at Statement[0].Effect`},
		{"trailing data", `{"Statement":[]} {}`, `not a JSON object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDocuments([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseWantsExactlyOnePolicy(t *testing.T) {
	_, err := Parse(readFile(t, "testdata/inputs/terraform-plan.json"))
	if err == nil || !strings.Contains(err.Error(), "holds 4 policies") {
		t.Errorf("error = %v, want a count of the policies", err)
	}
}

func TestPolicyRoundTripsThroughJSON(t *testing.T) {
	for _, f := range []string{"good.json", "org-wide.json", "deny-pull-requests.json", "no-subject.json"} {
		t.Run(f, func(t *testing.T) {
			p, err := Parse(readFile(t, "testdata/examples/"+f))
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(out)
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(p, q) {
				t.Errorf("round trip changed the policy:\n%#v\n%#v", p, q)
			}
		})
	}
}

func TestConditionValuesKeepTheirTextForm(t *testing.T) {
	p, err := Parse([]byte(`{"Statement":[{"Condition":{"StringEquals":{"k":[true,2000002,1.50,"s"]}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Statements[0].Conditions[0].Values
	want := []string{"true", "2000002", "1.50", "s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values = %q, want %q", got, want)
	}
}

// A key taken from the input is shown escaped wherever a parse error
// names it, so a key holding a line break cannot start a new line (and
// forge a finding or a workflow command) in lint's output.
func TestParseErrorsEscapeKeys(t *testing.T) {
	const evil = `Bad\nKey::warning::x\u2028y`
	tests := []struct {
		name, doc, want string
	}{
		{"an unknown policy element", `{"` + evil + `":1,"Statement":[]}`, `invalid policy at "Bad\nKey::warning::x\u2028y": unknown policy element`},
		{"an unknown statement element", `{"Statement":[{"Effect":"Allow","` + evil + `":1}]}`, `invalid policy at Statement[0]."Bad\nKey::warning::x\u2028y": unknown statement element`},
		{"an unknown principal type", `{"Statement":[{"Effect":"Allow","Principal":{"` + evil + `":"x"}}]}`, `unknown principal type "Bad\nKey::warning::x\u2028y"`},
		{"a principal type with a bad value", `{"Statement":[{"Effect":"Allow","Principal":{"` + evil + `":{}}}]}`, `invalid policy at Statement[0].Principal: "Bad\nKey::warning::x\u2028y": `},
		{"an operator with a bad value", `{"Statement":[{"Effect":"Allow","Condition":{"` + evil + `":{"a:b":{}}}}]}`, `invalid policy at Statement[0].Condition: "Bad\nKey::warning::x\u2028y" "a:b": `},
		{"a known element stays bare", `{"Statement":[{"Effect":1}]}`, `invalid policy at Statement[0].Effect: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r\u2028\u2029") {
				t.Errorf("error holds a raw line break: %q", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error = %s\nwant it to contain %s", msg, tt.want)
			}
		})
	}
}
