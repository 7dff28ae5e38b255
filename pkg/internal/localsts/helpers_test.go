package localsts

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/org/oidc-aws-action/pkg/internal/localgh"
)

const (
	testRole    = "arn:aws:iam::123456789012:role/deploy"
	testAud     = "sts.amazonaws.com"
	testSession = "gha-run-42"
)

var (
	keyOnce sync.Once
	keyA    *rsa.PrivateKey
	keyB    *rsa.PrivateKey
)

// testKeys generates two issuer keys once per test binary: the second signs
// tokens the STS must reject.
func testKeys() (*rsa.PrivateKey, *rsa.PrivateKey) {
	keyOnce.Do(func() {
		var err error
		if keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return keyA, keyB
}

type env struct {
	gh  *localgh.Issuer
	sts *Server
}

// newEnv starts an issuer and an STS that trusts it for testAud and knows
// testRole; edit adjusts the STS options first.
func newEnv(t testing.TB, edit func(*Options)) *env {
	t.Helper()
	ka, _ := testKeys()
	gh, err := localgh.Start(localgh.Options{Key: ka})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gh.Close)
	opts := Options{
		Providers: []Provider{{IssuerURL: gh.IssuerURL(), JWKSURL: gh.JWKSURL(), ClientIDs: []string{testAud}}},
		Roles:     map[string]Role{testRole: {TrustPolicy: []byte(`{"Version":"2012-10-17"}`)}},
	}
	if edit != nil {
		edit(&opts)
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &env{gh: gh, sts: s}
}

func (e *env) token(t *testing.T, over map[string]any) string {
	t.Helper()
	if over == nil {
		over = map[string]any{}
	}
	if _, ok := over["aud"]; !ok {
		over["aud"] = testAud
	}
	tok, err := e.gh.Mint(over)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// client is the real SDK client, without retries unless asked, so each
// test sees exactly the answer it provoked.
func (e *env) client(creds aws.CredentialsProvider, attempts int) *sts.Client {
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.sts.URL()),
		Credentials:  creds,
		HTTPClient:   e.sts.Client(),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		}),
	})
}

func (e *env) assumeWeb(ctx context.Context, c *sts.Client, token string, mut func(*sts.AssumeRoleWithWebIdentityInput)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(testRole),
		RoleSessionName:  aws.String(testSession),
		WebIdentityToken: aws.String(token),
	}
	if mut != nil {
		mut(in)
	}
	return c.AssumeRoleWithWebIdentity(ctx, in)
}

func staticCreds(c *sts.AssumeRoleWithWebIdentityOutput) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     *c.Credentials.AccessKeyId,
			SecretAccessKey: *c.Credentials.SecretAccessKey,
			SessionToken:    *c.Credentials.SessionToken,
			Source:          "test",
		}, nil
	})
}

// apiError asserts err is an STS error answer and returns code, message and
// HTTP status as the SDK surfaces them.
func apiError(t *testing.T, err error) (code, msg string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %T: %v", err, err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), ae.ErrorMessage(), status
}

type rawResp struct {
	status int
	header http.Header
	body   string
}

// post sends a hand-built Query request, for what the SDK refuses to send.
func (e *env) post(t *testing.T, contentType, body string) rawResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.sts.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.do(t, req)
}

func (e *env) do(t *testing.T, req *http.Request) rawResp {
	t.Helper()
	resp, err := e.sts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResp{resp.StatusCode, resp.Header, string(b)}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
