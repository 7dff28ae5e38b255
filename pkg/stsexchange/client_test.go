package stsexchange

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebIdentitySendsUnsignedQueryRequestAndReturnsCredentials(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, assumedUserXML(testAssumed))))
	c := newTestClient(t, f.URL, nil)
	in := webInput()
	in.Duration = time.Hour
	in.Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	in.PolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/extra"}

	res, err := c.AssumeRoleWithWebIdentity(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}

	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want exactly 1 (SDK retries must be off)", len(reqs))
	}
	r := reqs[0]
	wantForm := map[string]string{
		"Action":                  "AssumeRoleWithWebIdentity",
		"Version":                 "2011-06-15",
		"RoleArn":                 testRoleARN,
		"RoleSessionName":         "gha-run",
		"WebIdentityToken":        testToken,
		"DurationSeconds":         "3600",
		"Policy":                  in.Policy,
		"PolicyArns.member.1.arn": in.PolicyARNs[0],
		"PolicyArns.member.2.arn": in.PolicyARNs[1],
	}
	for k, want := range wantForm {
		if got := r.Form.Get(k); got != want {
			t.Errorf("form field %s = %q, want %q", k, got, want)
		}
	}
	if len(r.Form) != len(wantForm) {
		t.Errorf("form has fields %v, want exactly %d", r.Form, len(wantForm))
	}
	if r.Method != http.MethodPost {
		t.Errorf("method %s, want POST", r.Method)
	}
	if a := r.Header.Get("Authorization"); a != "" {
		t.Errorf("web identity call carried Authorization %q; it must be unsigned", a)
	}
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
		t.Errorf("web identity call carried X-Amz-Security-Token %q", tok)
	}
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "oidc-aws-action/1.2.3") {
		t.Errorf("User-Agent %q lacks oidc-aws-action/1.2.3", ua)
	}

	want := Result{
		Credentials: Credentials{
			AccessKeyID:     goodCreds.AccessKeyID,
			SecretAccessKey: goodCreds.Secret,
			SessionToken:    goodCreds.Token,
			Expiration:      time.Date(2030, 1, 2, 15, 4, 5, 0, time.UTC),
		},
		AssumedRoleARN: testAssumed,
	}
	if !res.Credentials.Expiration.Equal(want.Credentials.Expiration) {
		t.Errorf("Expiration %v, want %v", res.Credentials.Expiration, want.Credentials.Expiration)
	}
	res.Credentials.Expiration = want.Credentials.Expiration
	if *res != want {
		t.Errorf("result\n got %+v\nwant %+v", *res, want)
	}
}

func TestWebIdentityOmitsUnsetOptionalFields(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, assumedUserXML(testAssumed))))
	if _, err := callWeb(t, newTestClient(t, f.URL, nil)); err != nil {
		t.Fatal(err)
	}
	form := f.requests()[0].Form
	for _, k := range []string{"DurationSeconds", "Policy", "PolicyArns.member.1.arn", "ExternalId"} {
		if _, ok := form[k]; ok {
			t.Errorf("form has %s=%q although it was not set", k, form.Get(k))
		}
	}
}

func TestAssumeRoleSignsWithSourceCredentials(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, assumeRoleOK(goodCreds)))
	c := newTestClient(t, f.URL, nil)
	in := chainInput()
	in.ExternalID = "ext-123"
	in.Duration = 15 * time.Minute
	in.Policy = `{"Version":"2012-10-17"}`
	in.PolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}

	res, err := c.AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	wantForm := map[string]string{
		"Action":                  "AssumeRole",
		"Version":                 "2011-06-15",
		"RoleArn":                 in.RoleARN,
		"RoleSessionName":         "chained",
		"ExternalId":              "ext-123",
		"DurationSeconds":         "900",
		"Policy":                  in.Policy,
		"PolicyArns.member.1.arn": in.PolicyARNs[0],
	}
	for k, want := range wantForm {
		if got := r.Form.Get(k); got != want {
			t.Errorf("form field %s = %q, want %q", k, got, want)
		}
	}
	if len(r.Form) != len(wantForm) {
		t.Errorf("form has fields %v, want exactly %d", r.Form, len(wantForm))
	}
	auth := r.Header.Get("Authorization")
	wantPrefix := "AWS4-HMAC-SHA256 Credential=" + in.Source.AccessKeyID + "/"
	if !strings.HasPrefix(auth, wantPrefix) || !strings.Contains(auth, "/us-east-1/sts/aws4_request") {
		t.Errorf("Authorization %q, want SigV4 for %s in us-east-1/sts", auth, in.Source.AccessKeyID)
	}
	if got := r.Header.Get("X-Amz-Security-Token"); got != in.Source.SessionToken {
		t.Errorf("X-Amz-Security-Token %q, want the source session token", got)
	}
	if res.AssumedRoleARN != "arn:aws:sts::210987654321:assumed-role/target/chained" || res.Credentials.AccessKeyID != goodCreds.AccessKeyID {
		t.Errorf("result %+v", res)
	}
}

