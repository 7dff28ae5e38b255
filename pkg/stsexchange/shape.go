package stsexchange

import (
	"fmt"
	"strings"
)

// The shapes of the values STS returns. An answer is refused unless each
// value has its shape: these values reach GITHUB_ENV, step outputs and
// later `run:` lines (`echo ${{ steps.x.outputs.authenticated-arn }}`), so
// a server that can answer (an STS-compatible one, or anyone on the path
// of an http:// endpoint) must not be able to put shell syntax in them.
// None of the allowed characters means anything to a shell inside a word.
//
// Sources: the STS API reference, data types Credentials (AccessKeyId: 16
// to 128 characters; SecretAccessKey and SessionToken: no stated shape,
// and "make no assumptions about the maximum size") and AssumedRoleUser
// (Arn: 20 to 2048 characters). Real access key IDs are upper-case letters
// and digits (ASIA…, and MinIO's 20-character keys); secrets and session
// tokens are base64, and MinIO's session tokens are JWTs (base64url and
// dots).
//
// The minimums of the secret key and session token keep a truncated or
// made-up value (a 3-character "token") from being exported as if it
// were credentials: AWS and MinIO (and Ceph RGW) issue 40-character
// secret keys; AWS session tokens are hundreds of characters, and MinIO's
// JWTs well over a hundred (a header, a payload and an HMAC-SHA512
// signature of 86). The bounds leave room below those for other
// STS-compatible servers.
const (
	minAccessKeyID = 16
	maxAccessKeyID = 128
	minSecretKey   = 32
	minSessionTok  = 64
	minARN         = 20
	maxARN         = 2048
)

// shapeProblem returns what is wrong with the shape of the answer's
// values, naming the element and never the value, or "" when all is well.
// An empty Arn and AssumedRoleId are allowed: MinIO sends them.
func shapeProblem(res *Result, roleID string) string {
	c := res.Credentials
	switch {
	case !isAccessKeyID(c.AccessKeyID):
		return "Credentials.AccessKeyId is not an access key ID (16 to 128 upper-case letters and digits)"
	case len(c.SecretAccessKey) < minSecretKey:
		return fmt.Sprintf("Credentials.SecretAccessKey is %d characters long; STS secret keys have at least %d", len(c.SecretAccessKey), minSecretKey)
	case !onlyOf(c.SecretAccessKey, isTokenByte):
		return "Credentials.SecretAccessKey holds characters no STS secret key has (base64, '-', '_' and '.' only)"
	case len(c.SessionToken) < minSessionTok:
		return fmt.Sprintf("Credentials.SessionToken is %d characters long; STS session tokens have at least %d", len(c.SessionToken), minSessionTok)
	case !onlyOf(c.SessionToken, isTokenByte):
		return "Credentials.SessionToken holds characters no STS session token has (base64, '-', '_' and '.' only)"
	case res.AssumedRoleARN != "" && !isARN(res.AssumedRoleARN):
		return "AssumedRoleUser.Arn is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, account 12 digits or none)"
	case roleID != "" && !onlyOf(roleID, isNameByte):
		return "AssumedRoleUser.AssumedRoleId holds characters no role ID has"
	}
	return ""
}

func isAccessKeyID(s string) bool {
	return len(s) >= minAccessKeyID && len(s) <= maxAccessKeyID &&
		onlyOf(s, func(b byte) bool { return isUpper(b) || isDigit(b) })
}

// isARN checks arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE with the
// characters IAM allows in each part: names and paths of roles and
// sessions are made of letters, digits and +=,.@_- (and / in paths).
func isARN(s string) bool {
	if len(s) < minARN || len(s) > maxARN {
		return false
	}
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[1] == "" || p[2] == "" || p[5] == "" {
		return false
	}
	for _, part := range p[1:4] {
		if !onlyOf(part, func(b byte) bool { return isLower(b) || isDigit(b) || b == '-' }) {
			return false
		}
	}
	if p[4] != "" && (len(p[4]) != 12 || !onlyOf(p[4], isDigit)) {
		return false
	}
	return onlyOf(p[5], func(b byte) bool { return isNameByte(b) || b == '/' })
}

func isTokenByte(b byte) bool {
	return isUpper(b) || isLower(b) || isDigit(b) || strings.IndexByte("+/=-_.", b) >= 0
}

// isNameByte: IAM's name characters, and ':' (role IDs are ID:SESSION).
func isNameByte(b byte) bool {
	return isUpper(b) || isLower(b) || isDigit(b) || strings.IndexByte("+=,.@_:-", b) >= 0
}

func onlyOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }
func isLower(b byte) bool { return b >= 'a' && b <= 'z' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }
