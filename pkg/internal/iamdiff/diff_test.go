// Package iamdiff compares trustpolicy's condition evaluation with an
// independent IAM-style evaluator, MinIO's policy/condition package, on
// random string and Null conditions over present, absent and multi-valued
// keys. It is its own module so that the product's go.mod does not carry
// MinIO's dependencies, nor its licence (GNU AGPL v3): nothing of it is
// built into the action or copied here. Run it with
// `cd pkg/internal/iamdiff && go test ./...`; .ci/run does.
//
// MinIO knows only its own key names, so GitHub's keys are mapped onto its
// JWT claim keys (jwt:sub, jwt:aud) with the same values.
//
// Every disagreement must belong to a class recorded in documented below,
// with the AWS documentation that decides it; a new class fails the test.
package iamdiff

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/minio/pkg/v3/policy/condition"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

const host = "token.actions.githubusercontent.com"

// documented maps a disagreement class (a set prefix on a negated
// operator) to the AWS documentation that decides it, in trustpolicy's
// favour. MinIO evaluates "ForAllValues:StringNotEquals" as the negation of
// "ForAllValues:StringEquals"; IAM applies the negated operator to each
// request value inside the set operator.
var documented = map[string]string{
	"ForAllValues:negated": `IAM User Guide, multivalued context key examples: for "ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"} the table gives "key2:audit" -> Match, "key1:legal" -> No match, and "No aws:TagKeys in the request context" -> Match; and "The ForAllValues set operator also returns true if there are no context keys in the request."`,
	"ForAnyValue:negated":  `IAM User Guide, condition set operators: ForAnyValue "returns true if any one of the key values in the request matches any one of the condition values in the policy. For no matching key or a null dataset, the condition returns false."`,
}

var keys = []struct{ minio, ours, claim string }{
	{"jwt:sub", host + ":sub", "sub"},
	{"jwt:aud", host + ":aud", "aud"},
}

var (
	ops      = []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"}
	quals    = []string{"", "ForAnyValue:", "ForAllValues:"}
	policyV  = []string{"a", "A", "b", "a*", "?", "*"}
	requestV = []string{"a", "A", "b", "ab", "*"}
)

func TestDifferentialAgainstMinIO(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	examples := map[string]string{}
	agreed := 0
	const runs = 20000
	for range runs {
		k := keys[r.IntN(len(keys))]
		op, vals := randomCondition(r)
		var req []string
		for n := r.IntN(3); n > 0; n-- {
			req = append(req, requestV[r.IntN(len(requestV))])
		}
		mine := ours(t, op, k.ours, k.claim, vals, req)
		theirs := minio(t, op, k.minio, k.claim, vals, req)
		if mine == theirs {
			agreed++
			continue
		}
		class := classify(op)
		counts[class]++
		examples[class] = fmt.Sprintf("%s %s %q, request %q: trustpolicy %v, MinIO %v", op, k.ours, vals, req, mine, theirs)
	}
	classes := make([]string, 0, len(counts))
	for c := range counts {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	t.Logf("%d of %d random conditions agree", agreed, runs)
	for _, c := range classes {
		why, ok := documented[c]
		t.Logf("%5d disagreements in class %s, e.g. %s\n      decided by: %s", counts[c], c, examples[c], why)
		if !ok {
			t.Errorf("undocumented disagreement class %s (%d cases), e.g. %s", c, counts[c], examples[c])
		}
	}
}

func randomCondition(r *rand.Rand) (string, []string) {
	if r.IntN(8) == 0 {
		return "Null", []string{[]string{"true", "false"}[r.IntN(2)]}
	}
	op := quals[r.IntN(len(quals))] + ops[r.IntN(len(ops))]
	var vals []string
	for n := 1 + r.IntN(2); n > 0; n-- {
		v := policyV[r.IntN(len(policyV))]
		if len(vals) == 0 || vals[0] != v { // MinIO refuses duplicate values
			vals = append(vals, v)
		}
	}
	return op, vals
}

func classify(op string) string {
	prefix, base, ok := strings.Cut(op, ":")
	if !ok {
		prefix, base = "", op
	}
	if strings.Contains(base, "Not") {
		return prefix + ":negated"
	}
	return prefix + ":positive"
}

func ours(t *testing.T, op, key, claim string, vals, req []string) bool {
	t.Helper()
	cond, _ := json.Marshal(map[string]map[string][]string{op: {key: vals}})
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":` + string(cond) + `}]}`
	p, err := trustpolicy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": "https://" + host}
	if len(req) > 0 {
		l := make([]any, len(req))
		for i, v := range req {
			l[i] = v
		}
		claims[claim] = l
	}
	return c.Check(trustpolicy.Request{Issuer: "https://" + host, Claims: claims}).Allowed
}

func minio(t *testing.T, op, key, claim string, vals, req []string) bool {
	t.Helper()
	cond, _ := json.Marshal(map[string]map[string][]string{op: {key: vals}})
	var fns condition.Functions
	if err := json.Unmarshal(cond, &fns); err != nil {
		t.Fatalf("MinIO refuses %s: %v", cond, err)
	}
	values := map[string][]string{}
	if len(req) > 0 {
		values[claim] = req
	}
	return fns.Evaluate(values)
}