func TestWebIdentityAcceptsEmptyAssumedRoleUserAsMinIOSends(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, "<AssumedRoleUser></AssumedRoleUser>")))
	res, err := callWeb(t, newTestClient(t, f.URL, nil))
	if err != nil {
		t.Fatalf("empty AssumedRoleUser must not be an error: %v", err)
	}
	if res.AssumedRoleARN != "" || res.Credentials.AccessKeyID != goodCreds.AccessKeyID {
		t.Errorf("result %+v", res)
	}
}

func TestHostileOrIncompleteAnswersAreRejectedWithoutEchoingValues(t *testing.T) {
	const hostile = "ASIAEVIL\nAWS_ACCESS_KEY_ID=INJECTED"
	cases := []struct {
		name      string
		body      string
		field     string // must be named in the message
		withheld  string // must not appear anywhere
		wantClass Class
	}{
		{"newline in AccessKeyId", webIdentityOK(credsXML{hostile, goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId", "INJECTED", Fatal},
		{"carriage return in SecretAccessKey", webIdentityOK(credsXML{goodCreds.AccessKeyID, "secretpart&#13;INJECTED", goodCreds.Token, testExpiry}, ""), "Credentials.SecretAccessKey", "INJECTED", Fatal},
		{"tab in SessionToken", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "tok&#9;INJECTED", testExpiry}, ""), "Credentials.SessionToken", "INJECTED", Fatal},
		{"line separator in ARN", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::123456789012:assumed-role/x\u2028INJECTED")), "AssumedRoleUser.Arn", "INJECTED", Fatal},
		{"newline in ARN", webIdentityOK(goodCreds, assumedUserXML("arn:aws:sts::123456789012:assumed-role/x\nINJECTED")), "AssumedRoleUser.Arn", "INJECTED", Fatal},
		{"bidi override in AccessKeyId", webIdentityOK(credsXML{"ASIA\u202eINJECTED", goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId", "INJECTED", Fatal},
		{"empty AccessKeyId", webIdentityOK(credsXML{"", goodCreds.Secret, goodCreds.Token, testExpiry}, ""), "Credentials.AccessKeyId is empty", goodCreds.Secret, Fatal},
		{"empty SessionToken", webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, "", testExpiry}, ""), "Credentials.SessionToken is empty", goodCreds.Secret, Fatal},
		{"no Credentials element", `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, "no Credentials", "", Fatal},
		{"empty body", ``, "no Credentials", "", Fatal},
		{"missing Expiration", strings.Replace(webIdentityOK(goodCreds, ""), "<Expiration>"+testExpiry+"</Expiration>", "", 1), "Expiration is missing", goodCreds.Secret, Fatal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startSTS(t, xmlAnswer(200, tc.body))
			res, err := callWeb(t, newTestClient(t, f.URL, nil))
			if res != nil {
				t.Errorf("got result %+v, want none", res)
			}
			e := asError(t, err)
			if e.Class != tc.wantClass {
				t.Errorf("class %v, want %v (%v)", e.Class, tc.wantClass, e)
			}
			if !strings.Contains(e.Message, tc.field) {
				t.Errorf("message %q does not name %q", e.Message, tc.field)
			}
			if e.Hint == "" {
				t.Error("no hint")
			}
			assertNoSecrets(t, e, tc.withheld, goodCreds.Secret, goodCreds.Token, testToken)
		})
	}
}

func TestUnparsableExpirationIsAnError(t *testing.T) {
	body := webIdentityOK(credsXML{goodCreds.AccessKeyID, goodCreds.Secret, goodCreds.Token, "tomorrow-ish"}, "")
	f := startSTS(t, xmlAnswer(200, body))
	res, err := callWeb(t, newTestClient(t, f.URL, nil))
	if res != nil {
		t.Fatalf("got result %+v for an unparsable Expiration", res)
	}
	e := asError(t, err)
	if e.Class != Fatal || e.Hint != codeTable[kindInvalidResponse].Hint || !strings.Contains(e.Message, "tomorrow-ish") {
		t.Errorf("got %v class %v hint %q; want Fatal with the invalid-response hint", e, e.Class, e.Hint)
	}
	assertNoSecrets(t, e, goodCreds.Secret, goodCreds.Token)
}

func TestInvalidInputFailsFatallyWithoutCallingSTS(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, "")))
	c := newTestClient(t, f.URL, nil)
	web := func(mod func(*WebIdentityInput)) func() error {
		return func() error {
			in := webInput()
			mod(&in)
			_, err := c.AssumeRoleWithWebIdentity(context.Background(), in)
			return err
		}
	}
	chain := func(mod func(*AssumeRoleInput)) func() error {
		return func() error {
			in := chainInput()
			mod(&in)
			_, err := c.AssumeRole(context.Background(), in)
			return err
		}
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"empty token", web(func(in *WebIdentityInput) { in.Token = "" }), "token is empty"},
		{"empty role", web(func(in *WebIdentityInput) { in.RoleARN = "" }), "role ARN is empty"},
		{"empty session name", web(func(in *WebIdentityInput) { in.SessionName = "" }), "session name is empty"},
		{"negative duration", web(func(in *WebIdentityInput) { in.Duration = -time.Second }), "not a positive whole number"},
		{"fractional duration", web(func(in *WebIdentityInput) { in.Duration = 1500 * time.Millisecond }), "not a positive whole number"},
		{"empty policy ARN", web(func(in *WebIdentityInput) { in.PolicyARNs = []string{"arn:x", ""} }), "#2 is empty"},
		{"empty source key", chain(func(in *AssumeRoleInput) { in.Source.AccessKeyID = "" }), "source credentials"},
		{"empty source secret", chain(func(in *AssumeRoleInput) { in.Source.SecretAccessKey = "" }), "source credentials"},
		{"chain without role", chain(func(in *AssumeRoleInput) { in.RoleARN = "" }), "role ARN is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := asError(t, tc.call())
			if e.Class != Fatal || !strings.Contains(e.Message, tc.want) || e.Hint == "" {
				t.Errorf("got class %v message %q hint %q; want Fatal, message containing %q, a hint", e.Class, e.Message, e.Hint, tc.want)
			}
			assertNoSecrets(t, e, testToken, chainInput().Source.SecretAccessKey)
		})
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("STS saw %d requests for invalid input, want 0", n)
	}
}

func TestNewRejectsBadRegionAndLimits(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"empty region", Options{}, "aws-region"},
		{"uppercase region", Options{Region: "US-EAST-1"}, `"US-EAST-1"`},
		{"region with newline", Options{Region: "us-east-1\nx"}, `us-east-1\nx`},
		{"negative timeout", Options{Region: "us-east-1", Timeout: -1}, "must not be negative"},
		{"negative max bytes", Options{Region: "us-east-1", MaxResponseBytes: -1}, "must not be negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Getenv = envMap(nil)
			c, err := New(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, %v; want error containing %q", c, err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q has a line break", err)
			}
		})
	}
}

func TestAccountFromARN(t *testing.T) {
	cases := map[string]string{
		"arn:aws:sts::123456789012:assumed-role/deploy/gha-run": "123456789012",
		"arn:aws-cn:sts::210987654321:assumed-role/r/s":         "210987654321",
		"arn:aws-us-gov:iam::000000000001:role/x":               "000000000001",
		"arn:aws:sts::12345678901:assumed-role/short/s":         "",
		"arn:aws:sts::1234567890123:assumed-role/long/s":        "",
		"arn:aws:sts::12345678901a:assumed-role/letters/s":      "",
		"arn:minio:iam:::role/idmp-x":                           "",
		"":                                                      "",
		"not-an-arn":                                            "",
		"arn::sts::123456789012:assumed-role/x":                 "",
		"xarn:aws:sts::123456789012:assumed-role/x":             "",
		"arn:aws:sts::123456789012":                             "",
	}
	for in, want := range cases {
		if got := AccountFromARN(in); got != want {
			t.Errorf("AccountFromARN(%q) = %q, want %q", in, got, want)
		}
	}
}
