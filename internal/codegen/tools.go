//go:build tools

package main

// The AWS models the generator and the codec conformance tests read are
// data files in this module; the blank import keeps it in go.mod so
// `go mod download` fetches it and `go mod tidy` does not drop it.
import _ "github.com/aws/aws-sdk-go/aws"
