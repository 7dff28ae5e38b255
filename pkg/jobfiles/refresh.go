package jobfiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/credprocess"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/rolehop"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// refresh-credentials: true writes a profile whose credential_process is a
// copy of this binary in the job's directory (pkg/credprocess), so that the
// AWS CLI and SDKs renew the credentials themselves from the job's OIDC
// token, for as long as the job runs.

// ProfileName is the profile this step writes: aws-profile, or default
// when refresh-credentials names none.
func ProfileName(in *inputs.Inputs) string {
	if in.Profile == "" && in.RefreshCredentials {
		return "default"
	}
	return in.Profile
}

// RefreshSource finds the role hop a refreshable role chain starts from,
// in the helper flags of the profile later steps use now (AWS_PROFILE or
// default), which an earlier step of this action must have written with
// refresh-credentials, so that both hops can be renewed.
func (t *Target) RefreshSource(getenv func(string) string) (*rolehop.Hop, error) {
	name := getenv("AWS_PROFILE")
	if name == "" {
		name = "default"
	}
	fix := "give the step that assumes the first role refresh-credentials: true as well; its profile is used through AWS_PROFILE (or default)"
	line, err := t.files.CredentialProcess(name)
	if err != nil {
		return nil, fmt.Errorf("input %q: cannot read the profile to chain from: %w", inputs.RoleChaining, err)
	}
	args, ok := credprocess.ParseProfileCommand(line)
	var hop rolehop.Hop
	if ok {
		hop, err = credprocess.ParseArgs(args)
	}
	switch {
	case line == "":
		return nil, display.Fixed(fmt.Sprintf("input %q: with refresh-credentials, role chaining starts from a refreshable profile of this action, and %s has none named %s", inputs.RoleChaining, t.shown[0], display.LogQuote(name)), fix)
	case !ok:
		return nil, display.Fixed(fmt.Sprintf("input %q: with refresh-credentials, role chaining starts from a refreshable profile of this action, and the credential_process of profile %s is not one", inputs.RoleChaining, display.LogQuote(name)), fix)
	case err != nil:
		return nil, fmt.Errorf("input %q: profile %s to chain from: %w", inputs.RoleChaining, display.LogQuote(name), err)
	case hop.Source != nil:
		return nil, display.Fixed(fmt.Sprintf("input %q: profile %s is itself a role chain, and a chain of more than two roles cannot be refreshed (AWS caps chained sessions at one hour anyway)", inputs.RoleChaining, display.LogQuote(name)), "chain from the profile of the first role")
	}
	return &hop, nil
}

// HelperOptions wire the helper's code, run in this process, to the
// step's environment; the zero value is the real one (credprocess.Options).
type HelperOptions struct {
	Getenv    func(string) string
	Transport http.RoundTripper
	Sleep     retry.Sleeper
	Version   string
}

// DirError is a job's directory that could not be made.
type DirError struct{ Err error }

func (e *DirError) Error() string { return "cannot create this job's directory: " + e.Err.Error() }
func (e *DirError) Unwrap() error { return e.Err }

// RefreshedSource gets the first hop's credentials (source's) through the
// same cache the helper uses, so that this step, and the chained profile's
// helper after it, share them with the source profile. A *DirError says
// the job's directory could not be made.
func (t *Target) RefreshedSource(ctx context.Context, source rolehop.Hop, o HelperOptions) (stsexchange.Credentials, error) {
	if _, err := t.dir.Create(); err != nil {
		return stsexchange.Credentials{}, &DirError{err}
	}
	return credprocess.Credentials(ctx, source, t.dir.Path, credprocess.Options{
		Getenv: o.Getenv, Transport: o.Transport, Sleep: o.Sleep, Version: o.Version,
		Owner: &credprocess.FileOwner{UID: t.dir.UID, GID: t.dir.GID},
	})
}

