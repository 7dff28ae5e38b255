package localsts

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// stsError is an STS error answer: its HTTP status and the ErrorResponse's
// Code and Message.
type stsError struct {
	Status  int
	Code    string
	Message string
}

// Type is the ErrorResponse's Type: Sender for the caller's faults,
// Receiver for the service's.
func (e *stsError) Type() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// Error codes this server answers with, as STS spells them.
const (
	CodeAccessDenied               = "AccessDenied"
	CodeExpiredTokenException      = "ExpiredTokenException"
	CodeExpiredToken               = "ExpiredToken"
	CodeIDPCommunicationError      = "IDPCommunicationError"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeInternalFailure            = "InternalFailure"
	CodeInvalidAction              = "InvalidAction"
	CodeInvalidClientTokenID       = "InvalidClientTokenId"
	CodeInvalidIdentityToken       = "InvalidIdentityToken"
	CodeInvalidParameterValue      = "InvalidParameterValue"
	CodeMalformedPolicyDocument    = "MalformedPolicyDocument"
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodePackedPolicyTooLarge       = "PackedPolicyTooLarge"
	CodeRegionDisabled             = "RegionDisabledException"
	CodeServiceUnavailable         = "ServiceUnavailable"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeThrottling                 = "Throttling"
	CodeValidationError            = "ValidationError"
)

func errValidation(msg string) *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: CodeValidationError, Message: msg}
}

func errThrottling() *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: CodeThrottling, Message: "Rate exceeded"}
}

func errAccessDeniedWebIdentity() *stsError {
	return &stsError{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
}

func errInvalidIdentityToken(msg string) *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: CodeInvalidIdentityToken, Message: msg}
}

func errIDPCommunication() *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: CodeIDPCommunicationError, Message: "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"}
}

func errTokenExpired(now, exp time.Time) *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: CodeExpiredTokenException,
		Message: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp.Unix())}
}

func errSecurityTokenExpired() *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: CodeExpiredToken, Message: "The security token included in the request is expired"}
}

func errInvalidClientTokenID() *stsError {
	return &stsError{Status: http.StatusForbidden, Code: CodeInvalidClientTokenID, Message: "The security token included in the request is invalid."}
}

func errSignatureDoesNotMatch(msg string) *stsError {
	if msg == "" {
		msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	return &stsError{Status: http.StatusForbidden, Code: CodeSignatureDoesNotMatch, Message: msg}
}

func errInternalFailure() *stsError {
	return &stsError{Status: http.StatusInternalServerError, Code: CodeInternalFailure, Message: "The request processing has failed because of an unknown error, exception or failure."}
}

func errServiceUnavailable() *stsError {
	return &stsError{Status: http.StatusServiceUnavailable, Code: CodeServiceUnavailable, Message: "The request has failed due to a temporary failure of the server."}
}

type errorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error     errorXML `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type errorXML struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type assumedRoleUserXML struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type webIdentityResponse struct {
	XMLName  xml.Name          `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result   webIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	Metadata responseMetadata  `xml:"ResponseMetadata"`
}

type webIdentityResult struct {
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	Audience                    string             `xml:"Audience"`
	AssumedRoleUser             assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML     `xml:"Credentials"`
	PackedPolicySize            *int               `xml:"PackedPolicySize,omitempty"`
	SourceIdentity              string             `xml:"SourceIdentity,omitempty"`
	Provider                    string             `xml:"Provider"`
}

type assumeRoleResponse struct {
	XMLName  xml.Name         `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result   assumeRoleResult `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type assumeRoleResult struct {
	SourceIdentity   string             `xml:"SourceIdentity,omitempty"`
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials      credentialsXML     `xml:"Credentials"`
	PackedPolicySize *int               `xml:"PackedPolicySize,omitempty"`
}

type callerIdentityResponse struct {
	XMLName  xml.Name             `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result   callerIdentityResult `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata     `xml:"ResponseMetadata"`
}

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

// setRequestID stamps the response document with this call's request ID.
func setRequestID(resp any, id string) {
	switch r := resp.(type) {
	case *webIdentityResponse:
		r.Metadata.RequestID = id
	case *assumeRoleResponse:
		r.Metadata.RequestID = id
	case *callerIdentityResponse:
		r.Metadata.RequestID = id
	}
}

func marshalDoc(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		// Only our own fixed structs are marshalled; failing here is a bug.
		panic(fmt.Sprintf("localsts: failed to marshal %T: %v", v, err))
	}
	return b
}

func (c *call) headers(n int) {
	h := c.w.Header()
	h.Set("Content-Type", "text/xml")
	// STS itself sends x-amzn-RequestId; x-amz-request-id is sent too for
	// callers that look for the S3-style name.
	h.Set("x-amzn-RequestId", c.rec.RequestID)
	h.Set("x-amz-request-id", c.rec.RequestID)
	if n >= 0 {
		h.Set("Content-Length", strconv.Itoa(n))
	}
}

func (c *call) fail(e *stsError) {
	c.rec.Outcome = e.Code
	c.rec.Status = e.Status
	c.writeError(e)
}

func (c *call) writeError(e *stsError) {
	b := marshalDoc(&errorResponse{Error: errorXML{Type: e.Type(), Code: e.Code, Message: e.Message}, RequestID: c.rec.RequestID})
	c.headers(len(b))
	c.w.WriteHeader(e.Status)
	c.w.Write(b) //nolint:errcheck // a client that left is not an error here
	c.written = true
}

func (c *call) succeed(resp any) {
	setRequestID(resp, c.rec.RequestID)
	b := marshalDoc(resp)
	c.rec.Outcome = OutcomeSuccess
	c.rec.Status = http.StatusOK
	c.headers(len(b))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(b) //nolint:errcheck
	c.written = true
}
