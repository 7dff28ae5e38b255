package localsts

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FaultKind is a way for the server to misbehave on purpose.
type FaultKind int

// Fault kinds. Error kinds answer with the ErrorResponse real STS would send
// for that condition; transport kinds break the HTTP exchange itself.
const (
	// FaultHTTP500 answers 500 InternalFailure.
	FaultHTTP500 FaultKind = iota + 1
	// FaultHTTP503 answers 503 ServiceUnavailable.
	FaultHTTP503
	// FaultThrottling answers 400 Throttling "Rate exceeded".
	FaultThrottling
	// FaultIDPCommunicationError answers 400 IDPCommunicationError (the
	// SDK's STS client retries this code).
	FaultIDPCommunicationError
	// FaultInvalidIdentityToken answers 400 InvalidIdentityToken.
	FaultInvalidIdentityToken
	// FaultExpiredToken answers ExpiredTokenException for web identity
	// calls and ExpiredToken (expired caller credentials) for signed calls.
	FaultExpiredToken
	// FaultAccessDenied answers 403 AccessDenied.
	FaultAccessDenied
	// FaultRegionDisabled answers 403 RegionDisabledException.
	FaultRegionDisabled
	// FaultDropConnection closes the connection without any response.
	FaultDropConnection
	// FaultTruncatedXML answers 200 with the first half of a success
	// document and a Content-Length that matches it: the HTTP exchange is
	// clean, the XML is not (the SDK reports a deserialization error).
	FaultTruncatedXML
	// FaultShortBody declares the full Content-Length, sends half and
	// closes: the client sees an unexpected EOF while reading the body.
	FaultShortBody
	// FaultOversizedXML streams a well-formed success document of Fault.Size
	// bytes (8 MiB when zero), padded inside SessionToken, to test clients'
	// response size limits.
	FaultOversizedXML
	// FaultSlowAnswer waits Fault.Delay, then handles the request normally.
	FaultSlowAnswer
	// FaultHang never answers: it ends when the client gives up, or drops
	// the connection when the server closes.
	FaultHang
	// FaultAnswerValues answers 200 with a success document in which
	// Fault.Values replaces values by element name (Arn, AssumedRoleId,
	// AccessKeyId, SecretAccessKey, SessionToken): what a hostile
	// STS-compatible server, or anyone on the path of an http:// endpoint,
	// could send; or the shapes MinIO sends (an empty Arn, a JWT session
	// token).
	FaultAnswerValues
)

var faultNames = map[FaultKind]string{
	FaultHTTP500:               "http500",
	FaultHTTP503:               "http503",
	FaultThrottling:            "throttling",
	FaultIDPCommunicationError: "idp_communication_error",
	FaultInvalidIdentityToken:  "invalid_identity_token",
	FaultExpiredToken:          "expired_token",
	FaultAccessDenied:          "access_denied",
	FaultRegionDisabled:        "region_disabled",
	FaultDropConnection:        "drop_connection",
	FaultTruncatedXML:          "truncated_xml",
	FaultShortBody:             "short_body",
	FaultOversizedXML:          "oversized_xml",
	FaultSlowAnswer:            "slow_answer",
	FaultHang:                  "hang",
	FaultAnswerValues:          "answer_values",
}

