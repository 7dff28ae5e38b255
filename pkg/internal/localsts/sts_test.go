package localsts

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/org/oidc-aws-action/pkg/internal/localgh"
)

var (
	akidRe   = regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`)
	secretRe = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

func TestAssumeRoleWithWebIdentityThroughTheSDK(t *testing.T) {
	e := newEnv(t, nil)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	before := time.Now()
	out, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, nil), func(in *sts.AssumeRoleWithWebIdentityInput) {
		in.DurationSeconds = aws.Int32(1800)
		in.Policy = aws.String(policy)
		in.PolicyArns = []types.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	cr := out.Credentials
	if !akidRe.MatchString(*cr.AccessKeyId) || !secretRe.MatchString(*cr.SecretAccessKey) || len(*cr.SessionToken) < 400 {
		t.Errorf("credentials not shaped like STS's: %q %q (token %d chars)", *cr.AccessKeyId, *cr.SecretAccessKey, len(*cr.SessionToken))
	}
	if d := cr.Expiration.Sub(before); d < 1799*time.Second || d > 1801*time.Second+time.Minute {
		t.Errorf("expiration %s is %s away, want about 30m", cr.Expiration, d)
	}
	if got := *out.AssumedRoleUser.Arn; got != "arn:aws:sts::123456789012:assumed-role/deploy/"+testSession {
		t.Errorf("assumed role ARN %q", got)
	}
	if id := *out.AssumedRoleUser.AssumedRoleId; !regexp.MustCompile(`^AROA[A-Z0-9]{17}:` + testSession + `$`).MatchString(id) {
		t.Errorf("assumed role id %q", id)
	}
	if *out.Provider != "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" {
		t.Errorf("provider %q", *out.Provider)
	}
	if *out.Audience != testAud || *out.SubjectFromWebIdentityToken != "repo:octo-org/octo-repo:ref:refs/heads/main" {
		t.Errorf("audience %q subject %q", *out.Audience, *out.SubjectFromWebIdentityToken)
	}
	//lint:ignore SA1019 STS still sends PackedPolicySize, and the local STS must too
	packed := out.PackedPolicySize
	if packed == nil || *packed < 1 || *packed > 100 {
		t.Errorf("packed policy size %v, want a percentage", packed)
	}

	recs := e.sts.Requests()
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Action != "AssumeRoleWithWebIdentity" || r.DurationSeconds != "1800" || r.Policy != policy ||
		len(r.PolicyArns) != 1 || r.PolicyArns[0] != "arn:aws:iam::aws:policy/ReadOnlyAccess" ||
		r.RoleSessionName != testSession || r.RoleArn != testRole || r.Outcome != OutcomeSuccess || r.TokenSubject == "" {
		t.Errorf("record %+v", r)
	}
	if fmt.Sprintf("%+v", r) != strings.ReplaceAll(fmt.Sprintf("%+v", r), "eyJ", "") {
		t.Error("the request log holds a JWT")
	}
	if s := e.sts.Stats(); s.ByOutcome[OutcomeSuccess] != 1 || s.ByAction["AssumeRoleWithWebIdentity"] != 1 || s.IssuedCredentials != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestSuccessDocumentIsSTSShaped(t *testing.T) {
	e := newEnv(t, nil)
	r := e.post(t, "application/x-www-form-urlencoded; charset=utf-8", form(
		"Action", "AssumeRoleWithWebIdentity", "Version", APIVersion, "RoleArn", testRole,
		"RoleSessionName", testSession, "WebIdentityToken", e.token(t, nil)))
	if r.status != 200 || r.header.Get("Content-Type") != "text/xml" || r.header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("status %d headers %v body %s", r.status, r.header, r.body)
	}
	if !strings.HasPrefix(r.body, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>`) {
		t.Errorf("body starts %.120s", r.body)
	}
	var doc struct {
		RequestID string `xml:"ResponseMetadata>RequestId"`
		Exp       string `xml:"AssumeRoleWithWebIdentityResult>Credentials>Expiration"`
	}
	if err := xml.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.RequestID != r.header.Get("x-amzn-RequestId") {
		t.Errorf("RequestId %q differs from header %q", doc.RequestID, r.header.Get("x-amzn-RequestId"))
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", doc.Exp); err != nil {
		t.Errorf("Expiration %q is not ISO-8601 UTC: %v", doc.Exp, err)
	}
}

