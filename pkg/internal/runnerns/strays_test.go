package runnerns

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

// TestRefreshProfileBeatsStrayKeysForAGoClient: aws-sdk-go-v2 takes keys
// from AWS_ACCESS_KEY and AWS_SECRET_KEY when the usual names are empty,
// and only a profile chosen in code outranks them, not AWS_PROFILE. A job
// whose env: holds keys under those names must still see a later Go
// client that chooses no profile (Terraform without `profile`) sign with
// the refreshable profile's credentials.
func TestRefreshProfileBeatsStrayKeysForAGoClient(t *testing.T) {
	w := newWorldWith(t, sandbox.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := w.newJob(t, false)
	const strayKey = "AKIASTRAYJOBENVKEY00"
	j.Env["AWS_ACCESS_KEY"], j.Env["AWS_SECRET_KEY"] = strayKey, "stray-job-env-secret"
	env := w.stepEnv(t, map[string]string{"refresh-credentials": "true"})
	for k, v := range j.Env {
		env[k] = v
	}
	w.actionStep(ctx, t, j, env)

	testBin := filepath.Join(j.Work, "sdk-step")
	if err := copyFile(w.testBin, testBin, 0o755); err != nil {
		t.Fatal(err)
	}
	seen := len(w.sb.STS.Requests())
	res, err := j.RunLater(ctx, []string{testBin}, map[string]string{
		sdkStepNoProfile: "1", "RUNNERNS_STS": w.sb.STS.URL(),
		"ACTIONS_ID_TOKEN_REQUEST_URL": w.sb.Issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.sb.Issuer.RequestToken(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := strings.Cut(strings.TrimSpace(string(res.Stdout)), " "); res.ExitCode != 0 || got != w.assumed("dev") {
		t.Errorf("a later Go client with no profile in code: exit %d, %q, want %s\nstderr: %s", res.ExitCode, got, w.assumed("dev"), res.Stderr)
	}
	for _, r := range w.sb.STS.Requests()[seen:] {
		if r.AccessKeyID == strayKey {
			t.Errorf("%s was signed with the job env's AWS_ACCESS_KEY", r.Action)
		}
	}
}
