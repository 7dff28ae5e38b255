package policycmd

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
)

// FuzzCLIOutput: whatever a policy file, a claims file or a file name
// holds, no line that `oidc-aws policy` prints, on stdout or stderr, starts
// a workflow command as the runner reads it; and JSON and SARIF output stay
// JSON with the value the command meant to print.
func FuzzCLIOutput(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"\n::error::k":1}]}`), "x.json", uint8(0))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"##[error]s","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"##[warning]c*"}}}]}`), "y", uint8(1))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"::add-mask::s","Effect":"Allow","Principal":{"Federated":"x"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"k":"\n  ::error::v"}}}]}`), "z", uint8(2))
	f.Add([]byte(`{"iss":"https://token.actions.githubusercontent.com","sub":"\n::error::sub ##[warning]w","aud":"sts.amazonaws.com"}`), "c", uint8(4))
	f.Add([]byte(`{}`), "\n::error::name ##[group]g.json", uint8(5))
	f.Add([]byte(`{}`), "o/r\r::add-mask::x", uint8(6))
	f.Add([]byte(`{"RoleDetailList":[{"RoleName":"\n::error::r","Arn":"arn:aws:iam::1:role/##[error]x","AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]},"RolePolicyList":[{"PolicyName":"\n::add-mask::p","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}],"AttachedManagedPolicies":[{"PolicyName":"::error::m","PolicyArn":"\n::error::a"}],"RoleLastUsed":{}}]}`), "a", uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, name string, mode uint8) {
		var args []string
		stdin := string(data)
		jsonOut := false
		switch mode % 10 {
		case 0:
			args = []string{"lint", "-"}
		case 1:
			args, jsonOut = []string{"lint", "--format", "json", "-"}, true
		case 2:
			args, jsonOut = []string{"lint", "--format", "sarif", "-"}, true
		case 3:
			args = []string{"explain", "--policy", "-", "--claims", "testdata/claims_main.json"}
		case 4:
			args = []string{"explain", "--policy", "testdata/main-only.json", "--claims", "-"}
		case 5:
			// A name that is no file: the error paths echo it.
			args = []string{"lint", "--format", "sarif", "testdata/no such file " + name}
		case 6:
			args = []string{"generate", "--repo", name, "--repository-id", "1", "--branch", name, "--account", "123456789012"}
		case 7:
			args = []string{"explain", "--policy", "-", "--role", name, "--claims", "testdata/claims_main.json"}
		case 8:
			args = []string{"audit", "-"}
		case 9:
			args, jsonOut = []string{"audit", "--format", "json", "-"}, true
		}
		var out, errOut, rawOut, rawErr bytes.Buffer
		runAt(args, strings.NewReader(stdin), &out, &errOut, fixedClock)
		runCommand(args, strings.NewReader(stdin), &rawOut, &rawErr, fixedClock)
		for _, b := range [][]byte{out.Bytes(), errOut.Bytes()} {
			assertInert(t, b)
		}
		if jsonOut && json.Valid(rawOut.Bytes()) {
			var want, got any
			_ = json.Unmarshal(rawOut.Bytes(), &want)
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("the JSON output is no longer JSON: %v\n%s", err, out.Bytes())
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("the JSON output carries another value:\n%s\nwant\n%s", out.Bytes(), rawOut.Bytes())
			}
		}
	})
}

func fixedClock() time.Time { return auditNow }

// assertInert checks out as the runner reads a step's output: no command,
// and no line that a registered command name would turn into one.
func assertInert(t *testing.T, out []byte) {
	t.Helper()
	if l := runnersim.ParseLog(out); len(l.Commands) != 0 {
		t.Fatalf("output issues commands %v:\n%s", l.Commands, out)
	}
	for _, line := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			t.Fatalf("output line %q could start a workflow command", line)
		}
	}
}