func TestGETQueryStringWorksForWebIdentity(t *testing.T) {
	e := newEnv(t, nil)
	req, _ := http.NewRequest(http.MethodGet, e.sts.URL()+"/?"+form(
		"Action", "AssumeRoleWithWebIdentity", "Version", APIVersion, "RoleArn", testRole,
		"RoleSessionName", testSession, "WebIdentityToken", e.token(t, nil)), nil)
	if r := e.do(t, req); r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestRoleChainingWithSignedCredentials(t *testing.T) {
	const target = "arn:aws:iam::123456789012:role/team/target"
	e := newEnv(t, func(o *Options) {
		o.Roles[target] = Role{TrustedRoles: []string{testRole}, ExternalID: "ext-123"}
	})
	ctx := context.Background()
	first, err := e.assumeWeb(ctx, e.client(nil, 1), e.token(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	signed := e.client(staticCreds(first), 1)

	who, err := signed.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if *who.Arn != *first.AssumedRoleUser.Arn || *who.Account != "123456789012" || *who.UserId != *first.AssumedRoleUser.AssumedRoleId {
		t.Errorf("caller identity %q %q %q", *who.Arn, *who.Account, *who.UserId)
	}

	out, err := signed.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(target), RoleSessionName: aws.String("chained"), ExternalId: aws.String("ext-123"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/target/chained" || !akidRe.MatchString(*out.Credentials.AccessKeyId) {
		t.Errorf("AssumeRole output %q %q", *out.AssumedRoleUser.Arn, *out.Credentials.AccessKeyId)
	}
	last := e.sts.Requests()[2]
	if last.ExternalID != "ext-123" || last.AccessKeyID != *first.Credentials.AccessKeyId || last.DurationSeconds != "900" {
		t.Errorf("record %+v", last)
	}

	cases := []struct {
		name     string
		in       sts.AssumeRoleInput
		code     string
		contains string
	}{
		{"wrong external id", sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("x1"), ExternalId: aws.String("nope")},
			"AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: " + target},
		{"role chaining beyond one hour", sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("x1"), ExternalId: aws.String("ext-123"), DurationSeconds: aws.Int32(3700)},
			"ValidationError", "MaxSessionDuration"},
		{"unknown role", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/ghost"), RoleSessionName: aws.String("x1")},
			"AccessDenied", "User: " + *first.AssumedRoleUser.Arn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signed.AssumeRole(ctx, &tc.in)
			code, msg, _ := apiError(t, err)
			if code != tc.code || !strings.Contains(msg, tc.contains) {
				t.Errorf("got %s %q, want %s containing %q", code, msg, tc.code, tc.contains)
			}
		})
	}
}

