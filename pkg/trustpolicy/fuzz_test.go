package trustpolicy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func addFileSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// FuzzParseDocuments feeds every input form to the parser. Whatever it
// accepts must compile-or-error cleanly, lint without panicking, and
// survive a JSON round trip unchanged.
func FuzzParseDocuments(f *testing.F) {
	addFileSeeds(f, "testdata/examples/*.json", "testdata/inputs/*.json")
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Null":{"a:b":true}}}}`))
	f.Add([]byte(`{"Role":{"RoleName":"r","AssumeRolePolicyDocument":"%7B%22Statement%22%3A%5B%5D%7D"}}`))
	f.Add([]byte(`{"Roles":[{"RoleName":"r","AssumeRolePolicyDocument":{"Statement":[{"Effect":"Deny"}]}}]}`))
	f.Add([]byte(`{"values":{"root_module":{"child_modules":[{"resources":[{"address":"a","type":"aws_iam_role","values":{"assume_role_policy":"{\"Statement\":{}}"}}]}]}}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Eff\nect::error::x":1,"Principal":{"A\u2028WS":{}}}]}`))
	f.Add([]byte(`{"format_version":"1.2","resource_changes":[{"address":"module.m[0].aws_iam_role.r","module_address":"module.m[0]","mode":"managed","type":"aws_iam_role","change":{"actions":["create"],"after_unknown":{"assume_role_policy":true}}},{"address":"module.m[0].p.q","change":{"actions":["create"]}}],"configuration":{"root_module":{"module_calls":{"m":{"module":{"resources":[{"address":"aws_iam_role.r","expressions":{"assume_role_policy":{"references":["data.d.e.json","p.q.arn"]}}},{"address":"data.d.e","expressions":{"s":[{"references":["data.d.e","p\nq.arn"]}]}}]}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if in, err := ParseInput(data); err == nil {
			for _, u := range in.Unknown {
				if u.Name == "" || strings.ContainsAny(u.Why, "\n\r\u2028\u2029") || u.Offset >= len(data) {
					t.Fatalf("unknown policy %+v lacks a name, holds a raw line break or points past the input", u)
				}
				_ = LintUnknown(&u)
			}
		}
		docs, err := ParseDocuments(data)
		if err != nil {
			if docs != nil {
				t.Fatal("documents returned with an error")
			}
			// Errors reach lint's log line by line; input must not add lines.
			if strings.ContainsAny(err.Error(), "\n\r\u2028\u2029") {
				t.Fatalf("error holds a raw line break: %q", err.Error())
			}
			return
		}
		for _, d := range docs {
			if d.Policy == nil || d.Name == "" {
				t.Fatalf("document %+v lacks a name or policy", d)
			}
			checkOffsets(t, data, d)
			_, _ = d.Policy.Compile()
			_ = Lint(d.Policy)
			_ = d.Policy.Terraform()
			out, err := json.Marshal(d.Policy)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("re-parse of marshalled policy failed: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(normalise(d.Policy), normalise(again)) {
				t.Fatalf("round trip changed the policy\nbefore %#v\nafter  %#v", d.Policy, again)
			}
		}
	})
}

// normalise maps forms that marshal identically (an empty principal type
// list and an absent one) to one representation.
func normalise(p *Policy) *Policy {
	q := *p
	q.Statements = append([]Statement(nil), p.Statements...)
	for i := range q.Statements {
		s := &q.Statements[i]
		for _, pr := range []**Principal{&s.Principal, &s.NotPrincipal} {
			if *pr == nil {
				continue
			}
			c := **pr
			for _, l := range []*[]string{&c.AWS, &c.Federated, &c.Service, &c.CanonicalUser} {
				if len(*l) == 0 {
					*l = nil
				}
			}
			*pr = &c
		}
	}
	return &q
}

// FuzzCheck evaluates arbitrary policies against arbitrary claims. It must
// never panic, must decide consistently with its statement verdicts, and
// its report must never contain a raw line break.
func FuzzCheck(f *testing.F) {
	claims, _ := os.ReadFile("testdata/claims/main.json")
	for _, name := range []string{"good.json", "main-only.json", "org-wide.json", "deny-pull-requests.json", "stringequals-wildcard.json"} {
		b, _ := os.ReadFile("testdata/examples/" + name)
		f.Add(b, claims, "")
	}
	f.Add([]byte(stmt(`{"ForAllValues:StringLike":{"token.actions.githubusercontent.com:amr":["a*","?b"]},"NullIfExists":{"x:y":"true"}}`)),
		[]byte(`{"iss":"https://token.actions.githubusercontent.com","amr":["ab","xb",1,true,null,{"k":"v"}]}`), "sts:TagSession")
	f.Add([]byte(stmt(`{"DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01"},"NumericEquals":{"token.actions.githubusercontent.com:n":"1.0"}}`)),
		[]byte(`{"iss":"https://token.actions.githubusercontent.com","n":1}`), "")
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:${token.actions.githubusercontent.com:repository}:${*}${?}","sts:RoleSessionName":"${aws:x, 'd''e'}"},"ArnLike":{"aws:SourceArn":"arn:${a}:*"}}}}`),
		[]byte(`{"iss":"https://token.actions.githubusercontent.com","repository":"o/r","sub":"repo:o/r:*?"}`), "")
	f.Fuzz(func(t *testing.T, policy, claimsJSON []byte, action string) {
		p, err := Parse(policy)
		if err != nil {
			return
		}
		c, err := p.Compile()
		if err != nil {
			return
		}
		var cl map[string]any
		if json.Unmarshal(claimsJSON, &cl) != nil {
			return
		}
		iss, _ := cl["iss"].(string)
		res := c.Check(Request{Issuer: iss, Claims: cl, Action: action, SessionName: "gh-" + action})
		allow, deny := false, false
		for _, s := range res.Statements {
			ok := s.Principal.Passed && s.Action.Passed
			for _, cr := range s.Conditions {
				ok = ok && cr.Passed
			}
			if ok != s.Matched {
				t.Fatalf("statement %s: Matched=%v but its parts say %v", s.Label(), s.Matched, ok)
			}
			allow = allow || (ok && s.Effect == "Allow")
			deny = deny || (ok && s.Effect == "Deny")
		}
		if res.Allowed != (allow && !deny) {
			t.Fatalf("Allowed=%v with allow=%v deny=%v", res.Allowed, allow, deny)
		}
		var b bytes.Buffer
		if err := res.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsAny(b.Bytes(), "\r") {
			t.Fatalf("report has a raw CR: %q", b.String())
		}
		for _, line := range bytes.Split(b.Bytes(), []byte("\n")) {
			if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("::")) {
				t.Fatalf("report line starts a workflow command: %q", line)
			}
		}
	})
}

