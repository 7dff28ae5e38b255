package permissions

import "strings"

// managedGrade is the built-in judgment of one AWS managed policy.
type managedGrade struct {
	name  string
	level Level
}

// awsManagedPolicies are the AWS managed policies judged by name, whatever
// the input holds: the ones that make a role admin-equivalent or high, and
// common read-only ones, so that a file without their documents (made with
// --filter Role) still says what they grant. Keyed by the part of the ARN
// after "policy/", the same in every partition.
var awsManagedPolicies = map[string]Level{
	"AdministratorAccess":                Admin,
	"IAMFullAccess":                      Admin,
	"PowerUserAccess":                    High,
	"ReadOnlyAccess":                     Limited,
	"job-function/ViewOnlyAccess":        Limited,
	"SecurityAudit":                      Limited,
	"IAMReadOnlyAccess":                  Limited,
	"AmazonS3ReadOnlyAccess":             Limited,
	"AmazonEC2ContainerRegistryReadOnly": Limited,
}

// awsManaged looks an ARN up in the table: arn:PARTITION:iam::aws:policy/NAME.
func awsManaged(arn string) (managedGrade, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "iam" || f[4] != "aws" {
		return managedGrade{}, false
	}
	name, ok := strings.CutPrefix(f[5], "policy/")
	if !ok {
		return managedGrade{}, false
	}
	l, ok := awsManagedPolicies[name]
	if !ok {
		return managedGrade{}, false
	}
	return managedGrade{name: name[strings.LastIndex(name, "/")+1:], level: l}, true
}