func TestRoleChainingSessionTags(t *testing.T) {
	const (
		tagged   = "arn:aws:iam::123456789012:role/tagged"
		untagged = "arn:aws:iam::123456789012:role/untagged"
	)
	e := newEnv(t, func(o *Options) {
		o.Roles[tagged] = Role{}
		o.Roles[untagged] = Role{RefuseSessionTags: true}
	})
	ctx := context.Background()
	first, err := e.assumeWeb(ctx, e.client(nil, 1), e.token(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	signed := e.client(staticCreds(first), 1)
	tags := func(kv ...string) []types.Tag {
		var out []types.Tag
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return out
	}

	_, err = signed.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("t1"),
		Tags: tags("Repository", "octo/app", "Team", ""), TransitiveTagKeys: []string{"repository"}})
	if err != nil {
		t.Fatalf("AssumeRole with tags: %v", err)
	}
	rec := e.sts.Requests()[1]
	if want := []Tag{{"Repository", "octo/app"}, {"Team", ""}}; !reflect.DeepEqual(rec.Tags, want) || !reflect.DeepEqual(rec.TransitiveTagKeys, []string{"repository"}) {
		t.Errorf("recorded tags %+v transitive %q", rec.Tags, rec.TransitiveTagKeys)
	}
	if _, err := signed.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(untagged), RoleSessionName: aws.String("t2")}); err != nil {
		t.Errorf("a role refusing tags refused a request without any: %v", err)
	}

	many := make([]string, 0, 102)
	for i := range 51 {
		many = append(many, fmt.Sprintf("k%d", i), "v")
	}
	cases := []struct {
		name     string
		role     string
		tags     []types.Tag
		trans    []string
		code     string
		contains string
	}{
		{"a role whose trust policy lacks sts:TagSession", untagged, tags("Repository", "octo/app"), nil,
			"AccessDenied", "is not authorized to perform: sts:TagSession on resource: " + untagged},
		{"keys differing only in case", tagged, tags("Team", "a", "team", "b"), nil, "InvalidParameterValue", "Tag keys are case insensitive"},
		{"a transitive key that is not a tag", tagged, tags("Team", "a"), []string{"Repository"}, "InvalidParameterValue", "transitive tag key Repository"},
		{"a value with a refused character", tagged, tags("Team", "a#b"), nil, "ValidationError", "'tags.1.member.value' failed to satisfy constraint"},
		{"an empty key", tagged, tags("", "x"), nil, "ValidationError", "'tags.1.member.key' failed to satisfy constraint: Member must have length between 1 and 128"},
		{"more than 50 tags", tagged, tags(many...), nil, "ValidationError", "at 'tags' failed to satisfy constraint"},
		{"tags past the packed limit", tagged, tags("A", strings.Repeat("a", 256), "B", strings.Repeat("b", 256), "C", strings.Repeat("c", 256),
			"D", strings.Repeat("d", 256), "E", strings.Repeat("e", 256), "F", strings.Repeat("f", 256), "G", strings.Repeat("g", 256), "H", strings.Repeat("h", 256)), nil,
			"PackedPolicyTooLarge", "Packed size of session tags consumes 101% of allotted space."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signed.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String("t3"), Tags: tc.tags, TransitiveTagKeys: tc.trans})
			code, msg, _ := apiError(t, err)
			if code != tc.code || !strings.Contains(msg, tc.contains) {
				t.Errorf("got %s %q, want %s containing %q", code, msg, tc.code, tc.contains)
			}
		})
	}
}

func TestRoleChainingLimitIsOneHour(t *testing.T) {
	const long = "arn:aws:iam::123456789012:role/long"
	e := newEnv(t, func(o *Options) { o.Roles[long] = Role{MaxSessionDuration: 4 * time.Hour} })
	first, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.client(staticCreds(first), 1).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(long), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)})
	code, msg, _ := apiError(t, err)
	if code != "ValidationError" || msg != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("got %s %q", code, msg)
	}
}

type denyAll struct{}

func (denyAll) Allowed([]byte, string, map[string]any) (bool, error) { return false, nil }

