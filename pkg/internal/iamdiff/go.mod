module github.com/org/oidc-aws-action/pkg/internal/iamdiff

go 1.26.8

require (
	github.com/minio/pkg/v3 v3.0.2
	github.com/org/oidc-aws-action v0.0.0
)

require (
	github.com/goccy/go-json v0.10.2 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/minio/minio-go/v7 v7.0.70 // indirect
)

replace github.com/org/oidc-aws-action => ../../..
