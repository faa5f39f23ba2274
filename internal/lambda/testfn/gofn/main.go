// Command gofn is a Lambda function for the provided.al2023 runtime,
// built with github.com/aws/aws-lambda-go exactly as users build theirs.
// The e2e tests compile it into a "bootstrap" and run it in niwa.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Name string `json:"name"`
	Fail bool   `json:"fail"`
}

type reply struct {
	Greeting  string `json:"greeting"`
	RequestID string `json:"requestId"`
	Function  string `json:"function"`
	Region    string `json:"region"`
}

func handle(ctx context.Context, e event) (reply, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	fmt.Println("go function got", e.Name)
	if e.Fail {
		return reply{}, errors.New("asked to fail")
	}
	return reply{
		Greeting:  "hello " + e.Name,
		RequestID: lc.AwsRequestID,
		Function:  lambdacontext.FunctionName,
		Region:    os.Getenv("AWS_REGION"),
	}, nil
}

func main() { lambda.Start(handle) }
