package stsexchange

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/org/oidc-aws-action/pkg/internal/localsts"
)

// These tests run the client against pkg/internal/localsts, which verifies
// tokens and SigV4 signatures as STS does, so they prove the requests are
// not merely well-formed but acceptable.

const (
	lstsIssuer   = "https://token.actions.githubusercontent.com"
	lstsAudience = "sts.amazonaws.com"
	lstsRole     = "arn:aws:iam::123456789012:role/deploy"
	lstsChained  = "arn:aws:iam::123456789012:role/target"
)

type localSTS struct {
	srv   *localsts.Server
	key   *rsa.PrivateKey
	token string
}

func startLocalSTS(t *testing.T) *localSTS {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := localsts.Start(localsts.Options{
		Providers: []localsts.Provider{{IssuerURL: lstsIssuer, Keys: map[string]any{"k1": &key.PublicKey}, ClientIDs: []string{lstsAudience}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	l := &localSTS{srv: srv, key: key}
	l.token = l.sign(t, lstsAudience, time.Now().Add(5*time.Minute))
	return l
}

func (l *localSTS) sign(t *testing.T, aud string, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": lstsIssuer, "aud": aud, "sub": "repo:org/repo:ref:refs/heads/main",
		"iat": time.Now().Add(-time.Minute).Unix(), "nbf": time.Now().Add(-time.Minute).Unix(), "exp": exp.Unix(),
	})
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(l.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (l *localSTS) client(t *testing.T, mod func(*Options)) *Client {
	return newTestClient(t, l.srv.URL(), mod)
}

func TestLocalSTSWebIdentityThenChainedAssumeRole(t *testing.T) {
	l := startLocalSTS(t)
	c := l.client(t, nil)
	first, err := c.AssumeRoleWithWebIdentity(context.Background(), WebIdentityInput{RoleARN: lstsRole, SessionName: "gha-run", Token: l.token, Duration: 15 * time.Minute})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if AccountFromARN(first.AssumedRoleARN) != "123456789012" || first.Credentials.SessionToken == "" {
		t.Errorf("first result %+v", first)
	}
	// localsts verifies the SigV4 signature with the credentials it issued.
	second, err := c.AssumeRole(context.Background(), AssumeRoleInput{RoleARN: lstsChained, SessionName: "chained", Source: first.Credentials})
	if err != nil {
		t.Fatalf("AssumeRole with the first role's credentials: %v", err)
	}
	if second.Credentials.AccessKeyID == first.Credentials.AccessKeyID || second.AssumedRoleARN != "arn:aws:sts::123456789012:assumed-role/target/chained" {
		t.Errorf("second result %+v", second)
	}
}

func TestLocalSTSRejectionsAreClassified(t *testing.T) {
	l := startLocalSTS(t)
	c := l.client(t, nil)
	web := func(token string) error {
		_, err := c.AssumeRoleWithWebIdentity(context.Background(), WebIdentityInput{RoleARN: lstsRole, SessionName: "gha-run", Token: token})
		return err
	}
	t.Run("wrong audience", func(t *testing.T) {
		e := asError(t, web(l.sign(t, "someone-else", time.Now().Add(time.Minute))))
		if e.Code != "InvalidIdentityToken" || e.Class != RetryOnce {
			t.Errorf("got %v class %v", e, e.Class)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		e := asError(t, web(l.sign(t, lstsAudience, time.Now().Add(-time.Hour))))
		if e.Code != "ExpiredTokenException" || e.Class != RefreshToken {
			t.Errorf("got %v class %v", e, e.Class)
		}
	})
	t.Run("forged source credentials", func(t *testing.T) {
		_, err := c.AssumeRole(context.Background(), chainInput())
		e := asError(t, err)
		if e.Class != Fatal || !strings.Contains(e.Hint, "source credentials") {
			t.Errorf("got %v class %v hint %q", e, e.Class, e.Hint)
		}
		assertNoSecrets(t, e, chainInput().Source.SecretAccessKey, chainInput().Source.SessionToken)
	})
}

func TestLocalSTSFaultsAreClassified(t *testing.T) {
	cases := []struct {
		fault     localsts.Fault
		mod       func(*Options)
		wantClass Class
		wantCode  string
	}{
		{localsts.Fault{Kind: localsts.FaultHTTP500}, nil, Transient, ""},
		{localsts.Fault{Kind: localsts.FaultHTTP503}, nil, Transient, ""},
		{localsts.Fault{Kind: localsts.FaultThrottling}, nil, Throttled, "Throttling"},
		{localsts.Fault{Kind: localsts.FaultIDPCommunicationError}, nil, Transient, "IDPCommunicationError"},
		{localsts.Fault{Kind: localsts.FaultInvalidIdentityToken}, nil, RetryOnce, "InvalidIdentityToken"},
		{localsts.Fault{Kind: localsts.FaultExpiredToken}, nil, RefreshToken, "ExpiredTokenException"},
		{localsts.Fault{Kind: localsts.FaultAccessDenied}, nil, Fatal, "AccessDenied"},
		{localsts.Fault{Kind: localsts.FaultRegionDisabled}, nil, Fatal, "RegionDisabledException"},
		{localsts.Fault{Kind: localsts.FaultDropConnection}, nil, Transient, ""},
		{localsts.Fault{Kind: localsts.FaultTruncatedXML}, nil, Transient, ""},
		{localsts.Fault{Kind: localsts.FaultShortBody}, nil, Transient, ""},
		{localsts.Fault{Kind: localsts.FaultOversizedXML, Size: 2 << 20}, nil, Fatal, ""},
		{localsts.Fault{Kind: localsts.FaultHang}, func(o *Options) { o.Timeout = 100 * time.Millisecond }, Transient, ""},
	}
	l := startLocalSTS(t)
	for _, tc := range cases {
		t.Run(localsts.FaultOutcome(tc.fault.Kind), func(t *testing.T) {
			tc.fault.Times = 1
			l.srv.Inject(tc.fault)
			t.Cleanup(l.srv.ClearFaults)
			_, err := l.client(t, tc.mod).AssumeRoleWithWebIdentity(context.Background(), WebIdentityInput{RoleARN: lstsRole, SessionName: "gha-run", Token: l.token})
			e := asError(t, err)
			if e.Class != tc.wantClass || (tc.wantCode != "" && e.Code != tc.wantCode) {
				t.Errorf("got %v class %v; want class %v code %q", e, e.Class, tc.wantClass, tc.wantCode)
			}
			assertNoSecrets(t, e, l.token)
		})
	}
}