// WriteRefreshable puts the helper and the credentials this step got for
// hop (as the helper's first cache entry, issued at issued) in the job's
// directory, and writes the profile that runs it. Later steps get no keys: they would come before the
// profile for the CLI and SDKs and so stop the renewal, and any an earlier
// step left are cleared.
func (t *Target) WriteRefreshable(r *workflow.Runner, getenv func(string) string, in *inputs.Inputs, hop rolehop.Hop, cr stsexchange.Credentials, issued time.Time) error {
	args := credprocess.Args(hop)
	owner := &credprocess.FileOwner{UID: t.dir.UID, GID: t.dir.GID}
	prepare := func(state *cleanupState) error {
		state.Helper = true
		if t.exports("AWS_SHARED_CREDENTIALS_FILE") {
			// The profile needs no credentials file, but without one named
			// later steps read the runner user's ~/.aws/credentials, whose
			// [default] keys the CLI and SDKs take before any
			// credential_process. An empty one of the job's keeps the pair
			// of files self-contained.
			switch err := createEmpty(t.files.Credentials, t.dir.UID, t.dir.GID); {
			case err == nil:
				state.Remove = append(state.Remove, credentialsName)
			case !errors.Is(err, fs.ErrExist): // an earlier step's
				return fmt.Errorf("cannot create the job's credentials file: %w", err)
			}
		}
		exe, _ := t.dir.File(credprocess.Executable)
		if err := installHelper(exe, owner); err != nil {
			return err
		}
		_, err := credprocess.Seed(t.dir.Path, args, cr, issued, owner)
		return err
	}
	name := ProfileName(in)
	_, laterDir := t.dir.File("")
	exports := [][2]string{{credprocess.DirVariable, laterDir}, {"AWS_PROFILE", name}}
	// Cleared by writing them empty: the runner stores a GITHUB_ENV value
	// as it is, empty included (actions/runner, FileCommandManager.cs,
	// SetEnvFileCommand), so later steps get them set and empty, which the
	// AWS CLI and aws-sdk-go-v2 treat as unset (the e2e refresh tests run
	// both that way). Always, not only when this container sees them: the
	// runner's own process environment, which later `run:` steps inherit
	// (a self-hosted runner's keys, an EKS pod's IRSA variables), never
	// reaches a container action. The log names those it saw.
	var cleared []string
	for _, k := range refreshClearedVars {
		exports = append(exports, [2]string{k, ""})
		if getenv(k) != "" {
			cleared = append(cleared, k)
		}
	}
	p := awsprofile.Profile{Name: name, Region: in.Region, CredentialProcess: credprocess.ProfileCommand(args)}
	if err := t.save(r, in, p, prepare, exports); err != nil {
		return err
	}
	r.Infof("Profile %s renews its credentials through %s, from the job's OIDC token; AWS_PROFILE is %s.", display.LogQuote(name), credprocess.Executable+" "+credprocess.Command, display.LogQuote(name))
	if len(cleared) > 0 {
		r.Infof("Cleared %s, left by an earlier step: the AWS CLI and SDKs read them before any profile, so the renewed credentials would not be used.", strings.Join(cleared, ", "))
	}
	return nil
}

// refreshClearedVars are every variable the AWS CLI and SDKs read before a
// profile's credential_process, even with AWS_PROFILE set: the keys this
// action exports without refresh-credentials, the other names the SDKs'
// environment providers take keys from, and a web identity (EKS IRSA)
// they would assume instead. Read from each SDK's source:
//
//   - aws-sdk-go-v2, config/resolve_credentials.go, resolveCredentialChain:
//     only a profile chosen in code (WithSharedConfigProfile) outranks
//     environment keys, AWS_PROFILE does not; then keys, then
//     AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, and only then the
//     profile. config/env_config.go, NewEnvConfig and setStringFromEnvVal:
//     the key ID from AWS_ACCESS_KEY_ID, else AWS_ACCESS_KEY; the secret
//     from AWS_SECRET_ACCESS_KEY, else AWS_SECRET_KEY; AWS_SESSION_TOKEN;
//     an empty value counts as unset.
//   - botocore (and the AWS CLI v2, which bundles it), credentials.py,
//     create_credential_resolver: EnvProvider comes first, and is dropped
//     only for a profile passed in code, not AWS_PROFILE; EnvProvider.load
//     reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, the token from
//     AWS_SECURITY_TOKEN or AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION;
//     the profile providers try AssumeRoleWithWebIdentityProvider (the
//     same two IRSA variables) before ProcessProvider.
//   - JS SDK v3, credential-provider-node's defaultProvider skips fromEnv
//     when AWS_PROFILE is set (with a warning when keys are there too);
//     credential-provider-env's fromEnv reads AWS_ACCESS_KEY_ID,
//     AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION
//     and AWS_CREDENTIAL_SCOPE. Cleared all the same, for a step that
//     unsets AWS_PROFILE.
//
// AWS_ACCOUNT_ID, which botocore, fromEnv and aws-sdk-go-v2 also read, is
// left alone: they attach it only to environment keys, so with those
// cleared it changes nothing, and jobs use the name for their own scripts.
var refreshClearedVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
	"AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_CREDENTIAL_SCOPE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
}

// maxHelperBytes bounds the copy of this binary, with room for it to grow.
const maxHelperBytes = 64 << 20

// installHelper copies the running binary to dst, through a temporary file
// and a rename, mode 0500, owned by owner. The runner gives container
// actions /proc, where the binary is /proc/self/exe; elsewhere (and in the
// scratch image) the entrypoint's own absolute path is tried.
func installHelper(dst string, owner *credprocess.FileOwner) error {
	src, err := os.Open("/proc/self/exe")
	if err != nil && filepath.IsAbs(os.Args[0]) {
		src, err = os.Open(os.Args[0])
	}
	if err != nil {
		return fmt.Errorf("cannot find this action's own binary to install as the credential helper: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), helperTempPattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	n, err := io.Copy(tmp, io.LimitReader(src, maxHelperBytes+1))
	if err == nil && n > maxHelperBytes {
		err = errors.New("this binary is larger than expected")
	}
	if err == nil {
		err = tmp.Chmod(0o500)
	}
	if err == nil {
		err = tmp.Chown(owner.UID, owner.GID)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fmt.Errorf("cannot install the credential helper: %w", err)
	}
	return nil
}
