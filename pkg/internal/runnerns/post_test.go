package runnerns

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/jobdir"
)

// Issue 17, item 7: STATE_OIDC_AWS_CLEANUP in the job's env: (or written to
// GITHUB_ENV by an earlier step) made the main step believe it was the post
// step: with {} or null it exited 0 having done nothing. The main step is
// the image's entrypoint and nothing else; it says it ignored the value.
func TestAPostStateInTheJobsEnvDoesNotSkipTheMainStep(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, forged := range []string{"{}", "null"} {
		j := w.newJob(t, false)
		j.Env["STATE_OIDC_AWS_CLEANUP"] = forged
		minted := w.sb.Issuer.Stats().Minted
		_, res := w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles["dev"]}))
		if got := w.sb.Issuer.Stats().Minted - minted; got != 1 {
			t.Errorf("%s: %d token(s) minted, want 1\n%s", forged, got, res.Log().Text())
		}
		if j.Env["AWS_ACCESS_KEY_ID"] == "" || j.Env["AWS_SECRET_ACCESS_KEY"] == "" {
			t.Errorf("%s: no credentials exported\n%s", forged, res.Log().Text())
		}
		if log := res.Log(); len(log.Warnings) != 1 || !strings.Contains(log.Warnings[0], "STATE_OIDC_AWS_CLEANUP") {
			t.Errorf("%s: warnings %q, want one naming STATE_OIDC_AWS_CLEANUP", forged, log.Warnings)
		}
	}
}

// The post step is the image's post entrypoint, run by its path: with the
// main step's state it removes what that step wrote, and with none it says
// there is nothing to remove, spending no token.
func TestThePostEntrypointCleansUpByItsPath(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := w.newJob(t, false)
	st, _ := w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles["dev"], "aws-profile": "dev"}))
	dir := filepath.Join(j.Temp, jobdir.Name)
	if _, err := os.Stat(filepath.Join(dir, "config")); err != nil {
		t.Fatal(err)
	}
	minted := w.sb.Issuer.Stats().Minted
	res := w.postSteps(ctx, t, j, st)[0]
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the post step (%v)\n%s", dir, err, res.Log().Text())
	}
	// A main step that saved no state: its post step has nothing to do.
	empty, err := j.NewStep()
	if err != nil {
		t.Fatal(err)
	}
	res, err = j.RunPost(ctx, w.bin, empty, nil)
	succeeded(t, "post step without state", res, err)
	if !strings.Contains(res.Log().Text(), "nothing to remove") {
		t.Errorf("post step without state:\n%s", res.Log().Text())
	}
	if got := w.sb.Issuer.Stats().Minted - minted; got != 0 {
		t.Errorf("the post steps minted %d token(s)", got)
	}
}