func (k FaultKind) String() string {
	if n, ok := faultNames[k]; ok {
		return n
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault programs misbehaviour. Action scopes it ("" = any action). Times is
// how many matching requests it affects; 0 means all until ClearFaults.
// Delay is waited before any kind except FaultHang. Size is for
// FaultOversizedXML, Values for FaultAnswerValues.
type Fault struct {
	Action string
	Kind   FaultKind
	Times  int
	Delay  time.Duration
	Size   int
	Values map[string]string
}

// Inject queues a fault; faults apply in injection order.
func (s *Server) Inject(f Fault) { s.faults.Add(f, f.Times) }

// ClearFaults removes every programmed fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// FaultOutcome is the outcome Stats and RequestRecord use for a fault.
func FaultOutcome(k FaultKind) string { return "fault:" + k.String() }

// serveFault answers per f and reports whether normal handling should
// continue (only for FaultSlowAnswer).
func (c *call) serveFault(f Fault) bool {
	outcome := FaultOutcome(f.Kind)
	if f.Kind == FaultHang {
		select {
		case <-c.r.Context().Done():
			c.rec.Outcome = outcome
		case <-c.s.lb.Done():
			c.rec.Outcome = outcome
			// Returning normally would send an empty 200, which the SDK
			// reads as success with no credentials.
			c.drop()
		}
		return false
	}
	if !c.s.lb.Sleep(c.r.Context(), f.Delay) {
		c.rec.Outcome = OutcomeClientGone
		if !c.written {
			c.drop()
		}
		return false
	}
	action := c.param("Action")
	failWith := func(e *stsError) {
		c.writeError(e)
		c.rec.Outcome, c.rec.Status = outcome, e.Status
	}
	switch f.Kind {
	case FaultSlowAnswer:
		return true
	case FaultHTTP500:
		failWith(errInternalFailure())
	case FaultHTTP503:
		failWith(errServiceUnavailable())
	case FaultThrottling:
		failWith(errThrottling())
	case FaultIDPCommunicationError:
		failWith(errIDPCommunication())
	case FaultInvalidIdentityToken:
		failWith(errInvalidIdentityToken("Couldn't verify the signature of the ID token against the provider's keys"))
	case FaultExpiredToken:
		if action == "AssumeRoleWithWebIdentity" {
			now := c.s.clock()
			failWith(errTokenExpired(now, now.Add(-time.Minute)))
		} else {
			failWith(errSecurityTokenExpired())
		}
	case FaultAccessDenied:
		if action == "AssumeRoleWithWebIdentity" {
			failWith(errAccessDeniedWebIdentity())
		} else {
			failWith(&stsError{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/caller/session is not authorized to perform: sts:%s on resource: %s", c.s.account, action, c.param("RoleArn"))})
		}
	case FaultRegionDisabled:
		failWith(&stsError{Status: http.StatusForbidden, Code: CodeRegionDisabled, Message: fmt.Sprintf("STS is not activated in this region for account:%s. Your account administrator can activate STS in this region using the IAM Console.", c.s.account)})
	case FaultDropConnection:
		c.rec.Outcome = outcome
		c.drop()
	case FaultTruncatedXML:
		doc := c.fakeSuccess(nil)
		half := doc[:len(doc)/2]
		c.headers(len(half))
		c.w.WriteHeader(http.StatusOK)
		c.w.Write(half) //nolint:errcheck
		c.written = true
		c.rec.Outcome, c.rec.Status = outcome, http.StatusOK
	case FaultShortBody:
		doc := c.fakeSuccess(nil)
		c.headers(len(doc))
		c.w.WriteHeader(http.StatusOK)
		c.w.Write(doc[:len(doc)/2]) //nolint:errcheck
		c.written = true
		c.rec.Outcome, c.rec.Status = outcome, http.StatusOK
		c.drop()
	case FaultOversizedXML:
		c.streamOversized(f.Size)
		c.rec.Outcome, c.rec.Status = outcome, http.StatusOK
	case FaultAnswerValues:
		doc := c.fakeSuccess(f.Values)
		c.headers(len(doc))
		c.w.WriteHeader(http.StatusOK)
		c.w.Write(doc) //nolint:errcheck
		c.written = true
		c.rec.Outcome, c.rec.Status = outcome, http.StatusOK
	default:
		failWith(errInternalFailure())
	}
	return false
}

// drop closes the connection without (further) response. Hijacking flushes
// anything already written first.
func (c *call) drop() {
	if rc := http.NewResponseController(c.w); rc != nil {
		if conn, _, err := rc.Hijack(); err == nil {
			conn.Close()
			c.written = true
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection for us
}

const padMarker = "@@LOCALSTS-PADDING@@"

// fakeSuccess renders a success document for the request's action without
// validating or remembering anything; values replace values by element
// name.
func (c *call) fakeSuccess(values map[string]string) []byte {
	akid, secret, tok := newCredentials()
	role, err := parseRoleARN(c.param("RoleArn"))
	if err != nil {
		role, _ = parseRoleARN("arn:aws:iam::" + c.s.account + ":role/fault-injection")
	}
	name := c.param("RoleSessionName")
	if name == "" {
		name = "session"
	}
	id := roleID(role.ARN)
	user := assumedRoleUserXML{Arn: fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", role.Partition, role.Account, role.Name, name), AssumedRoleID: id + ":" + name}
	creds := credentialsXML{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: tok, Expiration: c.s.clock().UTC().Add(time.Hour).Format(time.RFC3339)}
	for k, v := range values {
		switch k {
		case "Arn":
			user.Arn = v
		case "AssumedRoleId":
			user.AssumedRoleID = v
		case "AccessKeyId":
			creds.AccessKeyID = v
		case "SecretAccessKey":
			creds.SecretAccessKey = v
		case "SessionToken":
			creds.SessionToken = v
		}
	}
	var resp any
	switch c.param("Action") {
	case "AssumeRole":
		resp = &assumeRoleResponse{Result: assumeRoleResult{AssumedRoleUser: user, Credentials: creds}}
	case "GetCallerIdentity":
		resp = &callerIdentityResponse{Result: callerIdentityResult{Arn: user.Arn, UserID: user.AssumedRoleID, Account: role.Account}}
	default:
		sub := ""
		if t := c.param("WebIdentityToken"); t != "" {
			mc := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(t, mc); err == nil {
				sub, _ = mc["sub"].(string)
			}
		}
		resp = &webIdentityResponse{Result: webIdentityResult{
			SubjectFromWebIdentityToken: sub, Audience: "sts.amazonaws.com", AssumedRoleUser: user, Credentials: creds,
			Provider: fmt.Sprintf("arn:%s:iam::%s:oidc-provider/token.actions.githubusercontent.com", role.Partition, role.Account),
		}}
	}
	setRequestID(resp, c.rec.RequestID)
	return marshalDoc(resp)
}

// streamOversized sends a valid but huge success document in chunks,
// stopping early if the client leaves or the server closes.
func (c *call) streamOversized(size int) {
	if size <= 0 {
		size = 8 << 20
	}
	doc := c.fakeSuccess(map[string]string{"SessionToken": padMarker})
	head, tail, _ := bytes.Cut(doc, []byte(padMarker))
	// The SDK closes its request body as soon as response headers arrive,
	// racing the transport's own close of it; the loser tears down the
	// connection mid-response. A small body survives that (it is already
	// buffered), a streamed one does not, so give the client a moment to
	// finish sending first.
	if !c.s.lb.Sleep(c.r.Context(), 20*time.Millisecond) {
		return
	}
	c.headers(-1)
	c.w.WriteHeader(http.StatusOK)
	c.written = true
	if _, err := c.w.Write(head); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("A"), 32<<10)
	for n := len(head) + len(tail); n < size; n += len(chunk) {
		select {
		case <-c.r.Context().Done():
			return
		case <-c.s.lb.Done():
			return
		default:
		}
		if _, err := c.w.Write(chunk); err != nil {
			return
		}
	}
	c.w.Write(tail) //nolint:errcheck
}
