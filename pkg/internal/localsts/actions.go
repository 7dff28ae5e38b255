package localsts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxPackedPolicy is the "allotted space" session policies are measured
// against. Real STS compresses policies with an undisclosed scheme; here the
// compacted policy plus the managed policy ARNs count byte for byte, which
// keeps PackedPolicyTooLarge reachable and predictable in tests.
const maxPackedPolicy = 2048

// checkSessionPolicy enforces what STS enforces on Policy and PolicyArns and
// returns the PackedPolicySize percentage to report (nil when none sent).
func checkSessionPolicy(policy string, arns []string) (*int, *stsError) {
	if policy == "" && len(arns) == 0 {
		return nil, nil
	}
	size := 0
	if policy != "" {
		var doc map[string]any
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			return nil, &stsError{Status: http.StatusBadRequest, Code: CodeMalformedPolicyDocument, Message: "The policy is not in the valid JSON format."}
		}
		if _, ok := doc["Statement"]; !ok {
			return nil, &stsError{Status: http.StatusBadRequest, Code: CodeMalformedPolicyDocument, Message: "Syntax errors in policy."}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, []byte(policy)); err == nil {
			size += compact.Len()
		}
	}
	for _, a := range arns {
		size += len(a)
	}
	pct := (size*100 + maxPackedPolicy - 1) / maxPackedPolicy
	if pct > 100 {
		return nil, &stsError{Status: http.StatusBadRequest, Code: CodePackedPolicyTooLarge,
			Message: fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy for this session.", pct)}
	}
	return &pct, nil
}

// maxPackedTags is the allotted space for session tags, modelled like
// maxPackedPolicy: every key and value counts byte for byte.
const maxPackedTags = 2048

// checkSessionTags applies the rules that need the whole set of tags, and
// returns their packed size in percent of the allotted space.
func checkSessionTags(tags []Tag, transitive []string) (int, *stsError) {
	seen := map[string]bool{}
	size := 0
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return 0, &stsError{Status: http.StatusBadRequest, Code: CodeInvalidParameterValue, Message: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
		}
		seen[k] = true
		size += len(t.Key) + len(t.Value)
	}
	for _, k := range transitive {
		if !seen[strings.ToLower(k)] {
			return 0, &stsError{Status: http.StatusBadRequest, Code: CodeInvalidParameterValue, Message: fmt.Sprintf("The transitive tag key %s is not among the session tags of the request.", k)}
		}
	}
	pct := (size*100 + maxPackedTags - 1) / maxPackedTags
	if pct > 100 {
		return 0, &stsError{Status: http.StatusBadRequest, Code: CodePackedPolicyTooLarge,
			Message: fmt.Sprintf("Packed size of session tags consumes %d%% of allotted space.", pct)}
	}
	return pct, nil
}

// lookupRole finds the role, or invents it in open mode.
func (s *Server) lookupRole(arn string) (Role, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r, ok := s.roles[arn]; ok {
		return r, true
	}
	return Role{}, s.open
}

func (s *Server) maxSession(r Role) time.Duration {
	if r.MaxSessionDuration > 0 {
		return r.MaxSessionDuration
	}
	return s.opts.DefaultMaxSessionDuration
}

func errMaxSessionDuration() *stsError {
	return errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
}

// issue mints and remembers a session for role.
func (s *Server) issue(role roleARN, sessionName string, d time.Duration) *session {
	if s.opts.CredentialLifetime > 0 {
		d = s.opts.CredentialLifetime
	}
	akid, secret, token := newCredentials()
	id := roleID(role.ARN)
	sess := &session{
		AccessKeyID:  akid,
		Secret:       secret,
		Token:        token,
		Expires:      s.clock().UTC().Add(d).Truncate(time.Second),
		Role:         role,
		RoleID:       id,
		SessionName:  sessionName,
		AssumedArn:   fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", role.Partition, role.Account, role.Name, sessionName),
		AssumedRoleI: id + ":" + sessionName,
	}
	s.creds.put(sess)
	s.stats.issued.Add(1)
	return sess
}

func (sess *session) xml() (assumedRoleUserXML, credentialsXML) {
	return assumedRoleUserXML{Arn: sess.AssumedArn, AssumedRoleID: sess.AssumedRoleI},
		credentialsXML{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.Secret, SessionToken: sess.Token, Expiration: sess.Expires.Format(time.RFC3339)}
}

