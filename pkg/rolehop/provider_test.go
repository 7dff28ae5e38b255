package rolehop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/sandbox"
)

func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return sb
}

func webHop(t *testing.T, sb *sandbox.Sandbox) (Hop, Options) {
	t.Helper()
	in, err := inputs.ReadHop(func(name string) string {
		return map[string]string{inputs.RoleToAssume: sandbox.RoleARN, inputs.AWSRegion: "us-east-1", inputs.STSEndpoint: sb.STS.URL()}[name]
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   sb.Issuer.RequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": sb.Issuer.RequestToken(),
	}
	return FromInputs(in), Options{
		Getenv: func(k string) string { return env[k] },
		Sleep:  func(ctx context.Context, d time.Duration) error { return ctx.Err() },
	}
}

// Every token goes through OnToken before STS sees it: the fresh one after
// an expired one too, so that the step masks it.
func TestOnTokenSeesEveryTokenBeforeSTS(t *testing.T) {
	sb := startSandbox(t)
	sb.STS.Inject(localsts.Fault{Action: "AssumeRoleWithWebIdentity", Kind: localsts.FaultExpiredToken, Times: 1})
	h, o := webHop(t, sb)
	p, err := NewWebIdentity(h, o)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	p.OnToken = func(token string, c *claims.Claims) error {
		if c == nil || c.Subject == "" {
			t.Errorf("token without its claims: %v", c)
		}
		seen = append(seen, token)
		if got := sb.STS.Stats().Requests; got != int64(len(seen)-1) {
			t.Errorf("token %d seen after %d STS requests", len(seen), got)
		}
		return nil
	}
	if _, err := p.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Errorf("OnToken saw %d tokens, want 2 different ones", len(seen))
	}
}

// OnToken's error ends the call before STS is asked.
func TestOnTokensErrorEndsTheCall(t *testing.T) {
	sb := startSandbox(t)
	h, o := webHop(t, sb)
	p, err := NewWebIdentity(h, o)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("refused")
	p.OnToken = func(string, *claims.Claims) error { return stop }
	if _, err := p.Retrieve(context.Background()); !errors.Is(err, stop) {
		t.Errorf("error %v, want OnToken's", err)
	}
	if n := sb.STS.Stats().Requests; n != 0 {
		t.Errorf("STS got %d requests", n)
	}
}

// A token from a file cannot be renewed: a token STS refuses as invalid
// is not retried, there being no other to send.
func TestATokenFromAFileIsNotRenewed(t *testing.T) {
	sb := startSandbox(t)
	sb.STS.Inject(localsts.Fault{Action: "AssumeRoleWithWebIdentity", Kind: localsts.FaultInvalidIdentityToken})
	tok, err := sb.Issuer.Mint(nil)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	h, o := webHop(t, sb)
	o.Getenv = func(string) string { return "" } // no runner to ask
	p, err := NewWebIdentity(h, o)
	if err != nil {
		t.Fatal(err)
	}
	p.TokenFile = file
	_, err = p.Retrieve(context.Background())
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 1 || ce.Err.Code != "InvalidIdentityToken" {
		t.Fatalf("error %v, want InvalidIdentityToken after 1 attempt", err)
	}
}

// Without the runner's variables the failure is a TokenError, which the
// step reports at the token stage.
func TestNoTokenPermissionIsATokenError(t *testing.T) {
	sb := startSandbox(t)
	h, o := webHop(t, sb)
	o.Getenv = func(string) string { return "" }
	p, err := NewWebIdentity(h, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Retrieve(context.Background())
	var te *TokenError
	if !errors.As(err, &te) {
		t.Fatalf("error %T %v, want a *TokenError", err, err)
	}
}
