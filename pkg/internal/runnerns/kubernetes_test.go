package runnerns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/jobdir"
)

// TestKubernetesHookLayout: on ARC's `kubernetes` mode the action's pod
// has the work volume at /__w and no /github/runner_temp, though
// RUNNER_TEMP still names it. Profiles go to the volume's _temp, where the
// job pod's later steps find them as /__w/_temp; a later step of this
// action, given /github/runner_temp paths, chains from a profile there and
// writes its own to the same files; a
// refreshable profile renews there; the post steps remove it all.
func TestKubernetesHookLayout(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j := w.newJob(t, true)
	j.Hook = HookKubernetes

	dev, _ := w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles["dev"], "aws-profile": "dev"}))
	dir := filepath.Join(j.Temp, jobdir.Name)
	config := filepath.Join(dir, "config")
	if got := j.Env["AWS_CONFIG_FILE"]; got != config {
		t.Errorf("AWS_CONFIG_FILE=%q, want the runner's path %s", got, config)
	}
	// The second step is given AWS_CONFIG_FILE and
	// AWS_SHARED_CREDENTIALS_FILE as /github/runner_temp/..., which is not
	// mounted in its pod: it chains from the first profile's keys there,
	// and adds its own profile to the same files.
	env := w.stepEnv(t, map[string]string{"role-to-assume": w.roles["prod"], "aws-profile": "prod", "role-chaining": "true"})
	env["AWS_PROFILE"] = "dev"
	prod, _ := w.actionStep(ctx, t, j, env)
	refresh, _ := w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles["dev"], "refresh-credentials": "true", "aws-profile": "renewing"}))
	ownedByTheRunner(t, map[string]os.FileMode{dir: 0o700, config: 0o600})

	script := fmt.Sprintf(`set -e
printenv AWS_CONFIG_FILE
%[1]s sts get-caller-identity --profile dev --endpoint-url "$STS" --query Arn --output text
%[1]s sts get-caller-identity --profile prod --endpoint-url "$STS" --query Arn --output text
%[1]s sts get-caller-identity --endpoint-url "$STS" --query Arn --output text
`, w.cli)
	res, err := j.RunLater(ctx, []string{"/bin/sh", "-c", script}, map[string]string{
		"STS": w.sb.STS.URL(), "ACTIONS_ID_TOKEN_REQUEST_URL": w.sb.Issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.sb.Issuer.RequestToken(),
	})
	succeeded(t, "a later step in the job pod", res, err)
	want := "/__w/_temp/" + jobdir.Name + "/config\n" + w.assumed("dev") + "\n" + w.assumed("prod") + "\n" + w.assumed("dev") + "\n"
	if string(res.Stdout) != want {
		t.Errorf("a later step in the job pod printed\n%s\nwant\n%s", res.Stdout, want)
	}

	w.postSteps(ctx, t, j, refresh, prod, dev)
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		left, _ := os.ReadDir(dir)
		t.Errorf("%s is still there after the post steps: %v", dir, left)
	}
}

// TestAnUnknownHookLayoutFailsBeforeTheToken: where neither the runner's
// temp directory nor the work volume is mounted (as with the
// kubernetes-novolume mode, which copies no files back), a step that
// would write files fails before it asks for a token, naming runner
// container hooks.
func TestAnUnknownHookLayoutFailsBeforeTheToken(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := w.newJob(t, true)
	j.Hook = HookUnknown
	for _, with := range []map[string]string{
		{"role-to-assume": w.roles["dev"], "aws-profile": "dev"},
		{"role-to-assume": w.roles["dev"], "refresh-credentials": "true"},
	} {
		st, err := j.NewStep()
		if err != nil {
			t.Fatal(err)
		}
		res, err := j.RunAction(ctx, w.bin, st, w.stepEnv(t, with))
		if err != nil {
			t.Fatal(err)
		}
		if log := res.Log(); res.ExitCode != 1 || len(log.Errors) != 1 || !strings.Contains(log.Errors[0], "runner container hooks") {
			t.Errorf("%v: exit %d, errors %q", with, res.ExitCode, log.Errors)
		}
	}
	if n := w.sb.Issuer.Stats().Minted; n != 0 {
		t.Errorf("%d token(s) minted", n)
	}
	if n := w.sb.STS.Stats().Requests; n != 0 {
		t.Errorf("%d STS call(s)", n)
	}
}

// A job's own AWS_CONFIG_FILE under runner.temp reaches the kubernetes hook's
// container as a /github/runner_temp path, which the step writes through
// /__w: the post step must compare the two the same way, or it leaves the
// profile behind in the job's file.
func TestKubernetesPostStepCleansAJobsOwnFile(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j := w.newJob(t, true)
	j.Hook = HookKubernetes
	own := filepath.Join(j.Temp, "aws", "config")
	if err := os.MkdirAll(filepath.Dir(own), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(own, []byte("[profile mine]\nregion = ap-south-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(own), own} {
		if err := os.Chown(p, runnerUID, runnerUID); err != nil {
			t.Fatal(err)
		}
	}
	j.Env["AWS_CONFIG_FILE"] = own
	st, _ := w.actionStep(ctx, t, j, w.stepEnv(t, map[string]string{"role-to-assume": w.roles["dev"], "aws-profile": "dev"}))
	b, err := os.ReadFile(own)
	if err != nil || !strings.Contains(string(b), "[profile dev]") {
		t.Fatalf("the step did not write profile dev (%v):\n%s", err, b)
	}
	res := w.postSteps(ctx, t, j, st)
	b, err = os.ReadFile(own)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "[profile dev]") {
		t.Errorf("the post step left profile dev:\n%s\npost log:\n%s", b, res[0].Log().Text())
	}
	if !strings.Contains(string(b), "[profile mine]") {
		t.Errorf("the post step removed the job's own profile:\n%s", b)
	}
}
