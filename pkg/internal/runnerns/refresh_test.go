package runnerns

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
	"github.com/org/oidc-aws-action/pkg/jobdir"
)

// refreshLife is how long STS's credentials live here: long enough for a
// CLI call on a busy machine, short enough to see them die mid-job.
const refreshLife = 5 * time.Second

// TestRefreshCredentialsOutliveTheirLifetime: refresh-credentials steps,
// one plain and one chained, run as the runner runs the action; later
// steps, as the runner's user, use the profiles with the AWS CLI v2 across
// the credentials' expiry; a later step without the id-token variables
// gets the helper's error; the post steps remove everything. In a plain
// job and in a `container:` job, whose later steps see the runner's paths
// as their own.
func TestRefreshCredentialsOutliveTheirLifetime(t *testing.T) {
	for _, k := range jobKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel() // mostly waiting for credentials to expire
			refreshJob(t, k.container)
		})
	}
}

func refreshJob(t *testing.T, container bool) {
	w := newWorldWith(t, sandbox.Options{CredentialLifetime: refreshLife})
	const chained = "arn:aws:iam::" + sandbox.Account + ":role/deployer"
	if err := w.sb.STS.AddRole(chained, localsts.Role{TrustedRoles: []string{sandbox.RoleARN}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j := w.newJob(t, container)
	// An earlier step left keys, which would hide any profile.
	j.Env["AWS_ACCESS_KEY_ID"], j.Env["AWS_SECRET_ACCESS_KEY"] = "AKIAEARLIERSTEPKEY00", "earlier-step-secret"
	var shown, later []*Result // what the runner shows: the action's log masked, later steps' as they are

	action := func(with map[string]string) *Step {
		t.Helper()
		env := w.stepEnv(t, with)
		maps.Copy(env, j.Env) // the job's variables win over the sandbox step's
		st, res := w.actionStep(ctx, t, j, env)
		shown = append(shown, res)
		return st
	}
	first := action(map[string]string{"refresh-credentials": "true"})
	log := shown[0].Log().Text()
	if !strings.Contains(log, "Cleared AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, left by an earlier step") {
		t.Errorf("the step did not say it cleared the earlier keys:\n%s", log)
	}
	for k, want := range map[string]string{"AWS_PROFILE": "default", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", credprocess.DirVariable: filepath.Join(j.Temp, jobdir.Name)} {
		if got, ok := j.Env[k]; got != want || !ok {
			t.Errorf("after the step %s=%q (set: %v), want %q", k, got, ok, want)
		}
	}
	if v, ok := j.Env["AWS_SESSION_TOKEN"]; !ok || v != "" {
		t.Errorf("AWS_SESSION_TOKEN=%q (set: %v) with refresh-credentials, want cleared", v, ok)
	}
	dir := filepath.Join(j.Temp, jobdir.Name)
	helper := filepath.Join(dir, credprocess.Executable)
	entries, _ := filepath.Glob(filepath.Join(dir, "cred-*.json"))
	if len(entries) != 1 {
		t.Fatalf("the step left %d cache entries, want the one it got", len(entries))
	}
	ownedByTheRunner(t, map[string]os.FileMode{helper: 0o500, entries[0]: 0o600})

	// The chained role, refreshable too, in its own profile; AWS_PROFILE
	// now names it.
	second := action(map[string]string{"refresh-credentials": "true", "role-chaining": "true", "role-to-assume": chained, "aws-profile": "deployer", "role-session-name": "chained"})
	if j.Env["AWS_PROFILE"] != "deployer" {
		t.Errorf("AWS_PROFILE=%q after the chained step", j.Env["AWS_PROFILE"])
	}

	// Later steps, as the runner's user, with the id-token variables every
	// step of a job with id-token: write has. Each round runs after the
	// last round's credentials died.
	tokenVars := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": w.sb.Issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.sb.Issuer.RequestToken(), "STS": w.sb.STS.URL()}
	script := fmt.Sprintf(`set -e
%[1]s sts get-caller-identity --profile default --endpoint-url "$STS" --query Arn --output text
%[1]s sts get-caller-identity --endpoint-url "$STS" --query Arn --output text
`, w.cli)
	want := "arn:aws:sts::" + sandbox.Account + ":assumed-role/deploy/GitHubActions\narn:aws:sts::" + sandbox.Account + ":assumed-role/deployer/chained\n"
	keysUsed := map[int]map[string]bool{} // round → access keys GetCallerIdentity was signed with
	for round := range 2 {
		if round > 0 {
			time.Sleep(refreshLife + time.Second) // every credential so far is dead
		}
		seen := len(w.sb.STS.Requests())
		res, err := j.RunLater(ctx, []string{"/bin/sh", "-c", script}, tokenVars)
		if err != nil {
			t.Fatal(err)
		}
		later = append(later, res)
		if res.ExitCode != 0 || string(res.Stdout) != want {
			t.Fatalf("round %d: exit %d\n%s\nwant\n%s\nstderr: %s", round+1, res.ExitCode, res.Stdout, want, res.Stderr)
		}
		keysUsed[round] = map[string]bool{}
		for _, r := range w.sb.STS.Requests()[seen:] {
			if r.Action == "GetCallerIdentity" {
				keysUsed[round][r.AccessKeyID] = true
			}
		}
	}
	for k := range keysUsed[1] {
		if keysUsed[0][k] {
			t.Error("after expiry a call was signed with credentials of before")
		}
	}
	if len(keysUsed[1]) != 2 {
		t.Errorf("round 2 used %d access keys, want the two profiles' renewed ones", len(keysUsed[1]))
	}
	var web, chain int
	for _, r := range w.sb.STS.Requests() {
		switch {
		case r.Outcome != localsts.OutcomeSuccess:
			t.Errorf("a call failed at STS: %s %s", r.Action, r.Outcome)
		case r.Action == "AssumeRoleWithWebIdentity":
			web++
		case r.Action == "AssumeRole":
			chain++
			if len(r.Tags) == 0 {
				t.Error("a chained call sent no session tags")
			}
		}
	}
	// The steps' own calls, then at least one renewal of each hop (the
	// chain's first hop shares the default profile's cache entry; a slow
	// CLI may see credentials expire within a round and renew again).
	if web < 2 || chain < 2 {
		t.Errorf("STS saw %d web-identity and %d chained calls; want at least 2 of each", web, chain)
	}

	// (e) A later step without the id-token variables, once the cached
	// credentials are dead.
	time.Sleep(refreshLife)
	res, err := j.RunLater(ctx, []string{w.cli, "sts", "get-caller-identity", "--profile", "default", "--endpoint-url", w.sb.STS.URL()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	later = append(later, res)
	if res.ExitCode == 0 || !strings.Contains(string(res.Stderr), "add `permissions: id-token: write`") {
		t.Errorf("without id-token: exit %d, stderr:\n%s", res.ExitCode, res.Stderr)
	}

	// Every credential the helpers cached, for (g).
	var secretValues []string
	entries, _ = filepath.Glob(filepath.Join(dir, "cred-*.json"))
	for _, e := range entries {
		var c struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		b, _ := os.ReadFile(e)
		if json.Unmarshal(b, &c) == nil {
			secretValues = append(secretValues, c.AccessKeyId, c.SecretAccessKey, c.SessionToken)
		}
	}
	if len(secretValues) < 6 {
		t.Errorf("%d cached credential parts, want both profiles' and the first hop's", len(secretValues))
	}

	// (f) The post steps remove the helper, its cache and the profiles.
	shown = append(shown, w.postSteps(ctx, t, j, second, first)...)
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		left, _ := os.ReadDir(dir)
		t.Errorf("%s is still there after the post steps: %v", dir, left)
	}
	filepath.WalkDir(j.Temp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, _ := d.Info(); info.Sys().(*syscall.Stat_t).Uid == 0 {
			t.Errorf("root-owned leftover in RUNNER_TEMP: %s", p)
		}
		return nil
	})

	// (g) No secret in anything the runner shows.
	for i, r := range append(shown, later...) {
		visible := r.Log().Text() + string(r.Stderr)
		if i >= len(shown) {
			visible += string(r.Stdout)
		}
		for _, s := range append(secretValues, w.sb.Issuer.RequestToken()) {
			if len(s) >= 8 && strings.Contains(visible, s) {
				t.Errorf("process %d shows a secret (%d chars)", i, len(s))
			}
		}
	}
}

// TestRefreshWinsOverTheRunnersOwnCredentials: on a self-hosted runner a
// later step may find other credentials that the AWS CLI and SDKs read
// before a credential_process profile, none of which the action's
// container sees: static keys in the runner user's ~/.aws/credentials, keys
// in the runner's own process environment, and an EKS pod's IRSA
// variables. The refreshable profile must still be the one used.
func TestRefreshWinsOverTheRunnersOwnCredentials(t *testing.T) {
	w := newWorldWith(t, sandbox.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	j := w.newJob(t, false)
	env := w.stepEnv(t, map[string]string{"refresh-credentials": "true"})
	st, _ := w.actionStep(ctx, t, j, env)

	dir := filepath.Join(j.Temp, jobdir.Name)
	creds := filepath.Join(dir, "credentials")
	if got := j.Env["AWS_SHARED_CREDENTIALS_FILE"]; got != creds {
		t.Errorf("AWS_SHARED_CREDENTIALS_FILE=%q, want %s", got, creds)
	}
	if _, err := os.Lstat(creds); err == nil {
		ownedByTheRunner(t, map[string]os.FileMode{creds: 0o600})
	}

	userAWS := filepath.Join(j.userHome(), ".aws")
	tokenFile := filepath.Join(j.userHome(), "irsa-token")
	for _, p := range []string{userAWS, tokenFile} {
		defer os.RemoveAll(p)
	}
	cases := []struct {
		name    string
		setup   func()
		process map[string]string
	}{
		{name: "static keys in the runner user's ~/.aws/credentials", setup: func() {
			os.MkdirAll(userAWS, 0o700)
			f := filepath.Join(userAWS, "credentials")
			os.WriteFile(f, []byte("[default]\naws_access_key_id = AKIARUNNERUSERKEY000\naws_secret_access_key = runner-user-secret\n"), 0o600)
			for _, p := range []string{userAWS, f} {
				os.Chown(p, runnerUID, runnerUID)
			}
		}},
		{name: "keys in the runner's own environment", process: map[string]string{
			"AWS_ACCESS_KEY_ID": "AKIARUNNERPROCESS000", "AWS_SECRET_ACCESS_KEY": "runner-process-secret", "AWS_SESSION_TOKEN": "runner-process-token",
		}},
		{name: "IRSA variables in the runner's own environment", setup: func() {
			os.WriteFile(tokenFile, []byte("not-a-real-token"), 0o644)
		}, process: map[string]string{
			"AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::" + sandbox.Account + ":role/runner-pod",
		}},
	}
	tokenVars := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": w.sb.Issuer.RequestURL(), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.sb.Issuer.RequestToken(), sdkStep: "default", "RUNNERNS_STS": w.sb.STS.URL()}
	testBin := filepath.Join(j.Work, "sdk-step")
	if err := copyFile(w.testBin, testBin, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(testBin)
	for _, c := range cases {
		os.RemoveAll(userAWS)
		if c.setup != nil {
			c.setup()
		}
		j.Process = c.process
		for _, client := range []struct {
			name string
			argv []string
		}{
			{"AWS CLI", []string{w.cli, "sts", "get-caller-identity", "--endpoint-url", w.sb.STS.URL(), "--query", "Arn", "--output", "text", "--cli-connect-timeout", "5"}},
			{"aws-sdk-go-v2", []string{testBin}},
		} {
			res, err := j.RunLater(ctx, client.argv, tokenVars)
			if err != nil {
				t.Fatal(err)
			}
			if got, _, _ := strings.Cut(strings.TrimSpace(string(res.Stdout)), " "); res.ExitCode != 0 || got != w.assumed("dev") {
				t.Errorf("%s: a later step's %s got exit %d, %q, want %s\nstderr: %s", c.name, client.name, res.ExitCode, got, w.assumed("dev"), res.Stderr)
			}
		}
	}
	j.Process = nil

	w.postSteps(ctx, t, j, st)
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		left, _ := os.ReadDir(dir)
		t.Errorf("%s is still there after the post step: %v", dir, left)
	}
}