func (c *call) assumeRoleWithWebIdentity() (any, *stsError) {
	var v validation
	roleArn := c.str(&v, "RoleArn", "roleArn", true, 20, 2048, nil, "", false)
	sessionName := c.str(&v, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRe, `[\w+=,.@-]*`, false)
	token := c.str(&v, "WebIdentityToken", "webIdentityToken", true, 4, 20000, nil, "", true)
	c.str(&v, "ProviderId", "providerId", false, 4, 2048, nil, "", false)
	dur := c.duration(&v)
	policy, arns := c.sessionPolicy(&v)
	if e := v.err(); e != nil {
		return nil, e
	}
	role, err := parseRoleARN(roleArn)
	if err != nil {
		return nil, errValidation("Request ARN is invalid")
	}
	packed, perr := checkSessionPolicy(policy, arns)
	if perr != nil {
		return nil, perr
	}

	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}), jwt.WithoutClaimsValidation())
	unverified, _, err := parser.ParseUnverified(token, claims)
	if err != nil {
		return nil, errInvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	auds, _ := claims.GetAudience()
	c.rec.TokenIssuer, c.rec.TokenSubject, c.rec.TokenAudience = iss, sub, auds

	prov := c.s.findProvider(iss, role.Account)
	if prov == nil {
		return nil, errInvalidIdentityToken("No OpenIDConnect provider found in your account for " + iss)
	}
	aud := ""
	for _, a := range auds {
		if slices.Contains(prov.cfg.ClientIDs, a) {
			aud = a
			break
		}
	}
	if aud == "" {
		return nil, errInvalidIdentityToken("Incorrect token audience")
	}
	kid, _ := unverified.Header["kid"].(string)
	keys, err := c.s.verificationKeys(c.r.Context(), prov, kid)
	if err != nil {
		c.rec.Detail = err.Error()
		return nil, errIDPCommunication()
	}
	verified := false
	for _, k := range keys {
		if _, err := parser.Parse(token, func(*jwt.Token) (any, error) { return k, nil }); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, errInvalidIdentityToken("Couldn't verify the signature of the ID token against the provider's keys")
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, errInvalidIdentityToken("The ID token is missing the required exp claim")
	}
	now := c.s.clock()
	if !now.Before(exp.Time) {
		return nil, errTokenExpired(now, exp.Time)
	}

	r, exists := c.s.lookupRole(roleArn)
	if !exists {
		c.rec.Detail = "role does not exist"
		return nil, errAccessDeniedWebIdentity()
	}
	if ev := c.s.opts.Evaluator; ev != nil {
		ok, err := ev.Allowed(r.TrustPolicy, iss, map[string]any(claims))
		if err != nil {
			c.rec.Detail = "trust evaluator: " + err.Error()
			return nil, errAccessDeniedWebIdentity()
		}
		if !ok {
			c.rec.Detail = "trust policy denied"
			return nil, errAccessDeniedWebIdentity()
		}
	}
	if time.Duration(dur)*time.Second > c.s.maxSession(r) {
		return nil, errMaxSessionDuration()
	}

	sess := c.s.issue(role, sessionName, time.Duration(dur)*time.Second)
	user, creds := sess.xml()
	return &webIdentityResponse{Result: webIdentityResult{
		SubjectFromWebIdentityToken: sub,
		Audience:                    aud,
		AssumedRoleUser:             user,
		Credentials:                 creds,
		PackedPolicySize:            packed,
		Provider:                    prov.ARN(role.Partition),
	}}, nil
}

// roleChainLimit is AWS's cap on sessions from AssumeRole called with
// temporary role credentials.
const roleChainLimit = time.Hour

func (c *call) assumeRole() (any, *stsError) {
	var v validation
	roleArn := c.str(&v, "RoleArn", "roleArn", true, 20, 2048, nil, "", false)
	sessionName := c.str(&v, "RoleSessionName", "roleSessionName", true, 2, 64, sessionNameRe, `[\w+=,.@-]*`, false)
	externalID := c.str(&v, "ExternalId", "externalId", false, 2, 1224, externalIDRe, `[\w+=,.@:\/-]*`, false)
	c.str(&v, "SourceIdentity", "sourceIdentity", false, 2, 64, sessionNameRe, `[\w+=,.@-]*`, false)
	dur := c.duration(&v)
	policy, arns := c.sessionPolicy(&v)
	tags, transitive := c.sessionTags(&v)
	if e := v.err(); e != nil {
		return nil, e
	}
	caller, e := c.verifySigV4()
	if e != nil {
		return nil, e
	}
	role, err := parseRoleARN(roleArn)
	if err != nil {
		return nil, errValidation("Request ARN is invalid")
	}
	packed, perr := checkSessionPolicy(policy, arns)
	if perr != nil {
		return nil, perr
	}
	tagsPacked, terr := checkSessionTags(tags, transitive)
	if terr != nil {
		return nil, terr
	}
	if len(tags) > 0 && (packed == nil || tagsPacked > *packed) {
		packed = &tagsPacked
	}
	denied := &stsError{Status: http.StatusForbidden, Code: CodeAccessDenied,
		Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.AssumedArn, roleArn)}
	r, exists := c.s.lookupRole(roleArn)
	if !exists {
		c.rec.Detail = "role does not exist"
		return nil, denied
	}
	if len(r.TrustedRoles) > 0 && !slices.Contains(r.TrustedRoles, caller.Role.ARN) {
		c.rec.Detail = fmt.Sprintf("caller role %q is not among the trusted roles", caller.Role.ARN)
		return nil, denied
	}
	if r.ExternalID != "" && r.ExternalID != externalID {
		c.rec.Detail = "ExternalId mismatch"
		return nil, denied
	}
	if r.RefuseSessionTags && len(tags) > 0 {
		c.rec.Detail = "the role's trust policy does not allow sts:TagSession"
		return nil, &stsError{Status: http.StatusForbidden, Code: CodeAccessDenied,
			Message: fmt.Sprintf("User: %s is not authorized to perform: sts:TagSession on resource: %s", caller.AssumedArn, roleArn)}
	}
	d := time.Duration(dur) * time.Second
	if d > c.s.maxSession(r) {
		return nil, errMaxSessionDuration()
	}
	if d > roleChainLimit {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	sess := c.s.issue(role, sessionName, d)
	user, creds := sess.xml()
	return &assumeRoleResponse{Result: assumeRoleResult{
		SourceIdentity:   c.param("SourceIdentity"),
		AssumedRoleUser:  user,
		Credentials:      creds,
		PackedPolicySize: packed,
	}}, nil
}

func (c *call) getCallerIdentity() (any, *stsError) {
	caller, e := c.verifySigV4()
	if e != nil {
		return nil, e
	}
	return &callerIdentityResponse{Result: callerIdentityResult{
		Arn:     caller.AssumedArn,
		UserID:  caller.AssumedRoleI,
		Account: caller.Role.Account,
	}}, nil
}
