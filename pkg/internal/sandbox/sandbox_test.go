package sandbox

import (
	"os"
	"strings"
	"testing"

	"github.com/org/oidc-aws-action/pkg/inputs"
)

func TestEvaluatorJudgesTheDefaultPolicyAsIAMWould(t *testing.T) {
	cases := []struct {
		name string
		sub  string
		aud  string
		want bool
	}{
		{"a push to main is admitted", "repo:octo-org/octo-repo:ref:refs/heads/main", "sts.amazonaws.com", true},
		{"a pull request is refused", "repo:octo-org/octo-repo:pull_request", "sts.amazonaws.com", false},
		{"another repository is refused", "repo:octo-org/other:ref:refs/heads/main", "sts.amazonaws.com", false},
		{"another audience is refused", "repo:octo-org/octo-repo:ref:refs/heads/main", "https://github.com/octo-org", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Evaluator{}.Allowed([]byte(DefaultTrustPolicy), "https://token.actions.githubusercontent.com", map[string]any{"sub": c.sub, "aud": c.aud})
			if err != nil || got != c.want {
				t.Errorf("Allowed = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := (Evaluator{}).Allowed([]byte(`{"Statement": 7}`), "", nil); err == nil {
		t.Error("a broken policy must be an error, not a refusal")
	}
}

func TestNewStepLooksLikeTheRunnersEnvironment(t *testing.T) {
	sb, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	st, err := sb.NewStep(t.TempDir(), map[string]string{"role-duration-seconds": "900"})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Getenv("INPUT_ROLE-DURATION-SECONDS"); got != "900" {
		t.Errorf("INPUT_ROLE-DURATION-SECONDS = %q: input names must keep their hyphens", got)
	}
	if st.Getenv(inputs.EnvName(inputs.RoleToAssume)) != RoleARN || st.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != sb.Issuer.RequestURL() {
		t.Error("the step is not pointed at the sandbox")
	}
	if err := os.WriteFile(st.EnvFile, []byte("A=1\nB<<EOF\ntwo\nEOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := st.Read()
	if err != nil || res.Env["A"] != "1" || res.Env["B"] != "two" {
		t.Errorf("Read = %+v, %v", res, err)
	}
	if err := os.WriteFile(st.OutputFile, []byte("X<<EOF\nno end\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(); err == nil || !strings.Contains(err.Error(), "runner would reject") {
		t.Errorf("an unclosed heredoc must fail as the runner would; got %v", err)
	}
}

func TestRedactShowsOnlyLengths(t *testing.T) {
	got := Redact(map[string]string{"AWS_SECRET_ACCESS_KEY": "abcd", "AWS_REGION": "eu-west-1"}, "AWS_SECRET_ACCESS_KEY")
	if got["AWS_SECRET_ACCESS_KEY"] != "<4 chars, masked in the log>" || got["AWS_REGION"] != "eu-west-1" {
		t.Errorf("Redact = %v", got)
	}
	if SortedLines(got) != "AWS_REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY=<4 chars, masked in the log>\n" {
		t.Errorf("SortedLines = %q", SortedLines(got))
	}
}