func TestWebIdentityErrorsAsTheSDKSeesThem(t *testing.T) {
	_, otherKey := testKeys()
	past := time.Now().Add(-time.Hour)
	cases := []struct {
		name   string
		edit   func(*Options)
		token  func(t *testing.T, e *env) string
		mut    func(*sts.AssumeRoleWithWebIdentityInput)
		code   string
		msg    string // exact, or a prefix when it ends in "…"
		status int
	}{
		{name: "session name pattern", mut: func(in *sts.AssumeRoleWithWebIdentityInput) { in.RoleSessionName = aws.String("bad name!") },
			code: "ValidationError", status: 400,
			msg: `1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{name: "duration below 900", mut: func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(100) },
			code: "ValidationError", status: 400,
			msg: "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{name: "duration above 43200", mut: func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(50000) },
			code: "ValidationError", status: 400,
			msg: "1 validation error detected: Value '50000' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{name: "duration above the role's maximum", mut: func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(7200) },
			code: "ValidationError", status: 400, msg: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{name: "malformed role ARN", mut: func(in *sts.AssumeRoleWithWebIdentityInput) {
			in.RoleArn = aws.String("arn:aws:iam::12345:role/x/short")
		},
			code: "ValidationError", status: 400, msg: "Request ARN is invalid"},
		{name: "policy not JSON", mut: func(in *sts.AssumeRoleWithWebIdentityInput) { in.Policy = aws.String("{not json") },
			code: "MalformedPolicyDocument", status: 400, msg: "The policy is not in the valid JSON format."},
		{name: "packed policy too large", mut: func(in *sts.AssumeRoleWithWebIdentityInput) {
			for i := range 10 {
				in.PolicyArns = append(in.PolicyArns, types.PolicyDescriptorType{Arn: aws.String(fmt.Sprintf("arn:aws:iam::123456789012:policy/%0250d", i))})
			}
		}, code: "PackedPolicyTooLarge", status: 400, msg: "Packed policy consumes 139% of allotted space, please use smaller policy for this session."},
		{name: "role does not exist", mut: func(in *sts.AssumeRoleWithWebIdentityInput) {
			in.RoleArn = aws.String("arn:aws:iam::123456789012:role/ghost")
		},
			code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{name: "trust policy denies", edit: func(o *Options) { o.Evaluator = denyAll{} },
			code: "AccessDenied", status: 403, msg: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{name: "not a JWT", token: func(*testing.T, *env) string { return "not-a-jwt" },
			code: "InvalidIdentityToken", status: 400, msg: "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"},
		{name: "signed by another key", token: func(t *testing.T, _ *env) string {
			other, err := localgh.Start(localgh.Options{Key: otherKey})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			tok, _ := other.Mint(map[string]any{"aud": testAud})
			return tok
		}, code: "InvalidIdentityToken", status: 400, msg: "Couldn't verify the signature of the ID token against the provider's keys"},
		{name: "expired", token: func(t *testing.T, e *env) string {
			return e.token(t, map[string]any{"exp": past.Unix(), "iat": past.Add(-5 * time.Minute).Unix()})
		}, code: "ExpiredTokenException", status: 400, msg: "Token expired: current date/time …"},
		{name: "unregistered issuer", token: func(t *testing.T, e *env) string {
			return e.token(t, map[string]any{"iss": "https://token.actions.githubusercontent.com/octo-ent"})
		}, code: "InvalidIdentityToken", status: 400, msg: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com/octo-ent"},
		{name: "provider in another account", mut: func(in *sts.AssumeRoleWithWebIdentityInput) {
			in.RoleArn = aws.String("arn:aws:iam::210987654321:role/deploy")
		},
			edit: func(o *Options) { o.Roles["arn:aws:iam::210987654321:role/deploy"] = Role{} },
			code: "InvalidIdentityToken", status: 400, msg: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"},
		{name: "wrong audience", token: func(t *testing.T, e *env) string {
			return e.token(t, map[string]any{"aud": "https://github.com/octo-org"})
		},
			code: "InvalidIdentityToken", status: 400, msg: "Incorrect token audience"},
		{name: "JWKS unreachable", edit: func(o *Options) { o.Providers[0].JWKSURL = "http://127.0.0.1:1/.well-known/jwks" },
			code: "IDPCommunicationError", status: 400, msg: "Couldn't retrieve verification key from your identity provider…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.edit)
			tok := ""
			if tc.token != nil {
				tok = tc.token(t, e)
			} else {
				tok = e.token(t, nil)
			}
			_, err := e.assumeWeb(context.Background(), e.client(nil, 1), tok, tc.mut)
			code, msg, status := apiError(t, err)
			if code != tc.code || status != tc.status {
				t.Errorf("got %s (HTTP %d) %q, want %s (HTTP %d)", code, status, msg, tc.code, tc.status)
			}
			if want, ok := strings.CutSuffix(tc.msg, "…"); ok {
				if !strings.HasPrefix(msg, want) {
					t.Errorf("message %q does not start with %q", msg, want)
				}
			} else if msg != tc.msg {
				t.Errorf("message %q, want %q", msg, tc.msg)
			}
			if got := e.sts.Stats().ByOutcome[tc.code]; got != 1 {
				t.Errorf("outcome %s counted %d times, want 1", tc.code, got)
			}
		})
	}
}

func TestSDKErrorTypesForModelledCodes(t *testing.T) {
	e := newEnv(t, nil)
	past := time.Now().Add(-time.Hour)
	_, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, map[string]any{"exp": past.Unix()}), nil)
	var expired *types.ExpiredTokenException
	if !errors.As(err, &expired) {
		t.Errorf("want *types.ExpiredTokenException, got %T", err)
	}
	_, err = e.assumeWeb(context.Background(), e.client(nil, 1), "x.y.z", nil)
	var invalid *types.InvalidIdentityTokenException
	if !errors.As(err, &invalid) {
		t.Errorf("want *types.InvalidIdentityTokenException, got %T", err)
	}
}

func TestEvaluatorSeesPolicyIssuerAndVerifiedClaims(t *testing.T) {
	var mu sync.Mutex
	var gotPolicy, gotIssuer string
	var gotClaims map[string]any
	e := newEnv(t, func(o *Options) {
		o.Evaluator = TrustEvaluatorFunc(func(p []byte, iss string, c map[string]any) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			gotPolicy, gotIssuer, gotClaims = string(p), iss, c
			return c["sub"] == "repo:octo-org/octo-repo:environment:prod", nil
		})
	})
	c := e.client(nil, 1)
	if _, err := e.assumeWeb(context.Background(), c, e.token(t, map[string]any{"environment": "prod"}), nil); err != nil {
		t.Fatalf("allowed subject was refused: %v", err)
	}
	mu.Lock()
	if gotPolicy != `{"Version":"2012-10-17"}` || gotIssuer != localgh.DefaultIssuerURL || gotClaims["repository"] != "octo-org/octo-repo" {
		t.Errorf("evaluator got policy %q issuer %q claims %v", gotPolicy, gotIssuer, gotClaims)
	}
	mu.Unlock()
	_, err := e.assumeWeb(context.Background(), c, e.token(t, nil), nil)
	if code, _, _ := apiError(t, err); code != "AccessDenied" {
		t.Errorf("denied subject got %s", code)
	}
	if d := e.sts.Requests()[1].Detail; d != "trust policy denied" {
		t.Errorf("detail %q", d)
	}
}

func TestOpenModeAllowsAnyRole(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Roles = nil })
	out, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, nil), func(in *sts.AssumeRoleWithWebIdentityInput) {
		in.RoleArn = aws.String("arn:aws:iam::123456789012:role/path/anything")
	})
	if err != nil {
		t.Fatal(err)
	}
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/anything/"+testSession {
		t.Errorf("arn %q", *out.AssumedRoleUser.Arn)
	}
}

func TestRolesAddedAtRuntime(t *testing.T) {
	e := newEnv(t, nil)
	const late = "arn:aws:iam::123456789012:role/late"
	c := e.client(nil, 1)
	use := func(in *sts.AssumeRoleWithWebIdentityInput) { in.RoleArn = aws.String(late) }
	if _, err := e.assumeWeb(context.Background(), c, e.token(t, nil), use); err == nil {
		t.Fatal("unknown role was assumable")
	}
	if err := e.sts.AddRole(late, Role{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.assumeWeb(context.Background(), c, e.token(t, nil), use); err != nil {
		t.Fatalf("role added at runtime: %v", err)
	}
	e.sts.RemoveRole(late)
	if _, err := e.assumeWeb(context.Background(), c, e.token(t, nil), use); err == nil {
		t.Fatal("removed role was assumable")
	}
	if err := e.sts.AddRole("not-an-arn", Role{}); err == nil {
		t.Error("AddRole accepted a malformed ARN")
	}
}

func TestKeysByDiscoveryAndDirectly(t *testing.T) {
	ka, _ := testKeys()
	gh, err := localgh.Start(localgh.Options{Key: ka, UseServerURLAsIssuer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer gh.Close()
	direct := map[string]any{}
	for kid, k := range gh.PublicKeys() {
		direct[kid] = k
	}
	for name, p := range map[string]Provider{
		"discovery from iss": {IssuerURL: gh.IssuerURL(), ClientIDs: []string{testAud}},
		"keys given":         {IssuerURL: gh.IssuerURL(), Keys: direct, ClientIDs: []string{testAud}},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Start(Options{Providers: []Provider{p}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			e := &env{gh: gh, sts: s}
			if _, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, nil), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConcurrentClients(t *testing.T) {
	e := newEnv(t, nil)
	const clients, faulty = 300, 40
	e.sts.Inject(Fault{Action: "AssumeRoleWithWebIdentity", Kind: FaultHTTP503, Times: faulty})
	c := e.client(nil, 1)
	// One token for all: STS accepts a token more than once, and minting
	// hundreds under the race detector would dominate the test.
	tok := e.token(t, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	keys := map[string]bool{}
	failures := 0
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e.assumeWeb(context.Background(), c, tok, func(in *sts.AssumeRoleWithWebIdentityInput) {
				in.RoleSessionName = aws.String(fmt.Sprintf("s-%d", i))
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures++
				return
			}
			keys[*out.Credentials.AccessKeyId] = true
		}()
	}
	wg.Wait()
	if failures != faulty || len(keys) != clients-faulty {
		t.Errorf("%d failures and %d distinct keys, want %d and %d", failures, len(keys), faulty, clients-faulty)
	}
	s := e.sts.Stats()
	if s.Requests != clients || s.ByOutcome[OutcomeSuccess] != clients-faulty || s.ByOutcome[FaultOutcome(FaultHTTP503)] != faulty {
		t.Errorf("stats %+v", s)
	}
}

func TestRequestLogIsBounded(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RequestLogSize = 3 })
	for i := range 5 {
		e.post(t, "application/x-www-form-urlencoded", form("Action", "GetCallerIdentity", "Version", APIVersion, "RoleSessionName", fmt.Sprint(i)))
	}
	recs := e.sts.Requests()
	if len(recs) != 3 || recs[0].RoleSessionName != "2" || recs[2].RoleSessionName != "4" {
		t.Errorf("records %+v", recs)
	}
}

// TestPlainSDKClientWorks uses the client exactly as the action would build
// it: default HTTP client, default retryer.
func TestPlainSDKClientWorks(t *testing.T) {
	e := newEnv(t, nil)
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.sts.URL()), Credentials: aws.AnonymousCredentials{}})
	out, err := e.assumeWeb(context.Background(), c, e.token(t, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.sts.URL()), Credentials: staticCreds(out)}).
		AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("plain")})
	if err != nil {
		t.Fatal(err)
	}
}

func TestShortLivedCredentialsExpireAndAreRefusedThen(t *testing.T) {
	var skew atomic.Int64 // seconds the server's clock runs ahead
	e := newEnv(t, func(o *Options) {
		o.CredentialLifetime = 5 * time.Second
		o.Roles["arn:aws:iam::123456789012:role/target"] = Role{}
		o.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load()) * time.Second) }
	})
	ctx := context.Background()
	before := time.Now()
	first, err := e.assumeWeb(ctx, e.client(nil, 1), e.token(t, nil), func(in *sts.AssumeRoleWithWebIdentityInput) {
		in.DurationSeconds = aws.Int32(3600) // asked for an hour, still gets the short lifetime
	})
	if err != nil {
		t.Fatal(err)
	}
	if life := first.Credentials.Expiration.Sub(before); life > 5*time.Second || life < 3*time.Second {
		t.Errorf("web identity credentials live %v, want about 5s", life)
	}
	signed := e.client(staticCreds(first), 1)
	chained, err := signed.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/target"), RoleSessionName: aws.String("chained")})
	if err != nil {
		t.Fatal(err)
	}
	if life := chained.Credentials.Expiration.Sub(before); life > 5*time.Second || life < 3*time.Second {
		t.Errorf("chained credentials live %v, want about 5s", life)
	}
	if _, err := signed.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("fresh credentials refused: %v", err)
	}
	skew.Store(6)
	_, err = signed.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if code, _, _ := apiError(t, err); code != "ExpiredToken" {
		t.Errorf("expired credentials: got %s, want ExpiredToken", code)
	}
}