// checkOffsets holds a document's position to what lint relies on: inside
// the input, statements in order within the policy, and an encoded policy
// starting at a JSON string.
func checkOffsets(t *testing.T, data []byte, d Document) {
	t.Helper()
	if d.Offset < 0 {
		if d.StatementOffsets != nil {
			t.Fatalf("statement offsets without a document offset: %+v", d)
		}
		return
	}
	if d.Offset >= len(data) || d.End > len(data) || d.End < d.Offset {
		t.Fatalf("document offsets %d..%d outside the %d-byte input", d.Offset, d.End, len(data))
	}
	if d.Encoded && (data[d.Offset] != '"' || d.StatementOffsets != nil) {
		t.Fatalf("encoded document at %d does not start a JSON string: %q", d.Offset, data[d.Offset:])
	}
	if !d.Encoded && data[d.Offset] != '{' {
		t.Fatalf("inline document at %d does not start an object", d.Offset)
	}
	prev := d.Offset
	for _, o := range d.StatementOffsets {
		if o <= prev || o >= d.End || data[o] != '{' {
			t.Fatalf("statement offset %d out of order or not at an object (document %d..%d)", o, d.Offset, d.End)
		}
		prev = o
	}
	if n := len(d.StatementOffsets); n > 0 && n != len(d.Policy.Statements) {
		t.Fatalf("%d statement offsets for %d statements", n, len(d.Policy.Statements))
	}
}

// FuzzGradeSubject reads sub values of every form. Whatever the value, the
// grade is a scope level; under StringEquals nothing is a wildcard, so no
// value reads as open to every repository; a literal value in the default
// or immutable form names its contexts exactly.
func FuzzGradeSubject(f *testing.F) {
	for _, s := range []string{
		"repo:octo-org/octo-repo:ref:refs/heads/main", "repo:octo-org@*/octo-repo@*:ref:refs/heads/main", "repo:a@*",
		"environment:production%3Aeastus:repository_owner:octo-org", "ref:refs/heads/main:repo:octo-org/*", "*:repository_id:1",
		"pull_request:repo:a/b", "enterprise:e:environment:p", "environment:prod*:repository_owner_id:1", "repo:", ":", "",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, v string, like bool) {
		g := gradeSubject(v, like)
		if g.level < scopeAnyRepo || g.level > scopeExact {
			t.Fatalf("gradeSubject(%q, %v) level %d out of range", v, like, g.level)
		}
		if !like && (g.level == scopeAnyRepo || g.idsDiscarded) {
			t.Fatalf("gradeSubject(%q, StringEquals) = %+v: nothing is a wildcard there", v, g)
		}
		if strings.HasPrefix(v, "repo:") && !strings.ContainsAny(v, "*?") && g.level != scopeExact {
			t.Fatalf("gradeSubject(%q) = %+v, want exact for a literal default-form value", v, g)
		}
	})
}
