package framework

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/niwatest/sdkbody"
)

// S3Client is an aws-sdk-go-v2 S3 client for n. Path style unless
// virtualHost: then requests go to "<bucket>.s3.localhost:<port>", dialled
// on loopback as a browser resolves *.localhost.
func S3Client(n *Niwa, virtualHost bool) *s3.Client {
	cfg := GoConfig(n, "test", "test", "")
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = !virtualHost
		if virtualHost {
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(n.Endpoint, "http://"))
			o.BaseEndpoint = aws.String("http://s3.localhost:" + port)
			o.HTTPClient = &http.Client{Transport: sdkbody.Transport(&http.Transport{
				DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
				},
			})}
		}
	})
}

// APICode is the AWS error code of err, or "" when err is no API error.
func APICode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
