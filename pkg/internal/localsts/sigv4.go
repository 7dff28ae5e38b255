package localsts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// session is a set of temporary credentials this server issued.
type session struct {
	AccessKeyID  string
	Secret       string
	Token        string
	Expires      time.Time
	Role         roleARN
	RoleID       string
	SessionName  string
	AssumedArn   string
	AssumedRoleI string // AssumedRoleId: ROLEID:session
}

// credStore remembers issued credentials so signed calls can be verified;
// oldest are forgotten first once max is reached.
type credStore struct {
	mu    sync.Mutex
	max   int
	byKey map[string]*session
	order []string
}

func (cs *credStore) put(s *session) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.byKey == nil {
		cs.byKey = map[string]*session{}
	}
	for len(cs.order) >= cs.max {
		delete(cs.byKey, cs.order[0])
		cs.order = cs.order[1:]
	}
	cs.byKey[s.AccessKeyID] = s
	cs.order = append(cs.order, s.AccessKeyID)
}

func (cs *credStore) get(akid string) (*session, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s, ok := cs.byKey[akid]
	return s, ok
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomBase64(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// newCredentials mints credentials shaped like STS's: ASIA access keys,
// 40-character secrets and long opaque session tokens.
func newCredentials() (akid, secret, token string) {
	akid = "ASIA" + randomFrom(upperAlnum, 16)
	secret = randomBase64(30) // 40 characters
	// Real session tokens are a few hundred bytes of base64 starting with
	// the same bytes; the prefix helps humans recognise one in logs.
	token = "IQoJb3JpZ2luX2VjE" + randomBase64(480)
	return akid, secret, token
}

// roleID derives a stable AROA… unique ID for a role ARN, as IAM assigns one
// per role.
func roleID(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	b := make([]byte, 17)
	for i := range b {
		b[i] = upperAlnum[int(sum[i])%len(upperAlnum)]
	}
	return "AROA" + string(b)
}

// sigv4Auth is a parsed AWS4-HMAC-SHA256 Authorization header.
type sigv4Auth struct {
	AccessKeyID   string
	Date          string
	Region        string
	Service       string
	SignedHeaders string
	Signature     string
}

const sigv4Algorithm = "AWS4-HMAC-SHA256"

// parseAuthorization splits the header; what it names missing is worded as
// AWS's IncompleteSignature messages are.
func parseAuthorization(h string) (sigv4Auth, error) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != sigv4Algorithm {
		//lint:ignore ST1005 the text is AWS's IncompleteSignature message, capitalised as AWS sends it
		return sigv4Auth{}, fmt.Errorf("Authorization header algorithm %q is not %s", alg, sigv4Algorithm)
	}
	var a sigv4Auth
	var cred string
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			a.SignedHeaders = v
		case "Signature":
			a.Signature = v
		}
	}
	var missing []string
	if cred == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if a.SignedHeaders == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if a.Signature == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if len(missing) > 0 {
		return sigv4Auth{}, fmt.Errorf("%s Authorization=%s", strings.Join(missing, " "), alg)
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		//lint:ignore ST1005 the text is AWS's IncompleteSignature message, capitalised as AWS sends it
		return sigv4Auth{}, fmt.Errorf("Credential %q is not of the form AKID/YYYYMMDD/REGION/SERVICE/aws4_request", redactCredential(cred))
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	return a, nil
}

func redactCredential(cred string) string {
	if _, rest, ok := strings.Cut(cred, "/"); ok {
		return "…/" + rest
	}
	return "…"
}

// verifySigV4 authenticates a signed call by recomputing its signature with
// the SDK's own signer over the headers the caller said it signed.
func (c *call) verifySigV4() (*session, *stsError) {
	h := c.r.Header.Get("Authorization")
	if h == "" {
		return nil, &stsError{Status: http.StatusForbidden, Code: CodeMissingAuthenticationToken, Message: "Request is missing Authentication Token"}
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return nil, &stsError{Status: http.StatusBadRequest, Code: CodeIncompleteSignature, Message: err.Error()}
	}
	c.rec.AccessKeyID = a.AccessKeyID
	if a.Service != "sts" {
		return nil, errSignatureDoesNotMatch("Credential should be scoped to correct service: 'sts'. ")
	}
	amzDate := c.r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return nil, &stsError{Status: http.StatusBadRequest, Code: CodeIncompleteSignature, Message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + sigv4Algorithm}
	}
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return nil, &stsError{Status: http.StatusBadRequest, Code: CodeIncompleteSignature, Message: fmt.Sprintf("X-Amz-Date %q is not in ISO-8601 basic format (YYYYMMDDTHHMMSSZ)", amzDate)}
	}
	if day := signedAt.Format("20060102"); day != a.Date {
		return nil, errSignatureDoesNotMatch(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.Date, day, amzDate))
	}
	now := c.s.clock().UTC()
	if skew := c.s.opts.SigV4ClockSkew; skew > 0 {
		const f = "20060102T150405Z"
		if signedAt.Before(now.Add(-skew)) {
			return nil, errSignatureDoesNotMatch(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)", amzDate, now.Add(-skew).Format(f), now.Format(f), int(skew.Minutes())))
		}
		if signedAt.After(now.Add(skew)) {
			return nil, errSignatureDoesNotMatch(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)", amzDate, now.Add(skew).Format(f), now.Format(f), int(skew.Minutes())))
		}
	}
	sess, ok := c.s.creds.get(a.AccessKeyID)
	if !ok {
		return nil, errInvalidClientTokenID()
	}
	if subtle.ConstantTimeCompare([]byte(c.r.Header.Get("X-Amz-Security-Token")), []byte(sess.Token)) != 1 {
		return nil, errInvalidClientTokenID()
	}
	if !now.Before(sess.Expires.Add(c.s.opts.ExpiryGrace)) {
		return nil, errSecurityTokenExpired()
	}

	want, err := resign(c.r, c.body, a, sess, signedAt)
	if err != nil {
		return nil, errSignatureDoesNotMatch("")
	}
	if want.SignedHeaders != a.SignedHeaders || subtle.ConstantTimeCompare([]byte(want.Signature), []byte(a.Signature)) != 1 {
		return nil, errSignatureDoesNotMatch("")
	}
	return sess, nil
}

// resign signs a copy of r holding only the headers the caller listed, the
// same way the caller must have, and returns the resulting Authorization.
func resign(r *http.Request, body []byte, a sigv4Auth, sess *session, signedAt time.Time) (sigv4Auth, error) {
	clone, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return sigv4Auth{}, err
	}
	clone.Host = r.Host
	for _, name := range strings.Split(a.SignedHeaders, ";") {
		switch name {
		case "host":
			continue
		case "content-length":
			clone.ContentLength = r.ContentLength
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if vals := r.Header.Values(key); len(vals) > 0 {
			clone.Header[key] = vals
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.Secret, SessionToken: sess.Token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, clone, hex.EncodeToString(sum[:]), "sts", a.Region, signedAt); err != nil {
		return sigv4Auth{}, err
	}
	return parseAuthorization(clone.Header.Get("Authorization"))
}
