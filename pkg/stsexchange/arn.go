package stsexchange

import "strings"

// AccountFromARN returns the 12-digit account ID in an ARN such as
// arn:aws:sts::123456789012:assumed-role/NAME/SESSION, or "" if there is none.
func AccountFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ""
	}
	account := parts[4]
	if len(account) != 12 {
		return ""
	}
	for i := 0; i < len(account); i++ {
		if account[i] < '0' || account[i] > '9' {
			return ""
		}
	}
	return account
}
